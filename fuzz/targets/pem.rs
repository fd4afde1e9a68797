//! Target `pem`: a PEM file of CAs (`--roots`, `--ca-file`) through
//! `trust::pem_certificates` and into a root store. Oracle: an error, or at least one
//! certificate; adding them and building a verifier never panics.

use rustls::RootCertStore;
use tlscompat::trust::pem_certificates;

use super::oracle::fail;

pub fn run(data: &[u8]) {
    let Ok(certs) = pem_certificates(data, "--roots fuzz.pem") else {
        return;
    };
    if certs.is_empty() {
        fail("pem", "Ok with no certificate");
    }
    let mut store = RootCertStore::empty();
    for c in certs {
        let _ = store.add(c);
    }
    if !store.is_empty() {
        let provider = std::sync::Arc::new(tlscompat::crypto::provider());
        let _ = rustls::client::WebPkiServerVerifier::builder_with_provider(
            std::sync::Arc::new(store),
            provider,
        )
        .build();
    }
}
