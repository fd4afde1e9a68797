//! Checks: each kind of question asked of an address beyond "which versions does it
//! accept" is a self-contained unit, the way sslyze builds its scan commands. A check
//! plans its own probes (possibly from what the version probes found), runs them
//! through [`Net`] — which applies the scan's limits and counts them — and folds the
//! answers into its own result type, which it renders as one [`CheckReport`] and turns
//! into findings. The scheduler (`scan.rs`) runs every registered check the same way;
//! the sinks render every check through [`CheckReport`]. Adding a check adds a module
//! and one line in [`registry`]; it touches no other check.
//!
//! [`versions`] is the check every record is made of (DESIGN.md's fixed columns): its
//! probes are scheduled first for every address, and the optional checks build on its
//! result ([`Prior`]).

pub mod captured;
pub mod ciphers;
pub mod clients;
pub mod profiles;
pub mod versions;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::findings::Finding;
use crate::probe::outcome::{Outcome, Timing};
use crate::probe::proof::Offer;
use crate::version::TlsVersion;

/// A boxed future, so checks can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the version probes found at the address, for checks that build on it.
#[derive(Clone, Debug, Default)]
pub struct Prior {
    /// Versions accepted (raw claims that were not disproven, and versions a rustls
    /// handshake completed), oldest first.
    pub accepted: Vec<TlsVersion>,
    /// Versions the server claimed but the proof rules refused (`claimed, not proven`:
    /// a rustls handshake at the version broke, the claim was inconsistent), and why.
    /// A client's unproven claim at one of these is not believed either.
    pub disproven: Vec<(TlsVersion, String)>,
    /// Versions a mail service refused after a completed handshake, with its answer.
    pub refused: Vec<(TlsVersion, String)>,
    /// Versions at which a real handshake (rustls, or the legacy client) completed at
    /// this address: what lets a client's claim nothing else can prove (TLS 1.3, a
    /// signature this code cannot check) count as a connection.
    pub completed: Vec<TlsVersion>,
    /// Versions the version check probed (the scan's range).
    pub probed: Vec<TlsVersion>,
}

/// What the version check found, for the checks that build on it: the versions whose
/// cells say accepted (by `versions::judge`, the one rule).
pub fn prior(
    raw: &[(TlsVersion, crate::probe::outcome::VersionProbe)],
    combined: Option<&crate::probe::modern::ModernHandshake>,
    pinned: &[crate::probe::modern::ModernHandshake],
) -> Prior {
    use crate::probe::outcome::CellState;
    let judged = versions::judge(raw.to_vec(), combined, pinned);
    let mut prior = Prior::default();
    for m in combined.into_iter().chain(pinned) {
        if let crate::probe::modern::ModernOutcome::Completed { version, .. } = &m.outcome
            && let Some(v) = TlsVersion::ALL.into_iter().find(|v| v.wire() == *version)
            && !prior.completed.contains(&v)
        {
            prior.completed.push(v);
        }
    }
    // Probed: by a raw probe, or by the modern handshake that made it unneeded.
    prior.probed = raw.iter().map(|(v, _)| *v).collect();
    for v in &prior.completed {
        if combined.is_some_and(|m| m.outcome.reached() == Some(v.wire()))
            && !prior.probed.contains(v)
        {
            prior.probed.push(*v);
        }
    }
    prior.probed.sort();
    for v in TlsVersion::ALL {
        let cell = &judged.cells[v as usize];
        if let Some(crate::probe::proof::Proof::Failed(why)) = &cell.proof {
            prior.disproven.push((v, why.clone()));
        }
        if cell.state == CellState::Refused {
            prior.refused.push((v, cell.detail.clone()));
        }
        if cell.state != CellState::Accepted {
            continue;
        }
        prior.accepted.push(v);
    }
    prior
}

/// What the version check found, once it is known. Checks start **beside** the version
/// probes (DESIGN.md: an address that never answers must cost one round of timeouts,
/// not one per check) and await this only where they build on it: the ciphers check
/// before it plans anything, the clients check after its hellos are out, to explain a
/// failure.
#[derive(Clone, Debug)]
pub struct PriorWait(tokio::sync::watch::Receiver<Option<Arc<Prior>>>);

/// The version check's side of [`PriorWait`].
pub struct PriorSender(tokio::sync::watch::Sender<Option<Arc<Prior>>>);

impl PriorWait {
    /// A pair: the scheduler sends, the checks wait.
    pub fn channel() -> (PriorSender, PriorWait) {
        let (tx, rx) = tokio::sync::watch::channel(None);
        (PriorSender(tx), PriorWait(rx))
    }

    /// Already known (tests, benches).
    pub fn ready(prior: Prior) -> Self {
        let (tx, rx) = Self::channel();
        tx.send(prior);
        rx
    }

    /// Waits for the version check. A sender dropped without sending (only a bug would)
    /// gives an empty prior rather than a check that never ends.
    pub async fn get(&self) -> Arc<Prior> {
        let mut rx = self.0.clone();
        match rx.wait_for(Option::is_some).await {
            Ok(p) => p.as_ref().map_or_else(Arc::default, Arc::clone),
            Err(_) => Arc::default(),
        }
    }
}

impl PriorSender {
    pub fn send(&self, prior: Prior) {
        self.0.send_replace(Some(Arc::new(prior)));
    }
}

/// Why an address never answered any probe: the name did not resolve, or no
/// connection was made. Checks that judge clients turn it into a failure per client
/// (DESIGN.md: never an empty cell).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unanswered {
    /// The name did not resolve (the resolver's words).
    Dns(String),
    /// No TCP connection (or the proxy refused the tunnel).
    Unreachable(crate::probe::outcome::ConnectFailure),
}

/// The connection side a check gets: one raw exchange at a time, under the scan's
/// limits, counted as a probe.
pub trait Net: Send + Sync {
    /// The SNI to send (`None` for IP literal targets).
    fn server_name(&self) -> Option<&str>;
    /// Sends `hello` (built with `offer.client_random`) and reads the verdict; a
    /// timeout is retried with the same hello as the scan's `--retries` says.
    fn exchange<'a>(&'a self, hello: Vec<u8>, offer: &'a Offer)
    -> BoxFuture<'a, (Outcome, Timing)>;
    /// Whether a real handshake (rustls) offering `version` alone completes, counted
    /// as a probe: what proves a client's TLS 1.3 answer when the scan's range left
    /// TLS 1.3 out (`--tls-max 1.2`). Without one, nothing is proven.
    fn completes(&self, _version: TlsVersion) -> BoxFuture<'_, bool> {
        Box::pin(async { false })
    }
}

/// A check, as the scheduler sees it.
pub trait Check: Send + Sync {
    /// The key of its report (`ciphers`, `clients`), in JSON and for `--fail-on`-free
    /// lookups by the sinks.
    fn name(&self) -> &'static str;
    /// CSV columns this check fills (appended after the fixed ones).
    fn csv_columns(&self) -> Vec<String>;
    /// Runs at one address that took a connection, beside the version probes: awaits
    /// `prior` where it needs what they found.
    fn run<'a>(&'a self, net: &'a dyn Net, prior: &'a PriorWait) -> BoxFuture<'a, CheckReport>;
    /// The report for an address that never answered, without a probe; `None` when the
    /// check has nothing to say there.
    fn unanswered(&self, _why: &Unanswered) -> Option<CheckReport> {
        None
    }
}

/// A check's result as every sink renders it: plain data, saved in the JSON report and
/// read back by `merge`, so a merged report renders exactly like the original.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The check's name.
    pub check: String,
    /// CSV cells, by column name.
    pub csv: Vec<(String, String)>,
    /// Lines for the table, in words.
    pub lines: Vec<String>,
    /// JUnit test cases: (name, failure message when it failed).
    pub cases: Vec<(String, Option<String>)>,
    /// JUnit: each case is a testsuite of its own, named by the case, with one testcase
    /// per address (the clients check: one testsuite per profile). Otherwise the cases
    /// join the scan's testsuite.
    #[serde(default)]
    pub case_suites: bool,
    pub findings: Vec<Finding>,
    /// Everything the check found, for JSON.
    pub data: serde_json::Value,
    /// Probes (connections) the check made at this address; set by the scheduler.
    #[serde(default)]
    pub probes: u64,
}

impl CheckReport {
    /// The CSV cell for `column`, if this check fills it.
    pub fn cell(&self, column: &str) -> Option<&str> {
        self.csv
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, v)| v.as_str())
    }
}

/// The report of a check at an address it could not probe (the proxy refused the
/// tunnel): every column and line says so, and there is no finding — the record's one
/// finding is the proxy's refusal.
pub fn not_probed(check: &dyn Check, why: &str) -> CheckReport {
    let text = format!("not probed: {why}");
    CheckReport {
        check: check.name().to_string(),
        csv: check
            .csv_columns()
            .into_iter()
            .map(|c| (c, text.clone()))
            .collect(),
        lines: vec![format!("{}: {text}", check.name())],
        data: serde_json::json!({ "not_probed": why }),
        ..CheckReport::default()
    }
}

/// What the command line asked for.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub ciphers: bool,
    /// Built-in profiles (`--clients`) and replayed captures, in the order asked.
    pub clients: Vec<profiles::ProfileRef>,
}

/// The checks to run, from the options. One line per check.
pub fn registry(opts: &CheckOptions) -> Vec<Box<dyn Check>> {
    let mut out: Vec<Box<dyn Check>> = Vec::new();
    if opts.ciphers {
        out.push(Box::new(ciphers::Ciphers));
    }
    if !opts.clients.is_empty() {
        out.push(Box::new(clients::Clients::new(opts.clients.clone())));
    }
    out
}

/// The CSV columns every report has after DESIGN.md's fixed ones: the suites per
/// version (empty unless `--ciphers`), then one per client profile asked for.
pub fn csv_columns(opts: &CheckOptions) -> Vec<String> {
    let mut cols = ciphers::Ciphers.csv_columns();
    cols.extend(clients::Clients::new(opts.clients.clone()).csv_columns());
    cols
}
