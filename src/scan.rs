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
//! recorded once, not once per version; the checks report it without a probe
//! ([`Check::unanswered`]). The raw TLS 1.3 probe is the exception: it waits for the
//! modern handshake and is not sent when that handshake completed at TLS 1.3 (the
//! version is proven) or when nothing at the address answered anything ([`Tls13Raw`]).
//! The wait has a price where the handshake does not complete TLS 1.3: about one round
//! trip after a TLS 1.2 ServerHello, and one timeout where a server drops hellos that
//! offer TLS 1.3 but answers the others (3 × timeout for that address instead of 2).
//!
//! The checks (`--clients`, `--ciphers`) start **beside** the version probes, under the
//! same per-address cap: the version probes take the address's permits first (in
//! order), the checks' probes queue behind them and go as permits free up. A raw TLS
//! 1.3 probe that waited for the handshake queues for its permit when it is decided,
//! so it may go behind checks' probes already waiting. A check
//! waits for the version check's result only where it builds on it ([`PriorWait`]).
//! Once the version probes are done and nothing at the address has answered, a
//! check's probe still waiting for a permit is not sent and a timed-out one is not
//! retried ([`AddressState::silent`]): a silent address costs about 2 × timeout
//! whatever the checks, not one more round of timeouts per queued probe.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{AcquireError, Notify, OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::JoinSet;

use crate::checks::{BoxFuture, Check, CheckReport, Net, PriorWait, Unanswered};
use crate::mail::Mail;
use crate::probe::dial::dial;
use crate::probe::modern::{
    ChosenVersion, ModernClient, ModernHandshake, ModernOutcome, needs_pinned,
};
use crate::probe::net::Route;
use crate::probe::outcome::{ConnectFailure, Outcome, Timing, VersionProbe};
use crate::probe::proof::Offer;
use crate::probe::raw::{ProbeTarget, probe_version};
use crate::target::Host;
use crate::version::{TlsVersion, VersionRange};
use crate::wire::enums::ProtocolVersion;

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
    /// Set when the address took no connection; then no version was probed further.
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

    /// Probes planned per address (the progress bar's unit): one per version, plus the
    /// modern handshake. A raw TLS 1.3 probe the handshake made unneeded is counted
    /// done without a connection ([`Tls13Raw`]); the record's `probes` counts only
    /// connections made.
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
        // The version probes: the modern handshake (when the range has one) and one raw
        // probe per version.
        let versions = range.iter().count() + usize::from(self.inner.modern.is_some());
        let state = Arc::new(AddressState::scanning(versions));
        let mut set = JoinSet::new();
        // The probe that opens the first connection, and the versions left for later.
        // What the modern handshake settled of TLS 1.3, for the raw TLS 1.3 probe.
        let (tls13_tx, tls13_rx) = oneshot::channel::<Tls13Raw>();
        let (chose_tx, chose_rx) = oneshot::channel::<ProtocolVersion>();
        let (connected, rest): (oneshot::Receiver<Result<(), ConnectFailure>>, Vec<_>) =
            if self.inner.modern.is_some() {
                let (tx, rx) = oneshot::channel();
                let (me, host, route) = (self.clone(), scan.host.clone(), scan.route.clone());
                let permit = self.address_permit(&scan.route).await;
                let st = state.clone();
                set.spawn(async move {
                    let m = me.modern(&host, &route, mail, tx, chose_tx).await;
                    let answered = m.as_ref().is_some_and(|m| answered_modern(&m.outcome));
                    drop(permit);
                    st.version_done(answered);
                    let _ = tls13_tx.send(Tls13Raw::after(m.as_ref()));
                    Job::Modern(m)
                });
                (rx, range.iter().collect())
            } else {
                // No modern handshake in the range (TLS 1.0/1.1 only): the newest
                // version's probe opens the address, alone.
                let first_version = range.max();
                let permit = self.address_permit(&scan.route).await;
                let first = self
                    .version(&scan.host, &scan.route, mail, first_version)
                    .await;
                state.version_done(!is_timeout(&first.outcome));
                drop(permit);
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
            scan.probes.clear();
            let settled = self.probes_per_address() - 1;
            self.inner.observer.done(&scan.host.to_string(), settled);
            // The opening probe has nothing left to do but finish.
            while set.join_next().await.is_some() {}
            scan.checks = self.unanswered(&Unanswered::Unreachable(failure.clone()));
            scan.unreachable = Some(failure);
            self.release_address(&scan.route);
            return scan;
        }
        // The version probes take the address's permits in order, before any check's
        // probe queues for one.
        let mut tls13_rx = Some((tls13_rx, chose_rx));
        for version in rest {
            let (me, host, route) = (self.clone(), scan.host.clone(), scan.route.clone());
            let st = state.clone();
            let deferred = match version {
                TlsVersion::Tls13 if self.inner.modern.is_some() => tls13_rx.take(),
                _ => None,
            };
            if let Some((settled, chose)) = deferred {
                set.spawn(async move {
                    let need = Tls13Raw::wait(settled, chose, &st).await;
                    me.raw_tls13(&host, &route, mail, need, &st).await
                });
                continue;
            }
            let permit = self.address_permit(&scan.route).await;
            set.spawn(async move {
                let p = me.version(&host, &route, mail, version).await;
                // Told before the permit goes, so that a check's probe taking it
                // knows whether the address answered.
                st.version_done(!is_timeout(&p.outcome));
                drop(permit);
                Job::Raw(version, p)
            });
        }
        let (prior_tx, prior) = PriorWait::channel();
        let opened = std::mem::take(&mut scan.probes);
        let versions = async {
            let mut probes = opened;
            let mut modern = None;
            while let Some(done) = set.join_next().await {
                match done {
                    Ok(Job::Raw(v, p)) => probes.push((v, p)),
                    Ok(Job::Settled) => {}
                    Ok(Job::Modern(m)) => modern = m,
                    // A probe task only ends by returning; a panic is a bug worth surfacing.
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                }
            }
            probes.sort_by_key(|(v, _)| *v);
            let mut pinned = Vec::new();
            for version in needs_pinned(&probes, modern.as_ref(), mail.is_some()) {
                self.inner.observer.planned(1);
                if let Some(h) = self.pinned(&scan.host, &scan.route, mail, version).await {
                    pinned.push(h);
                }
            }
            prior_tx.send(crate::checks::prior(&probes, modern.as_ref(), &pinned));
            (probes, modern, pinned)
        };
        let checks = self.run_checks(&scan.host, &scan.route, mail, &prior, &state);
        let ((probes, modern, pinned), reports) = tokio::join!(versions, checks);
        scan.probes = probes;
        scan.modern = modern;
        scan.pinned = pinned;
        scan.checks = reports;
        self.release_address(&scan.route);
        scan
    }

    /// Every check at one address that took a connection, side by side; each counts
    /// its own connections.
    async fn run_checks(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
        prior: &PriorWait,
        state: &AddressState,
    ) -> Vec<CheckReport> {
        let runs = self.inner.checks.iter().map(|check| async move {
            let net = AddressNet {
                prober: self,
                host,
                route,
                mail,
                state,
                exchanges: AtomicU64::new(0),
            };
            let mut report = check.run(&net, prior).await;
            report.probes = net.exchanges.load(Ordering::Relaxed);
            report
        });
        futures_util::future::join_all(runs).await
    }

    /// The checks' reports for an address that never answered (its name did not
    /// resolve, or it took no connection): no probe is made. Behind a proxy that
    /// refused the tunnel, a check with nothing to say there still says why it probed
    /// nothing in its columns.
    pub fn unanswered(&self, why: &Unanswered) -> Vec<CheckReport> {
        self.inner
            .checks
            .iter()
            .filter_map(|c| match (c.unanswered(why), why) {
                (Some(report), _) => Some(report),
                (None, Unanswered::Unreachable(ConnectFailure::ProxyRefused(refusal))) => {
                    Some(crate::checks::not_probed(c.as_ref(), &refusal.short()))
                }
                (None, _) => None,
            })
            .collect()
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

    /// One of the address's permits, owned so that it can be taken in the scheduler's
    /// order and handed to the probe's task. (The semaphore is never closed, so the
    /// error case does not happen; holding the result holds the permit.)
    async fn address_permit(&self, route: &Route) -> AddressPermit {
        self.address_limit(route).acquire_owned().await
    }

    /// A raw version probe. The caller holds the address's permit (taken in the
    /// scheduler's order, see [`Self::scan_address`]): per-address permit first, so
    /// that a task waiting on a busy address does not sit on one of the global permits
    /// other addresses could use.
    async fn version(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
        version: TlsVersion,
    ) -> VersionProbe {
        let s = &self.inner.settings;
        let _global = self.inner.connections.acquire().await;
        let target = ProbeTarget { route, host, mail };
        let probe = probe_version(target, version, s.timeout, s.retries).await;
        self.inner.observer.done(&host.to_string(), 1);
        probe
    }

    /// The raw TLS 1.3 probe of an address whose modern handshake offers TLS 1.3: sent
    /// once that handshake is over, unless it settled the version ([`Tls13Raw`]).
    async fn raw_tls13(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
        need: Tls13Raw,
        state: &AddressState,
    ) -> Job {
        match need {
            Tls13Raw::Proven => {
                state.version_done(true);
                self.inner.observer.done(&host.to_string(), 1);
                Job::Settled
            }
            Tls13Raw::Silent => {
                state.version_done(false);
                self.inner.observer.done(&host.to_string(), 1);
                Job::Raw(TlsVersion::Tls13, VersionProbe::not_sent_to_silent())
            }
            Tls13Raw::Needed => {
                let permit = self.address_permit(route).await;
                let p = self.version(host, route, mail, TlsVersion::Tls13).await;
                state.version_done(!is_timeout(&p.outcome));
                drop(permit);
                Job::Raw(TlsVersion::Tls13, p)
            }
        }
    }

    /// The modern handshake, which opens the address: `connected` hears whether the TCP
    /// connect (or the proxy's CONNECT), and on a mail target the STARTTLS preamble,
    /// succeeded, as soon as that is known and before the handshake runs. A timeout
    /// there is retried like a raw probe's.
    async fn modern(
        &self,
        host: &Host,
        route: &Route,
        mail: Option<Mail>,
        connected: oneshot::Sender<Result<(), ConnectFailure>>,
        chose: ChosenVersion,
    ) -> Option<ModernHandshake> {
        let client = self.inner.modern.as_ref()?;
        let s = &self.inner.settings;
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
                    .handshake_over(tcp, connect_time, target, s.timeout, start, Some(chose))
                    .await
            }
        };
        for _ in 0..s.retries {
            if answered_modern(&result.outcome) {
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
        let target = ProbeTarget { route, host, mail };
        self.exchange_at(target, hello, offer, &AddressState::default())
            .await
    }

    /// [`Self::exchange`] at an address being scanned: not sent once the address is
    /// known to be silent, and a timeout then not retried (see the module doc).
    async fn exchange_at(
        &self,
        target: ProbeTarget<'_>,
        hello: &[u8],
        offer: &Offer,
        state: &AddressState,
    ) -> (Outcome, Timing) {
        let host = target.host;
        self.inner.observer.planned(1);
        state.first_news().await;
        let limit = self.address_limit(target.route);
        let _address = limit.acquire().await;
        let _global = self.inner.connections.acquire().await;
        let s = &self.inner.settings;
        let mut left = s.retries;
        let result = loop {
            if state.silent() {
                break (Outcome::Timeout { bytes_received: 0 }, Timing::default());
            }
            let result = crate::probe::raw::exchange(target, hello, offer, s.timeout).await;
            state.heard(&result.0);
            if !is_timeout(&result.0) || left == 0 {
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

/// A permit of the per-address cap.
type AddressPermit = Result<OwnedSemaphorePermit, AcquireError>;

/// A timeout (of the connect, a STARTTLS preamble or the answer): retried.
fn is_timeout(o: &Outcome) -> bool {
    match o {
        Outcome::Timeout { .. } => true,
        Outcome::Unreachable(c) => c.is_timeout(),
        _ => false,
    }
}

fn answered_modern(o: &ModernOutcome) -> bool {
    match o {
        ModernOutcome::Timeout => false,
        ModernOutcome::Unreachable(c) => !c.is_timeout(),
        _ => true,
    }
}

/// What the probes at one address have learnt of it so far, shared by them.
#[derive(Debug)]
struct AddressState {
    /// Some probe got an answer: anything but a timeout.
    answered: AtomicBool,
    /// Version probes (the modern handshake included) not finished yet.
    versions_left: AtomicUsize,
    /// Told whenever either of the above changes.
    news: Notify,
}

impl Default for AddressState {
    /// Outside a scan of the address (a bare [`Prober::exchange`]): nothing to wait
    /// for, never silent.
    fn default() -> Self {
        Self {
            answered: AtomicBool::new(true),
            versions_left: AtomicUsize::new(0),
            news: Notify::new(),
        }
    }
}

impl AddressState {
    /// An address about to be probed: nothing heard yet, `versions` probes to go.
    fn scanning(versions: usize) -> Self {
        Self {
            answered: AtomicBool::new(false),
            versions_left: AtomicUsize::new(versions),
            news: Notify::new(),
        }
    }

    /// One version probe finished; `answered` when it got any answer.
    fn version_done(&self, answered: bool) {
        if answered {
            self.answered.store(true, Ordering::SeqCst);
        }
        self.versions_left.fetch_sub(1, Ordering::SeqCst);
        self.news.notify_waiters();
    }

    fn heard(&self, o: &Outcome) {
        if !is_timeout(o) && !self.answered.swap(true, Ordering::SeqCst) {
            self.news.notify_waiters();
        }
    }

    /// Waits until the address has answered any probe, or every version probe is
    /// done. Then a check's probe knows whether sending is worth it: on a live address
    /// it waits one round trip; on a silent one it is not sent at all (instead of
    /// waiting out its own timeouts after the version probes').
    async fn first_news(&self) {
        self.settled_but(0).await;
    }

    /// Waits until the address has answered any probe, or at most `left` version
    /// probes are still running.
    async fn settled_but(&self, left: usize) {
        loop {
            let news = self.news.notified();
            if self.answered.load(Ordering::SeqCst)
                || self.versions_left.load(Ordering::SeqCst) <= left
            {
                return;
            }
            news.await;
        }
    }

    /// Every version probe is done and nothing at the address answered any probe: a
    /// probe not sent yet would only wait out another timeout.
    fn silent(&self) -> bool {
        self.versions_left.load(Ordering::SeqCst) == 0 && !self.answered.load(Ordering::SeqCst)
    }
}

/// What a check sees of one address.
struct AddressNet<'a> {
    prober: &'a Prober,
    host: &'a Host,
    route: &'a Route,
    mail: Option<Mail>,
    state: &'a AddressState,
    /// Exchanges made by this check.
    exchanges: AtomicU64,
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
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        Box::pin(async move {
            let target = ProbeTarget {
                route: self.route,
                host: self.host,
                mail: self.mail,
            };
            self.prober
                .exchange_at(target, &hello, offer, self.state)
                .await
        })
    }

    fn completes(&self, version: TlsVersion) -> BoxFuture<'_, bool> {
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        Box::pin(async move {
            self.prober.inner.observer.planned(1);
            let done = self
                .prober
                .pinned(self.host, self.route, self.mail, version)
                .await;
            matches!(done, Some(ModernHandshake { outcome: ModernOutcome::Completed { version: v, .. }, .. }) if v == version.wire())
        })
    }
}

enum Job {
    Raw(TlsVersion, VersionProbe),
    Modern(Option<ModernHandshake>),
    /// The raw TLS 1.3 probe was not needed: the modern handshake completed at TLS 1.3.
    Settled,
}

/// What the modern handshake leaves the raw TLS 1.3 probe to do. The raw probe waits
/// for it instead of going out beside it: a handshake that completed at TLS 1.3 has
/// proven the version (DESIGN.md "Proof of acceptance": it outranks any raw answer),
/// and a raw probe sent anyway costs a connection and, on the server, a key exchange
/// and a CertificateVerify signature — a fifth of the work at an address (issue 18).
/// The raw probe still goes out wherever its answer is the cell's: the server chose
/// TLS 1.2, refused, broke the handshake, or the modern client lacks what it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tls13Raw {
    /// The modern handshake completed at TLS 1.3: nothing to send.
    Proven,
    /// Nothing at the address answered the modern handshake or any other probe: a raw
    /// probe now would only wait out another round of timeouts (the silent address
    /// costs 2 × timeout, DESIGN.md), so the cell is the handshake's timeout.
    Silent,
    /// Send it.
    Needed,
}

impl Tls13Raw {
    /// What the modern handshake decides, as early as it can be known:
    ///
    /// - its ServerHello chose another version than TLS 1.3 (`chose`): send now, a
    ///   round trip before a TLS 1.2 handshake would end;
    /// - its first attempt ended without a ServerHello (`chose` dropped) at an address
    ///   that answered other probes: send now, beside the handshake's retry, so that a
    ///   server that drops hellos offering TLS 1.3 costs 3 × timeout, not 4;
    /// - otherwise when it is over (`settled`, [`Self::after`]).
    ///
    /// A dropped `settled` (the modern task panicked, which only a bug would do) sends.
    async fn wait(
        settled: oneshot::Receiver<Self>,
        chose: oneshot::Receiver<ProtocolVersion>,
        state: &AddressState,
    ) -> Self {
        let early = async {
            match chose.await {
                Ok(v) if v != TlsVersion::Tls13.wire() => Self::Needed,
                Err(_) if state.answered.load(Ordering::SeqCst) => Self::Needed,
                _ => std::future::pending().await,
            }
        };
        let decided = tokio::select! {
            s = settled => s.unwrap_or(Self::Needed),
            e = early => e,
        };
        if decided != Self::Silent {
            return decided;
        }
        // The handshake got no answer. The address is silent only when every other
        // version probe has finished without one either: the raw probes take the
        // address's permits one after another, and with a small `--per-address` some
        // may not have been sent yet when the handshake times out. Left running: this
        // probe alone.
        state.settled_but(1).await;
        match state.answered.load(Ordering::SeqCst) {
            true => Self::Needed,
            false => Self::Silent,
        }
    }

    /// The decision once the modern handshake is over: `Silent` here means only that
    /// the handshake got no answer ([`Self::wait`] then looks at the other probes).
    fn after(modern: Option<&ModernHandshake>) -> Self {
        let Some(m) = modern else {
            return Self::Needed;
        };
        match &m.outcome {
            ModernOutcome::Completed { version, .. } if *version == TlsVersion::Tls13.wire() => {
                Self::Proven
            }
            o if !answered_modern(o) => Self::Silent,
            _ => Self::Needed,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The raw TLS 1.3 probe goes out as soon as the ServerHello chose TLS 1.2, without
    /// waiting for the handshake to end; a TLS 1.3 ServerHello leaves the decision to
    /// the handshake's end.
    #[tokio::test]
    async fn raw_tls13_waits_only_as_long_as_the_answer_is_open() {
        let (_settled_tx, settled) = oneshot::channel();
        let (chose_tx, chose) = oneshot::channel();
        let _ = chose_tx.send(ProtocolVersion::TLS12);
        let live = AddressState::scanning(1);
        let need = tokio::time::timeout(
            Duration::from_secs(5),
            Tls13Raw::wait(settled, chose, &live),
        );
        assert_eq!(need.await.ok(), Some(Tls13Raw::Needed));

        let (settled_tx, settled) = oneshot::channel();
        let (chose_tx, chose) = oneshot::channel();
        let _ = chose_tx.send(ProtocolVersion::TLS13);
        let wait = tokio::spawn(async move {
            let live = AddressState::scanning(1);
            Tls13Raw::wait(settled, chose, &live).await
        });
        tokio::task::yield_now().await;
        assert!(
            !wait.is_finished(),
            "a TLS 1.3 ServerHello proves nothing yet"
        );
        let _ = settled_tx.send(Tls13Raw::Proven);
        assert_eq!(wait.await.ok(), Some(Tls13Raw::Proven));

        // A modern task gone without a word: the raw probe is sent.
        let (settled_tx, settled) = oneshot::channel::<Tls13Raw>();
        let (chose_tx, chose) = oneshot::channel::<ProtocolVersion>();
        drop((settled_tx, chose_tx));
        let live = AddressState::scanning(1);
        assert_eq!(
            Tls13Raw::wait(settled, chose, &live).await,
            Tls13Raw::Needed
        );

        // The handshake's first attempt timed out (no ServerHello) where other probes
        // answered: sent at once, beside the handshake's retry.
        let (_settled_tx, settled) = oneshot::channel::<Tls13Raw>();
        let (chose_tx, chose) = oneshot::channel::<ProtocolVersion>();
        drop(chose_tx);
        let answered = AddressState::scanning(3);
        answered.version_done(true);
        let need = tokio::time::timeout(
            Duration::from_secs(5),
            Tls13Raw::wait(settled, chose, &answered),
        );
        assert_eq!(need.await.ok(), Some(Tls13Raw::Needed));
    }

    /// A handshake that timed out makes the address silent only once the other version
    /// probes have finished without an answer; one that answers late still gets the raw
    /// TLS 1.3 probe sent.
    #[tokio::test]
    async fn silence_is_judged_when_the_other_probes_are_done() {
        let timed_out = ModernHandshake {
            outcome: ModernOutcome::Timeout,
            timing: Timing::default(),
            pinned: None,
        };
        assert_eq!(Tls13Raw::after(Some(&timed_out)), Tls13Raw::Silent);
        // Raw TLS 1.0 and 1.3 still to go (the handshake has told its own end).
        let state = Arc::new(AddressState::scanning(2));
        let (settled_tx, settled) = oneshot::channel();
        let (chose_tx, chose) = oneshot::channel::<ProtocolVersion>();
        let _ = settled_tx.send(Tls13Raw::Silent);
        let st = state.clone();
        let decision = tokio::spawn(async move {
            let _keep = chose_tx;
            Tls13Raw::wait(settled, chose, &st).await
        });
        tokio::task::yield_now().await;
        assert!(!decision.is_finished(), "the TLS 1.0 probe is still out");
        state.version_done(true);
        assert_eq!(decision.await.ok(), Some(Tls13Raw::Needed));

        let state = AddressState::scanning(2);
        state.version_done(false);
        let (settled_tx, settled) = oneshot::channel();
        let (_chose_tx, chose) = oneshot::channel::<ProtocolVersion>();
        let _ = settled_tx.send(Tls13Raw::Silent);
        assert_eq!(
            Tls13Raw::wait(settled, chose, &state).await,
            Tls13Raw::Silent
        );
    }
}
