//! CI at scale, end to end on the lab: `--shard K/N` + `merge` give the reports and exit
//! code of one unsharded scan; merge refuses reports that are not shards of one scan;
//! `--baseline` reports drift in words; `--html` is one self-contained, escaped page.

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::cli::*;
use support::dns::{Zone, dns_server};
use support::*;

fn endpoint(host: &str, port: u16) -> String {
    format!(
        "[[endpoint]]\nhost = \"{host}\"\nport = {port}\npurpose = \"lab\"\nsources = [\"lab\"]\n\
         category = \"allow\"\ninspection = \"bypass\"\nlegacy_tls = \"unknown\"\n\n"
    )
}

fn write_endpoints(dir: &Path, entries: &[(String, u16)]) -> String {
    let mut toml =
        String::from("[defaults]\nport = 443\nexpected_issuers = [\"tlscompat Lab CA\"]\n\n");
    for (h, p) in entries {
        toml.push_str(&endpoint(h, *p));
    }
    let path = dir.join("endpoints.toml");
    std::fs::write(&path, toml).expect("write endpoints");
    path.to_str().expect("utf-8 path").to_string()
}

/// A lab of ten targets: a two-address host (modern + legacy OpenSSL), TLS 1.3-only and
/// TLS 1.2/1.3 hosts, a closed port, a name that does not resolve, and a server that
/// answers with markup instead of TLS.
struct Lab {
    dns: SocketAddr,
    endpoints: String,
    dir: TempDir,
    _legacy: OpenSslServer,
}

fn lab(tag: &str) -> Lab {
    let legacy = openssl_server_at("TLSv1", "TLSv1.2", "127.0.0.3:0");
    let shared = legacy.addr.port();
    rustls_server_at(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        SocketAddr::new("127.0.0.2".parse().expect("ip"), shared),
    );
    let tls13 = rustls_server(&[&rustls::version::TLS13]).port();
    let both = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]).port();
    let closed = closed_port().port();
    let markup = tcp_server(|mut tcp| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let _ = tcp.read(&mut [0u8; 4096]).await;
        let _ = tcp
            .write_all(b"<script>alert('x')</script><b onmouseover=\"y\">\x1b[31m")
            .await;
        let _ = tcp.shutdown().await;
    })
    .port();
    let mut zone = Zone::new()
        .a("multi.lab.test", Ipv4Addr::new(127, 0, 0, 2))
        .a("multi.lab.test", Ipv4Addr::new(127, 0, 0, 3))
        .a("closed.lab.test", Ipv4Addr::LOCALHOST)
        .a("markup.lab.test", Ipv4Addr::LOCALHOST);
    let mut entries = vec![
        ("multi.lab.test".to_string(), shared),
        ("closed.lab.test".to_string(), closed),
        ("gone.lab.test".to_string(), 443),
        ("markup.lab.test".to_string(), markup),
    ];
    for i in 0..3 {
        let (a, b) = (format!("t13-{i}.lab.test"), format!("both-{i}.lab.test"));
        zone = zone.a(&a, Ipv4Addr::LOCALHOST).a(&b, Ipv4Addr::LOCALHOST);
        entries.push((a, tls13));
        entries.push((b, both));
    }
    let dir = TempDir::new(tag);
    let endpoints = write_endpoints(&dir.0, &entries);
    Lab {
        dns: dns_server(zone),
        endpoints,
        dir,
        _legacy: legacy,
    }
}

impl Lab {
    fn path(&self, name: &str) -> String {
        self.dir.0.join(name).to_str().expect("utf-8").to_string()
    }

    /// `scan` over the lab with `extra` flags.
    fn scan(&self, extra: &[&str]) -> Output {
        let (dns, ca) = (self.dns.to_string(), lab_ca_file());
        let mut args = vec![
            "scan",
            "--endpoints",
            &self.endpoints,
            "--resolver",
            &dns,
            "--roots",
            &ca,
            "--timeout",
            "500ms",
            "-q",
        ];
        args.extend_from_slice(extra);
        tlscompat(&args)
    }
}

fn read(p: &str) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn json(p: &str) -> Value {
    serde_json::from_str(&read(p)).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// JUnit without the timing attributes, which differ between runs.
fn junit_shape(p: &str) -> String {
    let text = read(p);
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(" time=\"") {
        out.push_str(&rest[..at]);
        rest = &rest[at + 7..];
        rest = &rest[rest.find('"').expect("closing quote") + 1..];
    }
    out + rest
}

fn record_keys(v: &Value) -> Vec<(String, u64, String, u64)> {
    v["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["host"].as_str().expect("host").to_string(),
                r["port"].as_u64().expect("port"),
                r["address"].as_str().expect("address").to_string(),
                r["target_index"].as_u64().expect("target_index"),
            )
        })
        .collect()
}

fn strip_target_index(report: &Value) -> Value {
    let mut v = report.clone();
    for r in v["records"].as_array_mut().expect("records") {
        r.as_object_mut().expect("record").remove("target_index");
    }
    v
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

#[test]
fn sharded_scans_merge_into_the_unsharded_reports() {
    let lab = lab("shard");
    let (csv, json_path, junit) = (
        lab.path("full.csv"),
        lab.path("full.json"),
        lab.path("full.xml"),
    );
    let full = lab.scan(&[
        "--csv", &csv, "--json", &json_path, "--junit", &junit, "--format", "csv",
    ]);
    assert_eq!(
        code(&full),
        Some(1),
        "closed port and dns fail: {}",
        text(&full.stderr)
    );
    let full_json = json(&json_path);
    let full_keys = record_keys(&full_json);
    assert_eq!(full_keys.len(), 11, "ten targets, one with two addresses");

    let mut shard_files = Vec::new();
    let mut union = Vec::new();
    for k in 1..=3 {
        let p = lab.path(&format!("shard{k}.json"));
        let out = lab.scan(&[
            "--shard",
            &format!("{k}/3"),
            "--json",
            &p,
            "--format",
            "json",
        ]);
        assert!(matches!(code(&out), Some(0 | 1)), "{}", text(&out.stderr));
        // A slice may be empty: the targets' ports are ephemeral, so which slice each
        // hashes to changes from run to run ((2/3)^10 ≈ 1.7 % for a given slice).
        // Disjointness, completeness and the merge below hold either way.
        let keys = record_keys(&json(&p));
        union.extend(keys);
        shard_files.push(p);
    }
    // Disjoint and complete: every record exactly once.
    union.sort_by_key(|k| (k.3, k.2.clone()));
    let mut expected = full_keys.clone();
    expected.sort_by_key(|k| (k.3, k.2.clone()));
    assert_eq!(union, expected);

    let (mcsv, mjson, mjunit, mhtml) = (
        lab.path("m.csv"),
        lab.path("m.json"),
        lab.path("m.xml"),
        lab.path("m.html"),
    );
    // Any order of the shard files.
    let merged = tlscompat(&[
        "merge",
        &shard_files[2],
        &shard_files[0],
        &shard_files[1],
        "--csv",
        &mcsv,
        "--json",
        &mjson,
        "--junit",
        &mjunit,
        "--html",
        &mhtml,
        "--format",
        "csv",
    ]);
    assert_eq!(code(&merged), code(&full), "{}", text(&merged.stderr));
    assert_eq!(
        read(&mcsv),
        read(&csv),
        "merged CSV = unsharded CSV, same rows, same order"
    );
    assert_eq!(text(&merged.stdout), text(&full.stdout), "stdout CSV too");
    assert_eq!(junit_shape(&mjunit), junit_shape(&junit));
    let merged_json = json(&mjson);
    assert_eq!(record_keys(&merged_json), full_keys);
    assert_eq!(merged_json["options"], full_json["options"]);
    for (a, b) in merged_json["records"]
        .as_array()
        .unwrap()
        .iter()
        .zip(full_json["records"].as_array().unwrap())
    {
        assert_eq!(
            a["versions"]["tls1_2"]["state"],
            b["versions"]["tls1_2"]["state"]
        );
        assert_eq!(a["findings"], b["findings"]);
    }
    assert_eq!(
        merged_json["summary"]["findings"],
        full_json["summary"]["findings"]
    );
    assert_eq!(
        merged_json["summary"]["hosts"],
        full_json["summary"]["hosts"]
    );
    assert!(read(&mhtml).contains("multi.lab.test"));

    // --fail-on given to merge overrides the shards' own.
    let none = tlscompat(&[
        "merge",
        &shard_files[0],
        &shard_files[1],
        &shard_files[2],
        "--fail-on",
        "none",
        "-q",
    ]);
    assert_eq!(code(&none), Some(0), "{}", text(&none.stderr));

    // Refusals, exit 2, naming the problem.
    let refused = |args: &[&str], words: &str| {
        let out = tlscompat(args);
        let err = text(&out.stderr);
        assert_eq!(code(&out), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(words),
            "{args:?}: expected '{words}' in: {err}"
        );
    };
    refused(
        &["merge", &shard_files[0], &shard_files[1]],
        "missing shard 3/3",
    );
    refused(
        &["merge", &shard_files[0], &shard_files[0], &shard_files[1]],
        "shard 1/3 given twice",
    );
    refused(&["merge", &json_path, &shard_files[0]], "not a shard");
    refused(&["merge", &json_path, &json_path], "are not shards");
    let other = lab.path("other.json");
    let out = lab.scan(&[
        "--shard",
        "2/3",
        "--tls-min",
        "1.2",
        "--json",
        &other,
        "--format",
        "json",
    ]);
    assert!(matches!(code(&out), Some(0 | 1)));
    refused(
        &["merge", &shard_files[0], &other, &shard_files[2]],
        "different options (tls_min \"1.0\" vs \"1.2\")",
    );
    let old = lab.path("old.json");
    std::fs::write(
        &old,
        read(&shard_files[1]).replacen(env!("CARGO_PKG_VERSION"), "0.0.9", 1),
    )
    .unwrap();
    refused(
        &["merge", &shard_files[0], &old, &shard_files[2]],
        "by tlscompat 0.0.9",
    );
    let garbage = lab.path("garbage.json");
    std::fs::write(&garbage, "{\"schema_version\": 1,\n  \"tool\": [").unwrap();
    refused(&["merge", &garbage], &format!("{garbage}:2:"));
    refused(&["merge", &lab.path("absent.json")], "absent.json");
    // Reports from before target_index cannot be merged (they still serve as baselines).
    let unindexed = lab.path("unindexed.json");
    std::fs::write(
        &unindexed,
        strip_target_index(&json(&json_path)).to_string(),
    )
    .unwrap();
    refused(&["merge", &unindexed], "records[0].target_index: missing");
    // Shards of different target lists: one target index, two targets.
    let mut s2 = json(&shard_files[1]);
    let taken = json(&shard_files[0])["records"][0]["target_index"].clone();
    s2["records"][0]["target_index"] = taken;
    let clash = lab.path("clash.json");
    std::fs::write(&clash, s2.to_string()).unwrap();
    refused(
        &["merge", &shard_files[0], &clash, &shard_files[2]],
        "the shards scanned different target lists",
    );
    for bad in ["0/3", "4/3", "x", "1/0", "2"] {
        refused(&["scan", "--shard", bad, "127.0.0.1:1"], "shard");
    }
}

#[test]
fn baseline_reports_drift_in_words() {
    let lab = lab("baseline");
    let base = lab.path("base.json");
    let out = lab.scan(&["--json", &base, "--format", "json"]);
    assert_eq!(code(&out), Some(1), "{}", text(&out.stderr));

    // Against itself (as written by a tlscompat without target_index): no drift, nothing
    // listed, exit code unchanged by drift.
    let old_style = lab.path("old-style.json");
    std::fs::write(&old_style, strip_target_index(&json(&base)).to_string()).unwrap();
    let same = lab.path("same.json");
    let out = lab.scan(&[
        "--baseline",
        &old_style,
        "--json",
        &same,
        "--fail-on",
        "drift",
        "--format",
        "json",
    ]);
    assert_eq!(
        code(&out),
        Some(0),
        "no drift against itself: {}",
        text(&out.stdout)
    );
    let s = json(&same);
    assert_eq!(s["summary"]["baseline"]["drifted"], 0);
    assert_eq!(
        s["summary"]["baseline"]["disappeared"],
        serde_json::json!([])
    );

    // An edited baseline: what the lab shows now differs from it in known ways.
    let mut old = json(&base);
    let records = old["records"].as_array_mut().unwrap();
    let find = |rs: &Vec<Value>, host: &str| rs.iter().position(|r| r["host"] == host).unwrap();
    // both-0 used to accept TLS 1.0 and had an inspection CA's certificate.
    let i = find(records, "both-0.lab.test");
    records[i]["versions"]["tls1_0"]["state"] = "accepted".into();
    records[i]["certificate_chain"][0]["issuer_cn"] = "Contoso SSL Inspection CA".into();
    // both-1 is new; retired.lab.test disappeared.
    let i = find(records, "both-1.lab.test");
    let mut retired = records.remove(i);
    retired["host"] = "retired.lab.test".into();
    records.push(retired);
    // multi.lab.test used to be on other addresses (CDN rotation), and refused TLS 1.2.
    for r in records.iter_mut().filter(|r| r["host"] == "multi.lab.test") {
        let a = r["address"]
            .as_str()
            .unwrap()
            .replace("127.0.0.", "127.0.1.");
        r["address"] = a.into();
    }
    let edited = lab.path("edited.json");
    std::fs::write(&edited, old.to_string()).unwrap();

    let now = lab.path("now.json");
    let html = lab.path("now.html");
    let out = lab.scan(&["--baseline", &edited, "--json", &now, "--html", &html]);
    let table = text(&out.stdout);
    // drift is not in the default --fail-on: exit code as without a baseline.
    assert_eq!(code(&out), Some(1), "{table}");
    let n = json(&now);
    let drift = |host: &str| -> String {
        let r = n["records"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["host"] == host)
            .unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "drift")
            .map(|f| f["detail"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let d = drift("both-0.lab.test");
    assert!(d.contains("TLS 1.0: accepted → rejected"), "{d}");
    assert!(
        d.contains("issuer: Contoso SSL Inspection CA → tlscompat Lab CA"),
        "{d}"
    );
    assert_eq!(drift("both-1.lab.test"), "not in the baseline");
    assert_eq!(
        drift("both-2.lab.test"),
        "",
        "unchanged records carry no drift"
    );
    assert_eq!(
        drift("multi.lab.test"),
        "",
        "address rotation alone is not drift"
    );
    let b = &n["summary"]["baseline"];
    assert_eq!(
        b["appeared"],
        serde_json::json!(["both-1.lab.test:".to_string() + &port_of(&n, "both-1.lab.test")])
    );
    assert!(
        b["disappeared"][0]
            .as_str()
            .unwrap()
            .starts_with("retired.lab.test:"),
        "{b}"
    );
    let churn = b["address_churn"][0].as_str().unwrap();
    assert!(
        churn.starts_with("multi.lab.test:")
            && churn.contains("+127.0.0.2")
            && churn.contains("-127.0.1.2"),
        "{churn}"
    );
    assert!(table.contains("drift"), "{table}");
    assert!(
        table.contains("retired.lab.test"),
        "disappeared targets listed: {table}"
    );
    assert!(read(&html).contains("Contoso SSL Inspection CA → tlscompat Lab CA"));

    // --fail-on drift gates on it.
    let out = lab.scan(&["--baseline", &edited, "--fail-on", "drift"]);
    assert_eq!(code(&out), Some(1));
    // A broken baseline is refused before anything is scanned.
    let bad = lab.path("bad.json");
    std::fs::write(&bad, "[]").unwrap();
    let out = lab.scan(&["--baseline", &bad]);
    assert_eq!(code(&out), Some(2));
    assert!(
        text(&out.stderr).contains("--baseline") && text(&out.stderr).contains("bad.json"),
        "{}",
        text(&out.stderr)
    );
}

fn port_of(report: &Value, host: &str) -> String {
    report["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["host"] == host)
        .unwrap()["port"]
        .to_string()
}

/// Visible width of a line: ANSI colour sequences take no room.
fn visible(line: &str) -> usize {
    let mut n = 0;
    let mut esc = false;
    for c in line.chars() {
        match (esc, c) {
            (false, '\x1b') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

#[test]
fn table_fits_the_terminal_and_colours_on_request() {
    let lab = lab("table");
    let dns = lab.dns.to_string();
    let ca = lab_ca_file();
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--endpoints",
            &lab.endpoints,
            "--resolver",
            &dns,
            "--roots",
            &ca,
            "--timeout",
            "500ms",
            "-q",
        ];
        args.extend_from_slice(extra);
        text(&tlscompat_env(&args, env).stdout)
    };
    let wide = run(&[], &[]);
    assert!(
        wide.lines().any(|l| l.chars().count() > 200),
        "unlimited without a terminal: {wide}"
    );
    assert!(wide.contains("no: alert handshake_failure (40)"), "{wide}");
    assert!(!wide.contains('\x1b'), "no colour into a pipe");

    let narrow = run(&[("COLUMNS", "100")], &[]);
    println!("{narrow}");
    for l in narrow.lines() {
        assert!(visible(l) <= 100, "{} columns: {l}", visible(l));
    }
    // Reasons move below the table, once each.
    let reason = narrow
        .lines()
        .find(|l| l.ends_with("] alert handshake_failure (40)"))
        .expect(&narrow);
    let mark = &reason[..reason.find(']').unwrap() + 1];
    assert!(
        narrow.lines().any(|l| l.contains(&format!("no{mark}"))),
        "{narrow}"
    );
    assert_eq!(
        narrow.matches("alert handshake_failure (40)").count(),
        1,
        "{narrow}"
    );
    assert!(
        narrow.contains("gone.lab.test") && narrow.contains("did not resolve: NXDOMAIN"),
        "{narrow}"
    );
    // The markup server's reply is escaped for the terminal (no raw ESC).
    assert!(!narrow.contains('\x1b'));

    let coloured = run(&[("COLUMNS", "100")], &["--color", "always"]);
    assert!(coloured.contains("\x1b[32m"), "{coloured}");
    for l in coloured.lines() {
        assert!(visible(l) <= 100, "{l}");
    }
    assert!(!run(&[("NO_COLOR", "1")], &["--color", "auto"]).contains('\x1b'));
    assert!(!run(&[], &["--color", "never"]).contains('\x1b'));
    let very_narrow = run(&[("COLUMNS", "60")], &[]);
    assert!(very_narrow.contains("[1]"), "{very_narrow}");
    // 80 columns (acceptance review of issue 23): every line fits, host names whole,
    // the one that did not resolve too.
    let eighty = run(&[("COLUMNS", "80")], &[]);
    for l in eighty.lines() {
        assert!(visible(l) <= 80, "{} columns: {l}\n{eighty}", visible(l));
    }
    assert!(
        eighty.lines().any(|l| l.starts_with("gone.lab.test")),
        "{eighty}"
    );
}

/// Checks that every element opened is closed in order (void elements excepted) and
/// every attribute quote is paired: a small parser, enough to catch broken escaping.
fn check_balanced(html: &str) -> usize {
    const VOID: [&str; 4] = ["meta", "br", "hr", "img"];
    let mut stack: Vec<String> = Vec::new();
    let mut rest = html;
    let mut elements = 0;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        assert_eq!(tag.matches('"').count() % 2, 0, "unpaired quote in <{tag}>");
        assert!(!tag.contains('<'), "markup inside a tag: <{tag}>");
        rest = &rest[close + 1..];
        if tag.starts_with('!') {
            continue;
        }
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if tag.starts_with('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.as_str()),
                "closing </{name}>"
            );
        } else if !VOID.contains(&name.as_str()) {
            stack.push(name);
            elements += 1;
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    elements
}

#[test]
fn html_report_is_one_escaped_self_contained_page() {
    let lab = lab("html");
    let html_path = lab.path("report.html");
    let out = lab.scan(&["--html", &html_path, "--format", "json"]);
    assert_eq!(code(&out), Some(1));
    let html = read(&html_path);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(check_balanced(&html) > 100);
    let lower = html.to_ascii_lowercase();
    for outside in [
        "<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "href=",
    ] {
        assert!(!lower.contains(outside), "{outside} in the page");
    }
    // The markup server's reply is shown as text, not run.
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains('\x1b'));
    // Matrix: a row per record, colours, reasons on hover.
    let matrix = &html[html.find("<table id=\"matrix\">").expect("matrix")..];
    let matrix = &matrix[..matrix.find("</table>").unwrap()];
    assert_eq!(matrix.matches("<tr>").count(), 12, "header + 11 records");
    assert!(
        matrix.contains(
            "class=\"c good\" title=\"TLS 1.0: rejected — alert handshake_failure (40)\""
        ),
        "{matrix}"
    );
    assert!(
        matrix.contains("class=\"c warn\" title=\"TLS 1.0: accepted\""),
        "legacy accepted is amber"
    );
    assert!(matrix.contains("<td>tlscompat Lab CA</td>"));
    assert!(
        matrix.contains("<td class=\"good\" title=\"4096-01-01T00:00:00Z\">4096-01-01</td>"),
        "expiry: {matrix}"
    );
    assert!(
        matrix.contains("did not resolve: NXDOMAIN (no such name)</td>"),
        "{matrix}"
    );
    // Findings grouped by kind, with what to do; options and time.
    for kind in ["dns", "unreachable", "no-modern-tls", "legacy-accepted"] {
        assert!(
            html.contains(&format!("<h3 id=\"finding-{kind}\">")),
            "{kind}"
        );
    }
    assert!(html.contains("Allow outbound TCP 443"));
    assert!(
        html.contains("<table id=\"options\">") && html.contains("<th>timeout_ms</th><td>500</td>")
    );
    assert!(html.contains("Scan started 20"));

    // A real browser: Debian's chromium, when installed (CI installs it), parses the
    // page to the same structure, offline. Skipped cleanly without it.
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!("chromium not installed: browser rendering check skipped");
        return;
    };
    let url = format!("file://{html_path}");
    let browser = |extra: &[&str]| {
        let mut cmd = std::process::Command::new("timeout");
        cmd.args([
            "90",
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ]);
        cmd.args(extra).arg(&url);
        cmd.output().expect("run chromium")
    };
    let dom = text(&browser(&["--dump-dom"]).stdout);
    assert!(dom.contains("<table id=\"matrix\">"), "{dom}");
    let dmatrix = &dom[dom.find("<table id=\"matrix\">").unwrap()..];
    let dmatrix = &dmatrix[..dmatrix.find("</table>").unwrap()];
    assert_eq!(
        dmatrix.matches("<tr>").count(),
        12,
        "the browser sees every row"
    );
    assert!(
        !dom.contains("<script>alert"),
        "escaped text stays text in the DOM"
    );
    let png = lab.path("report.png");
    let shot = browser(&[
        &format!("--screenshot={png}"),
        "--window-size=1280,900",
        "--hide-scrollbars",
    ]);
    let bytes =
        std::fs::read(&png).unwrap_or_else(|e| panic!("screenshot: {e}: {}", text(&shot.stderr)));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000,
        "a rendered page, {} bytes",
        bytes.len()
    );
    let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
    assert_eq!(width, 1280);
    if let Ok(dir) = std::env::var("TLSCOMPAT_SCREENSHOT_DIR") {
        std::fs::copy(&png, Path::new(&dir).join("html-report.png")).expect("copy screenshot");
        std::fs::copy(&html_path, Path::new(&dir).join("html-report.html")).expect("copy page");
    }
}

#[test]
fn progress_bar_says_what_it_waits_for() {
    // A real terminal: `script` (util-linux, Essential on Debian) runs the scan in a pty.
    let silent = blackhole();
    let cmd = format!(
        "'{}' scan {silent} --timeout 2s --retries 0 --tls-min 1.2 --fail-on none",
        env!("CARGO_BIN_EXE_tlscompat")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("CI")
        .env("TERM", "xterm")
        .env("COLUMNS", "160")
        .output()
        .expect("run script");
    let screen = text(&out.stdout);
    assert_eq!(code(&out), Some(0), "{screen}");
    assert!(
        screen.contains("waiting on 1 silent address, ≤ "),
        "{screen:?}"
    );
    assert!(!screen.contains("ETA 0s"), "{screen:?}");
    // Rates with at most two decimals (`62.4/s`, not `62.4246/s`).
    for (at, _) in screen.match_indices("/s") {
        let before: String = screen[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let decimals = before.find('.').unwrap_or(0);
        assert!(decimals <= 2, "rate with {decimals} decimals in {screen:?}");
    }
}

/// Checks survive the round trip: shards scanned with `--clients` and `--ciphers` merge
/// into the same CSV (client and suite columns included) and JUnit cases per client.
#[test]
fn merged_checks_render_like_the_unsharded_scan() {
    let lab = lab("checks");
    let flags = ["--clients", "win7,win10", "--ciphers"];
    let (csv, junit) = (lab.path("full.csv"), lab.path("full.xml"));
    let mut args = flags.to_vec();
    args.extend(["--csv", &csv, "--junit", &junit]);
    let full = lab.scan(&args);
    let full_csv = read(&csv);
    assert!(full_csv.lines().next().unwrap_or("").ends_with(
        "suites_tls1_0,suites_tls1_1,suites_tls1_2,suites_tls1_3,client_win7,client_win10"
    ));
    assert!(full_csv.contains("ok TLS 1.2 "), "{full_csv}");
    assert!(
        full_csv.contains("fail server requires TLS 1.2 or newer"),
        "{full_csv}"
    );
    let cases = read(&junit);
    assert!(cases.contains("client win7"), "{cases}");
    let mut shards = Vec::new();
    for k in 1..=2 {
        let p = lab.path(&format!("c{k}.json"));
        let shard = format!("{k}/2");
        let mut args = flags.to_vec();
        args.extend(["--shard", &shard, "--json", &p]);
        lab.scan(&args);
        shards.push(p);
    }
    let mcsv = lab.path("m.csv");
    let merged = tlscompat(&["merge", &shards[0], &shards[1], "--csv", &mcsv]);
    assert_eq!(code(&merged), code(&full), "{}", text(&merged.stderr));
    assert_eq!(read(&mcsv), full_csv, "merged CSV = unsharded CSV");
}
