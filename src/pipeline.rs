//! The scan pipeline end to end: targets → resolve (or proxy) → probe → aggregate
//! (trust, interception, findings) → sinks.
//!
//! Targets are worked on in a bounded window, and their records are handed to the sinks
//! strictly in target order (then address order) as soon as every earlier target is
//! done. Memory therefore depends on the window, not on the length of the list.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::endpoints::Endpoint;
use crate::probe::net::{ProxyRoute, Route};
use crate::proxy::ProxySettings;
use crate::record::{AggregateInput, Record, aggregate};
use crate::report::summary::Summary;
use crate::report::{ScanContext, Sink};
use crate::resolve::NameResolver;
use crate::scan::{Observer, Prober};
use crate::target::Target;
use crate::trust::TrustStores;
use crate::version::TlsVersion;

/// Targets resolved and probed at once. Each holds at most a few connections (the
/// prober's limits apply), so the window only bounds memory and DNS parallelism.
pub const TARGET_WINDOW: usize = 256;

/// One thing to scan: a target, and its endpoint-list entry when it has one.
#[derive(Clone, Debug)]
pub struct ScanItem {
    pub target: Target,
    pub endpoint: Option<Arc<Endpoint>>,
}

/// Proxy routing for the scan.
#[derive(Clone, Debug, Default)]
pub struct ProxyPlan {
    pub settings: ProxySettings,
    /// Where the proxy listens, resolved once before the scan.
    pub proxy_addr: Option<SocketAddr>,
    /// Also probe proxied targets directly and compare leaf certificates.
    pub compare_direct: bool,
}

impl ProxyPlan {
    fn route(&self, t: &Target) -> Option<ProxyRoute> {
        let proxy = self.settings.for_target(t)?;
        Some(ProxyRoute {
            proxy: self.proxy_addr?,
            label: proxy.to_string(),
            basic_auth: proxy.basic_auth.clone(),
            authority: t.to_string(),
        })
    }
}

/// Everything the stages share; built once per scan.
pub struct Pipeline {
    pub resolver: NameResolver,
    pub prober: Prober,
    pub trust: TrustStores,
    pub proxy: ProxyPlan,
    pub observer: Arc<dyn Observer>,
    pub ctx: ScanContext,
}

impl Pipeline {
    /// Runs the scan, feeding every sink, and returns the summary.
    pub async fn run(
        self: Arc<Self>,
        items: Vec<ScanItem>,
        sinks: &mut [Box<dyn Sink>],
    ) -> io::Result<Summary> {
        let start = Instant::now();
        let mut summary = Summary::default();
        let mut pending = VecDeque::new();
        let mut items = items.into_iter();
        let mut spawn_next = |pending: &mut VecDeque<_>| {
            if let Some(item) = items.next() {
                pending.push_back(tokio::spawn(self.clone().scan_item(item)));
            }
        };
        for _ in 0..TARGET_WINDOW {
            spawn_next(&mut pending);
        }
        while let Some(task) = pending.pop_front() {
            let records = match task.await {
                Ok(r) => r,
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            };
            spawn_next(&mut pending);
            for (i, r) in records.iter().enumerate() {
                summary.add(r, i == 0, self.ctx.fails(r));
                for sink in sinks.iter_mut() {
                    sink.record(r)?;
                }
            }
        }
        summary.elapsed = start.elapsed();
        for sink in sinks.iter_mut() {
            sink.finish(&summary)?;
        }
        Ok(summary)
    }

    /// Resolves one target (or routes it through the proxy) and probes each address.
    async fn scan_item(self: Arc<Self>, item: ScanItem) -> Vec<Record> {
        let probed: Vec<TlsVersion> = self.prober.settings().range.iter().collect();
        let t = &item.target;
        if let Some(route) = self.proxy.route(t) {
            let direct = match self.proxy.compare_direct {
                true => Some(self.direct_leaves(t).await),
                false => None,
            };
            self.observer.planned(self.prober.probes_per_address());
            let scan = self
                .prober
                .scan_address(t.host.clone(), t.port, Route::Proxy(route))
                .await;
            let input = AggregateInput {
                probed: &probed,
                trust: &self.trust,
                endpoint: item.endpoint.as_ref(),
                direct_leaves: direct.as_deref(),
            };
            return vec![aggregate(scan, &input)];
        }
        let resolved = self.resolver.resolve(t).await;
        let addrs = match resolved.addrs {
            Err(e) => {
                let mut r = Record::dns_failure(&t.host, t.port, e.to_string());
                r.endpoint = item.endpoint.clone();
                return vec![r];
            }
            Ok(a) => a,
        };
        self.observer
            .planned(addrs.len() as u64 * self.prober.probes_per_address());
        let mut set = tokio::task::JoinSet::new();
        for (i, ip) in addrs.into_iter().enumerate() {
            let (prober, host) = (self.prober.clone(), t.host.clone());
            let route = Route::Direct(SocketAddr::new(ip, t.port));
            let port = t.port;
            set.spawn(async move { (i, prober.scan_address(host, port, route).await) });
        }
        let mut done = set.join_all().await;
        done.sort_by_key(|(i, _)| *i);
        let input = AggregateInput {
            probed: &probed,
            trust: &self.trust,
            endpoint: item.endpoint.as_ref(),
            direct_leaves: None,
        };
        done.into_iter()
            .map(|(_, scan)| {
                let mut r = aggregate(scan, &input);
                r.cnames = resolved.cnames.clone();
                r
            })
            .collect()
    }

    /// Leaf fingerprints of the target seen without the proxy (empty when the direct
    /// path resolves or connects nowhere).
    async fn direct_leaves(&self, t: &Target) -> Vec<String> {
        let Ok(addrs) = self.resolver.resolve(t).await.addrs else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for ip in addrs {
            let route = Route::Direct(SocketAddr::new(ip, t.port));
            if let Some(fp) = self.prober.direct_leaf(&t.host, &route).await
                && !out.contains(&fp)
            {
                out.push(fp);
            }
        }
        out
    }
}
