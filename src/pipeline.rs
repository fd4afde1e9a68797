//! The scan pipeline end to end: targets → resolve (or proxy) → probe → aggregate
//! (trust, interception, findings) → sinks.
//!
//! Targets are worked on in a bounded window, and their records are handed to the sinks
//! strictly in target order (then address order) as soon as every earlier target is
//! done. Memory therefore depends on the window, not on the length of the list.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use crate::endpoints::Endpoint;
use crate::mail::Mail;
use crate::probe::net::{ProxyRoute, Route, TunnelTarget};
use crate::proxy::{ProxyAuth, ProxySettings};
use crate::record::{AggregateInput, Record, aggregate, promote_no_route};
use crate::report::summary::{INTERRUPTED, Summary};
use crate::report::{ScanContext, Sink};
use crate::resolve::NameResolver;
use crate::scan::{Observer, Prober};
use crate::target::Host;
use crate::target::Target;
use crate::trust::TrustStores;
use crate::version::TlsVersion;

/// Targets resolved and probed at once. Each holds at most a few connections (the
/// prober's limits apply), so the window only bounds memory and DNS parallelism.
pub const TARGET_WINDOW: usize = 256;

/// How far past the oldest unfinished target new targets may start: bounds the records
/// held back for ordering.
pub const MAX_AHEAD: usize = 4096;

/// Hands records to the sinks and counts them. A sink that fails is dropped and the
/// others carry on: a closed pipe (`tlscompat scan | head`) silently, any other error
/// (a full disk) kept for the exit code. One broken report never costs the others.
struct Emitter<'a> {
    sinks: &'a mut [Box<dyn Sink>],
    dead: Vec<usize>,
    failed: Vec<(usize, io::Error)>,
    summary: Summary,
}

impl Emitter<'_> {
    fn emit(&mut self, records: &[Record], ctx: &ScanContext) {
        for (i, r) in records.iter().enumerate() {
            self.summary.add(r, i == 0, ctx.fails(r));
            for s in 0..self.sinks.len() {
                if !self.dead.contains(&s) {
                    let result = self.sinks[s].record(r);
                    self.check(s, result);
                }
            }
        }
    }

    fn finish(mut self) -> Run {
        for s in 0..self.sinks.len() {
            if !self.dead.contains(&s) {
                let result = self.sinks[s].finish(&self.summary);
                self.check(s, result);
            }
        }
        Run {
            summary: self.summary,
            failed: self.failed,
        }
    }

    fn check(&mut self, sink: usize, result: io::Result<()>) {
        if let Err(e) = result {
            self.dead.push(sink);
            if e.kind() != io::ErrorKind::BrokenPipe {
                self.failed.push((sink, e));
            }
        }
    }
}

/// The end of a scan: its summary, and the sinks that failed (by index), with why.
pub struct Run {
    pub summary: Summary,
    pub failed: Vec<(usize, io::Error)>,
}

/// A target's task joined: its position and records (a panic in it goes on up).
fn finished(joined: Result<(usize, Vec<Record>), tokio::task::JoinError>) -> (usize, Vec<Record>) {
    match joined {
        Ok(r) => r,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// The first `max` addresses, and the note that says how many were left out.
fn cap_addresses(
    mut addrs: Vec<std::net::IpAddr>,
    max: usize,
) -> (Vec<std::net::IpAddr>, Option<String>) {
    let total = addrs.len();
    if total <= max.max(1) {
        return (addrs, None);
    }
    addrs.truncate(max.max(1));
    let note = format!(
        "the name has {total} addresses; scanned the first {} (--max-addresses)",
        addrs.len()
    );
    (addrs, Some(note))
}

/// One thing to scan: a target, and its endpoint-list entry when it has one.
#[derive(Clone, Debug)]
pub struct ScanItem {
    /// Position in the full target list, before `--shard` (see [`Record::target_index`]).
    pub index: usize,
    pub target: Target,
    pub endpoint: Option<Arc<Endpoint>>,
    /// The mail protocol around TLS (`mail::select`): by port, `--starttls`, or the
    /// endpoint's `starttls` field.
    pub mail: Option<Mail>,
}

/// Proxy routing for the scan.
#[derive(Clone, Debug, Default)]
pub struct ProxyPlan {
    pub settings: ProxySettings,
    /// Where the proxy listens, resolved once before the scan (or why it could not be).
    pub proxy_addr: Option<Result<SocketAddr, String>>,
    /// Also probe proxied targets directly and compare leaf certificates.
    pub compare_direct: bool,
    /// How to authenticate to the proxy: one state for the whole scan, so the scheme
    /// that worked is reused (see `ProxyAuth`).
    pub auth: Option<Arc<ProxyAuth>>,
}

impl ProxyPlan {
    pub fn new(
        settings: ProxySettings,
        proxy_addr: Option<Result<SocketAddr, String>>,
        compare_direct: bool,
    ) -> Self {
        let auth = settings.proxy.as_ref().map(|p| Arc::new(ProxyAuth::new(p)));
        Self {
            settings,
            proxy_addr,
            compare_direct,
            auth,
        }
    }

    /// The route to `t` through a proxy that resolves names itself (HTTP, `socks5h`):
    /// one record, `via <proxy>`. `None` for a direct target or `socks5://`.
    fn route(&self, t: &Target) -> Option<ProxyRoute> {
        let proxy = self.settings.for_target(t)?;
        if !proxy.kind.resolves_names() {
            return None;
        }
        let target = match &t.host {
            Host::Ip(ip) => TunnelTarget::Addr(SocketAddr::new(*ip, t.port)),
            Host::Name(n) => TunnelTarget::Name(n.clone(), t.port),
        };
        self.proxy_route(t, target)
    }

    fn proxy_route(&self, t: &Target, target: TunnelTarget) -> Option<ProxyRoute> {
        let proxy = self.settings.for_target(t)?;
        let auth = self.auth.clone()?;
        Some(ProxyRoute {
            proxy: self.proxy_addr.clone()?,
            label: proxy.to_string(),
            kind: proxy.kind,
            target,
            auth,
        })
    }

    /// The route to one address of `t`, resolved here: direct, or through a
    /// `socks5://` proxy, with the note that says so.
    fn address_route(&self, t: &Target, addr: SocketAddr) -> (Route, Option<String>) {
        match self.proxy_route(t, TunnelTarget::Addr(addr)) {
            Some(p) => {
                let note = format!(
                    "reached through SOCKS5 proxy {} (name resolved here; socks5h:// lets the proxy resolve it)",
                    p.label
                );
                (Route::Proxy(p), Some(note))
            }
            None => (Route::Direct(addr), None),
        }
    }
}

/// Everything the stages share; built once per scan.
pub struct Pipeline {
    pub resolver: NameResolver,
    /// Addresses scanned per name, at most (`--max-addresses`).
    pub max_addresses: usize,
    pub prober: Prober,
    pub trust: TrustStores,
    pub proxy: ProxyPlan,
    pub observer: Arc<dyn Observer>,
    pub ctx: ScanContext,
    /// `--baseline`: adds `drift` findings before the records reach the sinks.
    pub baseline: Option<crate::baseline::Baseline>,
    /// The runtime the targets are probed on, apart from the one that feeds the sinks
    /// (`cmd/scan.rs`, `ProbeThread`): a sink that blocks never stalls a probe.
    pub spawner: tokio::runtime::Handle,
}

impl Pipeline {
    /// Runs the scan, feeding every sink, and returns the summary.
    pub async fn run(
        self: Arc<Self>,
        items: Vec<ScanItem>,
        sinks: &mut [Box<dyn Sink>],
    ) -> io::Result<Summary> {
        let run = self.run_until(items, sinks, std::future::pending()).await;
        match run.failed.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(run.summary),
        }
    }

    /// Runs the scan until it is done or `stop` completes (Ctrl-C, SIGTERM); either
    /// way every sink is finished, so the reports are whole documents. After a stop the
    /// summary is marked `interrupted` and every finished target's records are emitted
    /// (in list order among them), also those held back behind an unfinished target.
    ///
    /// Up to [`TARGET_WINDOW`] targets are in flight; a finished target's records wait
    /// in a reorder buffer until every earlier target is out, and new targets start as
    /// soon as any finishes (a slow first target does not stall the rest), as long as
    /// no more than [`MAX_AHEAD`] targets are started past the oldest unfinished one.
    pub async fn run_until(
        self: Arc<Self>,
        items: Vec<ScanItem>,
        sinks: &mut [Box<dyn Sink>],
        stop: impl std::future::Future<Output = ()>,
    ) -> Run {
        let start = Instant::now();
        let mut out = Emitter {
            sinks,
            dead: Vec::new(),
            failed: Vec::new(),
            summary: Summary {
                started_at: Some(std::time::SystemTime::now()),
                ..Summary::default()
            },
        };
        let total = items.len();
        let mut items = items.into_iter().enumerate();
        let mut running = tokio::task::JoinSet::new();
        let mut done: BTreeMap<usize, Vec<Record>> = BTreeMap::new();
        let mut next_out = 0;
        let mut started = 0;
        let mut stop = std::pin::pin!(stop);
        while next_out < total {
            while running.len() < TARGET_WINDOW && started < next_out + MAX_AHEAD {
                let Some((i, item)) = items.next() else { break };
                let me = self.clone();
                running.spawn_on(async move { (i, me.scan_item(item).await) }, &self.spawner);
                started += 1;
            }
            let joined = tokio::select! {
                j = running.join_next() => j,
                () = &mut stop => {
                    out.summary.incomplete = Some(INTERRUPTED.into());
                    break;
                }
            };
            let (i, records) = match joined {
                Some(r) => finished(r),
                None => break,
            };
            done.insert(i, records);
            while let Some(records) = done.remove(&next_out) {
                self.emit(&mut out, records);
                next_out += 1;
            }
        }
        if out.summary.incomplete.is_some() {
            // The reports hold what was finished: the targets done behind an unfinished
            // one (and those done while the signal came), still in list order; the
            // unfinished ones are absent and the summary says the scan is incomplete.
            while let Some(r) = running.try_join_next() {
                let (i, records) = finished(r);
                done.insert(i, records);
            }
            for records in std::mem::take(&mut done).into_values() {
                self.emit(&mut out, records);
            }
        }
        running.abort_all();
        out.summary.elapsed = start.elapsed();
        out.summary.baseline = self.baseline.as_ref().map(|b| Arc::new(b.finish()));
        out.finish()
    }

    /// Hands one target's records to the sinks, with their baseline findings.
    fn emit(&self, out: &mut Emitter<'_>, mut records: Vec<Record>) {
        if let Some(b) = &self.baseline {
            b.annotate(&mut records);
        }
        out.emit(&records, &self.ctx);
    }

    /// Resolves one target (or routes it through the proxy) and probes each address.
    async fn scan_item(self: Arc<Self>, item: ScanItem) -> Vec<Record> {
        let index = item.index;
        let mut records = self.scan_target(item).await;
        for r in &mut records {
            r.target_index = index;
        }
        records
    }

    async fn scan_target(self: Arc<Self>, item: ScanItem) -> Vec<Record> {
        let probed: Vec<TlsVersion> = self.prober.settings().range.iter().collect();
        let t = &item.target;
        if let Some(route) = self.proxy.route(t) {
            let direct = match self.proxy.compare_direct {
                true => Some(self.direct_leaves(t, item.mail).await),
                false => None,
            };
            self.observer.planned(self.prober.probes_per_address());
            self.observer.address_started();
            let scan = self
                .prober
                .scan_address(t.host.clone(), t.port, Route::Proxy(route), item.mail)
                .await;
            self.observer.address_finished();
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
                r.checks = self
                    .prober
                    .unanswered(&crate::checks::Unanswered::Dns(e.to_string()));
                return vec![r];
            }
            Ok(a) => a,
        };
        let (addrs, capped) = cap_addresses(addrs, self.max_addresses);
        self.observer
            .planned(addrs.len() as u64 * self.prober.probes_per_address());
        let mut set = tokio::task::JoinSet::new();
        let mut notes = Vec::new();
        for (i, ip) in addrs.into_iter().enumerate() {
            let (prober, host) = (self.prober.clone(), t.host.clone());
            let (route, note) = self.proxy.address_route(t, SocketAddr::new(ip, t.port));
            notes.push(note);
            let (port, observer, mail) = (t.port, self.observer.clone(), item.mail);
            set.spawn(async move {
                observer.address_started();
                let scan = prober.scan_address(host, port, route, mail).await;
                observer.address_finished();
                (i, scan)
            });
        }
        let mut done = set.join_all().await;
        done.sort_by_key(|(i, _)| *i);
        let input = AggregateInput {
            probed: &probed,
            trust: &self.trust,
            endpoint: item.endpoint.as_ref(),
            direct_leaves: None,
        };
        let mut records: Vec<Record> = done
            .into_iter()
            .map(|(i, scan)| {
                let mut r = aggregate(scan, &input);
                r.cnames = resolved.cnames.clone();
                r.notes.extend(capped.clone());
                r.notes.extend(notes.get(i).cloned().flatten());
                r
            })
            .collect();
        promote_no_route(&mut records);
        records
    }

    /// Leaf fingerprints of the target seen without the proxy (empty when the direct
    /// path resolves or connects nowhere).
    async fn direct_leaves(&self, t: &Target, mail: Option<Mail>) -> Vec<String> {
        let Ok(addrs) = self.resolver.resolve(t).await.addrs else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for ip in addrs {
            let route = Route::Direct(SocketAddr::new(ip, t.port));
            if let Some(fp) = self.prober.direct_leaf(&t.host, &route, mail).await
                && !out.contains(&fp)
            {
                out.push(fp);
            }
        }
        out
    }
}
