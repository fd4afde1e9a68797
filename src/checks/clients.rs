//! `--clients`: would this Windows client connect? Each profile's exact hello is sent
//! once per address (profiles that send the same bytes — aliases — share one
//! exchange); the client **connects** when the server answers with a version in the
//! profile's range and a suite (and, for TLS 1.3, a key share group) the profile
//! offered, and the answer holds up by the proof rules of the version probes (see
//! `probe/proof.rs`). A client is `ok` only when its acceptance is **verified** (the
//! ServerKeyExchange signature over our random), or unproven for a reason intrinsic to
//! what was chosen and not contradicted: a static-RSA suite (the server signs nothing
//! to check) at a version whose claims the version check did not find disproven, or
//! any other unproven answer (TLS 1.3, a HelloRetryRequest, a signature this code
//! cannot check) at a version where a real handshake (rustls) completed at this
//! address. Everything else fails: a disproven answer; a flight that closed, stalled or
//! never ended after the ServerHello (a real client fails there too); a malformed
//! ServerHello (a key share of the wrong length); a HelloRetryRequest nothing follows;
//! a TLS 1.3 answer no handshake here could complete (a replayed flight); a leaf key
//! larger than any client accepts (`server key larger than any client accepts
//! (65536-bit RSA)`). Otherwise it **fails**,
//! and the reason is put in an admin's words, using what the version probes found and,
//! when suites are the question, the server's accepted suites at that version.
//!
//! Every failure also carries its kind ([`Why`]) and what to do about it, so that the
//! end-of-scan verdict per profile (`report/verdicts.rs`) can count reasons and give
//! advice from the records alone — after `merge` too.
//!
//! The hellos go out beside the version probes; only the explanation of a failure
//! waits for what they found. An address that never answered (no name, no connection)
//! gives every profile `fail` with the reason ([`Check::unanswered`]): no empty cell.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ciphers::{VersionSuites, enumerate};
use super::profiles::{HelloSource, Profile, ProfileRef};
use super::{BoxFuture, Check, CheckReport, Net, Prior, PriorWait, Unanswered};
use crate::findings::{Finding, FindingKind};
use crate::probe::outcome::{Accepted, ConnectFailure, Outcome, Rejection};
use crate::probe::proof::Proof;
use crate::suites::family;
use crate::version::TlsVersion;
use crate::wire::enums::{CipherSuite, KeyExchange};
use crate::wire::reply::Malformed;

/// The name of this check's report.
pub const CHECK: &str = "clients";

/// Why a client fails at an address: the kind the verdict line counts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Why {
    /// The server's oldest version is newer than the client's newest (`TLS 1.3`).
    NeedsNewer { version: String },
    /// Every version the server accepts is older than the client's oldest.
    OnlyOlder { version: String },
    /// A version in common, no suite in common: what the server accepts there.
    NoSuite {
        version: String,
        server: String,
        #[serde(default)]
        like: Option<String>,
    },
    /// The server refused the hello in another way (`alert handshake_failure (40)`).
    Refused { how: String },
    /// The handshake completes at `version`, and then the mail service refuses the
    /// session (`421 4.7.66 …`).
    ServiceRefused { version: String },
    /// The connection was reset (RST) before any answer, and nothing else was accepted.
    Reset,
    /// The server's answer does not hold up (an echoed or forged ServerHello, a flight
    /// that never completes, a claim nothing proves).
    NotProven,
    /// The server's certificate carries a key larger than any client accepts
    /// (`65536-bit RSA`).
    KeyTooLarge { key: String },
    /// No answer in time.
    Timeout,
    /// The reply was not TLS, or broken.
    Error { what: String },
    /// No TCP connection (`connection refused`, `connect timeout`, a proxy's refusal).
    Unreachable { how: String },
    /// This machine has no route to the address's family.
    NoRoute,
    /// The mail server's plain-text dialogue before TLS failed (`SMTP STARTTLS: the
    /// server refused STARTTLS: "454 …"`): no client gets TLS there.
    Starttls { how: String },
    /// The proxy refused the tunnel (`proxy 407`).
    Proxy { how: String },
    /// The name did not resolve.
    Dns,
    /// TLS is intercepted on the way: the client reaches the inspecting box, not the
    /// service.
    Intercepted,
}

impl Why {
    /// The reason as the verdict line counts it, for `n` addresses:
    /// `3 need TLS 1.3`, `1 needs TLS 1.3`, `2 unreachable (connection refused)`.
    pub fn counted(&self, n: usize) -> String {
        let s = |one: &str, many: &str| {
            if n == 1 {
                one.to_string()
            } else {
                many.to_string()
            }
        };
        let phrase = match self {
            Why::NeedsNewer { version } if version == "TLS 1.3" => {
                s("needs TLS 1.3", "need TLS 1.3")
            }
            Why::NeedsNewer { version } => format!("{} {version} or newer", s("needs", "need")),
            Why::OnlyOlder { version } => {
                format!("{} only {version} or older", s("accepts", "accept"))
            }
            Why::NoSuite {
                version,
                server,
                like,
            } => {
                let like = like
                    .as_deref()
                    .map_or(String::new(), |l| format!(", like {l}"));
                format!("no {version} suite in common (server: {server} only{like})")
            }
            Why::Refused { how } => format!("{} the hello ({how})", s("refuses", "refuse")),
            Why::ServiceRefused { version } => format!(
                "{} {version} after the handshake (the mail service)",
                s("refuses", "refuse")
            ),
            Why::Reset => s("resets the connection", "reset the connection"),
            Why::NotProven => s(
                "answers with a ServerHello that does not hold up",
                "answer with a ServerHello that does not hold up",
            ),
            Why::KeyTooLarge { key } => format!(
                "{} a key larger than any client accepts ({key})",
                s("shows", "show")
            ),
            Why::Timeout => "no answer in time".into(),
            Why::Error { what } => format!("error ({what})"),
            Why::Unreachable { how } => format!("unreachable ({how})"),
            Why::NoRoute => "no route from here".into(),
            Why::Starttls { how } => format!("no TLS: {how}"),
            Why::Proxy { how } => format!("refused by the proxy ({how})"),
            Why::Dns => "not resolved".into(),
            Why::Intercepted => "intercepted (TLS inspection)".into(),
        };
        format!("{n} {phrase}")
    }

    /// The reason in a few words, for a matrix footnote.
    pub fn short(&self) -> String {
        let counted = self.counted(1);
        counted
            .split_once(' ')
            .map_or(counted.clone(), |(_, rest)| rest.to_string())
    }

    /// True when the address never answered anything (no name, no connection, no
    /// reply): nothing about the client is known there.
    pub fn never_answered(&self) -> bool {
        matches!(
            self,
            Why::Timeout
                | Why::Unreachable { .. }
                | Why::Starttls { .. }
                | Why::Proxy { .. }
                | Why::NoRoute
                | Why::Dns
                | Why::Reset
        )
    }
}

/// One profile's verdict at one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientVerdict {
    /// The profile as asked (`ws2022`).
    pub profile: String,
    /// The Windows builds it stands for.
    #[serde(default)]
    pub builds: String,
    /// The profile whose hello it sent, when it is an alias (`win11-21h2`).
    #[serde(default)]
    pub alias_of: Option<String>,
    pub connects: bool,
    /// Negotiated version and suite, when it connects.
    pub version: Option<String>,
    pub cipher: Option<String>,
    /// Why not, in words.
    pub reason: Option<String>,
    /// Why not, as a kind.
    #[serde(default)]
    pub why: Option<Why>,
    /// What to do about it.
    #[serde(default)]
    pub advice: Option<String>,
    /// The raw outcome of the profile's hello (`not sent` when the address never
    /// answered).
    pub outcome: String,
    /// How far an acceptance is proven (DESIGN.md "Proof of acceptance"): a TLS 1.3
    /// answer to a replayed hello stays `unproven`, its key share's secret unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

impl ClientVerdict {
    fn new(p: &Profile, outcome: String) -> Self {
        Self {
            profile: p.name.to_string(),
            builds: p.builds.to_string(),
            alias_of: p.alias.as_ref().map(|a| a.of.to_string()),
            connects: false,
            version: None,
            cipher: None,
            reason: None,
            why: None,
            advice: None,
            outcome,
            proof: None,
        }
    }

    fn fail(&mut self, p: &Profile, reason: String, why: Why) {
        self.connects = false;
        self.advice = Some(advice(p, &why));
        self.reason = Some(reason);
        self.why = Some(why);
    }

    /// The CSV cell: `ok TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384` / `fail <reason>`.
    pub fn cell(&self) -> String {
        match (&self.version, &self.cipher, &self.reason) {
            (Some(v), Some(c), _) if self.connects => format!("ok {v} {c}"),
            (_, _, Some(r)) => format!("fail {r}"),
            _ => "fail".into(),
        }
    }
}

/// The CSV column of a profile: `client_win7_tls12`.
pub fn column(profile: &str) -> String {
    format!("client_{}", profile.replace('-', "_"))
}

/// The `--clients` check.
pub struct Clients {
    profiles: Vec<ProfileRef>,
}

impl Clients {
    pub fn new(profiles: Vec<ProfileRef>) -> Self {
        Self { profiles }
    }

    /// For each profile, the index of the first profile sending the same bytes (its
    /// own index when none before it does): one exchange per distinct hello.
    fn senders(&self) -> Vec<usize> {
        let key = |p: &Profile| match p.hello {
            HelloSource::Built => Some(p.hello_key().to_string()),
            HelloSource::Replay(_) => None,
        };
        (0..self.profiles.len())
            .map(|i| {
                let k = key(&self.profiles[i]);
                (0..i)
                    .find(|j| k.is_some() && key(&self.profiles[*j]) == k)
                    .unwrap_or(i)
            })
            .collect()
    }
}

impl Check for Clients {
    fn name(&self) -> &'static str {
        CHECK
    }

    fn csv_columns(&self) -> Vec<String> {
        self.profiles.iter().map(|p| p.column()).collect()
    }

    fn run<'a>(&'a self, net: &'a dyn Net, prior: &'a PriorWait) -> BoxFuture<'a, CheckReport> {
        Box::pin(async move {
            let senders = self.senders();
            // Every distinct hello at once, beside the version probes (the scan's
            // per-address cap still applies to each connection).
            let sends = senders.iter().enumerate().map(|(i, s)| async move {
                if i != *s {
                    return None;
                }
                let (hello, offer) = self.profiles[i].connection(net.server_name());
                Some(net.exchange(hello, &offer).await.0)
            });
            let outcomes = futures_util::future::join_all(sends).await;
            let prior = prior.get().await;
            let mut cache = Cache::default();
            let mut verdicts = Vec::new();
            for (p, s) in self.profiles.iter().zip(&senders) {
                let Some(outcome) = &outcomes[*s] else {
                    continue;
                };
                verdicts.push(verdict(net, &prior, p, outcome, &mut cache).await);
            }
            report(&verdicts)
        })
    }

    fn unanswered(&self, why: &Unanswered) -> Option<CheckReport> {
        let verdicts: Vec<ClientVerdict> = self
            .profiles
            .iter()
            .map(|p| {
                let mut v = ClientVerdict::new(p, "not sent".into());
                let (reason, kind) = match why {
                    Unanswered::Dns(e) => (format!("name not resolved: {e}"), Why::Dns),
                    Unanswered::Unreachable(f) => unreachable(f),
                };
                v.fail(p, reason, kind);
                v
            })
            .collect();
        Some(report(&verdicts))
    }
}

fn unreachable(f: &ConnectFailure) -> (String, Why) {
    match f {
        ConnectFailure::NoRoute => ("no route to the address from here".into(), Why::NoRoute),
        ConnectFailure::Starttls(_) => {
            (format!("no TLS: {f}"), Why::Starttls { how: f.to_string() })
        }
        ConnectFailure::ProxyRefused(r) => (
            format!("proxy refused the tunnel ({})", r.short()),
            Why::Proxy { how: r.short() },
        ),
        f => (
            format!("unreachable: {f}"),
            Why::Unreachable { how: f.to_string() },
        ),
    }
}

/// What one address's profiles share: the suites enumerated at a version, and whether
/// a handshake at a version outside the scan's range completed.
#[derive(Default)]
struct Cache {
    suites: HashMap<TlsVersion, VersionSuites>,
    completes: HashMap<TlsVersion, bool>,
}

/// Whether a real handshake completed at `version` here: the version check's, or, for
/// a version it did not probe, one made now (once per address).
async fn completed_here(
    net: &dyn Net,
    prior: &Prior,
    version: TlsVersion,
    cache: &mut Cache,
) -> bool {
    if prior.completed.contains(&version) {
        return true;
    }
    if prior.probed.contains(&version) || version.is_legacy() {
        return false;
    }
    if let Some(done) = cache.completes.get(&version) {
        return *done;
    }
    let done = net.completes(version).await;
    cache.completes.insert(version, done);
    done
}

async fn verdict(
    net: &dyn Net,
    prior: &Prior,
    p: &Profile,
    outcome: &Outcome,
    cache: &mut Cache,
) -> ClientVerdict {
    let mut v = ClientVerdict::new(p, outcome.to_string());
    let refused = match outcome {
        Outcome::Accepted(a) => prior.refused.iter().find(|(rv, _)| rv.wire() == a.version),
        _ => None,
    };
    match outcome {
        // The handshake would complete, and then the mail service turns it away.
        Outcome::Accepted(a) if refused.is_some() => {
            let why = refused.map_or(String::new(), |(_, why)| why.clone());
            let reason = format!("{} {} is {why}", a.version, a.cipher);
            let version = a.version.to_string();
            v.fail(p, reason, Why::ServiceRefused { version });
        }
        Outcome::Accepted(a) if !matches!(a.proof, Proof::Failed(_)) => {
            let completed = match (&a.proof, TlsVersion::from_wire(a.version)) {
                (Proof::Unproven(_), Some(version)) => {
                    completed_here(net, prior, version, cache).await
                }
                _ => false,
            };
            if let Some(why) = not_believed(a, prior, completed) {
                let kind = oversized(a).unwrap_or(Why::NotProven);
                v.fail(p, why, kind);
                return v;
            }
            v.connects = true;
            v.version = Some(a.version.to_string());
            v.cipher = Some(a.cipher.to_string());
            v.proof = Some(a.proof.clone());
        }
        _ => {
            let (reason, why) = explain(net, prior, p, outcome, &mut cache.suites).await;
            v.fail(p, reason, why);
        }
    }
    v
}

/// Why an unproven acceptance is not believed (DESIGN.md "Proof of acceptance"): the
/// version probes found the claims at that version disproven; or the reason it is
/// unproven is not intrinsic (only static RSA is: it signs nothing) and no real
/// handshake completed at that version here — a TLS 1.3 flight nobody could decrypt, a
/// HelloRetryRequest nothing followed, a signature this code cannot check.
fn not_believed(a: &Accepted, prior: &Prior, completed: bool) -> Option<String> {
    let Proof::Unproven(unproven) = &a.proof else {
        return None;
    };
    if let Some((_, why)) = prior.disproven.iter().find(|(v, _)| v.wire() == a.version) {
        return Some(format!("claimed, not proven ({}): {why}", a.cipher));
    }
    let version = TlsVersion::from_wire(a.version)?;
    let static_rsa = a.cipher.kind().0 == KeyExchange::Rsa && version != TlsVersion::Tls13;
    if static_rsa || completed {
        return None;
    }
    if let Some(bits) = a
        .chain
        .first()
        .and_then(|c| crate::cert::oversized_rsa_key(c))
    {
        return Some(crate::cert::oversized_key_words(bits));
    }
    Some(format!(
        "claimed, not proven ({}): {unproven}; no {version} handshake completed at this address",
        a.cipher
    ))
}

/// The failure kind of an answer whose leaf key no client accepts.
fn oversized(a: &Accepted) -> Option<Why> {
    let bits = crate::cert::oversized_rsa_key(a.chain.first()?)?;
    Some(Why::KeyTooLarge {
        key: format!("{bits}-bit RSA"),
    })
}

/// Why `p` failed, in words and as a kind.
async fn explain(
    net: &dyn Net,
    prior: &Prior,
    p: &Profile,
    outcome: &Outcome,
    cache: &mut HashMap<TlsVersion, VersionSuites>,
) -> (String, Why) {
    match outcome {
        Outcome::Accepted(a) => {
            if let Some(why) = oversized(a) {
                return (a.proof.detail().to_string(), why);
            }
            return (
                format!("the server's answer does not hold up: {}", a.proof.detail()),
                Why::NotProven,
            );
        }
        Outcome::Rejected(Rejection::OtherVersion(v)) if *v < p.min().wire() => {
            return (
                format!(
                    "server chose {v}, below this client's minimum ({})",
                    p.min()
                ),
                Why::OnlyOlder {
                    version: v.to_string(),
                },
            );
        }
        Outcome::Rejected(Rejection::OtherVersion(v)) => {
            return (
                format!("server chose {v}, which this client does not offer"),
                Why::Refused {
                    how: format!("chose {v}"),
                },
            );
        }
        Outcome::Rejected(_) => {}
        Outcome::Timeout { .. } => {
            return (
                "no answer to this client's hello in time".into(),
                Why::Timeout,
            );
        }
        Outcome::Unreachable(f) => return unreachable(f),
        // A ServerHello no client could go on from (a key share of the wrong length, a
        // HelloRetryRequest carrying a key): an answer that does not hold up.
        Outcome::Error(crate::probe::outcome::ProbeError::Malformed(
            m @ (Malformed::BadServerHello | Malformed::BadKeyShare { .. }),
        )) => return (m.to_string(), Why::NotProven),
        Outcome::Error(e) => {
            return (
                outcome.to_string(),
                Why::Error {
                    what: match e {
                        crate::probe::outcome::ProbeError::NotTls { .. } => "not TLS".into(),
                        other => other.to_string(),
                    },
                },
            );
        }
    }
    let refusal = match outcome {
        Outcome::Rejected(r) => r.to_string(),
        other => other.to_string(),
    };
    let common: Vec<TlsVersion> = prior
        .accepted
        .iter()
        .copied()
        .filter(|v| p.versions.contains(v))
        .collect();
    if let (Some(lowest), true) = (prior.accepted.first(), common.is_empty()) {
        return match *lowest > p.max() {
            true => (
                format!(
                    "server requires {lowest} or newer; this client stops at {}",
                    p.max()
                ),
                Why::NeedsNewer {
                    version: lowest.to_string(),
                },
            ),
            false => (
                format!(
                    "server accepts {}, none of which this client offers",
                    names(&prior.accepted)
                ),
                Why::OnlyOlder {
                    version: prior
                        .accepted
                        .last()
                        .map_or(String::new(), |v| v.to_string()),
                },
            ),
        };
    }
    let refused = || match outcome {
        Outcome::Rejected(Rejection::Reset) if prior.accepted.is_empty() => Why::Reset,
        _ => Why::Refused {
            how: refusal.clone(),
        },
    };
    let Some(v) = common.last().copied() else {
        return (
            format!("server refused this client's hello ({refusal})"),
            refused(),
        );
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
        (false, None) => {
            let like = policy_like(v, server, prior);
            let hint = like.map_or(String::new(), |(_, l)| format!(" (like {l})"));
            (
                format!(
                    "no {v} suite in common: the server accepts {} only, which {} lacks{hint}",
                    families(server),
                    p.short,
                ),
                Why::NoSuite {
                    version: v.to_string(),
                    server: families(server),
                    like: like.map(|(short, _)| short.to_string()),
                },
            )
        }
        (_, Some(s)) => (
            format!(
                "server refused this client's hello ({refusal}) although both have {s} at {v}: \
                 it may need a group, signature algorithm or extension this client lacks"
            ),
            Why::Refused {
                how: refusal.clone(),
            },
        ),
        (true, None) => (
            format!("server refused this client's hello ({refusal})"),
            refused(),
        ),
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

/// The Azure Front Door policy a suite set looks like, when it does: (short name,
/// in words).
fn policy_like(
    v: TlsVersion,
    server: &[CipherSuite],
    prior: &Prior,
) -> Option<(&'static str, &'static str)> {
    let afd_2023 = [CipherSuite(0xc02f), CipherSuite(0xc030)];
    let only_afd = server.iter().all(|s| afd_2023.contains(s));
    (v == TlsVersion::Tls12 && only_afd && prior.accepted.contains(&TlsVersion::Tls13)).then_some((
        "AFD TLSv1.2_2023",
        "Azure Front Door's default TLSv1.2_2023 policy",
    ))
}

/// What to do about `why` for this client, in a few words (the verdict line joins
/// them). The remedies are Microsoft's (reference §1b, §2): KB3140245 and the SChannel
/// keys give Windows 7 / Server 2012 TLS 1.2; no update gives Windows 7/8.x
/// ECDHE-RSA-GCM or TLS 1.3.
fn advice(p: &Profile, why: &Why) -> String {
    let replay = matches!(p.hello, HelloSource::Replay(_));
    let has = |s: u16| p.shape.suites.contains(&s);
    match why {
        Why::NeedsNewer { version } if replay => format!("enable {version} in this client"),
        Why::NeedsNewer { version } if version == "TLS 1.3" => {
            "upgrade to Windows 11 / Server 2022 (TLS 1.3)".into()
        }
        Why::NeedsNewer { .. } if p.max() < TlsVersion::Tls12 => {
            "KB3140245 + DefaultSecureProtocols 0xA00 + SChannel TLS 1.2 client keys".into()
        }
        Why::NeedsNewer { version } => format!("enable {version} in this client"),
        Why::OnlyOlder { .. } => "find the box that ends TLS with an old stack".into(),
        Why::NoSuite { server, .. }
            if !replay && !has(0xc02f) && !has(0xc030) && server.contains("ECDHE-RSA-AES-GCM") =>
        {
            "upgrade to Windows 10+ (no update adds ECDHE-RSA-AES-GCM)".into()
        }
        Why::NoSuite { server, .. }
            if server.starts_with("DHE-") && !has(0x009f) && !has(0x009e) =>
        {
            "the server must offer ECDHE (current Windows dropped DHE)".into()
        }
        Why::NoSuite { server, .. } => format!("enable {server} in this client"),
        Why::Refused { .. } | Why::Error { .. } => "see the per-address detail (CSV, JSON)".into(),
        Why::ServiceRefused { .. } => {
            "TLS 1.2 in the device, or its legacy endpoint (smtp-legacy.office365.com)".into()
        }
        Why::Reset | Why::Timeout => "let TLS through to these addresses".into(),
        Why::NotProven => "find the box that answers hellos it cannot serve".into(),
        Why::KeyTooLarge { .. } => {
            "the server needs a certificate with an RSA 2048–4096 or ECDSA P-256/P-384 key".into()
        }
        Why::Unreachable { .. } => "allow outbound TCP 443 (or use the clients' proxy)".into(),
        Why::NoRoute => "none: no route from this machine (usually IPv6)".into(),
        Why::Starttls { .. } => {
            "check the port and any mail gateway in the path (or --starttls)".into()
        }
        Why::Proxy { .. } => "let these hosts through the proxy (see its refusal)".into(),
        Why::Dns => "fix name resolution".into(),
        Why::Intercepted => INTERCEPTED_ADVICE.into(),
    }
}

const INTERCEPTED_ADVICE: &str = "exempt these hosts from TLS inspection";

/// The report: one CSV column, table line and JUnit case per profile; the finding
/// `client-incompatible` naming every profile that fails.
pub fn report(verdicts: &[ClientVerdict]) -> CheckReport {
    let mut r = CheckReport {
        check: CHECK.into(),
        case_suites: true,
        ..Default::default()
    };
    let mut data = serde_json::Map::new();
    let mut failing = Vec::new();
    for v in verdicts {
        r.csv.push((column(&v.profile), v.cell()));
        r.lines.push(format!("{}: {}", v.profile, v.cell()));
        let failure = (!v.connects).then(|| v.cell());
        r.cases.push((format!("client {}", v.profile), failure));
        // The finding is about the client: an address that never answered, or TLS
        // intercepted on the way, has findings of its own.
        let elsewhere = v
            .why
            .as_ref()
            .is_some_and(|w| w.never_answered() || *w == Why::Intercepted);
        if let (false, Some(reason), false) = (v.connects, &v.reason, elsewhere) {
            failing.push(format!("{} ({reason})", v.profile));
        }
        let mut entry = json!(v);
        if let Some(obj) = entry.as_object_mut() {
            obj.insert("verdict".into(), json!(v.cell()));
        }
        data.insert(v.profile.clone(), entry);
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

/// The verdicts of a clients report, in profile order (also of a report read back from
/// JSON by `merge`).
pub fn verdicts(report: &CheckReport) -> Vec<ClientVerdict> {
    let serde_json::Value::Object(map) = &report.data else {
        return Vec::new();
    };
    let by_name: HashMap<&str, &serde_json::Value> =
        map.iter().map(|(k, v)| (k.as_str(), v)).collect();
    // The CSV cells keep the profiles' order; the JSON object may not.
    report
        .csv
        .iter()
        .filter_map(|(col, _)| {
            let name = by_name.keys().find(|n| column(n) == *col)?;
            serde_json::from_value(by_name[name].clone()).ok()
        })
        .collect()
}

/// An address whose TLS is intercepted: a profile that "connects" reaches the
/// inspecting box, not the service, so it fails there with that reason.
pub fn intercepted(report: &mut CheckReport, by: &str) {
    let mut vs = verdicts(report);
    for v in vs.iter_mut().filter(|v| v.connects) {
        let got = format!(
            "{} {}",
            v.version.as_deref().unwrap_or(""),
            v.cipher.as_deref().unwrap_or("")
        );
        v.connects = false;
        v.reason = Some(format!(
            "intercepted: the client gets {} from {by}, not from the service",
            got.trim()
        ));
        v.why = Some(Why::Intercepted);
        v.advice = Some(INTERCEPTED_ADVICE.into());
    }
    let probes = report.probes;
    *report = report_with(&vs, probes);
}

/// A mail endpoint (role `mail`): the advice speaks of mail clients and the service,
/// not of activation (reference/proxies-and-mail.md §5).
pub fn for_mail(report: &mut CheckReport, mail: crate::mail::Mail, port: u16) {
    let mut vs = verdicts(report);
    for v in vs.iter_mut().filter(|v| !v.connects) {
        if let Some(a) = v.why.as_ref().and_then(|w| mail_advice(w, mail, port)) {
            v.advice = Some(a);
        }
    }
    let probes = report.probes;
    *report = report_with(&vs, probes);
}

/// What to do about `why` at a mail service, where it differs from the web's advice.
/// SMTP AUTH devices that cannot do TLS 1.2 have Microsoft's opt-in endpoint
/// `smtp-legacy.office365.com`; IMAP and POP3 have none.
pub fn mail_advice(why: &Why, mail: crate::mail::Mail, port: u16) -> Option<String> {
    use crate::mail::MailProtocol;
    let legacy = match mail.protocol {
        MailProtocol::Smtp if port != 25 => {
            "; SMTP AUTH devices that cannot: smtp-legacy.office365.com (opt-in, \
             Set-TransportConfig -AllowLegacyTLSClients $true)"
        }
        _ => "",
    };
    let service = mail.service(port);
    Some(match why {
        Why::NeedsNewer { version } => format!(
            "enable {version} in the mail client or device (Windows 7 / Server 2008 R2: \
             the SChannel TLS 1.2 client keys){legacy}"
        ),
        Why::ServiceRefused { .. } => {
            format!("TLS 1.2 in the mail client or device{legacy}")
        }
        Why::Unreachable { .. } => format!("allow outbound TCP {port} ({service})"),
        Why::Reset | Why::Timeout => format!("let {service} through to these addresses"),
        _ => return None,
    })
}

fn report_with(vs: &[ClientVerdict], probes: u64) -> CheckReport {
    let mut r = report(vs);
    r.probes = probes;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::profiles;
    use std::sync::Arc;

    fn all() -> Clients {
        Clients::new(
            profiles::ALL
                .iter()
                .map(|p| Arc::new((*p).clone()))
                .collect(),
        )
    }

    #[test]
    fn aliases_share_one_exchange() {
        let c = all();
        let s = c.senders();
        let distinct: Vec<&str> = s
            .iter()
            .enumerate()
            .filter(|(i, j)| i == *j)
            .map(|(i, _)| c.profiles[i].name.as_ref())
            .collect();
        assert_eq!(
            distinct,
            [
                "win7",
                "win7-tls12",
                "win81",
                "win10-1607",
                "win10",
                "win11-21h2",
                "win11"
            ]
        );
    }

    #[test]
    fn an_address_that_never_answered_fails_every_profile() {
        let c = all();
        let r = c
            .unanswered(&Unanswered::Unreachable(ConnectFailure::Refused))
            .unwrap();
        assert_eq!(r.csv.len(), 14);
        for (col, cell) in &r.csv {
            assert_eq!(cell, "fail unreachable: connection refused", "{col}");
        }
        let vs = verdicts(&r);
        assert_eq!(vs.len(), 14);
        assert_eq!(vs[13].profile, "ws2022");
        assert_eq!(vs[13].alias_of.as_deref(), Some("win11-21h2"));
        assert!(vs.iter().all(|v| v.why
            == Some(Why::Unreachable {
                how: "connection refused".into()
            })));
        let dns = c.unanswered(&Unanswered::Dns("NXDOMAIN".into())).unwrap();
        assert!(
            dns.csv
                .iter()
                .all(|(_, v)| v == "fail name not resolved: NXDOMAIN")
        );
        assert!(r.findings.is_empty(), "unreachable has its own finding");
    }

    #[test]
    fn interception_turns_a_connection_into_a_failure() {
        let mut ok = ClientVerdict::new(&profiles::WIN10, "accepted".into());
        ok.connects = true;
        ok.version = Some("TLS 1.2".into());
        ok.cipher = Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into());
        let mut r = report(&[ok]);
        assert!(r.findings.is_empty());
        intercepted(&mut r, "Corp Inspection CA");
        let v = &verdicts(&r)[0];
        assert_eq!(v.why, Some(Why::Intercepted));
        assert_eq!(
            v.cell(),
            "fail intercepted: the client gets TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 \
             from Corp Inspection CA, not from the service"
        );
        assert!(r.findings.is_empty(), "intercepted has its own finding");
    }

    #[test]
    fn reasons_are_counted_in_words() {
        let v13 = Why::NeedsNewer {
            version: "TLS 1.3".into(),
        };
        assert_eq!(v13.counted(3), "3 need TLS 1.3");
        assert_eq!(v13.counted(1), "1 needs TLS 1.3");
        assert_eq!(v13.short(), "needs TLS 1.3");
        let suite = Why::NoSuite {
            version: "TLS 1.2".into(),
            server: "ECDHE-RSA-AES-GCM".into(),
            like: Some("AFD TLSv1.2_2023".into()),
        };
        assert_eq!(
            suite.counted(2),
            "2 no TLS 1.2 suite in common (server: ECDHE-RSA-AES-GCM only, like AFD TLSv1.2_2023)"
        );
        assert!(advice(&profiles::WIN7_TLS12, &suite).starts_with("upgrade to Windows 10+"));
        let tls12 = Why::NeedsNewer {
            version: "TLS 1.2".into(),
        };
        assert!(advice(&profiles::WS2012, &tls12).contains("KB3140245"));
        let dhe = Why::NoSuite {
            version: "TLS 1.2".into(),
            server: "DHE-RSA-AES-GCM".into(),
            like: None,
        };
        assert!(advice(&profiles::WIN10, &dhe).contains("dropped DHE"));
    }
}
