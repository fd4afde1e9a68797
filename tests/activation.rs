//! Will activation work from here? One answer per client, in every report (issue 16).
//!
//! A loopback lab under Microsoft 365 names with their roles (a list file of the
//! embedded one's shape, the lab's ports): OpenSSL configured like Azure Front Door's
//! TLSv1.2_2023 and TLSv1.2_2022 policies and TLS 1.3 only, GnuTLS DHE-only, rustls,
//! and the hosts that never answer — a silent one, a resetting one, a closed port, a
//! name that does not resolve. One scan writes every report; then the checks:
//! - every client cell is `ok …` or `fail …`, never empty;
//! - the verdict lines end the table output; each one's N is the number of `fail`
//!   cells in its CSV column and M the number of rows; the lines name roles and reasons;
//! - JSON `summary.clients`, JUnit (one testsuite per profile) and HTML (verdicts
//!   first) say the same;
//! - `merge` of the JSON gives the same lines, and on a terminal the matrix;
//! - the scan of two shards merged gives the same lines.
//!
//! And the cost of a host that never answers: a silent address with `--clients all
//! --ciphers --timeout 2s` within 2 × timeout + 1 s; a closed one, one connect.

mod support;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::cli::{csv_rows, scan_lab_record, text, tlscompat, tlscompat_env};
use support::dns::{Zone, dns_server};
use support::*;

/// The lab's hosts: name, role, and what answers there.
const HOSTS: [(&str, &str, &str); 9] = [
    (
        "login.microsoftonline.com",
        "sign-in",
        "rustls, TLS 1.2 and 1.3",
    ),
    ("login.live.com", "sign-in", "OpenSSL like AFD TLSv1.2_2023"),
    ("aadcdn.msauth.net", "sign-in", "does not resolve"),
    (
        "ols.officeapps.live.com",
        "activation",
        "OpenSSL like AFD TLSv1.2_2022",
    ),
    (
        "activation.sls.microsoft.com",
        "activation",
        "GnuTLS, DHE-RSA-GCM only",
    ),
    ("crl.microsoft.com", "activation", "resets every connection"),
    (
        "officeclient.microsoft.com",
        "configuration",
        "OpenSSL, TLS 1.3 only",
    ),
    ("officecdn.microsoft.com", "content", "closed port"),
    (
        "nexus.officeapps.live.com",
        "telemetry",
        "accepts TCP, never answers",
    ),
];

/// The reference's verdicts per host (shared/reference/windows-client-profiles.md §1,
/// §3): the profiles that connect there. Every other profile fails.
fn expected_ok(host: &str) -> &'static [&'static str] {
    const TLS12: &[&str] = &[
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
    match host {
        // rustls: ECDHE-ECDSA-AES-GCM at TLS 1.2, which Windows 7/8.x offer too.
        "login.microsoftonline.com" => TLS12,
        "login.live.com" => &[
            "win10-1607",
            "win10",
            "win11-21h2",
            "win11",
            "ws2016",
            "ws2019",
            "ws2022",
        ],
        "ols.officeapps.live.com" => TLS12,
        "activation.sls.microsoft.com" => &[
            "win7-tls12",
            "win81",
            "win10-1607",
            "win11-21h2",
            "ws2012-tls12",
            "ws2012r2",
            "ws2016",
            "ws2019",
            "ws2022",
        ],
        "officeclient.microsoft.com" => &["win11-21h2", "win11", "ws2022"],
        _ => &[],
    }
}

/// The lab: its servers (kept alive), the DNS server, the list file.
struct Lab {
    _servers: (OpenSslServer, OpenSslServer, OpenSslServer, GnuTlsServer),
    dns: SocketAddr,
    endpoints: String,
    _dir: TempDir,
}

fn lab() -> Lab {
    let names: Vec<&str> = HOSTS.iter().map(|h| h.0).collect();
    let (cert, key) = pki().rsa_leaf_for(&names);
    let chain = format!("{cert}{}", pki().ca_pem);
    let openssl = |min: &str, max: &str, cipher: &str, suites: &str| {
        openssl_server_opts(
            min,
            max,
            "127.0.0.1:0",
            &chain,
            &key,
            &["-cipher", cipher, "-ciphersuites", suites],
        )
    };
    let afd2023 = openssl(
        "TLSv1.2",
        "TLSv1.3",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    );
    let afd2022 = openssl(
        "TLSv1.2",
        "TLSv1.3",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    );
    let tls13 = openssl(
        "TLSv1.3",
        "TLSv1.3",
        "DEFAULT",
        "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
    );
    let dhe = gnutls_server(
        "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM",
        &chain,
        &key,
    );
    let rustls = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let port = |host: &str| -> u16 {
        match host {
            "login.microsoftonline.com" => rustls.port(),
            "login.live.com" => afd2023.addr.port(),
            "ols.officeapps.live.com" => afd2022.addr.port(),
            "activation.sls.microsoft.com" => dhe.addr.port(),
            "crl.microsoft.com" => resetter().port(),
            "officeclient.microsoft.com" => tls13.addr.port(),
            "officecdn.microsoft.com" => closed_port().port(),
            "nexus.officeapps.live.com" => blackhole().port(),
            _ => 443,
        }
    };
    let mut zone = Zone::new();
    let mut list = String::new();
    for (host, role, what) in HOSTS {
        if what != "does not resolve" {
            zone = zone.a(host, Ipv4Addr::LOCALHOST);
        }
        list.push_str(&format!(
            "[[endpoint]]\nhost = \"{host}\"\nport = {}\npurpose = \"lab: {what}\"\n\
             sources = [\"LAB\"]\ncategory = \"default\"\ninspection = \"allowed\"\n\
             legacy_tls = \"unknown\"\nrole = \"{role}\"\n\n",
            port(host)
        ));
    }
    let dir = TempDir::new("activation");
    let endpoints = dir.0.join("endpoints.toml");
    std::fs::write(&endpoints, list).expect("write list");
    Lab {
        _servers: (afd2023, afd2022, tls13, dhe),
        dns: dns_server(zone),
        endpoints: endpoints.to_str().expect("utf-8").to_string(),
        _dir: dir,
    }
}

/// `scan` of the lab's list (`endpoints`, names from `dns`) with every profile;
/// `extra` adds flags.
fn scan(
    endpoints: &str,
    dns: SocketAddr,
    extra: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let roots = lab_ca_file();
    let dns = dns.to_string();
    let mut args = vec![
        "scan",
        "--endpoints",
        endpoints,
        "--resolver",
        &dns,
        "--roots",
        &roots,
        "--clients",
        "all",
        "--timeout",
        "2s",
        // Every lab server is on 127.0.0.1: room for all their probes at once.
        "--per-address",
        "64",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    tlscompat_env(&args, env)
}

/// The verdict lines: the last lines of the table output, one per profile (lines a
/// terminal's width wrapped are joined again).
fn verdict_lines(table: &str, profiles: usize) -> Vec<String> {
    let mut joined: Vec<String> = Vec::new();
    for l in table.lines() {
        match (l.strip_prefix("    "), joined.last_mut()) {
            (Some(rest), Some(last)) if !last.is_empty() => {
                last.push(' ');
                last.push_str(rest);
            }
            _ => joined.push(l.to_string()),
        }
    }
    let lines: Vec<&str> = joined.iter().map(String::as_str).collect();
    assert!(lines.len() > profiles, "{table}");
    let tail: Vec<String> = lines[lines.len() - profiles..]
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert!(
        lines[lines.len() - profiles - 1].is_empty(),
        "a blank line before the verdicts:\n{table}"
    );
    tail
}

/// `PROFILE: fails at N of M addresses …` → (profile, N, M).
fn counts(line: &str) -> (String, usize, usize) {
    let (profile, rest) = line.split_once(": ").expect("profile: …");
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        ["activates", "at", "all", m, ..] => (profile.into(), 0, m.parse().expect("M")),
        ["fails", "at", n, "of", m, ..] => {
            (profile.into(), n.parse().expect("N"), m.parse().expect("M"))
        }
        _ => panic!("not a verdict line: {line}"),
    }
}

#[test]
fn one_answer_per_client_in_every_report() {
    let lab = lab();
    let dir = TempDir::new("activation-reports");
    let file = |n: &str| dir.0.join(n).to_str().expect("utf-8").to_string();
    let (csv, json, junit, html) = (
        file("scan.csv"),
        file("scan.json"),
        file("scan.xml"),
        file("scan.html"),
    );
    let started = Instant::now();
    let out = scan(
        &lab.endpoints,
        lab.dns,
        &[
            "--csv", &csv, "--json", &json, "--junit", &junit, "--html", &html,
        ],
        &[],
    );
    let took = started.elapsed();
    let table = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{table}\n{}", text(&out.stderr));
    println!("{table}");

    // CSV: every cell ok or fail; the reference's verdict per host.
    let rows = csv_rows(&std::fs::read_to_string(&csv).expect("csv"));
    assert_eq!(rows.len(), HOSTS.len());
    let columns: Vec<String> = {
        let mut c: Vec<String> = rows[0]
            .keys()
            .filter(|k| k.starts_with("client_"))
            .cloned()
            .collect();
        c.sort();
        c
    };
    assert_eq!(columns.len(), 14);
    let mut failing: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        let ok = expected_ok(&r["host"]);
        for col in &columns {
            let cell = &r[col];
            let profile = col.trim_start_matches("client_").replace('_', "-");
            assert!(
                cell.starts_with("ok ") || cell.starts_with("fail "),
                "{} {col}: {cell:?}",
                r["host"]
            );
            let want = if ok.contains(&profile.as_str()) {
                "ok "
            } else {
                "fail "
            };
            assert!(cell.starts_with(want), "{} {profile}: {cell}", r["host"]);
            *failing.entry(profile).or_default() += usize::from(cell.starts_with("fail "));
        }
    }

    // The verdict lines end the table; N and M are the CSV's.
    let lines = verdict_lines(&table, 14);
    for line in &lines {
        let (profile, n, m) = counts(line);
        assert_eq!(Some(&n), failing.get(&profile), "{line}");
        assert_eq!(m, rows.len(), "{line}");
    }
    let line = |p: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{p}: ")))
            .expect(p)
            .clone()
    };
    assert!(
        line("win7-tls12").starts_with(
            "win7-tls12: fails at 6 of 9 addresses — cannot sign in: 1 no TLS 1.2 suite in \
             common (server: ECDHE-RSA-AES-GCM only, like AFD TLSv1.2_2023), 1 not resolved; \
             cannot activate: 1 resets the connection; configuration fails: 1 needs TLS 1.3; \
             no installs or updates: 1 unreachable (connection refused); telemetry only: 1 no \
             answer in time → upgrade to Windows 10+"
        ),
        "{}",
        line("win7-tls12")
    );
    assert!(
        line("win10").contains(
            "cannot activate: 1 no TLS 1.2 suite in common (server: DHE-RSA-AES-GCM only), 1 \
             resets the connection"
        ),
        "{}",
        line("win10")
    );
    assert!(
        line("win10").contains("the server must offer ECDHE"),
        "{}",
        line("win10")
    );
    assert!(line("ws2012").contains("KB3140245"), "{}", line("ws2012"));
    // Not on a terminal: each address keeps its client lines.
    assert!(table.contains("clients crl.microsoft.com:"), "{table}");

    // JSON summary.clients, the same lines and counts.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("json");
    let summary = report["summary"]["clients"]
        .as_array()
        .expect("summary.clients");
    let from_json: Vec<&str> = summary
        .iter()
        .filter_map(|c| c["verdict"].as_str())
        .collect();
    assert_eq!(from_json, lines);
    for c in summary {
        let p = c["profile"].as_str().unwrap_or("");
        assert_eq!(
            c["failing"].as_u64(),
            failing.get(p).map(|n| *n as u64),
            "{c}"
        );
    }
    assert_eq!(summary[13]["profile"], "ws2022");
    assert_eq!(summary[13]["alias_of"], "win11-21h2");

    // JUnit: one testsuite per profile, its failures the profile's N.
    let xml = std::fs::read_to_string(&junit).expect("junit");
    for (p, n) in &failing {
        let head = format!("<testsuite name=\"client {p}\" tests=\"9\" failures=\"{n}\"");
        assert!(xml.contains(&head), "{head}\n{xml}");
    }
    assert!(xml.contains("<system-out>win7-tls12: fails at 6 of 9 addresses"));

    // HTML: the verdicts and the client matrix before the version matrix.
    let page = std::fs::read_to_string(&html).expect("html");
    let at = |s: &str| {
        page.find(s)
            .unwrap_or_else(|| panic!("{s} not in the page"))
    };
    assert!(at("<ul id=\"verdicts\">") < at("<table id=\"clients\">"));
    assert!(at("<table id=\"clients\">") < at("<table id=\"matrix\">"));

    // merge recomputes the lines from the records; on a terminal, the matrix.
    let merged = tlscompat_env(&["merge", &json], &[("COLUMNS", "120")]);
    let merged_table = text(&merged.stdout);
    println!("{merged_table}");
    assert_eq!(verdict_lines(&merged_table, 14), lines);
    assert!(
        !merged_table.contains("clients crl.microsoft.com:"),
        "{merged_table}"
    );
    let grid: Vec<&str> = merged_table
        .lines()
        .skip_while(|l| !l.starts_with("HOST ") || !l.contains("win7"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(grid.len(), 1 + HOSTS.len(), "{merged_table}");
    for l in merged_table.lines() {
        assert!(l.chars().count() <= 120, "wider than 120: {l}");
    }
    assert!(
        grid[1].starts_with("login.microsoftonline.com:"),
        "{}",
        grid[1]
    );
    assert!(merged_table.contains("win11-21h2: also ws2022 (the same hello, the same answers)"));
    println!("the scan took {took:?}");
}

#[test]
fn shards_merge_into_the_same_verdicts() {
    let lab = lab();
    let dir = TempDir::new("activation-shards");
    let file = |n: &str| dir.0.join(n).to_str().expect("utf-8").to_string();
    let (one, two, whole) = (file("1.json"), file("2.json"), file("all.json"));
    // The two shards and the whole scan side by side.
    let runs: Vec<std::thread::JoinHandle<std::process::Output>> = [
        vec![
            "--shard".to_string(),
            "1/2".into(),
            "--json".into(),
            one.clone(),
        ],
        vec![
            "--shard".to_string(),
            "2/2".into(),
            "--json".into(),
            two.clone(),
        ],
        vec!["--json".to_string(), whole.clone()],
    ]
    .into_iter()
    .map(|extra| {
        let endpoints = lab.endpoints.clone();
        let dns = lab.dns;
        std::thread::spawn(move || {
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            scan(&endpoints, dns, &extra, &[])
        })
    })
    .collect();
    let outs: Vec<_> = runs.into_iter().map(|r| r.join().expect("scan")).collect();
    let unsharded = verdict_lines(&text(&outs[2].stdout), 14);
    let merged = tlscompat(&["merge", &one, &two]);
    assert_eq!(
        verdict_lines(&text(&merged.stdout), 14),
        unsharded,
        "{}",
        text(&merged.stderr)
    );
    assert_eq!(merged.status.code(), outs[2].status.code());
}

/// A host that accepts connections and never answers costs at most 2 × timeout + 1 s
/// whatever the checks; a closed port costs one connect. Measured on the lab's
/// blackhole and closed port.
#[test]
fn hosts_that_never_answer_cost_one_round_of_timeouts() {
    let (took, r) = alone(blackhole());
    for (p, v) in r["clients"].as_object().expect("clients") {
        assert_eq!(
            v["verdict"], "fail no answer to this client's hello in time",
            "{p}"
        );
    }
    println!("silent host, --clients all --ciphers --timeout 2s: {took:?}");
    assert!(took <= Duration::from_secs(5), "{took:?}");

    let (took, r) = alone(closed_port());
    assert_eq!(r["probes"], 1, "one connect: {r}");
    for (p, v) in r["clients"].as_object().expect("clients") {
        assert_eq!(v["verdict"], "fail unreachable: connection refused", "{p}");
    }
    println!("closed port: {took:?}, {} probe", r["probes"]);
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// `scan --clients all --ciphers --timeout 2s ADDR` with the default limits: how long
/// it took, and the record.
fn alone(addr: SocketAddr) -> (Duration, Value) {
    let started = Instant::now();
    let (_, record) = scan_lab_record(&["--clients", "all", "--ciphers", &addr.to_string()]);
    (started.elapsed(), record)
}
