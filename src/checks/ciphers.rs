//! `--ciphers`: for every accepted version, the suites the server accepts, in its
//! preference order. The hello offers every suite that exists at the version (the
//! whole IANA list of `wire::enums::CipherSuite`); the server's choice is recorded and
//! removed, and the hello sent again, until the server refuses — about one probe per
//! accepted suite, plus one. One more probe, with the found suites reversed, tells
//! whether the order is the server's (it chooses the same first suite) or ours.

use serde_json::json;

use super::{BoxFuture, Check, CheckReport, Net, PriorWait};
use crate::probe::outcome::Outcome;
use crate::probe::proof::{Offer, Proof};
use crate::probe::raw::fresh_randoms;
use crate::suites::{self, SuiteInfo};
use crate::version::TlsVersion;
use crate::wire::enums::CipherSuite;
use crate::wire::hello::{HelloSpec, HelloVariant, client_hello_record};

/// No server accepts more suites than this at one version; a bound on the probes.
const MAX_SUITES: usize = 128;

/// The suites accepted at one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionSuites {
    pub version: TlsVersion,
    /// In the order the server chose them.
    pub suites: Vec<CipherSuite>,
    /// `Some(true)`: the server enforces its own order; `Some(false)`: it follows the
    /// client's; `None`: fewer than two suites, nothing to tell.
    pub server_order: Option<bool>,
    /// How the enumeration ended (the refusal after the last accepted suite).
    pub ended: String,
    pub probes: u32,
}

/// Enumerates the suites accepted at `version`.
pub async fn enumerate(net: &dyn Net, version: TlsVersion) -> VersionSuites {
    let mut remaining = suites::for_version(version);
    let mut found = Vec::new();
    let mut ended = String::from("every suite offered was accepted");
    let mut probes = 0;
    while !remaining.is_empty() && found.len() < MAX_SUITES {
        probes += 1;
        match choose(net, version, &remaining).await {
            Ok(cs) => {
                found.push(cs);
                remaining.retain(|s| *s != cs);
            }
            Err(outcome) => {
                ended = outcome;
                break;
            }
        }
    }
    let server_order = match found.len() {
        0 | 1 => None,
        _ => {
            probes += 1;
            let reversed: Vec<CipherSuite> = found.iter().rev().copied().collect();
            choose(net, version, &reversed)
                .await
                .ok()
                .map(|cs| cs == found[0])
        }
    };
    VersionSuites {
        version,
        suites: found,
        server_order,
        ended,
        probes,
    }
}

/// One hello offering `offered` at `version`: the suite the server chose, or how it
/// refused.
async fn choose(
    net: &dyn Net,
    version: TlsVersion,
    offered: &[CipherSuite],
) -> Result<CipherSuite, String> {
    let (random, entropy) = fresh_randoms();
    let hello = client_hello_record(&HelloSpec {
        version,
        variant: HelloVariant::Full,
        server_name: net.server_name(),
        random,
        entropy,
        suites: Some(offered),
    });
    let mut offer = Offer::for_probe(version, HelloVariant::Full, random);
    offer.suites = offered.to_vec();
    match net.exchange(hello, &offer).await.0 {
        Outcome::Accepted(a) if !matches!(a.proof, Proof::Failed(_)) => Ok(a.cipher),
        Outcome::Accepted(a) => Err(format!("claimed, not proven: {}", a.proof.detail())),
        other => Err(other.to_string()),
    }
}

/// The `--ciphers` check.
pub struct Ciphers;

impl Check for Ciphers {
    fn name(&self) -> &'static str {
        "ciphers"
    }

    fn csv_columns(&self) -> Vec<String> {
        TlsVersion::ALL
            .iter()
            .map(|v| format!("suites_{}", v.key()))
            .collect()
    }

    fn run<'a>(&'a self, net: &'a dyn Net, prior: &'a PriorWait) -> BoxFuture<'a, CheckReport> {
        Box::pin(async move {
            // Suites only at the versions the address accepts: after the version check.
            let prior = prior.get().await;
            let mut all = Vec::new();
            for v in &prior.accepted {
                all.push(enumerate(net, *v).await);
            }
            report(&all)
        })
    }
}

/// The report: CSV cells per version, a table line per version, JSON with each
/// suite's properties.
pub fn report(all: &[VersionSuites]) -> CheckReport {
    let mut r = CheckReport {
        check: "ciphers".into(),
        ..Default::default()
    };
    let mut data = serde_json::Map::new();
    for vs in all {
        let names: Vec<String> = vs.suites.iter().map(|s| s.to_string()).collect();
        r.csv
            .push((format!("suites_{}", vs.version.key()), names.join(" ")));
        let order = match vs.server_order {
            Some(true) => " (server's order)",
            Some(false) => " (the server follows the client's order)",
            None => "",
        };
        let insecure: Vec<&String> = vs
            .suites
            .iter()
            .zip(&names)
            .filter(|(s, _)| suites::info(**s).insecure)
            .map(|(_, n)| n)
            .collect();
        let mut line = format!("{}: {}{order}", vs.version, names.join(", "));
        if names.is_empty() {
            line = format!("{}: no suite accepted ({})", vs.version, vs.ended);
        }
        if !insecure.is_empty() {
            line.push_str(&format!(
                "; INSECURE: {}",
                insecure
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        r.lines.push(line);
        let infos: Vec<SuiteInfo> = vs.suites.iter().map(|s| suites::info(*s)).collect();
        data.insert(
            vs.version.key().to_string(),
            json!({
                "suites": infos,
                "server_order": vs.server_order,
                "ended": vs.ended,
                "probes": vs.probes,
            }),
        );
    }
    r.data = serde_json::Value::Object(data);
    r
}
