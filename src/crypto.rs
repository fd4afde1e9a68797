//! The rustls crypto provider, chosen in one place.
//!
//! `ring` by default, chosen by measurement on the work that dominates a Microsoft 365
//! scan (`benches/chain.rs`, figures in the README's Performance section): handshakes
//! run at the same rate with both; aws-lc-rs verifies a P-384-issued chain 3.8× faster,
//! but the trust memo (`trust/cache.rs`) verifies each distinct chain once per scan,
//! so that saving is ≈ 0.6 ms a chain a run, while ring builds faster and was faster
//! end to end. Build with `--features aws-lc-rs` to use aws-lc-rs instead.

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
