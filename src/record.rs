//! Aggregation: one [`Record`] per (host, port, address) from the raw probe data,
//! with per-version cells, the certificate seen, and findings.

use std::sync::Arc;

use crate::cert::{CertSummary, summarize_or_placeholder};
use crate::checks::{clients, versions};
use crate::endpoints::Endpoint;
use crate::findings::{Finding, FindingKind};
use crate::intercept::{Evidence, Signal, is_intercepted, policy_note, signals};
use crate::probe::modern::ModernHandshake;
use crate::probe::outcome::{CellState, ConnectFailure, Outcome};
use crate::probe::proof::Proof;
use crate::scan::AddressScan;
use crate::target::Host;
use crate::trust::{TrustStores, TrustVerdict};
use crate::version::TlsVersion;
use crate::wire::enums::CipherSuite;

/// What aggregation needs besides the probe data.
pub struct AggregateInput<'a> {
    /// Versions that were probed.
    pub probed: &'a [TlsVersion],
    pub trust: &'a TrustStores,
    /// The endpoint-list entry for this host and port, when there is one.
    pub endpoint: Option<&'a Arc<Endpoint>>,
    /// Leaf fingerprints seen on the direct path (`--compare-direct` through a proxy).
    pub direct_leaves: Option<&'a [String]>,
}

pub use crate::checks::versions::Cell;

/// The aggregated result for one (host, port, address).
#[derive(Clone, Debug)]
pub struct Record {
    pub host: String,
    pub port: u16,
    /// The IP address probed (empty when the name did not resolve).
    pub address: String,
    /// The CNAME chain the name resolved through, in order (empty when none).
    pub cnames: Vec<String>,
    /// Indexed by `TlsVersion as usize`: 1.0, 1.1, 1.2, 1.3.
    pub cells: [Cell; 4],
    pub best_version: Option<TlsVersion>,
    /// Cipher suite negotiated at the best version.
    pub cipher: Option<CipherSuite>,
    pub modern: Option<ModernHandshake>,
    /// Handshakes pinned to one version (proof follow-ups).
    pub pinned: Vec<ModernHandshake>,
    /// Certificates presented, leaf first, summarised.
    pub chain: Vec<CertSummary>,
    /// Where the chain came from: "rustls" handshake or a raw "tls1_x" probe.
    pub chain_source: Option<String>,
    /// The chain verified against the public roots; `None` when no chain was seen.
    pub trusted_public: Option<bool>,
    /// The chain verified against the local roots (system store, `--ca-file`); `None`
    /// when no chain was seen or there are no local roots.
    pub trusted_local: Option<bool>,
    /// Why the chain does not verify publicly / locally.
    pub trust_public_detail: Option<String>,
    pub trust_local_detail: Option<String>,
    /// The interception verdict; `None` when no chain was seen.
    pub intercepted: Option<bool>,
    pub signals: Vec<Signal>,
    /// The endpoint-list entry, when the host is in the list.
    pub endpoint: Option<Arc<Endpoint>>,
    pub findings: Vec<Finding>,
    /// One report per check that ran (`--ciphers`, `--clients`), in registry order.
    pub checks: Vec<crate::checks::CheckReport>,
    /// Remarks that are not findings: addresses left out by `--max-addresses`, a root
    /// store difference on a genuine Microsoft chain.
    pub notes: Vec<String>,
    /// Why the record has no (or incomplete) probe results.
    pub error: Option<String>,
    /// Probes run for this record (connections attempted, retries not counted).
    pub probe_count: u64,
    /// Position of the record's target in the full target list (before `--shard`), so
    /// that `tlscompat merge` can restore the order of an unsharded scan.
    pub target_index: usize,
}

impl Record {
    /// Why the certificate is untrusted, in words (see [`crate::trust::untrusted_reason`]).
    pub fn untrusted_reason(&self) -> Option<&str> {
        crate::trust::untrusted_reason(
            self.trust_public_detail.as_deref(),
            self.trust_local_detail.as_deref(),
        )
    }

    pub fn cell(&self, v: TlsVersion) -> &Cell {
        &self.cells[v as usize]
    }

    /// True when every legacy version probed was rejected; `None` when a legacy cell
    /// has no definite answer (timeout, error, unreachable) or none was probed.
    pub fn legacy_rejected(&self) -> Option<bool> {
        let legacy: Vec<&Cell> = TlsVersion::ALL
            .into_iter()
            .filter(|v| v.is_legacy())
            .map(|v| self.cell(v))
            .filter(|c| c.state != CellState::Skipped)
            .collect();
        if legacy.iter().any(|c| c.state == CellState::Accepted) {
            return Some(false);
        }
        // A version the service refused after the handshake is rejected too.
        let all_rejected = !legacy.is_empty()
            && legacy
                .iter()
                .all(|c| matches!(c.state, CellState::Rejected | CellState::Refused));
        all_rejected.then_some(true)
    }

    /// A record for a name that did not resolve.
    pub fn dns_failure(host: &Host, port: u16, error: String) -> Self {
        let mut r = Self::empty(host, port, String::new());
        r.findings.push(Finding {
            kind: FindingKind::Dns,
            detail: error.clone(),
        });
        r.error = Some(format!("dns: {error}"));
        r
    }

    /// A record with nothing known yet; `tlscompat merge` fills one from a JSON report.
    pub fn empty(host: &Host, port: u16, address: String) -> Self {
        Self {
            host: host.to_string(),
            port,
            address,
            cnames: Vec::new(),
            cells: [
                Cell::skipped(),
                Cell::skipped(),
                Cell::skipped(),
                Cell::skipped(),
            ],
            best_version: None,
            cipher: None,
            modern: None,
            pinned: Vec::new(),
            chain: Vec::new(),
            chain_source: None,
            trusted_public: None,
            trusted_local: None,
            trust_public_detail: None,
            trust_local_detail: None,
            intercepted: None,
            signals: Vec::new(),
            endpoint: None,
            findings: Vec::new(),
            notes: Vec::new(),
            checks: Vec::new(),
            error: None,
            probe_count: 0,
            target_index: 0,
        }
    }
}

/// Folds one address's probes into its record.
pub fn aggregate(scan: AddressScan, input: &AggregateInput<'_>) -> Record {
    let mut r = Record::empty(&scan.host, scan.port, scan.route.label());
    r.endpoint = input.endpoint.cloned();
    if let Some(failure) = &scan.unreachable {
        let mut r = unreachable(r, failure, input.probed);
        // The checks' "not probed" reports, when the proxy refused the tunnel.
        r.checks = scan.checks;
        mail_advice(&mut r);
        return r;
    }
    // Connections made: a raw probe not sent (attempts 0: the silent address's TLS 1.3,
    // `scan.rs` `Tls13Raw`) made none.
    let sent = scan.probes.iter().filter(|(_, p)| p.attempts > 0).count();
    r.probe_count = sent as u64 + u64::from(scan.modern.is_some()) + scan.pinned.len() as u64;
    r.modern = scan.modern;
    r.pinned = scan.pinned;
    let versions = versions::judge(scan.probes, r.modern.as_ref(), &r.pinned);
    r.cells = versions.cells;
    r.best_version = versions.best_version;
    r.cipher = versions.cipher;
    let (der, key_proof) = take_chain(&mut r);
    let verdict = (!der.is_empty()).then(|| input.trust.verify(&der, &r.chain, &scan.host));
    if let Some(v) = &verdict {
        apply_trust(&mut r, v, key_proof.as_ref());
    }
    let legacy_accepted = TlsVersion::ALL
        .iter()
        .any(|v| v.is_legacy() && r.cell(*v).state == CellState::Accepted);
    r.signals = signals(&Evidence {
        chain: &r.chain,
        trust: verdict.as_ref(),
        endpoint: input.endpoint.map(|e| e.as_ref()),
        legacy_accepted,
        direct_leaves: input.direct_leaves,
    });
    r.intercepted = verdict
        .as_ref()
        .map(|v| is_intercepted(&r.signals, Some(v), &r.chain));
    let skew = r
        .signals
        .iter()
        .filter(|s| s.kind == crate::intercept::SignalKind::RootStoreDifference);
    r.notes
        .extend(skew.map(|s| s.detail.clone()).collect::<Vec<_>>());
    r.findings = versions::findings(&r.cells);
    r.findings.extend(chain_findings(&r, verdict.as_ref()));
    r.checks = scan.checks;
    if r.intercepted == Some(true) {
        let by = r
            .chain
            .first()
            .and_then(|leaf| leaf.issuer_cn.clone())
            .unwrap_or_else(|| "an inspecting device".into());
        for c in r.checks.iter_mut().filter(|c| c.check == clients::CHECK) {
            clients::intercepted(c, &by);
        }
    }
    mail_advice(&mut r);
    r.probe_count += r.checks.iter().map(|c| c.probes).sum::<u64>();
    let from_checks: Vec<Finding> = r.checks.iter().flat_map(|c| c.findings.clone()).collect();
    r.findings.extend(from_checks);
    r
}

/// The mail service of a record whose endpoint has the role `mail`: its protocol by the
/// entry's `starttls` field, else by the port.
pub fn mail_service(r: &Record) -> Option<crate::mail::Mail> {
    let e = r
        .endpoint
        .as_ref()
        .filter(|e| e.role == crate::endpoints::Role::Mail)?;
    crate::mail::select(r.port, None, e.starttls)
}

/// On a mail endpoint the client verdicts' advice speaks of mail clients.
fn mail_advice(r: &mut Record) {
    let Some(mail) = mail_service(r) else {
        return;
    };
    let port = r.port;
    for c in r.checks.iter_mut().filter(|c| c.check == clients::CHECK) {
        clients::for_mail(c, mail, port);
    }
}

/// The record of an address that took no connection: `no-route` when this machine has
/// no route to it (see [`promote_no_route`]), `unreachable` otherwise.
///
/// Behind a proxy that refused the tunnel nothing was probed: the cells say
/// `not probed: proxy 407`, and the one finding is the refusal's
/// (`proxy-auth-required`, `proxy-denied`, `proxy-redirect`), not `unreachable`.
fn unreachable(mut r: Record, failure: &ConnectFailure, probed: &[TlsVersion]) -> Record {
    let outcome = Outcome::Unreachable(failure.clone());
    let detail = match failure {
        ConnectFailure::ProxyRefused(refusal) => format!("not probed: {}", refusal.short()),
        _ => failure.to_string(),
    };
    for v in probed {
        r.cells[*v as usize] = Cell {
            state: outcome.state(),
            detail: detail.clone(),
            probe: None,
            proof: None,
        };
    }
    r.findings.push(match failure {
        ConnectFailure::ProxyRefused(refusal) => crate::findings::proxy_refusal(refusal),
        ConnectFailure::NoRoute => Finding {
            kind: FindingKind::NoRoute,
            detail: failure.to_string(),
        },
        ConnectFailure::Starttls(_) => Finding {
            kind: FindingKind::Starttls,
            detail: failure.to_string(),
        },
        _ => Finding {
            kind: FindingKind::Unreachable,
            detail: failure.to_string(),
        },
    });
    r.error = Some(match failure {
        ConnectFailure::ProxyRefused(refusal) => refusal.to_string(),
        _ => outcome.to_string(),
    });
    r.probe_count = 1;
    r
}

/// DESIGN.md: `no-route` is not a failure of the host unless **every** address of it
/// is no-route; then each becomes `unreachable`. Takes one host's records.
pub fn promote_no_route(records: &mut [Record]) {
    let all = !records.is_empty()
        && records
            .iter()
            .all(|r| r.findings.iter().any(|f| f.kind == FindingKind::NoRoute));
    if !all {
        return;
    }
    for r in records {
        for f in r
            .findings
            .iter_mut()
            .filter(|f| f.kind == FindingKind::NoRoute)
        {
            f.kind = FindingKind::Unreachable;
            f.detail = "no route to any address of the host from this machine".into();
        }
        for c in r.cells.iter_mut().filter(|c| c.state == CellState::NoRoute) {
            c.state = CellState::Unreachable;
        }
    }
}

/// Prefers a rustls handshake's chain (it is the one a real client validates and the
/// handshake proved the key), else the newest raw probe whose ServerKeyExchange
/// proved the key, else the newest raw chain at all. Returns the DER chain chosen, and
/// why its key is not proven (`None` when it is).
fn take_chain(r: &mut Record) -> (Vec<Vec<u8>>, Option<String>) {
    let mut chosen: Option<(Vec<Vec<u8>>, String, Option<String>)> = None;
    for m in r.modern.iter().chain(r.pinned.iter()) {
        // A handshake the service refused afterwards still proved the chain's key.
        if let Some(chain) = m.outcome.chain()
            && !chain.is_empty()
            && chosen.is_none()
        {
            let source = match m.pinned {
                Some(v) if v.is_legacy() => format!("legacy {}", v.key()),
                _ => "rustls".into(),
            };
            chosen = Some((chain.to_vec(), source, None));
        }
    }
    let raw: Vec<(TlsVersion, &crate::probe::outcome::Accepted)> = TlsVersion::ALL
        .into_iter()
        .rev()
        .filter_map(|v| match r.cell(v).probe.as_ref().map(|p| &p.outcome) {
            Some(Outcome::Accepted(a)) if !a.chain.is_empty() => Some((v, a)),
            _ => None,
        })
        .collect();
    if chosen.is_none() {
        let proven = raw
            .iter()
            .find(|(_, a)| matches!(a.proof, Proof::Verified(_)));
        chosen = match proven.or(raw.first()) {
            Some((v, a)) => {
                let unproven = match &a.proof {
                    Proof::Verified(_) => None,
                    p => Some(p.detail().to_string()),
                };
                Some((a.chain.clone(), v.key().to_string(), unproven))
            }
            None => None,
        };
    }
    let Some((der, source, unproven)) = chosen else {
        return (Vec::new(), None);
    };
    r.chain = der.iter().map(|c| summarize_or_placeholder(c)).collect();
    r.chain_source = Some(source);
    (der, unproven)
}

/// Records both trust verdicts. A chain whose key the server never proved to hold is
/// not trusted, whatever the chain itself (DESIGN.md): a replaying box shows a valid
/// chain it has no key for.
fn apply_trust(r: &mut Record, v: &TrustVerdict, key_unproven: Option<&String>) {
    let word = |res: &Result<(), crate::trust::TrustError>| match (res, key_unproven) {
        (Err(e), _) => (false, Some(e.to_string())),
        (Ok(()), Some(why)) => (
            false,
            Some(format!(
                "the chain verifies, but the server never proved it holds the leaf's key ({why})"
            )),
        ),
        (Ok(()), None) => (true, None),
    };
    let (ok, detail) = word(&v.public);
    r.trusted_public = Some(ok);
    r.trust_public_detail = detail;
    if let Some(local) = &v.local {
        let (ok, detail) = word(local);
        r.trusted_local = Some(ok);
        r.trust_local_detail = detail;
    }
}

/// The findings about the chain: certificate problems and interception.
fn chain_findings(r: &Record, verdict: Option<&TrustVerdict>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(v) = verdict
        && let Err(public) = &v.public
        && !matches!(v.local, Some(Ok(())))
    {
        // The chain verified to --ca-file (or the system store) and the certificate
        // failed there on its own terms (a name mismatch): that is the reason.
        let detail = match &v.local {
            Some(Err(local)) if local.reached_anchor() => local.to_string(),
            _ => public.to_string(),
        };
        out.push(Finding {
            kind: FindingKind::CertInvalid,
            detail,
        });
    }
    if r.intercepted == Some(true) {
        let evidence: Vec<String> = r
            .signals
            .iter()
            .map(|s| format!("{}: {}", s.kind.name(), s.detail))
            .collect();
        let note = policy_note(r.endpoint.as_deref());
        out.push(Finding {
            kind: FindingKind::Intercepted,
            detail: format!("{}; {note}", evidence.join("; ")),
        });
    }
    out
}
