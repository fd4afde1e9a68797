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
fn dhe_rsa_gcm_only() {
    let config = Config {
        name: "DHE-RSA-GCM only",
        versions: vec![Tls12],
        suites12: vec![0x009e, 0x009f],
        suites13: vec![],
    };
    let server = openssl_rsa(
        "TLSv1.2",
        "TLSv1.2",
        "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0",
        "",
    );
    check(&config, &scan(&server.addr.to_string()));
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
    let bad = tlscompat(&["scan", "--clients", "win98", "127.0.0.1:1"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown client profile 'win98'"));
}
