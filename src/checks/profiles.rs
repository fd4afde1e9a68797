//! Windows client profiles as data: the exact ClientHello each client sends, from
//! `shared/reference/windows-client-profiles.md` (§1). Office activates through
//! WinHTTP, so the OS profile is Office's. Every table here is reviewed against that
//! reference; where the reference marks a field [unsure], the doc comment says so.

use crate::version::TlsVersion;
use crate::wire::custom_hello::{Ext, HelloInputs, HelloShape, encode};

/// One client.
#[derive(Debug)]
pub struct Profile {
    /// `--clients` name.
    pub name: &'static str,
    /// Who this is, in an admin's words.
    pub title: &'static str,
    /// Short name for explanations ("Windows 7 SChannel").
    pub short: &'static str,
    /// Where the hello comes from.
    pub source: &'static str,
    /// The versions this client can negotiate, oldest first.
    pub versions: &'static [TlsVersion],
    pub shape: HelloShape<'static>,
}

const X25519: u16 = 0x001d;
const P256: u16 = 0x0017;
const P384: u16 = 0x0018;
const P521: u16 = 0x0019;

use TlsVersion::{Tls10, Tls11, Tls12, Tls13};

/// Windows 7 SP1 / Server 2008 R2 out of the box: SChannel with TLS 1.0 only.
pub static WIN7: Profile = Profile {
    name: "win7",
    title: "Windows 7 SP1 / Server 2008 R2, SChannel defaults (TLS 1.0 only)",
    short: "Windows 7 SChannel",
    source: "SSL Labs capture \"IE 8-10 Win 7\" (testssl.sh etc/client-simulation.txt)",
    versions: &[Tls10],
    shape: HelloShape {
        record_version: 0x0301,
        client_version: 0x0301,
        suites: &[
            0xc014, 0xc013, 0x0035, 0x002f, 0xc00a, 0xc009, 0x0038, 0x0032, 0x000a, 0x0013, 0x0005,
            0x0004,
        ],
        groups: &[P256, P384, P521],
        signature_algorithms: &[],
        versions: &[],
        extensions: &[
            Ext::ServerName,
            Ext::StatusRequest,
            Ext::SupportedGroups,
            Ext::EcPointFormats,
            Ext::RenegotiationInfo,
        ],
        key_share: None,
    },
};

/// Windows 7 SP1 with KB3140245 and SChannel TLS 1.1/1.2 enabled; WinHTTP
/// DefaultSecureProtocols 0xA00 (TLS 1.1 + 1.2).
pub static WIN7_TLS12: Profile = Profile {
    name: "win7-tls12",
    title: "Windows 7 SP1 + KB3140245, TLS 1.2 enabled (WinHTTP DefaultSecureProtocols 0xA00: TLS 1.1-1.2)",
    short: "Windows 7 SChannel",
    source: "SSL Labs capture \"IE 11 Win 7\" (testssl.sh); versions from KB3140245",
    versions: &[Tls11, Tls12],
    shape: HelloShape {
        record_version: 0x0303,
        client_version: 0x0303,
        suites: &[
            0xc028, 0xc027, 0xc014, 0xc013, 0x009f, 0x009e, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035,
            0x002f, 0xc02c, 0xc02b, 0xc024, 0xc023, 0xc00a, 0xc009, 0x006a, 0x0040, 0x0038, 0x0032,
            0x000a, 0x0013,
        ],
        groups: &[P256, P384],
        signature_algorithms: &[
            0x0601, 0x0603, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202,
        ],
        versions: &[],
        extensions: &[
            Ext::ServerName,
            Ext::StatusRequest,
            Ext::SupportedGroups,
            Ext::EcPointFormats,
            Ext::SignatureAlgorithms,
            Ext::ExtendedMasterSecret,
            Ext::RenegotiationInfo,
        ],
        key_share: None,
    },
};

/// Windows 8.1 / Server 2012 R2: WinHTTP does TLS 1.2 natively. ALPN and NPN of the
/// IE capture are left out: they come from WinINet, not WinHTTP [unsure].
pub static WIN81: Profile = Profile {
    name: "win81",
    title: "Windows 8.1 / Server 2012 R2 (WinHTTP, TLS 1.0-1.2)",
    short: "Windows 8.1 SChannel",
    source: "SSL Labs capture \"IE 11 Win 8.1\" (testssl.sh), without ALPN/NPN",
    versions: &[Tls10, Tls11, Tls12],
    shape: HelloShape {
        record_version: 0x0303,
        client_version: 0x0303,
        suites: &[
            0xc028, 0xc027, 0xc014, 0xc013, 0x009f, 0x009e, 0x0039, 0x0033, 0x009d, 0x009c, 0x003d,
            0x003c, 0x0035, 0x002f, 0xc02c, 0xc02b, 0xc024, 0xc023, 0xc00a, 0xc009, 0x006a, 0x0040,
            0x0038, 0x0032, 0x000a, 0x0013,
        ],
        groups: &[P256, P384],
        signature_algorithms: &[
            0x0401, 0x0501, 0x0601, 0x0201, 0x0403, 0x0503, 0x0603, 0x0203, 0x0202,
        ],
        versions: &[],
        extensions: &[
            Ext::ServerName,
            Ext::StatusRequest,
            Ext::SupportedGroups,
            Ext::EcPointFormats,
            Ext::SignatureAlgorithms,
            Ext::SessionTicket,
            Ext::ExtendedMasterSecret,
            Ext::RenegotiationInfo,
        ],
        key_share: None,
    },
};

/// Windows 10 / Server 2016-2019: TLS 1.2 with ECDHE-RSA-GCM; TLS 1.3 is not enabled
/// by default. Suites and groups from the Server 2019 capture; extension order and
/// signature algorithms from the IE 11 Win 10 capture, without ALPN.
pub static WIN10: Profile = Profile {
    name: "win10",
    title: "Windows 10 / Server 2016-2019 (TLS 1.0-1.2; TLS 1.3 off by default)",
    short: "Windows 10 SChannel",
    source: "rgl/tls-dump-clienthello Server 2019 (suites, groups); SSL Labs \"IE 11 Win 10\" (extensions)",
    versions: &[Tls10, Tls11, Tls12],
    shape: HelloShape {
        record_version: 0x0303,
        client_version: 0x0303,
        suites: &[
            0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a,
            0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x000a,
        ],
        groups: &[X25519, P256, P384],
        signature_algorithms: &[
            0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202, 0x0601, 0x0603,
        ],
        versions: &[],
        extensions: &[
            Ext::ServerName,
            Ext::StatusRequest,
            Ext::SupportedGroups,
            Ext::EcPointFormats,
            Ext::SignatureAlgorithms,
            Ext::SessionTicket,
            Ext::ExtendedMasterSecret,
            Ext::RenegotiationInfo,
        ],
        key_share: None,
    },
};

/// Windows 11 / Server 2022: TLS 1.2-1.3. Suites from the Learn page and the Server
/// 2022 capture; the record version, extension order, signature algorithms and key
/// share (x25519 only) are not documented anywhere [unsure] and follow Windows 10's
/// with the TLS 1.3 extensions added.
pub static WIN11: Profile = Profile {
    name: "win11",
    title: "Windows 11 / Server 2022 (TLS 1.2-1.3)",
    short: "Windows 11 SChannel",
    source: "Learn \"TLS Cipher Suites in Windows 11\"; rgl/tls-dump-clienthello Server 2022",
    versions: &[Tls12, Tls13],
    shape: HelloShape {
        record_version: 0x0303,
        client_version: 0x0303,
        suites: &[
            0x1302, 0x1301, 0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e, 0xc024, 0xc023, 0xc028,
            0xc027, 0xc00a, 0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
        ],
        groups: &[X25519, P256, P384],
        signature_algorithms: &[
            0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603, 0x0201, 0x0203,
        ],
        versions: &[0x0304, 0x0303],
        extensions: &[
            Ext::ServerName,
            Ext::StatusRequest,
            Ext::SupportedGroups,
            Ext::EcPointFormats,
            Ext::SignatureAlgorithms,
            Ext::SessionTicket,
            Ext::ExtendedMasterSecret,
            Ext::RenegotiationInfo,
            Ext::SupportedVersions,
            Ext::PskKeyExchangeModes,
            Ext::KeyShare,
        ],
        key_share: Some(X25519),
    },
};

/// Every profile, oldest client first.
pub static ALL: [&Profile; 5] = [&WIN7, &WIN7_TLS12, &WIN81, &WIN10, &WIN11];

impl Profile {
    /// The hello for `server_name` with these per-connection values.
    pub fn hello(&self, server_name: Option<&str>, random: [u8; 32], key: &[u8]) -> Vec<u8> {
        encode(
            &self.shape,
            &HelloInputs {
                server_name,
                random,
                key_share: key,
            },
        )
    }

    /// What this profile's hello offers, for judging the answer.
    pub fn offer(&self, client_random: [u8; 32]) -> crate::probe::proof::Offer {
        use crate::wire::enums::{CipherSuite, NamedGroup};
        crate::probe::proof::Offer {
            versions: self.versions.to_vec(),
            suites: self.shape.suites.iter().map(|s| CipherSuite(*s)).collect(),
            groups: self.shape.groups.iter().map(|g| NamedGroup(*g)).collect(),
            key_shares: self.shape.key_share.map(NamedGroup).into_iter().collect(),
            client_random,
        }
    }

    pub fn min(&self) -> TlsVersion {
        self.versions.first().copied().unwrap_or(Tls12)
    }

    pub fn max(&self) -> TlsVersion {
        self.versions.last().copied().unwrap_or(Tls12)
    }

    /// The CSV column of this profile: `client_win7_tls12`.
    pub fn column(&self) -> String {
        format!("client_{}", self.name.replace('-', "_"))
    }
}

/// Every profile and its hello in words, for `tlscompat clients`.
pub fn describe_all() -> String {
    ALL.iter()
        .map(|p| p.describe())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Profile {
    /// The profile and its hello, field by field.
    pub fn describe(&self) -> String {
        use crate::wire::enums::{CipherSuite, NamedGroup};
        let sh = &self.shape;
        let versions: Vec<String> = self.versions.iter().map(|v| v.to_string()).collect();
        let mut out = format!(
            "{}: {}\n  source: {}\n  versions: {}\n  record version 0x{:04x}, client_version 0x{:04x}\n",
            self.name,
            self.title,
            self.source,
            versions.join(", "),
            sh.record_version,
            sh.client_version
        );
        out.push_str(&format!(
            "  cipher suites ({}), in order:\n",
            sh.suites.len()
        ));
        for s in sh.suites {
            out.push_str(&format!("    0x{s:04x} {}\n", CipherSuite(*s)));
        }
        let groups: Vec<String> = sh
            .groups
            .iter()
            .map(|g| NamedGroup(*g).to_string())
            .collect();
        out.push_str(&format!("  supported_groups: {}\n", groups.join(", ")));
        if !sh.signature_algorithms.is_empty() {
            let algs: Vec<String> = sh
                .signature_algorithms
                .iter()
                .map(|a| format!("{a:04x}"))
                .collect();
            out.push_str(&format!("  signature_algorithms: {}\n", algs.join(" ")));
        }
        if let Some(g) = sh.key_share {
            out.push_str(&format!("  key_share: {}\n", NamedGroup(g)));
        }
        let exts: Vec<&str> = sh.extensions.iter().map(|e| e.name()).collect();
        out.push_str(&format!("  extensions, in order: {}\n", exts.join(", ")));
        out
    }
}

/// `--clients LIST|all`: profile names, comma-separated; repeats dropped.
pub fn parse_list(s: &str) -> Result<Vec<&'static Profile>, String> {
    if s.trim() == "all" {
        return Ok(ALL.to_vec());
    }
    let mut out: Vec<&'static Profile> = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(p) = ALL.iter().find(|p| p.name == name) else {
            let names: Vec<&str> = ALL.iter().map(|p| p.name).collect();
            return Err(format!(
                "unknown client profile '{name}' (expected: {}, or all)",
                names.join(", ")
            ));
        };
        if !out.iter().any(|q| q.name == p.name) {
            out.push(p);
        }
    }
    if out.is_empty() {
        return Err("no client profile named (expected a list such as win7,win10, or all)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_unknown_names_are_refused() {
        assert_eq!(parse_list("all").map(|v| v.len()), Ok(5));
        let two = parse_list("win7, win10,win7").unwrap();
        assert_eq!(
            two.iter().map(|p| p.name).collect::<Vec<_>>(),
            ["win7", "win10"]
        );
        assert!(
            parse_list("win98")
                .unwrap_err()
                .contains("unknown client profile 'win98'")
        );
        assert!(parse_list(",").is_err());
        assert_eq!(WIN7_TLS12.column(), "client_win7_tls12");
    }

    #[test]
    fn windows_7_and_8_have_no_ecdhe_rsa_gcm() {
        for p in [&WIN7, &WIN7_TLS12, &WIN81] {
            assert!(!p.shape.suites.contains(&0xc02f) && !p.shape.suites.contains(&0xc030));
        }
        assert!(WIN10.shape.suites.contains(&0xc02f));
        assert_eq!(WIN7_TLS12.shape.suites.len(), 24);
        assert_eq!(WIN81.shape.suites.len(), 26);
    }
}
