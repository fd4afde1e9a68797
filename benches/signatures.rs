//! ServerKeyExchange signature checks (`probe::proof::verify`), one per proven legacy
//! or TLS 1.2 acceptance, against the same check done directly by the other crypto
//! stack in the tree — the figures behind the choices written in `src/crypto.rs`:
//!
//! - `rsa2048_pkcs1_sha256/proof` (ring, as `verify` picks it for TLS 1.2) vs `/ring`
//!   (ring's `RSA_PKCS1_2048_8192_SHA256` called directly), and the same for RSA-4096;
//! - `rsa2048_md5_sha1/proof`: TLS 1.0/1.1's unprefixed MD5+SHA-1 (RustCrypto `rsa`
//!   0.10 as `verify` calls it: certificate parse, key set-up, verify) vs `/rsa` (the
//!   same crate on a key set up once: what the key set-up costs);
//! - `p256_sha256/proof` (ring, as `verify` picks it) vs `/p256` (RustCrypto `p256`);
//! - `p256_sha1/proof` (TLS 1.0/1.1's ECDSA over SHA-1: aws-lc-rs, as `verify` picks
//!   it) vs `/p256` (RustCrypto `p256` over the prehash, which it replaced).
//!
//! `cargo bench --bench signatures`. Each includes parsing the leaf certificate, as
//! `verify` does on every call.

use criterion::{Criterion, criterion_group, criterion_main};
use ring::rand::SystemRandom;
use ring::signature::{self as rs, KeyPair as _};
use tlscompat::probe::proof::verify;
use tlscompat::wire::enums::Authentication;

const MSG: &[u8] = b"client random | server random | ServerKeyExchange params";

struct Rsa {
    cert: Vec<u8>,
    spki: Vec<u8>,
    sig: Vec<u8>,
}

fn rsa(pem: &str) -> Rsa {
    let key = rcgen::KeyPair::from_pem(pem).expect("key");
    let cert = rcgen::CertificateParams::new(vec!["a.example".into()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let ring_key = rs::RsaKeyPair::from_pkcs8(&key.serialize_der()).expect("ring key");
    let mut sig = vec![0; ring_key.public().modulus_len()];
    ring_key
        .sign(&rs::RSA_PKCS1_SHA256, &SystemRandom::new(), MSG, &mut sig)
        .expect("sign");
    Rsa {
        cert: cert.der().to_vec(),
        spki: ring_key.public_key().as_ref().to_vec(),
        sig,
    }
}

fn bench_rsa(c: &mut Criterion, name: &str, pem: &str) {
    let k = rsa(pem);
    let mut g = c.benchmark_group(name);
    g.bench_function("proof", |b| {
        b.iter(|| verify(&k.cert, Authentication::Rsa, Some(0x0401), MSG, &k.sig).unwrap())
    });
    g.bench_function("ring", |b| {
        b.iter(|| {
            rs::UnparsedPublicKey::new(&rs::RSA_PKCS1_2048_8192_SHA256, &k.spki)
                .verify(MSG, &k.sig)
                .unwrap()
        })
    });
    g.finish();
}

/// TLS 1.0/1.1: PKCS#1 v1.5 over MD5 || SHA-1 without a DigestInfo, which only the
/// RustCrypto path verifies (signed here with the `rsa` crate).
fn bench_md5_sha1(c: &mut Criterion) {
    use md5::Digest as _;
    use rsa::pkcs8::DecodePrivateKey;
    let pem = include_str!("data/rsa2048.pkcs8.pem");
    let k = rsa(pem);
    let private = rsa::PrivateKey::from_pkcs8_pem(pem).expect("rsa key");
    let mut hash = md5::Md5::digest(MSG).to_vec();
    hash.extend_from_slice(
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, MSG).as_ref(),
    );
    let sig = private
        .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &hash)
        .expect("sign");
    let mut g = c.benchmark_group("rsa2048_md5_sha1");
    g.bench_function("proof", |b| {
        b.iter(|| verify(&k.cert, Authentication::Rsa, None, MSG, &sig).unwrap())
    });
    let public = rsa::PublicKey::from(&private);
    g.bench_function("rsa", |b| {
        b.iter(|| {
            public
                .verify(rsa::Pkcs1v15Sign::new_unprefixed(), &hash, &sig)
                .unwrap()
        })
    });
    g.finish();
}

/// TLS 1.0/1.1 with an ECDSA certificate: ECDSA over SHA-1, which ring does not verify.
fn bench_p256_sha1(c: &mut Criterion) {
    use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use p256::pkcs8::DecodePrivateKey;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let cert = rcgen::CertificateParams::new(vec!["a.example".into()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let signer = p256::ecdsa::SigningKey::from_pkcs8_der(&key.serialize_der()).expect("p256");
    let mut prehash = vec![0u8; 12];
    prehash.extend_from_slice(
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, MSG).as_ref(),
    );
    let sig: p256::ecdsa::Signature = signer.sign_prehash(&prehash).expect("sign");
    let der = sig.to_der().as_bytes().to_vec();
    let point = signer.verifying_key().to_encoded_point(false);
    let mut g = c.benchmark_group("p256_sha1");
    g.bench_function("proof", |b| {
        b.iter(|| verify(cert.der(), Authentication::Ecdsa, None, MSG, &der).unwrap())
    });
    g.bench_function("p256", |b| {
        b.iter(|| {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point.as_bytes()).unwrap();
            let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
            let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, MSG);
            let mut padded = vec![0u8; 12];
            padded.extend_from_slice(digest.as_ref());
            key.verify_prehash(&padded, &sig).unwrap()
        })
    });
    g.finish();
}

fn signatures(c: &mut Criterion) {
    bench_md5_sha1(c);
    bench_p256_sha1(c);
    bench_rsa(
        c,
        "rsa2048_pkcs1_sha256",
        include_str!("data/rsa2048.pkcs8.pem"),
    );
    bench_rsa(
        c,
        "rsa4096_pkcs1_sha256",
        include_str!("data/rsa4096.pkcs8.pem"),
    );

    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let cert = rcgen::CertificateParams::new(vec!["a.example".into()])
        .expect("params")
        .self_signed(&key)
        .expect("cert");
    let ring_key = rs::EcdsaKeyPair::from_pkcs8(
        &rs::ECDSA_P256_SHA256_ASN1_SIGNING,
        &key.serialize_der(),
        &SystemRandom::new(),
    )
    .expect("ring key");
    let sig = ring_key
        .sign(&SystemRandom::new(), MSG)
        .expect("sign")
        .as_ref()
        .to_vec();
    let point = ring_key.public_key().as_ref().to_vec();
    let mut g = c.benchmark_group("p256_sha256");
    g.bench_function("proof", |b| {
        b.iter(|| verify(cert.der(), Authentication::Ecdsa, Some(0x0403), MSG, &sig).unwrap())
    });
    g.bench_function("p256", |b| {
        b.iter(|| {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap();
            let sig = p256::ecdsa::Signature::from_der(&sig).unwrap();
            p256::ecdsa::signature::Verifier::verify(&key, MSG, &sig).unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = signatures
}
criterion_main!(benches);
