//! `--clients`: would this Windows client connect? Each profile's exact hello is sent
//! once per address; the client **connects** when the server answers with a version in
//! the profile's range and a suite (and, for TLS 1.3, a key share group) the profile
//! offered, and the answer holds up (see `probe/proof.rs`). Otherwise it **fails**,
//! and the reason is put in an admin's words, using what the version probes found and,
//! when suites are the question, the server's accepted suites at that version.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::ciphers::{VersionSuites, enumerate};
use super::profiles::{Profile, ProfileRef};
use super::{BoxFuture, Check, CheckReport, Net, Prior};
use crate::findings::{Finding, FindingKind};
use crate::probe::outcome::{Outcome, Rejection};
use crate::probe::proof::Proof;
use crate::suites::family;
use crate::version::TlsVersion;
use crate::wire::enums::{CipherSuite, ProtocolVersion};

/// One profile's verdict at one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClientVerdict {
    pub profile: String,
    pub connects: bool,
    /// Negotiated version and suite, when it connects.
    pub version: Option<String>,
    pub cipher: Option<String>,
    /// Why not, in words.
    pub reason: Option<String>,
    /// The raw outcome of the profile's hello.
    pub outcome: String,
    /// How far an acceptance is proven (DESIGN.md "Proof of acceptance"): a TLS 1.3
    /// answer to a replayed hello stays `unproven`, its key share's secret unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

impl ClientVerdict {
    /// The CSV cell: `ok TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384` / `fail <reason>`.
    pub fn cell(&self) -> String {
        match (&self.version, &self.cipher, &self.reason) {
            (Some(v), Some(c), _) if self.connects => format!("ok {v} {c}"),
            (_, _, Some(r)) => format!("fail {r}"),
            _ => "fail".into(),
        }
    }
}

/// The `--clients` check.
pub struct Clients {
    profiles: Vec<ProfileRef>,
}

impl Clients {
    pub fn new(profiles: Vec<ProfileRef>) -> Self {
        Self { profiles }
    }
}

impl Check for Clients {
    fn name(&self) -> &'static str {
        "clients"
    }

    fn csv_columns(&self) -> Vec<String> {
        self.profiles.iter().map(|p| p.column()).collect()
    }

    fn run<'a>(&'a self, net: &'a dyn Net, prior: &'a Prior) -> BoxFuture<'a, CheckReport> {
        Box::pin(async move {
            let mut suites: HashMap<TlsVersion, VersionSuites> = HashMap::new();
            let mut verdicts = Vec::new();
            for p in &self.profiles {
                verdicts.push(verdict(net, prior, p, &mut suites).await);
            }
            report(&self.profiles, &verdicts)
        })
    }
}

async fn verdict(
    net: &dyn Net,
    prior: &Prior,
    p: &Profile,
    suites: &mut HashMap<TlsVersion, VersionSuites>,
) -> ClientVerdict {
    let (hello, offer) = p.connection(net.server_name());
    let outcome = net.exchange(hello, &offer).await.0;
    let mut v = ClientVerdict {
        profile: p.name.to_string(),
        connects: false,
        version: None,
        cipher: None,
        reason: None,
        outcome: outcome.to_string(),
        proof: None,
    };
    match &outcome {
        Outcome::Accepted(a) if !matches!(a.proof, Proof::Failed(_)) => {
            v.connects = true;
            v.version = Some(a.version.to_string());
            v.cipher = Some(a.cipher.to_string());
            v.proof = Some(a.proof.clone());
        }
        _ => v.reason = Some(explain(net, prior, p, &outcome, suites).await),
    }
    v
}

/// Why `p` failed, in words.
async fn explain(
    net: &dyn Net,
    prior: &Prior,
    p: &Profile,
    outcome: &Outcome,
    cache: &mut HashMap<TlsVersion, VersionSuites>,
) -> String {
    match outcome {
        Outcome::Accepted(a) => {
            return format!("the server's answer does not hold up: {}", a.proof.detail());
        }
        Outcome::Rejected(Rejection::OtherVersion(v)) if *v < p.min().wire() => {
            return format!(
                "server chose {v}, below this client's minimum ({})",
                p.min()
            );
        }
        Outcome::Rejected(Rejection::OtherVersion(v)) => {
            return format!("server chose {v}, which this client does not offer");
        }
        Outcome::Rejected(_) => {}
        Outcome::Timeout { .. } => return "no answer to this client's hello in time".into(),
        other => return other.to_string(),
    }
    let common: Vec<TlsVersion> = prior
        .accepted
        .iter()
        .copied()
        .filter(|v| p.versions.contains(v))
        .collect();
    if let (Some(lowest), true) = (prior.accepted.first(), common.is_empty()) {
        return match *lowest > p.max() {
            true => format!(
                "server requires {lowest} or newer; this client stops at {}",
                p.max()
            ),
            false => format!(
                "server accepts {}, none of which this client offers",
                names(&prior.accepted)
            ),
        };
    }
    let refusal = outcome.to_string();
    let Some(v) = common.last().copied() else {
        return format!("server refused this client's hello ({refusal})");
    };
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(v) {
        slot.insert(enumerate(net, v).await);
    }
    let server: &[CipherSuite] = cache.get(&v).map_or(&[], |s| &s.suites);
    let shared: Vec<CipherSuite> = server
        .iter()
        .copied()
        .filter(|s| p.shape.suites.contains(&s.0))
        .collect();
    match (server.is_empty(), shared.first()) {
        (false, None) => format!(
            "no {v} suite in common: the server accepts {} only, which {} lacks{}",
            families(server),
            p.short,
            policy_hint(v, server, prior)
        ),
        (_, Some(s)) => format!(
            "server refused this client's hello ({refusal}) although both have {s} at {v}: \
             it may need a group, signature algorithm or extension this client lacks"
        ),
        (true, None) => format!("server refused this client's hello ({refusal})"),
    }
}

fn names(versions: &[TlsVersion]) -> String {
    versions
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The suite families, in the server's order, without repeats: "ECDHE-RSA-AES-GCM".
fn families(suites: &[CipherSuite]) -> String {
    let mut out: Vec<String> = Vec::new();
    for s in suites {
        let f = family(*s);
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out.join(" and ")
}

/// Names the Azure Front Door policy a suite set looks like, when it does.
fn policy_hint(v: TlsVersion, server: &[CipherSuite], prior: &Prior) -> &'static str {
    let afd_2023 = [CipherSuite(0xc02f), CipherSuite(0xc030)];
    let only_afd = server.iter().all(|s| afd_2023.contains(s));
    match v == TlsVersion::Tls12 && only_afd && prior.accepted.contains(&TlsVersion::Tls13) {
        true => " (like Azure Front Door's default TLSv1.2_2023 policy)",
        false => "",
    }
}

/// The report: one CSV column, table line and JUnit case per profile; the finding
/// `client-incompatible` naming every profile that fails.
pub fn report(profiles: &[ProfileRef], verdicts: &[ClientVerdict]) -> CheckReport {
    let mut r = CheckReport {
        check: "clients".into(),
        ..Default::default()
    };
    let mut data = serde_json::Map::new();
    let mut failing = Vec::new();
    for (p, v) in profiles.iter().zip(verdicts) {
        r.csv.push((p.column(), v.cell()));
        r.lines.push(format!("{}: {}", p.name, v.cell()));
        let failure = (!v.connects).then(|| v.cell());
        r.cases.push((format!("client {}", p.name), failure));
        if let (false, Some(reason)) = (v.connects, &v.reason) {
            failing.push(format!("{} ({reason})", p.name));
        }
        let mut entry = json!(v);
        if let Some(obj) = entry.as_object_mut() {
            obj.insert("verdict".into(), json!(v.cell()));
        }
        data.insert(p.name.to_string(), entry);
    }
    if !failing.is_empty() {
        r.findings.push(Finding {
            kind: FindingKind::ClientIncompatible,
            detail: failing.join("; "),
        });
    }
    r.data = serde_json::Value::Object(data);
    r
}

/// True for the version codes a profile can negotiate.
pub fn in_range(p: &Profile, v: ProtocolVersion) -> bool {
    p.versions.iter().any(|x| x.wire() == v)
}
