//! The probe stage for one address: every version in the range with the raw probe,
//! plus one modern handshake, under the scan's connection limit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::probe::modern::{ModernClient, ModernHandshake};
use crate::probe::outcome::{ConnectFailure, Outcome, VersionProbe};
use crate::probe::raw::{ProbeTarget, probe_version};
use crate::target::Host;
use crate::version::{TlsVersion, VersionRange};

/// How the probe stage behaves; plain data, filled from the command line.
#[derive(Clone, Debug)]
pub struct ProbeSettings {
    pub range: VersionRange,
    /// Connect timeout, and handshake timeout, each.
    pub timeout: Duration,
    /// Connections in flight across the whole scan.
    pub concurrency: usize,
}

/// Everything probed at one (host, port, address).
#[derive(Clone, Debug)]
pub struct AddressScan {
    pub host: Host,
    pub port: u16,
    pub addr: SocketAddr,
    /// Set when the address took no connection; then no version was probed further.
    pub unreachable: Option<ConnectFailure>,
    /// Raw probe per version in the range, oldest first.
    pub probes: Vec<(TlsVersion, VersionProbe)>,
    pub modern: Option<ModernHandshake>,
}

/// Runs probes. Cheap to clone; clones share the connection limit and rustls config.
#[derive(Clone)]
pub struct Prober {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ProbeSettings,
    modern: Option<ModernClient>,
    connections: Semaphore,
}

impl Prober {
    pub fn new(settings: ProbeSettings) -> Result<Self, String> {
        let modern = ModernClient::new(settings.range, ModernClient::public_roots())?;
        let connections = Semaphore::new(settings.concurrency.max(1));
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                modern,
                connections,
            }),
        })
    }

    pub fn settings(&self) -> &ProbeSettings {
        &self.inner.settings
    }

    /// Probes one address. The newest version goes first, alone: if the address takes
    /// no connection, that is recorded once instead of once per version.
    pub async fn scan_address(&self, host: Host, port: u16, addr: SocketAddr) -> AddressScan {
        let range = self.inner.settings.range;
        let mut scan = AddressScan {
            host,
            port,
            addr,
            unreachable: None,
            probes: Vec::new(),
            modern: None,
        };
        let first_version = range.max();
        let first = self.version(&scan.host, addr, first_version).await;
        if let Outcome::Unreachable(failure) = &first.outcome {
            scan.unreachable = Some(failure.clone());
            return scan;
        }
        let mut set = JoinSet::new();
        for version in range.iter().filter(|v| *v != first_version) {
            let (me, host) = (self.clone(), scan.host.clone());
            set.spawn(async move { Job::Raw(version, me.version(&host, addr, version).await) });
        }
        if self.inner.modern.is_some() {
            let (me, host) = (self.clone(), scan.host.clone());
            set.spawn(async move { Job::Modern(me.modern(&host, addr).await) });
        }
        scan.probes.push((first_version, first));
        while let Some(done) = set.join_next().await {
            match done {
                Ok(Job::Raw(v, p)) => scan.probes.push((v, p)),
                Ok(Job::Modern(m)) => scan.modern = m,
                // A probe task only ends by returning; a panic is a bug worth surfacing.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        scan.probes.sort_by_key(|(v, _)| *v);
        scan
    }

    async fn version(&self, host: &Host, addr: SocketAddr, version: TlsVersion) -> VersionProbe {
        let _permit = self.inner.connections.acquire().await;
        let target = ProbeTarget {
            addr,
            server_name: host.server_name(),
        };
        probe_version(target, version, self.inner.settings.timeout).await
    }

    async fn modern(&self, host: &Host, addr: SocketAddr) -> Option<ModernHandshake> {
        let client = self.inner.modern.as_ref()?;
        let _permit = self.inner.connections.acquire().await;
        let target = ProbeTarget {
            addr,
            server_name: host.server_name(),
        };
        Some(client.handshake(target, self.inner.settings.timeout).await)
    }
}

enum Job {
    Raw(TlsVersion, VersionProbe),
    Modern(Option<ModernHandshake>),
}
