//! The rustls crypto provider, chosen in one place.
//!
//! `ring` by default, chosen by measurement on the work that dominates a Microsoft 365
//! scan (`benches/chain.rs`, figures in the README's Performance section): handshakes
//! run at the same rate with both; aws-lc-rs verifies a P-384-issued chain 3.8× faster,
//! but the trust memo (`trust/cache.rs`) verifies each distinct chain once per scan,
//! so that saving is ≈ 0.6 ms a chain a run, while ring builds faster and was faster
//! end to end. Build with `--features aws-lc-rs` to use aws-lc-rs instead.
//!
//! # Signature checks: which stack does what
//!
//! `probe::proof` verifies ServerKeyExchange signatures itself (rustls never sees the
//! raw probes): two per address that accepts TLS 1.0 and 1.1, one more at TLS 1.2, so
//! they were most of a scan's own CPU (issue 18: 61 % of the scanner's instructions on
//! 300 nginx names, RustCrypto `p256` 34 % and `rsa` 19 % of them). Each check goes to
//! the fastest stack that makes it, measured single-threaded (min of 7 × 100–200
//! calls, shared 2-core machine; `cargo bench --bench signatures`):
//!
//! | check | ring | aws-lc-rs | RustCrypto | crypto-bigint (ours) | used |
//! |---|---|---|---|---|---|
//! | ECDSA P-256 SHA-256 (TLS 1.2) | 53 µs | 70 µs | 274 µs | | ring |
//! | ECDSA P-256 SHA-1 (TLS 1.0/1.1) | — | 59 µs | 385 µs (`p256` 0.13), 289 µs (0.14, precomputed tables) | | aws-lc-rs |
//! | ECDSA P-384 SHA-1, P-256/384 SHA-512 | — | yes (P-384 SHA-1 as a zero-padded SHA-256 digest) | yes | | aws-lc-rs |
//! | RSA-2048 PKCS#1 SHA-256 (TLS 1.2) | 21–25 µs | | 217 µs | | ring |
//! | RSA-2048 PKCS#1 MD5+SHA-1, no DigestInfo (TLS 1.0/1.1) | — | — | 195–264 µs (`rsa`) | 37 µs | crypto-bigint |
//! | RSA PKCS#1 under 2048 or over 8192 bits | — | | yes | yes | crypto-bigint |
//! | RSA-PSS, Ed25519 | yes | | | | ring |
//!
//! ring stays first (it is rustls' provider here and the fastest where it has the
//! pair); aws-lc-rs takes the ECDSA pairs ring lacks; RSA PKCS#1 outside ring is the
//! RFC 8017 encoding check over crypto-bigint's fixed-size Montgomery arithmetic
//! (`rsa_public`; the `rsa` crate's generic modpow was 5× slower). RustCrypto `p256`,
//! `p384` and `rsa` remain only as independent signers in the tests. Every RSA key is
//! bounded before any arithmetic: over 16,384 bits or with an exponent over 2^32 it is
//! not computed on (`unproven`).

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
