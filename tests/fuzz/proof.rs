//! Target: proof of acceptance (`probe::proof::judge_claim`), which parses the
//! ServerKeyExchange of a flight and verifies its signature against the leaf's key.
//!
//! Oracle (soundness): a mutated flight is `Verified` only if its server random and
//! ServerKeyExchange are exactly those of a captured flight that verified — nothing a
//! mutation produces may pass for a server's signature. The captured flights were
//! answers to a hello with client random `[7; 32]` (see `tests/fuzz_seeds.rs`), so the
//! ECDHE ones verify unmutated; the harness checks that some do.

use tlscompat::probe::proof::{Offer, Proof, judge_claim};
use tlscompat::version::TlsVersion;
use tlscompat::wire::enums::ProtocolVersion;
use tlscompat::wire::hello::HelloVariant;
use tlscompat::wire::reply::{Progress, Reply, parse_reply};

/// The signed parts of a verified flight.
pub type Signed = ([u8; 32], Option<Vec<u8>>);

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
