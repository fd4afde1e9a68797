//! The rustls crypto provider, chosen in one place.
//!
//! `ring` by default, chosen by measurement on the work that dominates a Microsoft 365
//! scan (`benches/chain.rs`, figures in the README's Performance section): handshakes
//! run at the same rate with both; aws-lc-rs verifies a P-384-issued chain 3.8× faster,
//! but the trust memo (`trust/cache.rs`) verifies each distinct chain once per scan,
//! so that saving is ≈ 0.6 ms a chain a run, while ring builds faster and was faster
//! end to end. Build with `--features aws-lc-rs` to use aws-lc-rs instead.
//!
//! # Signature checks: which stack does what, and why both stay
//!
//! `probe::proof` verifies ServerKeyExchange signatures itself (rustls never sees the
//! raw probes). Two stacks sit side by side, each only where the other cannot serve;
//! measured with `cargo bench --bench signatures` (on a shared 2-core machine, load
//! 3-5, so read the ratios rather than the absolute figures):
//!
//! | check | ring | RustCrypto | used |
//! |---|---|---|---|
//! | RSA-2048 PKCS#1 SHA-256 (TLS 1.2) | 21-25 µs | 217 µs (`rsa`; 221 µs with the old `num-bigint` code) | ring |
//! | RSA-4096 PKCS#1 SHA-256 | 79-92 µs | 682 µs | ring |
//! | RSA PKCS#1 MD5+SHA-1, no DigestInfo (TLS 1.0/1.1) | — | 185 µs | `rsa` |
//! | RSA PKCS#1 under 2048 or over 8192 bits | — | yes | `rsa` |
//! | ECDSA P-256/P-384 with SHA-256/384 | 56-64 µs (with the certificate parse) | 274-335 µs | ring |
//! | ECDSA over a SHA-1 or SHA-512 prehash (TLS 1.0/1.1, ecdsa_sha1) | — | yes | `p256`, `p384` |
//! | RSA-PSS, Ed25519 | yes | | ring |
//!
//! So ring stays for speed (and because it is rustls' provider and the randomness of
//! report temp files anyway), RustCrypto `rsa`, `p256` and `p384` stay for what ring
//! does not offer, and `md-5` for the TLS 1.0/1.1 hash. `num-bigint` (a hand-written
//! PKCS#1 check) is gone. Every RSA key is bounded before any arithmetic: over
//! 16,384 bits or with an exponent over 2^32 it is not computed on (`unproven`).

use rustls::crypto::CryptoProvider;

pub fn provider() -> CryptoProvider {
    #[cfg(feature = "aws-lc-rs")]
    {
        rustls::crypto::aws_lc_rs::default_provider()
    }
    #[cfg(not(feature = "aws-lc-rs"))]
    {
        rustls::crypto::ring::default_provider()
    }
}
