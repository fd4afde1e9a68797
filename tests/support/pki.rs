//! Certificate kit for trust tests: CAs, intermediates, and leaves that are right or
//! wrong in one chosen way (expired, wrong name, self-signed, issued by an intermediate
//! the server does not send).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

pub struct Ca {
    pub der: Vec<u8>,
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A leaf and its private key (PKCS#8 DER).
pub struct Leaf {
    pub der: Vec<u8>,
    pub key_der: Vec<u8>,
    pub pem: String,
    pub key_pem: String,
}

impl Leaf {
    fn new(cert: &rcgen::Certificate, key: &KeyPair) -> Self {
        Self {
            der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p
}

impl Ca {
    pub fn new(cn: &str) -> Self {
        let key = KeyPair::generate().expect("ca key");
        let params = ca_params(cn);
        let cert = params.self_signed(&key).expect("ca cert");
        Self {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// An intermediate CA signed by this one.
    pub fn intermediate(&self, cn: &str) -> Self {
        let key = KeyPair::generate().expect("key");
        let params = ca_params(cn);
        let cert = params.signed_by(&key, &self.issuer).expect("intermediate");
        Self {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `sans`, after `tweak` has had its way with the parameters.
    pub fn leaf(&self, sans: &[&str], tweak: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let key = KeyPair::generate().expect("key");
        let mut params = leaf_params(sans);
        tweak(&mut params);
        let cert = params.signed_by(&key, &self.issuer).expect("leaf");
        Leaf::new(&cert, &key)
    }
}

/// A leaf for `sans` certifying `key`, a public key nobody holds the private half of
/// (a forged or absurd key a hostile server shows), signed by this CA.
impl Ca {
    pub fn leaf_for(&self, sans: &[&str], key: &impl rcgen::PublicKeyData) -> Vec<u8> {
        leaf_params(sans)
            .signed_by(key, &self.issuer)
            .expect("leaf")
            .der()
            .to_vec()
    }
}

/// An RSA public key of any size: `n` and `e` given as big-endian bytes.
pub struct RsaPublicKey(Vec<u8>);

impl RsaPublicKey {
    pub fn new(n: &[u8], e: &[u8]) -> Self {
        let body = [der_integer(n), der_integer(e)].concat();
        Self(der_tlv(0x30, &body))
    }
}

impl rcgen::PublicKeyData for RsaPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn der_tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match body.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n <= 0xff => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(body);
    out
}

fn der_integer(be: &[u8]) -> Vec<u8> {
    let mut v = be.to_vec();
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    der_tlv(0x02, &v)
}

fn leaf_params(sans: &[&str]) -> CertificateParams {
    let mut p = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("leaf params");
    p.distinguished_name
        .push(DnType::CommonName, sans.first().copied().unwrap_or("leaf"));
    p
}

pub fn self_signed(sans: &[&str]) -> Leaf {
    let key = KeyPair::generate().expect("key");
    let cert = leaf_params(sans).self_signed(&key).expect("self-signed");
    Leaf::new(&cert, &key)
}

/// Makes a leaf expired since 2021.
pub fn expired(p: &mut CertificateParams) {
    p.not_before = rcgen::date_time_ymd(2020, 1, 1);
    p.not_after = rcgen::date_time_ymd(2021, 1, 1);
}

/// A self-signed certificate that is also a CA (basicConstraints CA:TRUE), as
/// `openssl req -x509` makes by default, used as a server certificate.
pub fn self_signed_ca_leaf(name: &str) -> Leaf {
    let key = KeyPair::generate().expect("key");
    let mut params = leaf_params(&[name]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).expect("self-signed CA");
    Leaf::new(&cert, &key)
}

/// A self-signed certificate for 127.0.0.1 whose key is RSASSA-PSS (the SPKI algorithm
/// is id-RSASSA-PSS, not rsaEncryption): such a server can sign only with
/// rsa_pss_pss_sha256/384/512. rcgen cannot make the key: `openssl genpkey -algorithm
/// RSA-PSS` does. (cert PEM, key PEM)
pub fn rsa_pss_self_signed() -> (String, String) {
    let dir = super::TempDir::new("rsa-pss");
    let (key, cert) = (dir.0.join("key.pem"), dir.0.join("cert.pem"));
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl must be installed");
        assert!(out.status.success(), "openssl {args:?}: {:?}", out);
    };
    let (k, c) = (key.to_str().expect("utf-8"), cert.to_str().expect("utf-8"));
    run(&[
        "genpkey",
        "-algorithm",
        "RSA-PSS",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        k,
    ]);
    run(&[
        "req",
        "-new",
        "-x509",
        "-key",
        k,
        "-out",
        c,
        "-days",
        "30",
        "-subj",
        "/CN=pss.lab.test",
        "-addext",
        "subjectAltName=DNS:pss.lab.test,IP:127.0.0.1",
    ]);
    (
        std::fs::read_to_string(&cert).expect("cert"),
        std::fs::read_to_string(&key).expect("key"),
    )
}
