//! Outputs that cannot be turned against their readers (issue 9): hostile certificate
//! names and proxy status lines against the table, CSV, JUnit and stderr; hostile proxy
//! URLs and numeric names against the command line.

mod support;

use std::process::Output;

use support::cli::*;
use support::pki::Ca;
use support::proxy::{ProxyConfig, connect_proxy};
use support::*;

const CLEAR_SCREEN: &str = "\x1b[2J\x1b[H\x1b[31mALL GOOD";
const FORGED_LINE: &str = "\nFAIL fake.example:443: forged line\r\n";
const RTL: &str = "gro.elpmaxe\u{202e}";

/// A server whose CA and leaf carry hostile names; returns its port.
fn hostile_server(ca_cn: &str, leaf_cn: &str) -> u16 {
    let ca = Ca::new(ca_cn);
    let leaf = ca.leaf(&["lab.test"], |p| {
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, leaf_cn);
    });
    rustls_server_with(vec![leaf.der.clone(), ca.der.clone()], leaf.key_der.clone()).port()
}

/// True when `s` holds anything a terminal would interpret or hide.
fn has_terminal_hazard(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// Every character is one XML 1.0 allows, so a parser cannot reject the document on
/// characters alone (markup is checked by the sink's own tests).
fn xml_chars_ok(s: &str) -> bool {
    s.chars().all(
        |c| matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..),
    )
}

fn run_hostile(extra: &[&str]) -> (Output, Vec<u16>) {
    let ports = vec![
        hostile_server(CLEAR_SCREEN, FORGED_LINE),
        hostile_server(FORGED_LINE, RTL),
        hostile_server("Issuer \u{fffe}\u{ffff} CA", "=HYPERLINK(\"http://x\")"),
        hostile_server(RTL, "@SUM(1)"),
    ];
    let targets: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let mut args = vec![
        "scan",
        "--no-system-store",
        "--timeout",
        "2s",
        "--tls-min",
        "1.2",
    ];
    args.extend_from_slice(extra);
    args.extend(targets.iter().map(String::as_str));
    (tlscompat(&args), ports)
}

#[test]
fn hostile_certificate_names_cannot_rewrite_the_table() {
    let (out, ports) = run_hostile(&[]);
    let table = text(&out.stdout);
    println!("{table}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!has_terminal_hazard(&table), "raw controls in the table");
    assert!(
        !table.lines().any(|l| l.starts_with("FAIL fake.example")),
        "a certificate forged a line"
    );
    // The names are shown, visibly escaped.
    assert!(
        table.contains("\\x1b[2J\\x1b[H\\x1b[31mALL GOOD"),
        "{table}"
    );
    assert!(
        table.contains("\\nFAIL fake.example:443: forged line\\r\\n"),
        "{table}"
    );
    assert!(table.contains("\\u{202e}"), "{table}");
    // Every target still has its own, genuine FAIL line.
    for p in ports {
        let genuine = format!("FAIL 127.0.0.1:{p} [127.0.0.1]: cert-invalid");
        assert!(table.contains(&genuine), "{genuine}\n{table}");
    }
    assert!(!has_terminal_hazard(&text(&out.stderr)));
}

#[test]
fn hostile_names_in_junit_csv_and_json() {
    let dir = TempDir::new("hostile");
    let (junit, csv, json) = (
        dir.0.join("r.xml"),
        dir.0.join("r.csv"),
        dir.0.join("r.json"),
    );
    let (out, _) = run_hostile(&[
        "--quiet",
        "--junit",
        junit.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml_chars_ok(&xml), "characters XML forbids:\n{xml}");
    assert!(!xml.contains('\u{202e}') && !xml.contains('\x1b'), "{xml}");
    assert!(xml.contains("Issuer \\u{fffe}\\u{ffff} CA"), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 4, "{xml}");

    let rows = csv_rows(&std::fs::read_to_string(&csv).expect("csv"));
    assert_eq!(rows.len(), 4);
    let subjects: Vec<&str> = rows.iter().map(|r| r["cert_subject"].as_str()).collect();
    for r in &rows {
        for (col, cell) in r {
            let first = cell.chars().next();
            assert!(
                !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                "{col} = {cell:?} would run as a formula"
            );
        }
    }
    assert!(
        subjects.iter().any(|s| s.starts_with("CN=")),
        "{subjects:?}"
    );

    // JSON keeps the exact values.
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("valid");
    let issuers: Vec<String> = v["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            r["certificate_chain"][0]["issuer_cn"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(issuers.iter().any(|i| i == CLEAR_SCREEN), "{issuers:?}");
    assert!(issuers.iter().any(|i| i == FORGED_LINE), "{issuers:?}");
    assert_eq!(v["complete"], true);
}

#[test]
fn hostile_proxy_status_line_cannot_erase_its_fail_line() {
    let proxy = connect_proxy(ProxyConfig {
        status: Some("403 \x1b[2K\x1b[1A\r\u{202e}Forbidden".into()),
        ..ProxyConfig::default()
    });
    let out = tlscompat(&[
        "scan",
        "--timeout",
        "2s",
        "--proxy",
        &format!("http://{proxy}"),
        "login.microsoftonline.com",
    ]);
    let table = text(&out.stdout);
    println!("{table}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(!has_terminal_hazard(&table), "raw escapes from the proxy");
    let fail = table
        .lines()
        .find(|l| l.starts_with("FAIL login.microsoftonline.com:443"))
        .expect("the FAIL line survives");
    assert!(fail.contains("with 403 \\x1b[2K\\x1b[1A"), "{fail}");
}

#[test]
fn scheme_less_proxy_from_the_environment_works_and_keeps_its_secret() {
    let origin = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let auth = tlscompat::proxy::base64_encode(b"user:S3CRETPW");
    let proxy = connect_proxy(ProxyConfig {
        basic_auth: Some(auth),
        ..ProxyConfig::default()
    });
    let target = format!("127.0.0.1:{}", origin.port());
    for url in [
        format!("user:S3CRETPW@{proxy}"),
        format!("HTTP://user:S3CRETPW@{proxy}"),
    ] {
        let out = tlscompat_env(
            &["scan", "--format", "csv", "--timeout", "2s", &target],
            &[("HTTPS_PROXY", &url)],
        );
        let err = text(&out.stderr);
        assert_ne!(out.status.code(), Some(2), "{url}: {err}");
        assert!(!err.contains("S3CRETPW"), "{err}");
        let rows = csv_rows(&text(&out.stdout));
        assert_eq!(rows[0]["address"], format!("via {proxy}"), "{url}");
        assert_eq!(rows[0]["tls1_2"], "accepted", "{url}: through the proxy");
    }
    // A bad one is refused without the password, and without raw CR/LF.
    let out = tlscompat_env(
        &["scan", "127.0.0.1:1"],
        &[("HTTPS_PROXY", "user:S3CRETPW@host:0\r\nX-Injected: 1")],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("S3CRETPW") && !err.contains('\r'), "{err:?}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err:?}");
}

#[test]
fn no_proxy_cidr_and_port_entries_bypass_the_proxy() {
    let origin = rustls_server(&[&rustls::version::TLS13]);
    let dead_proxy = closed_port();
    let target = format!("127.0.0.1:{}", origin.port());
    for no_proxy in [
        "127.0.0.0/8",
        &format!("127.0.0.1:{}", origin.port()),
        "::1,127.0.0.0/30",
    ] {
        let out = tlscompat_env(
            &["scan", "--format", "csv", "--timeout", "2s", &target],
            &[
                ("HTTPS_PROXY", &format!("http://{dead_proxy}")),
                ("NO_PROXY", no_proxy),
            ],
        );
        let rows = csv_rows(&text(&out.stdout));
        assert_eq!(rows[0]["address"], "127.0.0.1", "NO_PROXY={no_proxy}");
        assert_eq!(rows[0]["tls1_3"], "accepted", "NO_PROXY={no_proxy}");
    }
    // A port that does not match leaves the proxy in place.
    let out = tlscompat_env(
        &["scan", "--format", "csv", "--timeout", "2s", &target],
        &[
            ("HTTPS_PROXY", &format!("http://{dead_proxy}")),
            ("NO_PROXY", "127.0.0.1:1"),
        ],
    );
    let rows = csv_rows(&text(&out.stdout));
    assert_eq!(rows[0]["address"], format!("via {dead_proxy}"));
}

#[test]
fn numeric_looking_names_are_refused_before_dns() {
    for (name, means) in [
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("2130706482", "127.0.0.50"),
        ("0177.0.0.1:8443", "127.0.0.1"),
    ] {
        let out = tlscompat(&["scan", name]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(&format!("write {means}")), "{name}: {err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn endpoints_file_with_invalid_utf8_names_the_line() {
    let dir = TempDir::new("utf8");
    let path = dir.0.join("bad.toml");
    std::fs::write(
        &path,
        b"[[endpoint]]\nhost = \"a.example\"\npurpose = \"caf\xe9\"\n",
    )
    .unwrap();
    let out = tlscompat(&["scan", "--endpoints", path.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.toml:3:15: invalid UTF-8"), "{err}");
}
