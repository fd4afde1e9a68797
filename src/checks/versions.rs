//! The version check: which TLS versions an address accepts, and how it refuses the
//! others. Its probes are the raw version probes (`probe/raw.rs`, one per version in
//! the range, with the retry rules) and the rustls handshakes (`probe/modern.rs`: one
//! offering every modern version, plus one pinned to a version whose raw claim is not
//! proven). [`judge`] folds them into one [`Cell`] per version by DESIGN.md's "Proof of
//! acceptance"; [`findings`] turns the cells into `no-modern-tls`, `legacy-accepted`
//! and `handshake-failed`. Every record carries this check's result (DESIGN.md's fixed
//! columns); the optional checks (`ciphers`, `clients`) build on it through [`super::Prior`].

use crate::findings::{Finding, FindingKind};
use crate::probe::modern::{ModernHandshake, ModernOutcome};
use crate::probe::outcome::{CellState, Outcome, ServiceAnswer, VersionProbe};
use crate::probe::proof::Proof;
use crate::version::TlsVersion;
use crate::wire::enums::CipherSuite;

/// One version's cell.
#[derive(Clone, Debug)]
pub struct Cell {
    pub state: CellState,
    /// The reason for anything but a plain acceptance ("alert protocol_version (70)").
    pub detail: String,
    pub probe: Option<VersionProbe>,
    /// For a claimed version: how far the acceptance is proven, by the raw probe's
    /// ServerKeyExchange check or a rustls handshake (see `probe/proof.rs`).
    pub proof: Option<Proof>,
}

impl Cell {
    pub fn skipped() -> Self {
        Self {
            state: CellState::Skipped,
            detail: String::new(),
            probe: None,
            proof: None,
        }
    }
}

/// The version check's result at one address.
#[derive(Clone, Debug)]
pub struct VersionsResult {
    /// Indexed by `TlsVersion as usize`; `skipped` outside the probed range.
    pub cells: [Cell; 4],
    pub best_version: Option<TlsVersion>,
    /// The suite chosen at the best version.
    pub cipher: Option<CipherSuite>,
}

/// Folds the raw probes and the rustls handshakes into cells.
pub fn judge(
    probes: Vec<(TlsVersion, VersionProbe)>,
    combined: Option<&ModernHandshake>,
    pinned: &[ModernHandshake],
) -> VersionsResult {
    let mut cells = [
        Cell::skipped(),
        Cell::skipped(),
        Cell::skipped(),
        Cell::skipped(),
    ];
    for (v, probe) in probes {
        cells[v as usize] = cell(v, probe, combined, pinned);
    }
    // A version the modern handshake completed at, whose raw probe was therefore not
    // sent (`scan.rs`, `Tls13Raw`): accepted, proven by that handshake.
    for v in TlsVersion::ALL {
        if cells[v as usize].state == CellState::Skipped
            && let Some(m) = combined.filter(|m| completed_at(m, v))
        {
            cells[v as usize] = Cell {
                state: CellState::Accepted,
                detail: String::new(),
                probe: None,
                proof: Some(Proof::Verified(proven_by(m))),
            };
        }
    }
    let best_version = TlsVersion::ALL
        .into_iter()
        .rev()
        .find(|v| cells[*v as usize].state == CellState::Accepted);
    let cipher =
        best_version.and_then(|v| negotiated_cipher(&cells[v as usize], v, combined, pinned));
    VersionsResult {
        cells,
        best_version,
        cipher,
    }
}

/// The suite of a version: the raw probe's (the server's choice from a broad offer)
/// when it was accepted there, else the rustls handshake's.
fn negotiated_cipher(
    cell: &Cell,
    v: TlsVersion,
    combined: Option<&ModernHandshake>,
    pinned: &[ModernHandshake],
) -> Option<CipherSuite> {
    if let Some(Outcome::Accepted(a)) = cell.probe.as_ref().map(|p| &p.outcome)
        && !matches!(a.proof, Proof::Failed(_))
    {
        return Some(a.cipher);
    }
    combined
        .into_iter()
        .chain(pinned)
        .find_map(|m| match &m.outcome {
            ModernOutcome::Completed {
                version, cipher, ..
            } if *version == v.wire() => Some(*cipher),
            _ => None,
        })
}

/// The findings the cells imply.
pub fn findings(cells: &[Cell; 4]) -> Vec<Finding> {
    let cell = |v: TlsVersion| &cells[v as usize];
    let mut out = Vec::new();
    let modern: Vec<TlsVersion> = [TlsVersion::Tls12, TlsVersion::Tls13]
        .into_iter()
        .filter(|v| cell(*v).state != CellState::Skipped)
        .collect();
    if !modern.is_empty() && modern.iter().all(|v| cell(*v).state != CellState::Accepted) {
        let why: Vec<String> = modern
            .iter()
            .map(|v| format!("{v}: {}", cell(*v).detail))
            .collect();
        out.push(Finding {
            kind: FindingKind::NoModernTls,
            detail: why.join("; "),
        });
    }
    let legacy: Vec<String> = TlsVersion::ALL
        .into_iter()
        .filter(|v| v.is_legacy() && cell(*v).state == CellState::Accepted)
        .map(|v| v.to_string())
        .collect();
    if !legacy.is_empty() {
        out.push(Finding {
            kind: FindingKind::LegacyAccepted,
            detail: legacy.join(", "),
        });
    }
    let failed: Vec<String> = TlsVersion::ALL
        .into_iter()
        .filter_map(|v| match &cell(v).proof {
            Some(Proof::Failed(why)) => Some(format!("{v}: {why}")),
            _ => None,
        })
        .collect();
    if !failed.is_empty() {
        out.push(Finding {
            kind: FindingKind::HandshakeFailed,
            detail: failed.join("; "),
        });
    }
    out
}

/// One version's cell from its raw probe and the full handshakes (DESIGN.md "Proof
/// of acceptance"): a completed handshake at the version outranks any raw answer (kept
/// as the detail); a raw claim stands only as far as it is proven, and a claim that
/// is disproven (inconsistent, a bad signature, a rustls handshake at that version that
/// the server broke) is an `error` with the reason. On a mail target a handshake that
/// completed and was then turned away by the service (DESIGN.md "Mail endpoints") makes
/// the cell `refused` (or `timeout` / `error` when the service said nothing usable):
/// never accepted, whatever the handshake.
fn cell(
    v: TlsVersion,
    probe: VersionProbe,
    combined: Option<&ModernHandshake>,
    pinned: &[ModernHandshake],
) -> Cell {
    let all = || combined.into_iter().chain(pinned.iter());
    let completed = all().find(|m| completed_at(m, v));
    if completed.is_none()
        && let Some(m) = all().find(|m| m.outcome.reached() == Some(v.wire()))
        && let ModernOutcome::Refused { answer, .. } = &m.outcome
    {
        let state = match answer {
            ServiceAnswer::Refused(_) => CellState::Refused,
            ServiceAnswer::Timeout => CellState::Timeout,
            ServiceAnswer::Accepted(_) | ServiceAnswer::Error(_) => CellState::Error,
        };
        return Cell {
            state,
            detail: answer.to_string(),
            probe: Some(probe),
            proof: None,
        };
    }
    let raw_detail = match &probe.outcome {
        Outcome::Accepted(a) if a.retry_request => "HelloRetryRequest".to_string(),
        Outcome::Accepted(_) => String::new(),
        Outcome::Rejected(why) => why.to_string(),
        other => other.to_string(),
    };
    if let Some(m) = completed {
        let raw_proof = match &probe.outcome {
            Outcome::Accepted(a) => Some(&a.proof),
            _ => None,
        };
        let detail = match (&probe.outcome, raw_proof) {
            (Outcome::Accepted(_), Some(Proof::Failed(why))) => format!("raw probe: {why}"),
            (Outcome::Accepted(_), _) => raw_detail,
            _ => format!("raw probe: {}", probe.outcome),
        };
        return Cell {
            state: CellState::Accepted,
            detail,
            probe: Some(probe),
            proof: Some(Proof::Verified(proven_by(m))),
        };
    }
    let Outcome::Accepted(a) = &probe.outcome else {
        return Cell {
            state: probe.outcome.state(),
            detail: raw_detail,
            probe: Some(probe),
            proof: None,
        };
    };
    let proof = match &a.proof {
        Proof::Unproven(why) => match pinned.iter().find(|m| m.pinned == Some(v)) {
            Some(ModernHandshake {
                outcome: ModernOutcome::Failed(e),
                ..
            }) => Proof::Failed(format!(
                "ServerHello claimed {v}, but a rustls handshake offering only {v} failed: {e}"
            )),
            Some(m) => Proof::Unproven(format!("{why}; rustls handshake: {}", m.outcome)),
            None => Proof::Unproven(why.clone()),
        },
        other => other.clone(),
    };
    // A proven claim still got a handshake pinned to it on a mail target, to hear the
    // service: say when that did not get through.
    let unheard = match (&a.proof, pinned.iter().find(|m| m.pinned == Some(v))) {
        (Proof::Verified(_), Some(m)) => Some(format!(
            "the service's answer after the handshake was not read ({})",
            m.outcome
        )),
        _ => None,
    };
    let (state, detail) = match (&proof, unheard) {
        (Proof::Failed(why), _) => (CellState::Error, format!("claimed, not proven: {why}")),
        (_, Some(note)) if raw_detail.is_empty() => (CellState::Accepted, note),
        (_, Some(note)) => (CellState::Accepted, format!("{raw_detail}; {note}")),
        (_, None) => (CellState::Accepted, raw_detail),
    };
    Cell {
        state,
        detail,
        probe: Some(probe),
        proof: Some(proof),
    }
}

/// The proof a completed handshake gives, in words.
fn proven_by(m: &ModernHandshake) -> String {
    let mut how = match m.pinned {
        Some(p) if p.is_legacy() => format!("{p} handshake completed (tlscompat's legacy client)"),
        Some(_) => "rustls handshake completed (offering this version alone)".into(),
        None => "rustls handshake completed".into(),
    };
    if let ModernOutcome::Completed {
        service: Some(reply),
        ..
    } = &m.outcome
    {
        how.push_str(&format!("; the service answered \"{reply}\""));
    }
    how
}

fn completed_at(m: &ModernHandshake, v: TlsVersion) -> bool {
    matches!(&m.outcome, ModernOutcome::Completed { version, .. } if *version == v.wire())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::outcome::{Accepted, Rejection, Timing, Try};
    use crate::probe::proof::Proof;
    use crate::wire::enums::{AlertDescription, CipherSuite as CS, ProtocolVersion};
    use crate::wire::hello::HelloVariant;

    fn raw(outcome: Outcome) -> VersionProbe {
        VersionProbe {
            tries: vec![Try {
                variant: HelloVariant::Full,
                outcome: outcome.clone(),
            }],
            outcome,
            variant: HelloVariant::Full,
            attempts: 1,
            timing: Timing::default(),
        }
    }

    fn claim(v: TlsVersion, proof: Proof) -> Outcome {
        Outcome::Accepted(Accepted {
            version: v.wire(),
            cipher: CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            retry_request: false,
            chain: Vec::new(),
            downgrade_sentinel: false,
            proof,
        })
    }

    fn rustls(outcome: ModernOutcome, pinned: Option<TlsVersion>) -> ModernHandshake {
        ModernHandshake {
            outcome,
            timing: Timing::default(),
            pinned,
        }
    }

    /// The modern handshake, completed at TLS 1.3.
    fn completed_tls13() -> ModernHandshake {
        rustls(
            ModernOutcome::Completed {
                version: ProtocolVersion::TLS13,
                cipher: CS::TLS13_AES_128_GCM_SHA256,
                chain: Vec::new(),
                service: None,
            },
            None,
        )
    }

    #[test]
    fn a_completed_handshake_outranks_a_raw_refusal() {
        let refused = Outcome::Rejected(Rejection::Alert(AlertDescription::HANDSHAKE_FAILURE));
        let done = completed_tls13();
        let r = judge(vec![(TlsVersion::Tls13, raw(refused))], Some(&done), &[]);
        let c = &r.cells[TlsVersion::Tls13 as usize];
        assert_eq!(c.state, CellState::Accepted);
        assert!(
            c.detail
                .starts_with("raw probe: rejected: alert handshake_failure")
        );
        assert_eq!(r.cipher, Some(CS::TLS13_AES_128_GCM_SHA256));
        assert!(findings(&r.cells).is_empty());
    }

    #[test]
    fn a_version_the_modern_handshake_completed_needs_no_raw_probe() {
        let done = completed_tls13();
        let tls12 = claim(TlsVersion::Tls12, Proof::Verified("signature".into()));
        let r = judge(vec![(TlsVersion::Tls12, raw(tls12))], Some(&done), &[]);
        let c = &r.cells[TlsVersion::Tls13 as usize];
        assert_eq!(c.state, CellState::Accepted);
        assert!(c.probe.is_none());
        assert_eq!(
            c.proof,
            Some(Proof::Verified("rustls handshake completed".into()))
        );
        assert_eq!(r.best_version, Some(TlsVersion::Tls13));
        assert_eq!(r.cipher, Some(CS::TLS13_AES_128_GCM_SHA256));
        // A version nobody probed and no handshake reached stays outside the range.
        assert_eq!(
            r.cells[TlsVersion::Tls10 as usize].state,
            CellState::Skipped
        );
        // A handshake that did not complete proves nothing: no cell from it.
        let failed = rustls(ModernOutcome::Failed("peer misbehaved".into()), None);
        let r = judge(Vec::new(), Some(&failed), &[]);
        assert_eq!(
            r.cells[TlsVersion::Tls13 as usize].state,
            CellState::Skipped
        );
    }

    #[test]
    fn a_claim_a_pinned_handshake_breaks_is_an_error_and_a_finding() {
        let unproven = claim(TlsVersion::Tls12, Proof::Unproven("static RSA".into()));
        let broke = rustls(
            ModernOutcome::Failed("peer misbehaved".into()),
            Some(TlsVersion::Tls12),
        );
        let r = judge(
            vec![(TlsVersion::Tls12, raw(unproven.clone()))],
            None,
            &[broke],
        );
        let c = &r.cells[TlsVersion::Tls12 as usize];
        assert_eq!(c.state, CellState::Error);
        assert!(matches!(c.proof, Some(Proof::Failed(_))));
        let kinds: Vec<FindingKind> = findings(&r.cells).iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [FindingKind::NoModernTls, FindingKind::HandshakeFailed]
        );
        // Incompatibility (rustls lacks the suite or group) leaves it accepted, unproven.
        let lacks = rustls(
            ModernOutcome::Incompatible("no common group".into()),
            Some(TlsVersion::Tls12),
        );
        let r = judge(vec![(TlsVersion::Tls12, raw(unproven))], None, &[lacks]);
        let c = &r.cells[TlsVersion::Tls12 as usize];
        assert_eq!(c.state, CellState::Accepted);
        assert!(matches!(c.proof, Some(Proof::Unproven(_))));
        assert!(findings(&r.cells).is_empty());
    }

    #[test]
    fn legacy_acceptance_is_reported() {
        let verified = claim(TlsVersion::Tls10, Proof::Verified("signature".into()));
        let r = judge(vec![(TlsVersion::Tls10, raw(verified))], None, &[]);
        assert_eq!(r.best_version, Some(TlsVersion::Tls10));
        let kinds: Vec<FindingKind> = findings(&r.cells).iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [FindingKind::LegacyAccepted]);
    }
}
