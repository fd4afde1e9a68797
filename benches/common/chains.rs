//! Certificate chains shaped like the ones Microsoft 365 front ends present, for the
//! benches that measure the work a real scan spends on them:
//!
//! - [`microsoft_ecc`]: RSA-2048 root → ECDSA P-384 issuing CA ("Microsoft Azure ECC
//!   TLS Issuing CA 04"-like) → ECDSA P-256 leaf. Verifying the leaf's signature is a
//!   P-384 ECDSA verification, the single most expensive step of a scan with ring.
//! - [`microsoft_rsa`]: RSA-4096 root → RSA-2048 issuing CA → RSA-2048 leaf.
//!
//! The RSA keys are throwaways made with `openssl genpkey` and kept in `benches/data/`
//! because ring (rcgen's backend) cannot generate RSA keys; the EC keys are generated
//! on every run.

#![allow(dead_code)]

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SignatureAlgorithm,
};

/// A server chain (leaf first, root not included, as servers send it), its key, and
/// the root that anchors it.
pub struct Chain {
    pub label: &'static str,
    pub root_der: Vec<u8>,
    pub root_pem: String,
    pub issuing_cn: String,
    /// Leaf, issuing CA.
    pub chain: Vec<Vec<u8>>,
    /// Leaf then issuing CA, PEM.
    pub chain_pem: String,
    pub leaf_pem: String,
    pub issuing_pem: String,
    /// The leaf's private key, PKCS#8.
    pub key_der: Vec<u8>,
    pub key_pem: String,
}

fn rsa_key(pem: &str, alg: &'static SignatureAlgorithm) -> KeyPair {
    KeyPair::from_pem_and_sign_algo(pem, alg).expect("bench RSA key")
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name
        .push(DnType::OrganizationName, "Bench Corporation");
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p
}

fn build(
    label: &'static str,
    root: (&str, KeyPair),
    issuing: (&str, KeyPair),
    leaf_key: KeyPair,
    sans: &[&str],
) -> Chain {
    let mut root_params = ca_params(root.0);
    root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let root_cert = root_params.self_signed(&root.1).expect("root");
    let root_issuer = Issuer::new(root_params, root.1);
    let issuing_params = ca_params(issuing.0);
    let issuing_cert = issuing_params
        .signed_by(&issuing.1, &root_issuer)
        .expect("issuing CA");
    let issuing_issuer = Issuer::new(issuing_params, issuing.1);
    let mut leaf_params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .expect("leaf params");
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, sans.first().copied().unwrap_or("leaf"));
    leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuing_issuer)
        .expect("leaf");
    Chain {
        label,
        root_der: root_cert.der().to_vec(),
        root_pem: root_cert.pem(),
        issuing_cn: issuing.0.to_string(),
        chain: vec![leaf.der().to_vec(), issuing_cert.der().to_vec()],
        chain_pem: format!("{}{}", leaf.pem(), issuing_cert.pem()),
        leaf_pem: leaf.pem(),
        issuing_pem: issuing_cert.pem(),
        key_der: leaf_key.serialize_der(),
        key_pem: leaf_key.serialize_pem(),
    }
}

/// RSA-2048 root → P-384 issuing CA → P-256 leaf for `sans`.
pub fn microsoft_ecc(sans: &[&str]) -> Chain {
    build(
        "ms_ecc_p384",
        (
            "Bench Global Root G2",
            rsa_key(
                include_str!("../data/rsa2048.pkcs8.pem"),
                &rcgen::PKCS_RSA_SHA256,
            ),
        ),
        (
            "Microsoft Azure ECC TLS Issuing CA 04",
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("P-384 key"),
        ),
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("P-256 key"),
        sans,
    )
}

/// RSA-4096 root → RSA-2048 issuing CA → RSA-2048 leaf for `sans`.
pub fn microsoft_rsa(sans: &[&str]) -> Chain {
    build(
        "ms_rsa",
        (
            "Bench RSA Root 4096",
            rsa_key(
                include_str!("../data/rsa4096.pkcs8.pem"),
                &rcgen::PKCS_RSA_SHA384,
            ),
        ),
        (
            "Microsoft Azure RSA TLS Issuing CA 04",
            rsa_key(
                include_str!("../data/rsa2048.pkcs8.pem"),
                &rcgen::PKCS_RSA_SHA256,
            ),
        ),
        rsa_key(
            include_str!("../data/rsa2048-leaf.pkcs8.pem"),
            &rcgen::PKCS_RSA_SHA256,
        ),
        sans,
    )
}
