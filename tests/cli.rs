//! The binary end to end: `tlscompat scan` against lab servers, table and CSV output,
//! and the exit-2 contract for bad input.

mod support;

use std::collections::HashMap;
use std::process::Output;

use support::cli::{Row, csv_rows as rows, tlscompat};
use support::*;

/// CSV rows keyed by `host:port address`.
fn csv_rows(text: &str) -> HashMap<String, Row> {
    rows(text)
        .into_iter()
        .map(|r| (format!("{}:{} {}", r["host"], r["port"], r["address"]), r))
        .collect()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn scan_lab_table_and_csv() {
    let legacy = openssl_server("TLSv1", "TLSv1.1");
    let modern = rustls_server(&[&rustls::version::TLS13]);
    let closed = closed_port();
    let dir = TempDir::new("cli");
    let csv_path = dir.0.join("out.csv");
    let zone = support::dns::Zone::new().a("modern.lab.test", std::net::Ipv4Addr::LOCALHOST);
    let dns = support::dns::dns_server(zone).to_string();
    let targets = [
        legacy.addr.to_string(),
        format!("modern.lab.test:{}", modern.port()),
        closed.to_string(),
    ];
    let csv_arg = csv_path.to_str().unwrap();
    let mut args = vec![
        "scan",
        "--resolver",
        &dns,
        "--timeout",
        "2s",
        "--csv",
        csv_arg,
    ];
    args.extend(targets.iter().map(String::as_str));
    let out = tlscompat(&args);
    let table = stdout(&out);
    println!("{table}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "unreachable fails by default: {}",
        stderr(&out)
    );
    assert!(table.contains("no: server chose TLS 1.1"), "{table}");
    assert!(
        table.contains("legacy-accepted (TLS 1.0, TLS 1.1)"),
        "{table}"
    );
    assert!(
        table.contains("unreachable (connection refused)"),
        "{table}"
    );

    let rows = csv_rows(&std::fs::read_to_string(&csv_path).expect("csv written"));
    assert_eq!(rows.len(), 3);
    let l = &rows[&format!("{} 127.0.0.1", legacy.addr)];
    assert_eq!(
        (
            l["tls1_0"].as_str(),
            l["tls1_1"].as_str(),
            l["tls1_2"].as_str(),
            l["tls1_3"].as_str()
        ),
        ("accepted", "accepted", "rejected", "rejected")
    );
    assert_eq!(l["legacy_rejected"], "false");
    assert_eq!(l["best_version"], "1.1");
    assert!(l["cipher"].starts_with("TLS_"), "{}", l["cipher"]);
    assert!(
        l["error"].contains("tls1_2: server chose TLS 1.1"),
        "{}",
        l["error"]
    );
    assert_eq!(
        l["cert_sha256"],
        tlscompat::cert::sha256_hex(&pki().leaf_der)
    );

    let m = &rows[&format!("modern.lab.test:{} 127.0.0.1", modern.port())];
    assert_eq!(
        (
            m["tls1_0"].as_str(),
            m["tls1_1"].as_str(),
            m["tls1_2"].as_str(),
            m["tls1_3"].as_str()
        ),
        ("rejected", "rejected", "rejected", "accepted")
    );
    assert_eq!(m["legacy_rejected"], "true");
    assert_eq!(m["best_version"], "1.3");
    assert_eq!(m["cipher"], "TLS13_AES_128_GCM_SHA256");
    assert_eq!(m["cert_subject"], "CN=lab.test");
    assert_eq!(m["trusted_public"], "false");
    assert_eq!(
        m["cert_sha256"], l["cert_sha256"],
        "same certificate via 1.3 rustls and raw legacy probe"
    );
    assert!(
        m["error"].contains("tls1_2: alert protocol_version (70)"),
        "{}",
        m["error"]
    );

    let c = &rows[&format!("{closed} 127.0.0.1")];
    assert_eq!(c["tls1_0"], "unreachable");
    assert_eq!(c["tls1_3"], "unreachable");
    assert!(c["findings"].contains("unreachable"), "{}", c["findings"]);
}

#[test]
fn format_csv_and_version_range() {
    let modern = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let ca = lab_ca_file();
    let out = tlscompat(&[
        "scan",
        "--roots",
        &ca,
        "--format",
        "csv",
        "--tls-min",
        "1.2",
        &format!("127.0.0.1:{}", modern.port()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = csv_rows(&stdout(&out));
    let r = rows.values().next().expect("one row");
    assert_eq!(
        (r["tls1_0"].as_str(), r["tls1_1"].as_str()),
        ("skipped", "skipped")
    );
    assert_eq!(
        (r["tls1_2"].as_str(), r["tls1_3"].as_str()),
        ("accepted", "accepted")
    );
    assert_eq!(r["legacy_rejected"], "", "not probed: not applicable");
}

#[test]
fn ipv6_literal_target() {
    let Ok(l) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; skipping");
        return;
    };
    let port = l.local_addr().unwrap().port();
    drop(l);
    let out = tlscompat(&["scan", "--format", "csv", &format!("[::1]:{port}")]);
    assert_eq!(out.status.code(), Some(1), "unreachable fails by default");
    let rows = csv_rows(&stdout(&out));
    let r = &rows[&format!("::1:{port} ::1")];
    assert_eq!(r["tls1_2"], "unreachable");
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["scan", "--tls-min", "1.4", "a.example"],
            "unknown TLS version '1.4'",
        ),
        (
            &["scan", "--tls-min", "1.3", "--tls-max", "1.2", "a.example"],
            "--tls-min 1.3 is above --tls-max 1.2",
        ),
        (&["scan", "bad host!"], "invalid host name"),
        (&["scan", "a.example:70000"], "invalid port '70000'"),
        (&["scan", "[::1"], "missing ']'"),
        (&["scan", "--timeout", "0", "a.example"], "out of range"),
        (&["scan", "--concurrency", "0", "a.example"], "concurrency"),
        (&["scan", "--bogus", "a.example"], "--bogus"),
        (
            &["scan", "--csv", "/nonexistent-dir/x.csv", "127.0.0.1"],
            "/nonexistent-dir/x.csv",
        ),
        (
            &["scan", "--junit", "/nonexistent-dir/x.xml", "127.0.0.1"],
            "/nonexistent-dir/x.xml",
        ),
        (
            &["scan", "--resolver", "not-an-ip", "a.example"],
            "--resolver 'not-an-ip'",
        ),
        (
            &["scan", "--fail-on", "dns,bogus", "a.example"],
            "unknown finding 'bogus'",
        ),
        (&["scan", "--ipv4", "--ipv6", "a.example"], "--ipv6"),
        (&["scan", "--format", "xml", "a.example"], "xml"),
        (&["scan", "--retries", "9", "a.example"], "retries"),
        (
            &["scan", "--proxy", "socks4://p:1", "a.example"],
            "proxy URL 'socks4://p:1'",
        ),
        (
            &[
                "scan",
                "--proxy-auth",
                "digest",
                "--proxy",
                "http://p:1",
                "a.example",
            ],
            "expected basic, ntlm, negotiate or any",
        ),
        (
            &["scan", "--proxy-user", "alice", "a.example"],
            "need a proxy",
        ),
        (
            &[
                "scan",
                "--proxy-user",
                "alice",
                "--proxy",
                "http://p:1",
                "a.example",
            ],
            "proxy user 'alice' has no password",
        ),
        (
            &["scan", "--proxy", "http://u:secret@p:0", "a.example"],
            "http://***@p:0",
        ),
        (
            &["scan", "--roots", "/nonexistent/roots.pem", "a.example"],
            "--roots /nonexistent/roots.pem",
        ),
        (
            &["scan", "--ca-file", "Cargo.toml", "a.example"],
            "--ca-file Cargo.toml: no PEM certificate",
        ),
    ];
    for (args, needle) in cases {
        let out = tlscompat(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(needle),
            "{args:?}: stderr {:?} lacks {needle:?}",
            stderr(&out)
        );
        assert!(
            out.stdout.is_empty(),
            "{args:?}: nothing scanned, nothing printed"
        );
    }
}

#[test]
fn closed_stdout_keeps_the_other_reports_and_the_exit_code() {
    let dir = TempDir::new("pipe");
    let junit = dir.0.join("r.xml");
    let closed = closed_port().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tlscompat"))
        .args([
            "scan",
            "--format",
            "csv",
            "--junit",
            junit.to_str().unwrap(),
            &closed,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // the reader goes away, like `| head -c0`
    let status = child.wait().expect("wait");
    assert_eq!(
        status.code(),
        Some(1),
        "the unreachable finding still fails the run"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<failure type=\"unreachable\""), "{xml}");
}

#[test]
fn a_refused_invocation_leaves_existing_reports_alone() {
    let dir = TempDir::new("keep");
    let csv = dir.0.join("old.csv");
    std::fs::write(&csv, "keep me").unwrap();
    let csv_arg = csv.to_str().unwrap();
    for args in [
        vec![
            "scan",
            "--csv",
            csv_arg,
            "--roots",
            "/nonexistent/roots.pem",
            "127.0.0.1",
        ],
        vec![
            "scan",
            "--csv",
            csv_arg,
            "--json",
            "/nonexistent-dir/r.json",
            "127.0.0.1",
        ],
    ] {
        let out = tlscompat(&args);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(
            std::fs::read_to_string(&csv).unwrap(),
            "keep me",
            "{args:?}"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary report files left behind");
}
