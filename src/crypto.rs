//! The rustls crypto provider, chosen in one place.
//!
//! `ring` by default: on the 2-core build machine it builds in a fraction of the time
//! of `aws-lc-rs` at a comparable handshake rate (figures in the README's Performance
//! section). Build with `--features aws-lc-rs` to use aws-lc-rs instead.

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
