//! A minimal TLS 1.0/1.1 client, as pure code: enough of the protocol to finish a
//! handshake at a legacy version and exchange a few application records, so that a
//! mail service's answer after the handshake can be read where rustls (which has no
//! TLS 1.0/1.1) cannot go. Exchange Online completes TLS 1.0/1.1 handshakes on
//! `smtp.office365.com:587` and only then refuses with `421 4.7.66`: without this,
//! "accepted at TLS 1.0" would be wrong there.
//!
//! Scope, deliberately tight: ECDHE key exchange (x25519 and P-256, the compact hello's groups; the server's
//! ServerKeyExchange signature is checked by `probe/proof.rs`) with RSA or ECDSA
//! certificates, AES-128/256-CBC with HMAC-SHA1 records — the four suites
//! [`SUITES`] that Windows-era servers, Exchange Online among them, accept at TLS
//! 1.0/1.1. No static RSA, no DHE, no 3DES, no renegotiation, no resumption, no
//! client certificate (an empty one is sent when asked). Anything else is refused as
//! "incompatible" by the caller, never guessed.
//!
//! - [`prf`]: the TLS 1.0/1.1 PRF (P_MD5 ⊕ P_SHA1), master secret, key block,
//!   Finished values;
//! - [`record`]: record framing, and CBC + HMAC-SHA1 record protection with TLS 1.0's
//!   chained IV or TLS 1.1's explicit one;
//! - [`handshake`]: the handshake transcript of the server's first flight and the
//!   client's second flight.
//!
//! Everything that reads server bytes is bounded and total: no input can panic it.
//! The async edge is `probe/legacy.rs`.

pub mod handshake;
pub mod prf;
pub mod record;

use super::enums::CipherSuite as CS;

/// The suites the legacy client can finish, in the order it offers them.
pub const SUITES: [CS; 4] = [
    CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
];

/// The AES key length of one of [`SUITES`], `None` for any other suite.
pub fn key_len(suite: CS) -> Option<usize> {
    match suite {
        CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA | CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA => {
            Some(32)
        }
        CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA | CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA => {
            Some(16)
        }
        _ => None,
    }
}
