//! Checks: each kind of question asked of an address beyond "which versions does it
//! accept" is a self-contained unit, the way sslyze builds its scan commands. A check
//! plans its own probes (possibly from what the version probes found), runs them
//! through [`Net`] — which applies the scan's limits and counts them — and folds the
//! answers into its own result type, which it renders as one [`CheckReport`] and turns
//! into findings. The scheduler (`scan.rs`) runs every registered check the same way;
//! the sinks render every check through [`CheckReport`]. Adding a check adds a module
//! and one line in [`registry`]; it touches no other check.

pub mod ciphers;
pub mod clients;
pub mod profiles;

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::findings::Finding;
use crate::probe::outcome::{Outcome, Timing};
use crate::probe::proof::Offer;
use crate::version::TlsVersion;
use crate::wire::enums::CipherSuite;

/// A boxed future, so checks can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the version probes found at the address, for checks that build on it.
#[derive(Clone, Debug, Default)]
pub struct Prior {
    /// Versions accepted (raw claims that were not disproven, and versions a rustls
    /// handshake completed), oldest first.
    pub accepted: Vec<TlsVersion>,
    /// The suite the server chose at each accepted version (raw probe).
    pub chosen: Vec<(TlsVersion, CipherSuite)>,
}

/// The versions the address accepted, by the same rule as the record's cells: a raw
/// claim that was not disproven, or a completed rustls handshake.
pub fn prior(
    raw: &[(TlsVersion, crate::probe::outcome::VersionProbe)],
    combined: Option<&crate::probe::modern::ModernHandshake>,
    pinned: &[crate::probe::modern::ModernHandshake],
) -> Prior {
    use crate::probe::modern::ModernOutcome;
    use crate::probe::proof::Proof;
    let completed = |v: TlsVersion| {
        combined.into_iter().chain(pinned).any(|m| {
            matches!(&m.outcome, ModernOutcome::Completed { version, .. } if *version == v.wire())
        })
    };
    let pinned_failed = |v: TlsVersion| {
        pinned
            .iter()
            .any(|m| m.pinned == Some(v) && matches!(m.outcome, ModernOutcome::Failed(_)))
    };
    let mut prior = Prior::default();
    for (v, probe) in raw {
        let claim = match &probe.outcome {
            Outcome::Accepted(a) => match &a.proof {
                Proof::Failed(_) => None,
                Proof::Unproven(_) if pinned_failed(*v) => None,
                _ => Some(a.cipher),
            },
            _ => None,
        };
        if claim.is_some() || completed(*v) {
            prior.accepted.push(*v);
        }
        if let Some(cs) = claim {
            prior.chosen.push((*v, cs));
        }
    }
    prior
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
}

/// A check, as the scheduler sees it.
pub trait Check: Send + Sync {
    /// The key of its report (`ciphers`, `clients`), in JSON and for `--fail-on`-free
    /// lookups by the sinks.
    fn name(&self) -> &'static str;
    /// CSV columns this check fills (appended after the fixed ones).
    fn csv_columns(&self) -> Vec<String>;
    /// Runs at one address that took a connection.
    fn run<'a>(&'a self, net: &'a dyn Net, prior: &'a Prior) -> BoxFuture<'a, CheckReport>;
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
    pub findings: Vec<Finding>,
    /// Everything the check found, for JSON.
    pub data: serde_json::Value,
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

/// What the command line asked for.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    pub ciphers: bool,
    pub clients: Vec<&'static profiles::Profile>,
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
