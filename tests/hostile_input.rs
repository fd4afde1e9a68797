//! Issue 23: nothing a server, a report file or a crash can do loses the scan. Each test
//! reproduces one finding of the hostile-input round against a real server (rcgen
//! certificates with hostile names, served by rustls) or a real file.

mod support;

use std::path::Path;

use support::cli::*;
use support::pki::Ca;
use support::*;

/// A rustls server whose leaf's subject CN (and its CA's) is `cn`; returns its port.
fn server_named(cn: &str) -> u16 {
    let ca = Ca::new(cn);
    let leaf = ca.leaf(&["lab.test"], |p| {
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    });
    rustls_server_with(vec![leaf.der.clone(), ca.der.clone()], leaf.key_der.clone()).port()
}

/// The names of the files in `dir` (sorted).
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// True when `s` holds a character a terminal interprets or a reader cannot see.
fn has_hazard(s: &str) -> bool {
    s.chars()
        .any(|c| c != '\n' && tlscompat::safe::unsafe_for_terminal(c))
}

/// Finding 1: a CN of 17,000 control characters (or 8,300 U+202E) escapes to more than
/// 65,535 characters; the table padded it with `{:<w$}` and panicked (exit 101), no
/// report was written and four temporary files stayed. Now the cell is cut with `…`,
/// every report is written, nothing is left behind.
#[test]
fn a_huge_hostile_certificate_name_loses_no_report() {
    let controls: String = (0..17_000)
        .map(|i| char::from(1 + (i % 30) as u8))
        .collect();
    let rtl = "\u{202e}".repeat(8_300);
    // Finding 8: invisible characters that reached the table raw.
    let invisible = "a\u{1d173}\u{1d17a}\u{600}\u{13430}\u{2800}\u{3000}\u{fffc}b";
    let good = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let ports = [
        server_named(&controls),
        good.port(),
        server_named(&rtl),
        server_named(invisible),
    ];
    let dir = TempDir::new("huge-name");
    let report = |ext: &str| dir.0.join(format!("r.{ext}"));
    for ext in ["csv", "json", "xml", "html"] {
        std::fs::write(report(ext), "previous report").expect("seed");
    }
    let targets: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let paths: Vec<String> = ["csv", "json", "xml", "html"]
        .iter()
        .map(|e| report(e).display().to_string())
        .collect();
    let mut args = vec![
        "scan",
        "--no-system-store",
        "--timeout",
        "3s",
        "--tls-min",
        "1.2",
        "--no-progress",
        "--csv",
        &paths[0],
        "--json",
        &paths[1],
        "--junit",
        &paths[2],
        "--html",
        &paths[3],
    ];
    args.extend(targets.iter().map(String::as_str));
    let out = tlscompat(&args);
    let (table, err) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        files_in(&dir.0),
        ["r.csv", "r.html", "r.json", "r.xml"],
        "no temporary file left"
    );
    assert_eq!(out.status.code(), Some(1), "{err}");
    // The table: every target has its row, the long names cut with `…`, no line
    // longer than a bounded width, nothing raw.
    assert!(!has_hazard(&table) && !has_hazard(&err), "raw characters");
    for t in &targets {
        assert!(table.contains(t.split(':').nth(1).unwrap()), "{t}");
    }
    assert!(table.contains('…'), "cut with a mark");
    let widest = table.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest < 2_000, "a table line of {widest} characters");
    // Every report replaced the previous one, complete and parsable.
    let json_text = std::fs::read_to_string(report("json")).expect("json");
    assert!(!has_hazard(json_text.trim_end()), "JSON: raw characters");
    let json: serde_json::Value = serde_json::from_str(&json_text).expect("valid JSON");
    assert_eq!(json["complete"], true);
    assert_eq!(json["records"].as_array().map(Vec::len), Some(4));
    let names: Vec<&str> = json["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["certificate_chain"][0]["issuer_cn"].as_str())
        .collect();
    assert!(
        names.contains(&controls.as_str()),
        "JSON keeps the exact value"
    );
    assert!(names.contains(&rtl.as_str()), "JSON keeps the exact value");
    assert!(names.contains(&invisible), "JSON keeps the exact value");
    assert!(table.contains("a\\u{1d173}\\u{1d17a}\\u{600}\\u{13430}\\u{2800}\\u{3000}\\u{fffc}b"));
    for ext in ["csv", "xml", "html"] {
        let body = std::fs::read_to_string(report(ext)).expect(ext);
        assert!(body.len() > 100 && !body.starts_with("previous"), "{ext}");
        assert!(
            !has_hazard(&body.replace(['\r', '\n'], "")),
            "{ext}: raw characters"
        );
    }
    assert_eq!(
        csv_rows(&std::fs::read_to_string(report("csv")).unwrap()).len(),
        4
    );
}

/// Finding 6: against a server whose TLS 1.2 claim the version probes do not believe
/// (`claimed, not proven`, `handshake-failed`), `--clients win10,win11` said
/// `ok TLS 1.2`. A client verdict follows the same proof rules.
#[test]
fn a_client_verdict_follows_the_proof_of_its_version() {
    let server = support::hostile::static_rsa_claimer();
    let (code, r) = scan_lab_record(&["--clients", "win10,win11", &server.to_string()]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(r["versions"]["tls1_2"]["state"], "error", "{r}");
    let detail = r["versions"]["tls1_2"]["detail"].as_str().unwrap_or("");
    assert!(detail.starts_with("claimed, not proven"), "{detail}");
    for p in ["win10", "win11"] {
        let verdict = r["clients"][p]["verdict"].as_str().unwrap_or("");
        println!("{p}: {verdict}");
        assert!(verdict.starts_with("fail "), "{p}: {verdict}");
        assert!(verdict.contains("not proven"), "{p}: {verdict}");
        assert_eq!(r["clients"][p]["connects"], false, "{p}");
    }
    let kinds: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"client-incompatible"), "{kinds:?}");
    assert!(kinds.contains(&"handshake-failed"), "{kinds:?}");
}

/// A server (from `make`) whose `127.0.0.1:port` falls in slice `slice` of 2 shards.
fn in_shard(slice: u32, make: fn() -> std::net::SocketAddr) -> String {
    loop {
        let a = make();
        if tlscompat::shard::Shard::slice_of("127.0.0.1", a.port(), 2) == slice {
            return a.to_string();
        }
    }
}

fn json_of(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("report")).expect("JSON")
}

/// Finding 2: shard 1/2 stopped by SIGTERM (`"complete": false`) merged with shard 2/2
/// gave `"complete": true`, no INCOMPLETE footer, no JUnit error and exit 0. Now the
/// merge is refused (exit 2, nothing written) unless `--allow-incomplete`, and then
/// every sink says INCOMPLETE and the exit code is not 0, even with `--fail-on none`.
#[test]
fn merging_an_interrupted_shard_is_never_complete() {
    let dir = TempDir::new("interrupted-shard");
    let path = |n: &str| dir.0.join(n).display().to_string();
    let targets = [
        in_shard(0, closed_port),
        in_shard(0, blackhole),
        in_shard(1, closed_port),
    ];
    let base = ["scan", "--quiet", "--timeout", "30s", "--format", "json"];
    let (s1, s2) = (path("s1.json"), path("s2.json"));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tlscompat"))
        .args(base)
        .args(["--shard", "1/2", "--json", &s1])
        .args(&targets)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // The closed port's record is out at once; the blackhole holds the shard.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(143));
    assert_eq!(json_of(Path::new(&s1))["complete"], false);
    let mut args = base.to_vec();
    args.extend(["--shard", "2/2", "--json", &s2]);
    args.extend(targets.iter().map(String::as_str));
    let out = tlscompat(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    let refused = tlscompat(&["merge", &s1, &s2, "--json", &path("m.json")]);
    let err = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(err.contains("s1.json is incomplete") && err.contains("--allow-incomplete"));
    assert!(!Path::new(&path("m.json")).exists(), "nothing written");

    let (m, x, h) = (path("m.json"), path("m.xml"), path("m.html"));
    let merged = tlscompat(&[
        "merge",
        &s1,
        &s2,
        "--allow-incomplete",
        "--fail-on",
        "none",
        "--json",
        &m,
        "--junit",
        &x,
        "--html",
        &h,
    ]);
    let (table, err) = (text(&merged.stdout), text(&merged.stderr));
    assert_eq!(merged.status.code(), Some(1), "never 0: {err}");
    assert!(table.contains("INCOMPLETE: ") && table.contains("s1.json is incomplete"));
    let v = json_of(Path::new(&m));
    assert_eq!(v["complete"], false);
    assert!(
        v["summary"]["incomplete"]
            .as_str()
            .unwrap()
            .contains("s1.json")
    );
    assert_eq!(
        v["records"].as_array().map(Vec::len),
        Some(2),
        "the blackhole never finished"
    );
    let xml = std::fs::read_to_string(&x).unwrap();
    assert!(xml.contains("<error type=\"interrupted\""), "{xml}");
    let page = std::fs::read_to_string(&h).unwrap();
    assert!(page.find("id=\"incomplete\"") < page.find("id=\"matrix\""));
}

/// A real shard report (`scan --shard K/2` of two closed ports), as JSON.
fn real_shards(dir: &Path) -> (String, String) {
    let targets = [in_shard(0, closed_port), in_shard(1, closed_port)];
    let mut names = Vec::new();
    for k in ["1/2", "2/2"] {
        let p = dir.join(format!("s{}.json", &k[..1])).display().to_string();
        let mut args = vec!["scan", "--quiet", "--timeout", "2s", "--shard", k];
        args.extend(["--format", "json", "--json", &p]);
        args.extend(targets.iter().map(String::as_str));
        let out = tlscompat(&args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        names.push(p);
    }
    (names.remove(0), names.remove(0))
}

/// Writes `v` (a forged copy of a real report) to `name` in `dir`.
fn forged(dir: &Path, name: &str, v: &serde_json::Value) -> String {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
    p.display().to_string()
}

/// Findings 3 and 8: numbers read from a report are range-checked, with an exit-2 error
/// naming the file and the JSON path, before they size anything: `options.shard.count`
/// of 2^40 aborted merge (allocation failure, exit 134) and 2^62 panicked; a port of
/// 65536 said `expected u16`, `port: 0` was accepted, a duplicated record became a
/// duplicate row, invalid UTF-8 had no position.
#[test]
fn forged_report_numbers_are_refused_naming_the_field() {
    let dir = TempDir::new("forged-numbers");
    let (s1, s2) = real_shards(&dir.0);
    let good = json_of(Path::new(&s1));
    let refused = |files: &[&str], words: &str| {
        let mut args = vec!["merge"];
        args.extend_from_slice(files);
        let out = tlscompat(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{words}: {err}");
        assert!(err.contains(words), "expected '{words}' in: {err}");
        assert!(out.stdout.is_empty(), "{words}: nothing written");
    };
    for (count, name) in [(1u64 << 40, "c40.json"), (1u64 << 62, "c62.json")] {
        let mut v = good.clone();
        v["options"]["shard"]["count"] = count.into();
        let f = forged(&dir.0, name, &v);
        refused(
            &[&f, &s2],
            &format!("{name}: options.shard: expected {{index, count}}"),
        );
    }
    for (port, words) in [
        (
            serde_json::json!(65536),
            "records[0].port: 65536 is not a valid port (1-65535)",
        ),
        (
            serde_json::json!(0),
            "records[0].port: 0 is not a valid port (1-65535)",
        ),
    ] {
        let mut v = good.clone();
        v["records"][0]["port"] = port;
        let f = forged(&dir.0, "port.json", &v);
        refused(&[&f, &s2], &format!("port.json: {words}"));
    }
    let mut v = good.clone();
    v["records"][0]["target_index"] = (1u64 << 40).into();
    let f = forged(&dir.0, "index.json", &v);
    refused(
        &[&f, &s2],
        "index.json: records[0].target_index: 1099511627776 is out of range",
    );
    // Found by the `report` fuzz target: a profile name with a NUL became a raw CSV
    // column name.
    let clients = serde_json::json!(["win7", "win7\u{0}x"]);
    let mut v = good.clone();
    v["options"]["clients"] = clients.clone();
    let f = forged(&dir.0, "clients.json", &v);
    let mut w = json_of(Path::new(&s2));
    w["options"]["clients"] = clients;
    let g = forged(&dir.0, "clients2.json", &w);
    refused(
        &[&f, &g],
        "clients.json: options.clients: expected at most 64 profile names",
    );
    let mut v = good.clone();
    v["summary"]["baseline"] = serde_json::json!({"baseline": "old.json", "drifted": u64::MAX});
    let f = forged(&dir.0, "drifted.json", &v);
    refused(
        &[&f, &s2],
        "drifted.json: summary.baseline.drifted: 18446744073709551615 is out of range",
    );
    let mut v = good.clone();
    let first = v["records"][0].clone();
    v["records"].as_array_mut().unwrap().push(first);
    let f = forged(&dir.0, "dup.json", &v);
    refused(&[&f, &s2], "dup.json: records[1] repeats 127.0.0.1:");
    let mut v = good.clone();
    v["records"][0].as_object_mut().unwrap().remove("versions");
    let f = forged(&dir.0, "missing.json", &v);
    refused(
        &[&f, &s2],
        "missing.json: records[0]: missing field `versions`",
    );
    let mut bytes = std::fs::read(&s1).unwrap();
    let at = bytes.windows(9).position(|w| w == b"127.0.0.1").unwrap();
    bytes[at] = 0xff;
    let f = dir.0.join("utf8.json");
    std::fs::write(&f, &bytes).unwrap();
    let f = f.display().to_string();
    refused(
        &[&f, &s2],
        &format!("(byte {at}): invalid UTF-8 in records[0]"),
    );
    // The real pair merges.
    let out = tlscompat(&["merge", &s1, &s2, "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

/// Finding 1, the merge side: a report whose record has a 10 MB `address` (or the
/// 17,000-control-character name) panicked `merge` in the table. Now the cell is cut.
#[test]
fn a_report_with_a_ten_megabyte_address_merges() {
    let dir = TempDir::new("huge-address");
    let (s1, s2) = real_shards(&dir.0);
    let mut v = json_of(Path::new(&s1));
    v["records"][0]["address"] = "\u{202e}x".repeat(2_500_000).into();
    let f = forged(&dir.0, "huge.json", &v);
    let out = tlscompat(&[
        "merge",
        &f,
        &s2,
        "--csv",
        &dir.0.join("m.csv").display().to_string(),
    ]);
    let table = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(table.contains('…'));
    assert!(table.lines().all(|l| l.chars().count() < 2_000));
    assert!(!has_hazard(&table));
}

/// Finding 8, the baseline side: an inverted version range is refused; an incomplete
/// report or one from a newer tlscompat is used with a warning.
#[test]
fn baseline_heads_are_checked() {
    let dir = TempDir::new("baseline-head");
    let (s1, _) = real_shards(&dir.0);
    let target = json_of(Path::new(&s1))["records"][0]["host"]
        .as_str()
        .unwrap()
        .to_string()
        + ":"
        + &json_of(Path::new(&s1))["records"][0]["port"].to_string();
    let scan = |baseline: &str| {
        tlscompat(&[
            "scan",
            "--quiet",
            "--timeout",
            "2s",
            "--baseline",
            baseline,
            &target,
        ])
    };
    let mut v = json_of(Path::new(&s1));
    v["options"]["tls_min"] = "1.3".into();
    v["options"]["tls_max"] = "1.0".into();
    let out = scan(&forged(&dir.0, "inverted.json", &v));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("options.tls_min TLS 1.3 is above options.tls_max TLS 1.0"),
        "{err}"
    );
    let mut v = json_of(Path::new(&s1));
    v["complete"] = false.into();
    v["tool"]["version"] = "99.0.0".into();
    let out = scan(&forged(&dir.0, "partial.json", &v));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("warning: --baseline") && err.contains("partial.json is incomplete"));
    assert!(err.contains("tlscompat 99.0.0, newer than this"), "{err}");
}

/// Finding 9: `probe/proof.rs` verified an RSA ServerKeyExchange signature with a
/// modulus and exponent of any size, after the read deadline: with `--timeout 2s`, a
/// certificate with a 4 KiB modulus and exponent cost 22 s per probe (8 KiB: 162 s).
/// Verification now counts against the probe's deadline (and keys above the sizes real
/// CAs use are refused before any arithmetic): the probe costs no more than --timeout.
#[test]
fn an_oversized_rsa_key_costs_no_more_than_the_timeout() {
    let server = support::hostile::oversized_rsa_server(4096);
    let start = std::time::Instant::now();
    let out = tlscompat(&[
        "scan",
        "--format",
        "json",
        "--timeout",
        "2s",
        "--tls-min",
        "1.2",
        "--tls-max",
        "1.2",
        "--no-system-store",
        &server.to_string(),
    ]);
    let wall = start.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    let cell = &v["records"][0]["versions"]["tls1_2"];
    println!("{wall:?} {cell}");
    let probe_ms = cell["timing"]["total_ms"].as_f64().unwrap_or(f64::MAX);
    assert!(
        probe_ms <= 2_000.0 + 250.0,
        "the probe took {probe_ms} ms: {cell}"
    );
    assert!(wall.as_secs_f64() < 6.0, "the scan took {wall:?}");
    assert_ne!(cell["raw_proof"]["state"], "verified", "{cell}");
}

/// Runs `scan ARGS… TARGETS…` with every sink (table on stdout, CSV, JSON, JUnit,
/// HTML): (exit code, stdout, CSV, JSON, JUnit, HTML).
fn scan_every_sink(
    args: &[&str],
    targets: &[String],
) -> (i32, String, String, serde_json::Value, String, String) {
    let dir = TempDir::new("every-sink");
    let path = |ext: &str| dir.0.join(format!("r.{ext}")).display().to_string();
    let (csv, json, junit, html) = (path("csv"), path("json"), path("xml"), path("html"));
    let mut all = vec![
        "scan",
        "--no-system-store",
        "--timeout",
        "2s",
        "--no-progress",
        "--format",
        "table",
        "--csv",
        &csv,
        "--json",
        &json,
        "--junit",
        &junit,
        "--html",
        &html,
    ];
    all.extend_from_slice(args);
    all.extend(targets.iter().map(String::as_str));
    let out = tlscompat(&all);
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"));
    let json = serde_json::from_str(&read(&json)).expect("json report");
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        read(&csv),
        json,
        read(&junit),
        read(&html),
    )
}

/// Acceptance review, defect 1: answers that prove nothing counted as client `ok` (and
/// `--ciphers` enumerated suites under them). Against a ServerHello whose flight stalls,
/// closes or never ends, a replayed TLS 1.3 flight, a 5-byte x25519 share, a
/// HelloRetryRequest followed by silence and a 65,536-bit RSA key, every profile fails
/// in every sink, with the reason in words; no suite is enumerated at a version whose
/// cell is not accepted. `--tls-max 1.2` leaves TLS 1.3 to the clients alone: an
/// unproven TLS 1.3 answer no handshake here completed is a failure too. A genuine
/// rustls server stays `ok` for the clients it serves.
#[test]
fn answers_that_prove_nothing_are_client_failures_in_every_sink() {
    use support::hostile::*;
    let hostile = [
        ("stall", hello_then(After::Stall)),
        ("close", hello_then(After::Close)),
        ("endless certificate", endless_certificate()),
        ("65536-bit RSA", rsa_key_of_bits(65_536)),
        ("replayed TLS 1.3", tls13_replayer(32)),
        ("5-byte x25519 share", tls13_replayer(5)),
        ("HelloRetryRequest, then silence", retry_then_silence()),
    ];
    let good = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    for range in [&[][..], &["--tls-max", "1.2"][..]] {
        let mut targets: Vec<String> = hostile.iter().map(|(_, a)| a.to_string()).collect();
        targets.push(good.to_string());
        let mut args = vec!["--clients", "all", "--ciphers"];
        args.extend_from_slice(range);
        let start = std::time::Instant::now();
        let (code, stdout, csv, json, junit, html) = scan_every_sink(&args, &targets);
        println!("{range:?}: {:?}\n{stdout}", start.elapsed());
        assert_eq!(code, 1, "{stdout}");
        let n = hostile.len();
        let rows = csv_rows(&csv);
        let records = json["records"].as_array().expect("records");
        for (name, addr) in &hostile {
            let port = addr.port().to_string();
            let row = rows.iter().find(|r| r["port"] == port).expect("csv row");
            let rec = records
                .iter()
                .find(|r| r["port"].as_u64() == Some(u64::from(addr.port())))
                .expect("json record");
            for (col, cell) in row.iter().filter(|(c, _)| c.starts_with("client_")) {
                assert!(cell.starts_with("fail "), "{name} {col}: {cell}");
            }
            for (p, v) in rec["clients"].as_object().expect("clients") {
                assert_eq!(v["connects"], false, "{name} {p}: {v}");
                assert!(v["why"]["kind"].is_string(), "{name} {p}: {v}");
            }
            // --ciphers enumerates only where the version cell says accepted.
            for v in ["tls1_0", "tls1_1", "tls1_2", "tls1_3"] {
                let suites = &row[&format!("suites_{v}")];
                if row[v] != "accepted" {
                    assert!(suites.is_empty(), "{name} {v} is {}: {suites}", row[v]);
                }
            }
        }
        let key = rows
            .iter()
            .find(|r| r["port"] == hostile[3].1.port().to_string())
            .expect("row");
        assert!(
            key["client_win10"]
                .contains("server key larger than any client accepts (65536-bit RSA)"),
            "{}",
            key["client_win10"]
        );
        let ok = rows
            .iter()
            .find(|r| r["port"] == good.port().to_string())
            .expect("row");
        for p in ["client_win10", "client_win11", "client_ws2016"] {
            assert!(ok[p].starts_with("ok "), "{p}: {}", ok[p]);
        }
        // Every sink counts the same failures: each profile fails at the n hostile
        // addresses of n + 1.
        let summary = json["summary"]["clients"]
            .as_array()
            .expect("summary.clients");
        for p in summary {
            let name = p["profile"].as_str().expect("profile");
            let failing = p["failing"].as_u64().expect("failing") as usize;
            assert!(failing >= n, "{name}: {p}");
            let line = format!("{name}: fails at {failing} of {} addresses", n + 1);
            assert!(stdout.contains(&line), "table: {line}\n{stdout}");
            assert!(html.contains(&line), "html: {line}");
            let cells = rows
                .iter()
                .filter(|r| r[&format!("client_{}", name.replace('-', "_"))].starts_with("fail "))
                .count();
            assert_eq!(cells, failing, "{name}: csv");
            let suite = format!(
                "<testsuite name=\"client {name}\" tests=\"{}\" failures=\"{failing}\"",
                n + 1
            );
            assert!(junit.contains(&suite), "junit: {suite}\n{junit}");
        }
        assert!(
            stdout.contains("a key larger than any client accepts (65536-bit RSA)"),
            "{stdout}"
        );
        let short = rows
            .iter()
            .find(|r| r["port"] == hostile[5].1.port().to_string())
            .expect("row");
        assert_eq!(
            short["client_win11"],
            "fail malformed ServerHello: x25519 key share of 5 bytes (x25519 keys are 32)"
        );
    }
}

/// Acceptance review, defect 3: an alert whose description no registry defines (255)
/// read "alert alert 0xff (255)". It reads "alert 255 (unknown), fatal" in every sink.
#[test]
fn an_undefined_alert_is_named_in_words() {
    let a = alert_server(255).to_string();
    let (_, stdout, csv, json, junit, html) = scan_every_sink(&["--tls-min", "1.2"], &[a]);
    let want = "alert 255 (unknown), fatal";
    for (sink, body) in [
        ("table", &stdout),
        ("csv", &csv),
        ("junit", &junit),
        ("html", &html),
    ] {
        assert!(body.contains(want), "{sink}: {body}");
        assert!(!body.contains("0xff"), "{sink}: {body}");
    }
    let detail = json["records"][0]["versions"]["tls1_2"]["detail"]
        .as_str()
        .unwrap_or("");
    assert_eq!(detail, "alert 255 (unknown), fatal");
}

/// Acceptance review, defect 3: with `--ca-file` naming the server's CA, a chain that
/// verifies there but whose leaf names another host said "untrusted: unknown issuer"
/// (the public store's reason). The reason is the name mismatch, in every sink.
#[test]
fn a_name_mismatch_under_the_ca_file_says_name_mismatch() {
    let ca = Ca::new("Mismatch Lab CA");
    let leaf = ca.leaf(&["other.example"], |_| {});
    let server = rustls_server_with(vec![leaf.der.clone(), ca.der.clone()], leaf.key_der.clone());
    let dir = TempDir::new("ca-file-mismatch");
    let pem = dir.0.join("ca.pem");
    std::fs::write(&pem, &ca.pem).expect("write");
    let pem = pem.display().to_string();
    let (code, stdout, csv, json, _junit, html) =
        scan_every_sink(&["--ca-file", &pem], &[server.to_string()]);
    assert_eq!(code, 1, "{stdout}");
    let r = &json["records"][0];
    assert_eq!(r["trust_local_detail"], "name mismatch", "{r}");
    assert_eq!(r["findings"][0]["detail"], "name mismatch", "{r}");
    assert!(stdout.contains("untrusted: name mismatch"), "{stdout}");
    assert!(stdout.contains("cert-invalid (name mismatch)"), "{stdout}");
    assert!(csv.contains("cert-invalid (name mismatch)"), "{csv}");
    assert!(html.contains("title=\"name mismatch\""), "html");
    for body in [&stdout, &csv] {
        assert!(!body.contains("unknown issuer"), "{body}");
    }
}
