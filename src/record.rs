//! Aggregation: one [`Record`] per (host, port, address) from the raw probe data,
//! with per-version cells, the certificate seen, and findings.

use std::sync::Arc;

use crate::cert::{CertSummary, summarize};
use crate::endpoints::Endpoint;
use crate::findings::{Finding, FindingKind};
use crate::intercept::{Evidence, Signal, is_intercepted, policy_note, signals};
use crate::probe::modern::{ModernHandshake, ModernOutcome};
use crate::probe::outcome::{CellState, Outcome, VersionProbe};
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

/// One version's cell.
#[derive(Clone, Debug)]
pub struct Cell {
    pub state: CellState,
    /// The reason for anything but a plain acceptance ("alert protocol_version (70)").
    pub detail: String,
    pub probe: Option<VersionProbe>,
}

impl Cell {
    fn skipped() -> Self {
        Self {
            state: CellState::Skipped,
            detail: String::new(),
            probe: None,
        }
    }
}

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
    /// Why the record has no (or incomplete) probe results.
    pub error: Option<String>,
    /// Probes run for this record (connections attempted, retries not counted).
    pub probe_count: u64,
    /// Position of the record's target in the full target list (before `--shard`), so
    /// that `tlscompat merge` can restore the order of an unsharded scan.
    pub target_index: usize,
}

impl Record {
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
        let all_rejected =
            !legacy.is_empty() && legacy.iter().all(|c| c.state == CellState::Rejected);
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
        let outcome = Outcome::Unreachable(failure.clone());
        for v in input.probed {
            r.cells[*v as usize] = Cell {
                state: outcome.state(),
                detail: failure.to_string(),
                probe: None,
            };
        }
        r.findings.push(Finding {
            kind: FindingKind::Unreachable,
            detail: failure.to_string(),
        });
        r.error = Some(outcome.to_string());
        r.probe_count = 1;
        return r;
    }
    r.probe_count = scan.probes.len() as u64 + u64::from(scan.modern.is_some());
    for (v, probe) in scan.probes {
        let detail = match &probe.outcome {
            Outcome::Accepted(a) if a.retry_request => "HelloRetryRequest".to_string(),
            Outcome::Accepted(_) => String::new(),
            Outcome::Rejected(why) => why.to_string(),
            other => other.to_string(),
        };
        r.cells[v as usize] = Cell {
            state: probe.outcome.state(),
            detail,
            probe: Some(probe),
        };
    }
    r.best_version = TlsVersion::ALL
        .into_iter()
        .rev()
        .find(|v| r.cell(*v).state == CellState::Accepted);
    r.cipher = r
        .best_version
        .and_then(|v| match &r.cell(v).probe.as_ref()?.outcome {
            Outcome::Accepted(a) => Some(a.cipher),
            _ => None,
        });
    r.modern = scan.modern;
    let der = take_chain(&mut r);
    let verdict = (!der.is_empty()).then(|| input.trust.verify(&der, &r.chain, &scan.host));
    if let Some(v) = &verdict {
        r.trusted_public = Some(v.public.is_ok());
        r.trust_public_detail = v.public.as_ref().err().map(|e| e.to_string());
        r.trusted_local = v.local.as_ref().map(|l| l.is_ok());
        r.trust_local_detail = v
            .local
            .as_ref()
            .and_then(|l| l.as_ref().err())
            .map(|e| e.to_string());
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
    r.findings = findings(&r, verdict.as_ref());
    r
}

/// Prefers the rustls handshake's chain (it is the one a real client validates), else
/// the newest raw probe that carried one. Returns the DER chain chosen.
fn take_chain(r: &mut Record) -> Vec<Vec<u8>> {
    let mut chosen: Option<(Vec<Vec<u8>>, String)> = None;
    if let Some(ModernHandshake {
        outcome: ModernOutcome::Completed { chain, .. },
        ..
    }) = &r.modern
        && !chain.is_empty()
    {
        chosen = Some((chain.clone(), "rustls".into()));
    }
    for v in TlsVersion::ALL.into_iter().rev() {
        if chosen.is_some() {
            break;
        }
        if let Some(Outcome::Accepted(a)) = r.cell(v).probe.as_ref().map(|p| &p.outcome)
            && !a.chain.is_empty()
        {
            chosen = Some((a.chain.clone(), v.key().to_string()));
        }
    }
    let Some((der, source)) = chosen else {
        return Vec::new();
    };
    r.chain = der.iter().filter_map(|c| summarize(c).ok()).collect();
    r.chain_source = Some(source);
    der
}

fn findings(r: &Record, verdict: Option<&TrustVerdict>) -> Vec<Finding> {
    let mut out = Vec::new();
    let modern_probed: Vec<TlsVersion> = [TlsVersion::Tls12, TlsVersion::Tls13]
        .into_iter()
        .filter(|v| r.cell(*v).state != CellState::Skipped)
        .collect();
    if !modern_probed.is_empty()
        && modern_probed
            .iter()
            .all(|v| r.cell(*v).state != CellState::Accepted)
    {
        let why: Vec<String> = modern_probed
            .iter()
            .map(|v| format!("{v}: {}", r.cell(*v).detail))
            .collect();
        out.push(Finding {
            kind: FindingKind::NoModernTls,
            detail: why.join("; "),
        });
    }
    let legacy: Vec<String> = TlsVersion::ALL
        .into_iter()
        .filter(|v| v.is_legacy() && r.cell(*v).state == CellState::Accepted)
        .map(|v| v.to_string())
        .collect();
    if !legacy.is_empty() {
        out.push(Finding {
            kind: FindingKind::LegacyAccepted,
            detail: legacy.join(", "),
        });
    }
    if let Some(v) = verdict
        && let Err(public) = &v.public
        && !matches!(v.local, Some(Ok(())))
    {
        out.push(Finding {
            kind: FindingKind::CertInvalid,
            detail: public.to_string(),
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
