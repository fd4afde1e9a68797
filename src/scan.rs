//! The probe stage for one address: every version in the range with the raw probe,
//! plus one modern handshake, under two limits — connections in flight across the
//! scan, and connections in flight to any one IP address, whatever the port (many
//! Microsoft 365 names share front-end addresses; a burst of connections to one of them
//! invites rate limits and IDS resets that would look like refusals). Through a proxy
//! the second limit is per proxy route (the proxy resolves and connects itself).
//!
//! Scheduling: the modern handshake opens the address's first connection; as soon as
//! the TCP connect (or the proxy's CONNECT) succeeds, every raw probe is released at
//! once, so an address that accepts connections and never answers costs about
//! 2 × timeout (one timeout and its retry, all probes side by side) instead of one
//! round per probe. An address that takes no connection costs that one connect and is
//! recorded once, not once per version.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;

use crate::checks::{BoxFuture, Check, CheckReport, Net};
use crate::mail::Mail;
use crate::probe::dial::dial;
use crate::probe::modern::{ModernClient, ModernHandshake, ModernOutcome, needs_pinned};
use crate::probe::net::Route;
use crate::probe::outcome::{ConnectFailure, Outcome, Timing, VersionProbe};
use crate::probe::proof::Offer;
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
    /// Connections in flight to one IP address, all ports together (through a proxy:
    /// to one proxy route).
    pub per_address: usize,
    /// Extra attempts after a timeout.
    pub retries: u32,
}

/// Told about progress; implemented by the progress bar. Calls come from many tasks.
pub trait Observer: Send + Sync {
    /// `n` more probes are planned (an address was resolved).
    fn planned(&self, n: u64);
    /// One probe finished (or was settled without a connection) for `host`.
    fn done(&self, host: &str, n: u64);
    /// The pipeline started probing one address (for "waiting on N silent addresses").
    fn address_started(&self) {}
    /// …and finished it.
    fn address_finished(&self) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn planned(&self, _: u64) {}
    fn done(&self, _: &str, _: u64) {}
}

/// Everything probed at one (host, port, address).
#[derive(Clone, Debug)]
pub struct AddressScan {
    pub host: Host,
    pub port: u16,
    pub route: Route,
    /// The mail protocol spoken around TLS (see `mail.rs`), `None` for plain TLS.
    pub mail: Option<Mail>,
    /// Set when the address took no connection (or its STARTTLS preamble failed); then
    /// no version was probed further.
    pub unreachable: Option<ConnectFailure>,
    /// Raw probe per version in the range, oldest first.
    pub probes: Vec<(TlsVersion, VersionProbe)>,
    pub modern: Option<ModernHandshake>,
    /// Handshakes pinned to one version, run when a raw claim at 1.2/1.3 was not
    /// proven otherwise (see `proof.rs`).
    pub pinned: Vec<ModernHandshake>,
    /// One report per registered check (`checks/`), in registry order.
    pub checks: Vec<CheckReport>,
}

/// Runs probes. Cheap to clone; clones share the limits and the rustls config.
#[derive(Clone)]
pub struct Prober {
    inner: Arc<Inner>,
}

struct Inner {
    settings: ProbeSettings,
    modern: Option<ModernClient>,
    connections: Semaphore,
    per_address: Mutex<HashMap<LimitKey, Arc<Semaphore>>>,
    observer: Arc<dyn Observer>,
    checks: Vec<Box<dyn Check>>,
}

impl Prober {
    pub fn new(settings: ProbeSettings, observer: Arc<dyn Observer>) -> Result<Self, String> {
        Self::with_checks(settings, observer, Vec::new())
    }

    /// A prober that also runs `checks` at every address that takes a connection.
    pub fn with_checks(
        settings: ProbeSettings,
        observer: Arc<dyn Observer>,
        checks: Vec<Box<dyn Check>>,
    ) -> Result<Self, String> {
        let modern = ModernClient::new(settings.range)?;
        let connections = Semaphore::new(settings.concurrency.max(1));
        let per_address = Mutex::new(HashMap::new());
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                modern,
                connections,
                per_address,
                observer,
                checks,
            }),
        })
    }

    pub fn settings(&self) -> &ProbeSettings {
        &self.inner.settings
    }

    /// Probes per address: one per version, plus the modern handshake.
    pub fn probes_per_address(&self) -> u64 {
        self.inner.settings.range.iter().count() as u64 + u64::from(self.inner.modern.is_some())
    }

    /// Probes one address: see the module doc for the order.
    pub async fn scan_address(
        &self,
        host: Host,
        port: u16,
        route: Route,
        mail: Option<Mail>,
    ) -> AddressScan {
        let mut scan = AddressScan {
            host,
            port,
            route,
            mail,
            unreachable: None,
            probes: Vec::new(),
            modern: None,
            pinned: Vec::new(),
            checks: Vec::new(),
        };
        let range = self.inner.settings.range;
        let mut set = JoinSet::new();
        // The probe that opens the first connection, and the versions left for later.
        let (connected, rest): (oneshot::Receiver<Result<(), ConnectFailure>>, Vec<_>) =
            if self.inner.modern.is_some() {
                let (tx, rx) = oneshot::channel();
                let (me, host, route) = (self.clone(), scan.host.clone(), scan.route.clone());
                set.spawn(async move { Job::Modern(me.modern(&host, &route, mail, tx).await) });
                (rx, range.iter().collect())
            } else {
                // No modern handshake in the range (TLS 1.0/1.1 only): the newest
                // version's probe opens the address, alone.
                let first_version = range.max();
                let first = self
                    .version(&scan.host, &scan.route, mail, first_version)
                    .await;
                let (tx, rx) = oneshot::channel();
                let _ = tx.send(match &first.outcome {
                    Outcome::Unreachable(failure) => Err(failure.clone()),
                    _ => Ok(()),
                });
                scan.probes.push((first_version, first));
                let rest = range.iter().filter(|v| *v != first_version).collect();
                (rx, rest)
            };
        // A dropped sender (the opening probe ended before connecting, which only a
        // bug would do) releases the others rather than stalling the address.
        if let Ok(Err(failure)) = connected.await {
            // Behind a proxy that refused the tunnel the checks probe nothing either,
            // and say why in their columns.
            if let ConnectFailure::ProxyRefused(refusal) = &failure {
                let why = refusal.short();
                scan.checks = self
                    .inner
                    .checks
                    .iter()
                    .map(|c| crate::checks::not_probed(c.as_ref(), &why))
                    .collect();
            }
            scan.unreachable = Some(failure);
            scan.probes.clear();
            let settled = self.probes_per_address() - 1;
            self.inner.observer.done(&scan.host.to_string(), settled);
            // The opening probe has nothing left to do but finish.
            while set.join_next().await.is_some() {}
            self.release_address(&scan.route);
            return scan;
        }
        for version in rest {
            let (me, host, route) = (self.clone(), scan.host.clone(), scan.route.clone());
            set.spawn(
                async move { Job::Raw(version, me.version(&host, &route, mail, version).await) },
            );
        }
        while let Some(done) = set.join_next().await {
            match done {
                Ok(Job::Raw(v, p)) => scan.probes.push((v, p)),
                Ok(Job::Modern(m)) => scan.modern = m,
                // A probe task only ends by returning; a panic is a bug worth surfacing.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        scan.probes.sort_by_key(|(v, _)| *v);
        for version in needs_pinned(&scan.probes, scan.modern.as_ref(), mail.is_some()) {
            self.inner.observer.planned(1);
            if let Some(h) = self.pinned(&scan.host, &scan.route, mail, version).await {
                scan.pinned.push(h);
            }
        }
        if !self.inner.checks.is_empty() {
            let prior = crate::checks::prior(&scan.probes, scan.modern.as_ref(), &scan.pinned);
            let net = AddressNet {
                prober: self,
                host: &scan.host,
                route: &scan.route,
                mail,
                exchanges: std::sync::atomic::AtomicU64::new(0),
            };
            for check in &self.inner.checks {
                let mut report = check.run(&net, &prior).await;
                report.probes = net.exchanges.swap(0, std::sync::atomic::Ordering::Relaxed);
                scan.checks.push(report);
            }
        }
        self.release_address(&scan.route);
        scan
    }

    /// The per-address limiters. A panic while the lock was held cannot leave the map
    /// inconsistent (every operation is a single insert or remove), so poisoning is
    /// ignored.
    fn limiters(&self) -> std::sync::MutexGuard<'_, HashMap<LimitKey, Arc<Semaphore>>> {
        match self.inner.per_address.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Forgets an address's limiter once nobody holds it, so the map tracks the
    /// addresses in flight, not every address ever scanned.
    fn release_address(&self, route: &Route) {
        let key = LimitKey::of(route);
        let mut map = self.limiters();
        if map.get(&key).is_some_and(|s| Arc::strong_count(s) == 1) {
            map.remove(&key);
        }
    }

    /// The per-address limiter, shared by every name and port that leads to the same
    /// IP (or proxy route).
    fn address_limit(&self, route: &Route) -> Arc<Semaphore> {
        let mut map = self.limiters();
        let cap = self.inner.settings.per_address.max(1);
        map.entry(LimitKey::of(route))
            .or_insert_with(|| Arc::new(Semaphore::new(cap)))
            .clone()
    }

    async fn version(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
        version: TlsVersion,
    ) -> VersionProbe {
        let s = &self.inner.settings;
        // Per-address permit first: a task waiting on a busy address must not sit on
        // one of the global permits other addresses could use.
        let limit = self.address_limit(route);
        let _address = limit.acquire().await;
        let _global = self.inner.connections.acquire().await;
        let target = ProbeTarget { route, host, mail };
        let probe = probe_version(target, version, s.timeout, s.retries).await;
        self.inner.observer.done(&host.to_string(), 1);
        probe
    }

    /// The modern handshake, which opens the address: `connected` hears whether the TCP
    /// connect (or the proxy's CONNECT) succeeded, as soon as that is known and before
    /// the handshake runs. A connect timeout is retried like a raw probe's.
    async fn modern(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
        connected: oneshot::Sender<Result<(), ConnectFailure>>,
    ) -> Option<ModernHandshake> {
        let client = self.inner.modern.as_ref()?;
        let s = &self.inner.settings;
        let limit = self.address_limit(route);
        let _address = limit.acquire().await;
        let _global = self.inner.connections.acquire().await;
        let start = Instant::now();
        let target = ProbeTarget { route, host, mail };
        let mut opened = dial(route, mail, s.timeout).await;
        for _ in 0..s.retries {
            if !matches!(&opened, Err(c) if c.is_timeout()) {
                break;
            }
            opened = dial(route, mail, s.timeout).await;
        }
        let mut result = match opened {
            Err(failure) => {
                let _ = connected.send(Err(failure.clone()));
                self.inner.observer.done(&host.to_string(), 1);
                return Some(ModernHandshake {
                    outcome: ModernOutcome::Unreachable(failure),
                    timing: Timing {
                        total: start.elapsed(),
                        ..Timing::default()
                    },
                    pinned: None,
                });
            }
            Ok((tcp, connect_time)) => {
                let _ = connected.send(Ok(()));
                client
                    .handshake_over(tcp, connect_time, target, s.timeout, start)
                    .await
            }
        };
        for _ in 0..s.retries {
            let timed_out = match &result.outcome {
                ModernOutcome::Timeout => true,
                ModernOutcome::Unreachable(c) => c.is_timeout(),
                _ => false,
            };
            if !timed_out {
                break;
            }
            result = client.handshake(target, s.timeout).await;
        }
        self.inner.observer.done(&host.to_string(), 1);
        Some(result)
    }
}

impl Prober {
    /// One raw exchange for a check, under the scan's limits, counted as a probe; a
    /// timeout is retried with the same hello `--retries` times.
    pub async fn exchange(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
        hello: &[u8],
        offer: &Offer,
    ) -> (Outcome, Timing) {
        self.inner.observer.planned(1);
        let limit = self.address_limit(route);
        let _address = limit.acquire().await;
        let _global = self.inner.connections.acquire().await;
        let target = ProbeTarget { route, host, mail };
        let s = &self.inner.settings;
        let mut left = s.retries;
        let result = loop {
            let result = crate::probe::raw::exchange(target, hello, offer, s.timeout).await;
            let timed_out = match &result.0 {
                Outcome::Timeout { .. } => true,
                Outcome::Unreachable(c) => c.is_timeout(),
                _ => false,
            };
            if !timed_out || left == 0 {
                break result;
            }
            left -= 1;
        };
        self.inner.observer.done(&host.to_string(), 1);
        result
    }

    /// A handshake offering `version` alone, to prove or disprove a raw claim and, on a
    /// mail target, to hear the service's answer at that version: rustls for TLS
    /// 1.2/1.3, the legacy client (`probe/legacy.rs`) for TLS 1.0/1.1.
    async fn pinned(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
        version: TlsVersion,
    ) -> Option<ModernHandshake> {
        let timeout = self.inner.settings.timeout;
        let limit = self.address_limit(route);
        let _address = limit.acquire().await;
        let _global = self.inner.connections.acquire().await;
        let target = ProbeTarget { route, host, mail };
        let result = match version.is_legacy() {
            true => crate::probe::legacy::handshake_at(target, timeout, version).await,
            false => {
                let client = self.inner.modern.as_ref()?;
                client.handshake_at(target, timeout, version).await
            }
        };
        self.inner.observer.done(&host.to_string(), 1);
        Some(result)
    }

    /// The leaf certificate fingerprint a direct modern handshake sees, for comparing
    /// with what a proxy shows (`--compare-direct`). Not counted as a probe.
    pub async fn direct_leaf(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
    ) -> Option<String> {
        let client = self.inner.modern.as_ref()?;
        let limit = self.address_limit(route);
        let _address = limit.acquire().await;
        let _global = self.inner.connections.acquire().await;
        let target = ProbeTarget { route, host, mail };
        let outcome = client
            .handshake(target, self.inner.settings.timeout)
            .await
            .outcome;
        let leaf = outcome.chain()?.first()?;
        Some(crate::cert::sha256_hex(leaf))
    }
}

/// What a check sees of one address.
struct AddressNet<'a> {
    prober: &'a Prober,
    host: &'a Host,
    route: &'a Route,
    mail: Option<Mail>,
    /// Exchanges made for the check running now.
    exchanges: std::sync::atomic::AtomicU64,
}

impl Net for AddressNet<'_> {
    fn server_name(&self) -> Option<&str> {
        self.host.server_name()
    }

    fn exchange<'a>(
        &'a self,
        hello: Vec<u8>,
        offer: &'a Offer,
    ) -> BoxFuture<'a, (Outcome, Timing)> {
        self.exchanges
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Box::pin(async move {
            self.prober
                .exchange(self.host, self.route, self.mail, &hello, offer)
                .await
        })
    }
}

enum Job {
    Raw(TlsVersion, VersionProbe),
    Modern(Option<ModernHandshake>),
}

/// What the per-address cap counts connections by: the IP for direct routes (every
/// port of one IP together: 100 ports of one front end must not get 100 × the cap),
/// the whole route through a proxy (proxy and tunnel target).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum LimitKey {
    Ip(IpAddr),
    Proxy(String, String),
}

impl LimitKey {
    fn of(route: &Route) -> Self {
        match route {
            Route::Direct(addr) => Self::Ip(addr.ip()),
            Route::Proxy(p) => Self::Proxy(p.label.clone(), p.target.authority()),
        }
    }
}
