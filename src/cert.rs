//! Certificate summaries for reports, from DER, with x509-parser.
//!
//! Works on chains from either probe path (a clear-text ≤ 1.2 Certificate message or a
//! rustls handshake), so the two can be compared by fingerprint.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use x509_parser::extensions::GeneralName;
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::X509Name;

/// What reports show about one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// The issuer's common name, which expected-issuer patterns match against.
    pub issuer_cn: Option<String>,
    pub sans: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    pub not_before_unix: i64,
    pub not_after_unix: i64,
    /// "RSA 2048", "EC 256", "ED25519 256"…
    pub key: String,
    pub signature_algorithm: String,
    /// Lowercase hex SHA-256 of the DER encoding.
    pub sha256: String,
    /// Uppercase hex SHA-1 of the DER encoding: the "thumbprint" Windows and
    /// Microsoft's CA documentation use.
    #[serde(default)]
    pub sha1: String,
    pub self_issued: bool,
}

/// Summarises one DER certificate; the error says why it could not be parsed.
pub fn summarize(der: &[u8]) -> Result<CertSummary, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("unparsable certificate: {e}"))?;
    let registry = oid_registry();
    let sans = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(general_name)
            .collect(),
        _ => Vec::new(),
    };
    let spki = cert.public_key();
    let algo = oid2sn(&spki.algorithm.algorithm, registry).unwrap_or("unknown");
    let key = match spki.parsed() {
        Ok(PublicKey::RSA(k)) => format!("RSA {}", k.key_size()),
        Ok(PublicKey::EC(k)) => format!("EC {}", k.key_size()),
        Ok(k) => format!("{} {}", algo.to_ascii_uppercase(), k.key_size()),
        Err(_) => algo.to_string(),
    };
    let validity = cert.validity();
    Ok(CertSummary {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        issuer_cn: common_name(cert.issuer()),
        sans,
        not_before: rfc3339(validity.not_before.timestamp()),
        not_after: rfc3339(validity.not_after.timestamp()),
        not_before_unix: validity.not_before.timestamp(),
        not_after_unix: validity.not_after.timestamp(),
        key,
        signature_algorithm: oid2sn(&cert.signature_algorithm.algorithm, registry).map_or_else(
            |_| cert.signature_algorithm.algorithm.to_id_string(),
            str::to_string,
        ),
        sha256: sha256_hex(der),
        sha1: sha1_thumbprint(der),
        self_issued: cert.subject() == cert.issuer(),
    })
}

/// The largest RSA key any client profile accepts: SChannel (every Windows build)
/// refuses a server key over 16,384 bits, as rustls (8,192) and OpenSSL do; the proof
/// of acceptance does not compute on a larger one either (`probe/proof.rs`).
pub const CLIENT_MAX_RSA_BITS: usize = 16_384;

/// The size in bits of a certificate's RSA key when it is over
/// [`CLIENT_MAX_RSA_BITS`]: a server showing it can complete no client's handshake.
/// `None` for any other key or a certificate that does not parse.
pub fn oversized_rsa_key(der: &[u8]) -> Option<usize> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let bits = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(k)) => k.key_size(),
        _ => return None,
    };
    (bits > CLIENT_MAX_RSA_BITS).then_some(bits)
}

/// The words for a key no client accepts, shared by the proof and the client verdicts.
pub fn oversized_key_words(bits: usize) -> String {
    format!("server key larger than any client accepts ({bits}-bit RSA)")
}

/// Summarises one DER certificate, or stands in for one x509-parser cannot read, so
/// the chain keeps its positions (the leaf stays the leaf) and its fingerprints.
pub fn summarize_or_placeholder(der: &[u8]) -> CertSummary {
    summarize(der).unwrap_or_else(|why| CertSummary {
        subject: format!("({why})"),
        issuer: String::new(),
        issuer_cn: None,
        sans: Vec::new(),
        not_before: String::new(),
        not_after: String::new(),
        not_before_unix: 0,
        not_after_unix: 0,
        key: String::new(),
        signature_algorithm: String::new(),
        sha256: sha256_hex(der),
        sha1: sha1_thumbprint(der),
        self_issued: false,
    })
}

/// Uppercase hex SHA-1 of `der`, as Windows prints certificate thumbprints.
pub fn sha1_thumbprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    digest
        .as_ref()
        .iter()
        .fold(String::with_capacity(40), |mut s, b| {
            let _ = write!(s, "{b:02X}");
            s
        })
}

pub fn sha256_hex(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn common_name(name: &X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

fn general_name(n: &GeneralName<'_>) -> Option<String> {
    match n {
        GeneralName::DNSName(d) => Some(format!("DNS:{d}")),
        GeneralName::IPAddress(b) => match b.len() {
            4 => <[u8; 4]>::try_from(*b)
                .ok()
                .map(|a| format!("IP:{}", std::net::Ipv4Addr::from(a))),
            16 => <[u8; 16]>::try_from(*b)
                .ok()
                .map(|a| format!("IP:{}", std::net::Ipv6Addr::from(a))),
            _ => None,
        },
        _ => None,
    }
}

/// Unix seconds to RFC 3339 in UTC, `YYYY-MM-DDTHH:MM:SSZ` (the `time` crate, which
/// x509-parser already uses for certificate times). Outside the years 0000-9999, where
/// RFC 3339 has no form and no certificate time lies, the number itself is written.
pub fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("@{ts}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_points() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_807_001), "2026-11-27T19:16:41Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MAX), format!("@{}", i64::MAX));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(summarize(b"not a certificate").is_err());
        assert!(summarize(&[]).is_err());
        let placeholder = summarize_or_placeholder(b"not a certificate");
        assert!(placeholder.subject.starts_with("(unparsable certificate"));
        assert_eq!(placeholder.sha256, sha256_hex(b"not a certificate"));
    }

    #[test]
    fn summarises_an_rcgen_certificate() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["login.example".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "login.example");
        let cert = params.self_signed(&key).unwrap();
        let s = summarize(cert.der()).unwrap();
        assert_eq!(s.subject, "CN=login.example");
        assert_eq!(s.sans, ["DNS:login.example"]);
        assert_eq!(s.key, "EC 256");
        assert_eq!(s.sha256.len(), 64);
        assert!(s.self_issued);
        assert!(
            s.signature_algorithm.contains("ecdsa"),
            "{}",
            s.signature_algorithm
        );
    }
}
