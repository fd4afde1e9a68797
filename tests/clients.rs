//! Would this Windows client activate from here? (issue 10.) Servers configured like
//! Microsoft's front ends — Azure Front Door's TLSv1.2_2023 and TLSv1.2_2022 policies,
//! DHE-only, static-RSA-only, TLS 1.0-only ECDSA, TLS 1.3 with P-384 only, TLS 1.3
//! only — scanned with `--clients all --ciphers`. Each expectation is computed from the
//! server's configuration and the profiles' published hellos by a model here, not
//! from the scanner's output: a profile connects when it shares a version with the
//! server and, at the newest shared version, a suite.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;
use support::cli::{scan_lab_record, text, tlscompat};
use support::*;
use tlscompat::checks::profiles::{self, Profile};
use tlscompat::version::TlsVersion::{self, *};

/// How a lab server is configured: versions, and suites per version.
struct Config {
    name: &'static str,
    versions: Vec<TlsVersion>,
    /// Suites for TLS 1.0-1.2 (each version keeps those that exist at it).
    suites12: Vec<u16>,
    suites13: Vec<u16>,
}

impl Config {
    fn suites_at(&self, v: TlsVersion) -> BTreeSet<u16> {
        let exists = |s: &u16| {
            let cs = tlscompat::wire::enums::CipherSuite(*s);
            v == Tls12 || !tlscompat::suites::tls12_only(cs)
        };
        match v {
            Tls13 => self.suites13.iter().copied().collect(),
            _ => self.suites12.iter().copied().filter(exists).collect(),
        }
    }

    /// The model: `Some(version)` when `p` connects.
    fn expect(&self, p: &Profile) -> Option<TlsVersion> {
        let v = p
            .versions
            .iter()
            .rev()
            .find(|v| self.versions.contains(v))?;
        let shared = self
            .suites_at(*v)
            .iter()
            .any(|s| p.shape.suites.contains(s));
        shared.then_some(*v)
    }
}

fn openssl_rsa(min: &str, max: &str, cipher: &str, ciphersuites: &str) -> OpenSslServer {
    let (cert, key) = pki().rsa_leaf();
    let mut extra = vec!["-cipher", cipher];
    if !ciphersuites.is_empty() {
        extra.extend(["-ciphersuites", ciphersuites]);
    }
    openssl_server_opts(
        min,
        max,
        "127.0.0.1:0",
        &format!("{cert}{}", pki().ca_pem),
        &key,
        &extra,
    )
}

fn scan(addr: &str) -> Value {
    scan_lab_record(&["--clients", "all", "--ciphers", addr]).1
}

/// Checks every profile's verdict and the `--ciphers` sets against the model.
fn check(config: &Config, r: &Value) {
    for v in &config.versions {
        let found: BTreeSet<u16> = r["ciphers"][v.key()]["suites"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no suites for {v}: {}", config.name, r["ciphers"]))
            .iter()
            .filter_map(|s| s["code"].as_str())
            .filter_map(|c| u16::from_str_radix(c.trim_start_matches("0x"), 16).ok())
            .collect();
        assert_eq!(
            found,
            config.suites_at(*v),
            "{}: suites at {v}",
            config.name
        );
    }
    for p in profiles::ALL {
        let got = &r["clients"][p.name.as_ref()];
        let verdict = got["verdict"].as_str().unwrap_or("");
        match config.expect(p) {
            Some(v) => {
                assert!(
                    verdict.starts_with(&format!("ok {v} ")),
                    "{} {}: {verdict}",
                    config.name,
                    p.name
                );
                let suite = verdict.rsplit(' ').next().unwrap_or("");
                let shared: Vec<String> = config
                    .suites_at(v)
                    .iter()
                    .filter(|s| p.shape.suites.contains(s))
                    .map(|s| tlscompat::wire::enums::CipherSuite(*s).to_string())
                    .collect();
                assert!(
                    shared.iter().any(|s| s == suite),
                    "{} {}: {suite} not in {shared:?}",
                    config.name,
                    p.name
                );
            }
            None => assert!(
                verdict.starts_with("fail "),
                "{} {}: {verdict}",
                config.name,
                p.name
            ),
        }
    }
    let failing: Vec<&str> = profiles::ALL
        .iter()
        .filter(|p| config.expect(p).is_none())
        .map(|p| p.name.as_ref())
        .collect();
    let finding = r["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["kind"] == "client-incompatible"))
        .map(|f| f["detail"].as_str().unwrap_or("").to_string());
    match failing.is_empty() {
        true => assert_eq!(finding, None, "{}", config.name),
        false => {
            let detail = finding.unwrap_or_default();
            for name in failing {
                assert!(
                    detail.contains(&format!("{name} (")),
                    "{}: {detail}",
                    config.name
                );
            }
        }
    }
}

fn reason<'a>(r: &'a Value, profile: &str) -> &'a str {
    r["clients"][profile]["reason"].as_str().unwrap_or("")
}

#[test]
fn azure_front_door_tls12_2023_policy_locks_out_windows_7_and_8() {
    let config = Config {
        name: "AFD TLSv1.2_2023",
        versions: vec![Tls12, Tls13],
        suites12: vec![0xc02f, 0xc030],
        suites13: vec![0x1301, 0x1302],
    };
    let server = openssl_rsa(
        "TLSv1.2",
        "TLSv1.3",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    );
    let r = scan(&server.addr.to_string());
    check(&config, &r);
    assert_eq!(
        reason(&r, "win7"),
        "server requires TLS 1.2 or newer; this client stops at TLS 1.0"
    );
    assert_eq!(
        reason(&r, "win7-tls12"),
        "no TLS 1.2 suite in common: the server accepts ECDHE-RSA-AES-GCM only, which Windows 7 \
         SChannel lacks (like Azure Front Door's default TLSv1.2_2023 policy)"
    );
    assert!(reason(&r, "win81").contains("Windows 8.1 SChannel lacks"));
    // The CSV says the same, one column per profile.
    let roots = lab_ca_file();
    let addr = server.addr.to_string();
    let out = tlscompat(&[
        "scan",
        "--format",
        "csv",
        "--timeout",
        "2s",
        "--roots",
        &roots,
        "--clients",
        "win7-tls12,win10",
        &addr,
    ]);
    let rows = support::cli::csv_rows(&text(&out.stdout));
    assert!(rows[0]["client_win7_tls12"].starts_with("fail no TLS 1.2 suite in common"));
    assert!(rows[0]["client_win10"].starts_with("ok TLS 1.2 TLS_ECDHE_RSA_WITH_AES_"));
    assert_eq!(
        out.status.code(),
        Some(1),
        "client-incompatible fails by default"
    );
}

#[test]
fn azure_front_door_tls12_2022_policy_serves_windows_7_with_tls12() {
    let config = Config {
        name: "AFD TLSv1.2_2022",
        versions: vec![Tls12, Tls13],
        suites12: vec![0xc02f, 0xc030, 0xc027, 0xc028],
        suites13: vec![0x1301, 0x1302],
    };
    let server = openssl_rsa(
        "TLSv1.2",
        "TLSv1.3",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    );
    let r = scan(&server.addr.to_string());
    check(&config, &r);
    assert!(
        r["clients"]["win7-tls12"]["verdict"]
            .as_str()
            .unwrap_or("")
            .starts_with("ok TLS 1.2 TLS_ECDHE_RSA_WITH_AES_")
    );
}

#[test]
fn static_rsa_cbc_only_at_tls10_to_12() {
    let config = Config {
        name: "static RSA AES-CBC",
        versions: vec![Tls10, Tls11, Tls12],
        suites12: vec![0x002f, 0x0035],
        suites13: vec![],
    };
    let server = openssl_rsa("TLSv1", "TLSv1.2", "AES128-SHA:AES256-SHA:@SECLEVEL=0", "");
    check(&config, &scan(&server.addr.to_string()));
}

#[test]
fn tls10_only_ecdsa_cbc() {
    let config = Config {
        name: "TLS 1.0 ECDHE-ECDSA CBC",
        versions: vec![Tls10],
        suites12: vec![0xc009, 0xc00a],
        suites13: vec![],
    };
    let pki = pki();
    let server = openssl_server_opts(
        "TLSv1",
        "TLSv1",
        "127.0.0.1:0",
        &format!("{}{}", pki.leaf_pem, pki.ca_pem),
        &pki.key_pem,
        &[
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0",
        ],
    );
    let r = scan(&server.addr.to_string());
    check(&config, &r);
    assert_eq!(
        reason(&r, "win7-tls12"),
        "server chose TLS 1.0, below this client's minimum (TLS 1.1)"
    );
    assert_eq!(
        reason(&r, "win11"),
        "server accepts TLS 1.0, none of which this client offers"
    );
}

#[test]
fn tls13_with_p384_only_and_tls13_only() {
    let p384 = rustls_server_groups(
        vec![rustls::crypto::ring::kx_group::SECP384R1],
        &[&rustls::version::TLS13],
    );
    let plain = rustls_server(&[&rustls::version::TLS13]);
    for (name, addr) in [("TLS 1.3 P-384 only", p384), ("TLS 1.3 only", plain)] {
        let config = Config {
            name,
            versions: vec![Tls13],
            suites12: vec![],
            suites13: vec![0x1301, 0x1302, 0x1303],
        };
        let r = scan(&addr.to_string());
        check(&config, &r);
        assert_eq!(
            reason(&r, "win10"),
            "server requires TLS 1.3 or newer; this client stops at TLS 1.2",
            "{name}"
        );
    }
}

#[test]
fn profiles_are_listed_with_their_hellos() {
    let out = tlscompat(&["clients"]);
    let t = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    for p in profiles::ALL {
        assert!(t.contains(&format!("{}: {}", p.name, p.title)), "{t}");
    }
    assert!(t.contains("0xc028 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"));
    // Builds and sources, unsure fields marked (issue 22).
    assert!(
        t.contains("ws2022        1.2-1.3    Windows Server 2022 (21H2) (hello of win11-21h2)"),
        "{t}"
    );
    assert!(t.contains("  stands for: Windows 10 22H2 (the Windows 10 build in support, ESU)"));
    assert!(t.contains("      source: SSL Labs capture \"IE 11 Win 7\""));
    assert!(t.contains("      UNSURE: no capture shows Windows 11 SChannel's"));
    assert!(t.contains("--client-hello NAME=FILE"));
    let json = tlscompat(&["clients", "--format", "json"]);
    let all: Value = serde_json::from_str(&text(&json.stdout)).expect("json");
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 14);
    let win10 = all.iter().find(|p| p["name"] == "win10").expect("win10");
    assert_eq!(
        win10["builds"],
        "Windows 10 22H2 (the Windows 10 build in support, ESU)"
    );
    assert!(win10["sources"]["suites"]["unsure"].is_string());
    assert!(
        win10["cipher_suites"]
            .as_array()
            .is_some_and(|s| !s.iter().any(|c| c["code"] == "0x009f"))
    );
    let ws2016 = all.iter().find(|p| p["name"] == "ws2016").expect("ws2016");
    assert_eq!(ws2016["alias_of"], "win10-1607");
    let bad = tlscompat(&["scan", "--clients", "win98", "127.0.0.1:1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown client profile 'win98'"));
}

/// Which profiles connect to a server with one policy, written from the reference's
/// suite and version lists (shared/reference/windows-client-profiles.md), not from our
/// profile tables: §1a Windows 7 default and Server 2008 R2 / 2012 without KB3140245
/// offer TLS 1.0 only; §1b/§1c Windows 7 + KB3140245, 8.1 and Server 2012 (R2) offer
/// TLS 1.2 with ECDHE-RSA-AES-CBC-SHA384/256, DHE-RSA-AES-GCM and no ECDHE-RSA-GCM;
/// §1d/§1f Windows 10 1607-21H2 and Server 2016/2019 add ECDHE-RSA-GCM and keep
/// DHE-RSA-GCM, Windows 10 22H2 drops DHE; §1e/§1f Windows 11 21H2 and Server 2022 have
/// TLS 1.3 and DHE-RSA-GCM, Windows 11 22H2+ TLS 1.3 without DHE.
mod reference {
    pub const ALL: [&str; 14] = [
        "win7",
        "win7-tls12",
        "win81",
        "win10-1607",
        "win10",
        "win11-21h2",
        "win11",
        "ws2008r2",
        "ws2012",
        "ws2012-tls12",
        "ws2012r2",
        "ws2016",
        "ws2019",
        "ws2022",
    ];
    /// TLS 1.2, DHE-RSA-AES-GCM (0x009E/0x009F) only.
    pub const DHE_GCM: &[&str] = &[
        "win7-tls12",
        "win81",
        "win10-1607",
        "win11-21h2",
        "ws2012-tls12",
        "ws2012r2",
        "ws2016",
        "ws2019",
        "ws2022",
    ];
    /// TLS 1.2 ECDHE-RSA-AES-GCM (0xC02F/0xC030) and TLS 1.3: Azure Front Door's
    /// TLSv1.2_2023 policy (§2.3).
    pub const ECDHE_GCM: &[&str] = &[
        "win10-1607",
        "win10",
        "win11-21h2",
        "win11",
        "ws2016",
        "ws2019",
        "ws2022",
    ];
    /// TLS 1.2, ECDHE-RSA-AES256-CBC-SHA384 (0xC028) only: every client with TLS 1.2.
    pub const ECDHE_CBC_SHA384: &[&str] = &[
        "win7-tls12",
        "win81",
        "win10-1607",
        "win10",
        "win11-21h2",
        "win11",
        "ws2012-tls12",
        "ws2012r2",
        "ws2016",
        "ws2019",
        "ws2022",
    ];
    /// TLS 1.3 only.
    pub const TLS13: &[&str] = &["win11-21h2", "win11", "ws2022"];
}

/// Single-policy servers — OpenSSL for each policy, GnuTLS for DHE-only — scanned in
/// one run: every profile's ok/fail is the reference's.
#[test]
fn single_policy_servers_get_the_reference_verdicts() {
    let (cert, key) = pki().rsa_leaf();
    let chain = format!("{cert}{}", pki().ca_pem);
    let dhe = openssl_rsa(
        "TLSv1.2",
        "TLSv1.2",
        "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0",
        "",
    );
    let ecdhe_gcm = openssl_rsa(
        "TLSv1.2",
        "TLSv1.3",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    );
    let cbc = openssl_rsa("TLSv1.2", "TLSv1.2", "ECDHE-RSA-AES256-SHA384", "");
    let tls13 = openssl_rsa(
        "TLSv1.3",
        "TLSv1.3",
        "DEFAULT",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    );
    let gnutls = gnutls_server(
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM",
        &chain,
        &key,
    );
    let servers = [
        ("OpenSSL DHE-RSA-GCM only", dhe.addr, reference::DHE_GCM),
        ("GnuTLS DHE-RSA-GCM only", gnutls.addr, reference::DHE_GCM),
        (
            "OpenSSL ECDHE-RSA-GCM + TLS 1.3 (AFD TLSv1.2_2023)",
            ecdhe_gcm.addr,
            reference::ECDHE_GCM,
        ),
        (
            "OpenSSL ECDHE-RSA-AES256-CBC-SHA384 only",
            cbc.addr,
            reference::ECDHE_CBC_SHA384,
        ),
        ("OpenSSL TLS 1.3 only", tls13.addr, reference::TLS13),
    ];
    let roots = lab_ca_file();
    let mut args = vec![
        "scan",
        "--format",
        "json",
        "--timeout",
        "2s",
        "--roots",
        &roots,
        "--clients",
        "all",
        // Every server is on 127.0.0.1: room for all their probes at once.
        "--per-address",
        "64",
    ];
    let targets: Vec<String> = servers.iter().map(|s| s.1.to_string()).collect();
    args.extend(targets.iter().map(String::as_str));
    let out = tlscompat(&args);
    let json: Value = serde_json::from_str(&text(&out.stdout)).expect("json");
    let records = json["records"].as_array().expect("records");
    for (name, addr, ok) in servers {
        let r = records
            .iter()
            .find(|r| r["port"] == addr.port())
            .unwrap_or_else(|| panic!("{name}: no record"));
        for p in reference::ALL {
            let verdict = r["clients"][p]["verdict"].as_str().unwrap_or("");
            let want = if ok.contains(&p) { "ok " } else { "fail " };
            assert!(verdict.starts_with(want), "{name}: {p}: {verdict}");
        }
        // A record names the profile as asked and the build it stands for.
        assert_eq!(r["clients"]["ws2022"]["alias_of"], "win11-21h2");
        assert_eq!(
            r["clients"]["ws2022"]["builds"],
            "Windows Server 2022 (21H2)"
        );
    }
    // Issue 22's "done when", spelled out.
    let reason = |addr: std::net::SocketAddr, p: &str| {
        let r = records
            .iter()
            .find(|r| r["port"] == addr.port())
            .expect("record");
        r["clients"][p]["verdict"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    for dhe_only in [dhe.addr, gnutls.addr] {
        for p in ["win10", "win11"] {
            assert!(
                reason(dhe_only, p).contains("the server accepts DHE-RSA-AES-GCM only"),
                "{}",
                reason(dhe_only, p)
            );
        }
    }
    for p in ["win7-tls12", "win81"] {
        assert!(
            reason(ecdhe_gcm.addr, p).contains("the server accepts ECDHE-RSA-AES-GCM only"),
            "{}",
            reason(ecdhe_gcm.addr, p)
        );
    }
}
