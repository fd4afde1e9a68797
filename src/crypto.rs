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
//! the fastest stack that makes it, measured single-threaded with `cargo bench --bench
//! signatures` (criterion, median of 30 samples; certificate parse and key set-up
//! included in `verify`'s figures). Where a cell has two figures, the first is the
//! quiet-machine run of issue 18 and the second ("busy") the run after the hand-written
//! RSA was replaced (issue 19), made while a fuzzing campaign held one of the two cores:
//! every figure about 2× the quiet one, so compare within a run:
//!
//! | check | ring | aws-lc-rs | RustCrypto | used |
//! |---|---|---|---|---|
//! | ECDSA P-256 SHA-256 (TLS 1.2) | 53 µs; 118 µs busy | 70 µs | 274 µs; 762 µs busy (`p256`) | ring |
//! | ECDSA P-256 SHA-1 (TLS 1.0/1.1) | — | 59 µs; 109 µs busy | 385 µs (`p256` 0.13); 458 µs busy; 289 µs (0.14, precomputed tables) | aws-lc-rs |
//! | ECDSA P-384 SHA-1, P-256/384 SHA-512 | — | yes (P-384 SHA-1 as a zero-padded SHA-256 digest) | yes | aws-lc-rs |
//! | RSA-2048 PKCS#1 SHA-256 (TLS 1.2) | 21–25 µs; 60 µs busy (46 µs on a parsed key) | | 217 µs | ring |
//! | RSA-4096 PKCS#1 SHA-256 | 169 µs busy (161 µs on a parsed key) | | | ring |
//! | RSA-2048 PKCS#1 MD5+SHA-1, no DigestInfo (TLS 1.0/1.1) | — | — | `rsa` 0.10: ~77 µs quiet, 141 µs busy (119 µs on a key set up once); `rsa` 0.9: 185–264 µs | `rsa` 0.10 |
//! | RSA PKCS#1 under 2048 or over 8192 bits | — | | `rsa` 0.10 | `rsa` 0.10 |
//! | RSA-PSS, Ed25519 | yes | | | ring |
//!
//! ring stays first (it is rustls' provider here and the fastest where it has the
//! pair); aws-lc-rs takes the ECDSA pairs ring lacks; RSA PKCS#1 outside ring goes to
//! RustCrypto `rsa` 0.10.0 (a release, not an rc; its BoxedUint Montgomery arithmetic
//! is 2.4× faster than 0.9's generic modpow). No cryptography is written here: an
//! earlier hand-written RSAVP1 over crypto-bigint (37 µs quiet) was removed for issue
//! 19, at a cost of ≈ 2 × 40 µs per address that accepts TLS 1.0 and 1.1 with an RSA
//! certificate. RustCrypto `p256` and `p384` remain only as independent signers in the
//! tests. Every RSA key is bounded before any arithmetic: over 16,384 bits or with an
//! exponent over 2^32 it is not computed on (`unproven`).

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
