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
    let good = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let ports = [server_named(&controls), good.port(), server_named(&rtl)];
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
    assert_eq!(json["records"].as_array().map(Vec::len), Some(3));
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
        3
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
