//! What a cipher suite is made of, read from its IANA name: key exchange,
//! authentication, bulk cipher, MAC, forward secrecy, whether it is insecure, and the
//! versions it exists in. Used by `--ciphers` (JSON properties) and by the client
//! profiles (to explain a failure in words: "the server accepts ECDHE-RSA-AES-GCM only").

use serde::Serialize;

use crate::version::TlsVersion;
use crate::wire::enums::CipherSuite;

/// The properties of one suite, for reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuiteInfo {
    /// `0xc02f`.
    pub code: String,
    pub name: String,
    /// ECDHE, DHE, ECDH, DH, RSA; `any` for TLS 1.3 suites.
    pub key_exchange: String,
    /// RSA, ECDSA, DSS, anon; `any` for TLS 1.3 suites.
    pub authentication: String,
    /// AES_128_GCM, CHACHA20_POLY1305, 3DES_EDE_CBC, RC4_128, NULL…
    pub cipher: String,
    /// SHA, SHA256, SHA384, MD5, or AEAD.
    pub mac: String,
    pub forward_secrecy: bool,
    /// NULL encryption, EXPORT, anonymous, RC4, single DES or RC2: never acceptable.
    pub insecure: bool,
    /// 64-bit block ciphers (3DES, IDEA): Sweet32.
    pub weak: bool,
}

/// The properties of `cs` (an unknown code point gets `?` fields).
pub fn info(cs: CipherSuite) -> SuiteInfo {
    let name = cs.to_string();
    let (kx, auth, cipher, mac) = parts(&name);
    let export = name.contains("EXPORT");
    let insecure = export
        || auth == "anon"
        || cipher.starts_with("NULL")
        || cipher.starts_with("RC4")
        || cipher.starts_with("RC2")
        || cipher.starts_with("DES_")
        || cipher.starts_with("DES40");
    SuiteInfo {
        code: format!("0x{:04x}", cs.0),
        forward_secrecy: matches!(kx.as_str(), "ECDHE" | "DHE" | "any"),
        weak: cipher.starts_with("3DES") || cipher.starts_with("IDEA"),
        insecure,
        key_exchange: kx,
        authentication: auth,
        cipher,
        mac,
        name,
    }
}

/// Splits `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256` into (ECDHE, RSA, AES_128_GCM, AEAD).
fn parts(name: &str) -> (String, String, String, String) {
    if let Some(rest) = name.strip_prefix("TLS13_") {
        let cipher = rest.rsplit_once('_').map_or(rest, |(c, _)| c);
        return ("any".into(), "any".into(), cipher.into(), "AEAD".into());
    }
    let Some((left, right)) = name
        .strip_prefix("TLS_")
        .and_then(|n| n.split_once("_WITH_"))
    else {
        return ("?".into(), "?".into(), "?".into(), "?".into());
    };
    let left = left.replace("_EXPORT", "");
    let (kx, auth) = match left.split_once('_') {
        Some((k, a)) => (k.to_string(), a.to_string()),
        None => (left.clone(), left.clone()),
    };
    let aead = ["GCM", "CCM", "POLY1305"].iter().any(|m| right.contains(m));
    let (cipher, mac) = match right.rsplit_once('_') {
        Some((c, m)) if m.starts_with("SHA") || m == "MD5" => (c, m),
        _ => (right, "AEAD"),
    };
    let mac = if aead { "AEAD" } else { mac };
    (kx, auth, cipher.to_string(), mac.to_string())
}

/// The suites that exist at `version`, in the registry's order: TLS 1.3 has its own;
/// AEAD and SHA-2-MAC suites exist from TLS 1.2 on. The renegotiation SCSV is not a suite.
pub fn for_version(version: TlsVersion) -> Vec<CipherSuite> {
    CipherSuite::ALL
        .iter()
        .copied()
        .filter(|cs| *cs != CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
        .filter(|cs| match version {
            TlsVersion::Tls13 => cs.is_tls13(),
            TlsVersion::Tls12 => !cs.is_tls13(),
            _ => !cs.is_tls13() && !tls12_only(*cs),
        })
        .collect()
}

/// Suites defined for TLS 1.2 only (AEAD ciphers, SHA-256/384 MACs).
pub fn tls12_only(cs: CipherSuite) -> bool {
    let i = info(cs);
    i.mac == "AEAD" || i.mac == "SHA256" || i.mac == "SHA384"
}

/// A short family name for explanations: `ECDHE-RSA-AES-GCM`, `RSA-AES-CBC`, `TLS1.3-AES-GCM`.
pub fn family(cs: CipherSuite) -> String {
    let i = info(cs);
    let alg = i.cipher.split('_').next().unwrap_or("?");
    let mode = ["GCM", "CCM", "CBC", "POLY1305"]
        .into_iter()
        .find(|m| i.cipher.contains(m));
    let bulk = match (alg, mode) {
        ("CHACHA20", _) => "CHACHA20".to_string(),
        ("3DES", _) => "3DES".to_string(),
        (a, Some(m)) => format!("{a}-{m}"),
        (a, None) => a.to_string(),
    };
    match i.key_exchange.as_str() {
        "any" => format!("TLS1.3-{bulk}"),
        "RSA" => format!("RSA-{bulk}"),
        kx => format!("{kx}-{}-{bulk}", i.authentication),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::enums::CipherSuite as CS;

    #[test]
    fn names_split_into_properties() {
        let gcm = info(CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
        assert_eq!(
            (
                gcm.key_exchange.as_str(),
                gcm.authentication.as_str(),
                gcm.cipher.as_str(),
                gcm.mac.as_str()
            ),
            ("ECDHE", "RSA", "AES_128_GCM", "AEAD")
        );
        assert!(gcm.forward_secrecy && !gcm.insecure && !gcm.weak);
        let rsa = info(CS::TLS_RSA_WITH_3DES_EDE_CBC_SHA);
        assert_eq!(
            (rsa.key_exchange.as_str(), rsa.mac.as_str()),
            ("RSA", "SHA")
        );
        assert!(!rsa.forward_secrecy && rsa.weak);
        assert!(info(CS::TLS_RSA_WITH_RC4_128_MD5).insecure);
        assert!(info(CS::TLS_RSA_EXPORT_WITH_DES40_CBC_SHA).insecure);
        assert!(info(CS::TLS_DH_anon_WITH_AES_128_CBC_SHA).insecure);
        assert!(info(CS::TLS_RSA_WITH_NULL_SHA256).insecure);
        let ccm = info(CS::TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8);
        assert_eq!(
            (ccm.cipher.as_str(), ccm.mac.as_str()),
            ("AES_128_CCM_8", "AEAD")
        );
        let t13 = info(CS::TLS13_CHACHA20_POLY1305_SHA256);
        assert_eq!(
            (t13.key_exchange.as_str(), t13.cipher.as_str()),
            ("any", "CHACHA20_POLY1305")
        );
    }

    #[test]
    fn versions_and_families() {
        let v10 = for_version(TlsVersion::Tls10);
        assert!(v10.contains(&CS::TLS_RSA_WITH_RC4_128_SHA));
        assert!(!v10.contains(&CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256));
        assert!(!v10.contains(&CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256));
        let v12 = for_version(TlsVersion::Tls12);
        assert!(v12.len() > 150, "{}", v12.len());
        assert!(!v12.contains(&CS::TLS_EMPTY_RENEGOTIATION_INFO_SCSV));
        assert_eq!(for_version(TlsVersion::Tls13).len(), 5);
        assert_eq!(
            family(CS::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
            "ECDHE-RSA-AES-GCM"
        );
        assert_eq!(
            family(CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384),
            "ECDHE-RSA-AES-CBC"
        );
        assert_eq!(family(CS::TLS_RSA_WITH_3DES_EDE_CBC_SHA), "RSA-3DES");
        assert_eq!(family(CS::TLS13_AES_128_GCM_SHA256), "TLS1.3-AES-GCM");
    }
}
