//! Aggregation: one [`Record`] per (host, port, address) from the raw probe data,
//! with per-version cells, the certificate seen, and findings.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::cert::{CertSummary, summarize};
use crate::findings::{Finding, FindingKind, name_matches};
use crate::probe::modern::{ModernHandshake, ModernOutcome};
use crate::probe::outcome::{CellState, Outcome, VersionProbe};
use crate::scan::AddressScan;
use crate::target::Host;
use crate::version::TlsVersion;
use crate::wire::enums::CipherSuite;

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
    pub trust_detail: Option<String>,
    pub findings: Vec<Finding>,
    /// Why the record has no (or incomplete) probe results.
    pub error: Option<String>,
    /// Probes run for this record (connections attempted, retries not counted).
    pub probe_count: u64,
}

impl Record {
    pub fn cell(&self, v: TlsVersion) -> &Cell {
        &self.cells[v as usize]
    }

    /// True when every legacy version probed was rejected; `None` when a legacy cell
    /// has no definite answer (timeout, error, unreachable) or none was probed.
    pub fn legacy_rejected(&self) -> Option<bool> {
        let legacy: Vec<&Cell> = [TlsVersion::Tls10, TlsVersion::Tls11]
            .into_iter()
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

    fn empty(host: &Host, port: u16, address: String) -> Self {
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
            trust_detail: None,
            findings: Vec::new(),
            error: None,
            probe_count: 0,
        }
    }
}

/// Folds one address's probes into its record.
pub fn aggregate(scan: AddressScan, probed: &[TlsVersion]) -> Record {
    let mut r = Record::empty(&scan.host, scan.port, scan.addr.ip().to_string());
    if let Some(failure) = &scan.unreachable {
        for v in probed {
            r.cells[*v as usize] = Cell {
                state: CellState::Unreachable,
                detail: failure.to_string(),
                probe: None,
            };
        }
        r.findings.push(Finding {
            kind: FindingKind::Unreachable,
            detail: failure.to_string(),
        });
        r.error = Some(format!("unreachable: {failure}"));
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
    take_chain(&mut r);
    r.findings = findings(&r, &scan.host);
    r
}

/// Prefers the rustls handshake's chain (it is the one a real client validates), else
/// the newest raw probe that carried one.
fn take_chain(r: &mut Record) {
    if let Some(ModernHandshake {
        outcome:
            ModernOutcome::Completed {
                chain,
                verification,
                ..
            },
        ..
    }) = &r.modern
        && !chain.is_empty()
    {
        r.chain = chain.iter().filter_map(|c| summarize(c).ok()).collect();
        r.chain_source = Some("rustls".into());
        r.trusted_public = Some(verification.is_ok());
        r.trust_detail = verification.clone().err();
        return;
    }
    for v in TlsVersion::ALL.into_iter().rev() {
        if let Some(Outcome::Accepted(a)) = r.cell(v).probe.as_ref().map(|p| &p.outcome)
            && !a.chain.is_empty()
        {
            r.chain = a.chain.iter().filter_map(|c| summarize(c).ok()).collect();
            r.chain_source = Some(v.key().to_string());
            return;
        }
    }
}

fn findings(r: &Record, host: &Host) -> Vec<Finding> {
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
    let legacy: Vec<String> = [TlsVersion::Tls10, TlsVersion::Tls11]
        .into_iter()
        .filter(|v| r.cell(*v).state == CellState::Accepted)
        .map(|v| v.to_string())
        .collect();
    if !legacy.is_empty() {
        out.push(Finding {
            kind: FindingKind::LegacyAccepted,
            detail: legacy.join(", "),
        });
    }
    if let Some(leaf) = r.chain.first() {
        out.extend(cert_problems(leaf, host).into_iter().map(|detail| Finding {
            kind: FindingKind::CertInvalid,
            detail,
        }));
    }
    out
}

/// Expiry and name checks on the leaf; chain trust is reported separately.
fn cert_problems(leaf: &CertSummary, host: &Host) -> Vec<String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut out = Vec::new();
    if now > leaf.not_after_unix {
        out.push(format!("expired {}", leaf.not_after));
    }
    if now < leaf.not_before_unix {
        out.push(format!("not valid before {}", leaf.not_before));
    }
    let covered = match host {
        Host::Name(n) => leaf
            .sans
            .iter()
            .filter_map(|s| s.strip_prefix("DNS:"))
            .any(|p| name_matches(p, n)),
        Host::Ip(ip) => leaf
            .sans
            .iter()
            .any(|s| s.strip_prefix("IP:") == Some(ip.to_string().as_str())),
    };
    if !covered {
        out.push(format!(
            "name mismatch: {host} not in [{}]",
            leaf.sans.join(", ")
        ));
    }
    out
}
