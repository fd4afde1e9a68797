//! Target `proof`: proof of acceptance (`probe::proof::judge_claim`), which parses the
//! ServerKeyExchange of a flight and verifies its signature against the leaf's key.
//! Input: one byte choosing the offered version, then the server's flight.
//!
//! Oracle (soundness): a mutated flight is `Verified` only if its server random and
//! ServerKeyExchange are exactly those of a captured flight that verified — nothing a
//! mutation produces may pass for a server's signature. The captured flights were
//! answers to a hello with client random `[7; 32]` (see `tests/fuzz_seeds.rs`), so the
//! ECDHE ones verify unmutated; the harness checks that some do.

use std::sync::OnceLock;

use tlscompat::probe::proof::{Offer, Proof, judge_claim};
use tlscompat::version::TlsVersion;
use tlscompat::wire::enums::ProtocolVersion;
use tlscompat::wire::hello::HelloVariant;
use tlscompat::wire::reply::{Progress, Reply, parse_reply};

/// The signed parts of a verified flight.
pub type Signed = ([u8; 32], Option<Vec<u8>>);

pub fn run(data: &[u8]) {
    let [version, flight @ ..] = data else {
        return;
    };
    let offered = ProtocolVersion(0x0301 + u16::from(version & 3));
    if let Err(e) = check(flight, offered, genuine()) {
        super::oracle::fail("proof", e);
    }
}

/// Every stored flight that verifies under any offered version (a mutation can turn
/// one seed into another, judged against another seed's offer).
pub fn genuine() -> &'static [Signed] {
    static GENUINE: OnceLock<Vec<Signed>> = OnceLock::new();
    GENUINE.get_or_init(|| {
        let mut out = Vec::new();
        let dir = super::oracle::flight_seed_dir();
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        for p in paths {
            let Ok(bytes) = std::fs::read(&p) else { continue };
            for v in TlsVersion::ALL {
                out.extend(verified(&bytes, v.wire()));
            }
        }
        assert!(out.len() >= 3, "captured ECDHE flights verify: {}", out.len());
        out
    })
}

/// Judges the flight's claim; `Some(signed)` when it is verified.
pub fn verified(flight: &[u8], offered: ProtocolVersion) -> Option<Signed> {
    let Progress::Done(Reply::Hello(h)) = parse_reply(flight, offered, true) else {
        return None;
    };
    let version = TlsVersion::ALL
        .iter()
        .copied()
        .find(|v| v.wire() == offered)?;
    if h.version != offered {
        return None;
    }
    let offer = Offer::for_probe(version, HelloVariant::Full, [7; 32]);
    match judge_claim(&h, &offer) {
        Proof::Verified(_) => Some((h.random, h.key_exchange.clone())),
        _ => None,
    }
}

pub fn check(flight: &[u8], offered: ProtocolVersion, genuine: &[Signed]) -> Result<(), String> {
    match verified(flight, offered) {
        Some(signed) if !genuine.contains(&signed) => Err(format!(
            "a mutated flight verified: random {:02x?}, key exchange {:02x?}",
            signed.0, signed.1
        )),
        _ => Ok(()),
    }
}
