//! Running the binary and reading its CSV back, shared by the end-to-end tests.

use std::collections::HashMap;
use std::process::{Command, Output};

/// One CSV row: column name → cell.
pub type Row = HashMap<String, String>;

/// Runs `tlscompat` with `args`, with the proxy variables and `COLUMNS` of the test's
/// own environment removed (the output must not depend on the terminal the tests run
/// in) and `env` added.
pub fn tlscompat_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tlscompat"));
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
        "COLUMNS",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run tlscompat")
}

pub fn tlscompat(args: &[&str]) -> Output {
    tlscompat_env(args, &[])
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Parses a CSV report, checking the header is exactly DESIGN.md's.
pub fn csv_rows(text: &str) -> Vec<Row> {
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    // DESIGN.md's columns first, then the suites per version (always), then one
    // column per client profile asked for.
    assert_eq!(&header[..19], tlscompat::report::csv::HEADER);
    assert_eq!(
        &header[19..23],
        [
            "suites_tls1_0",
            "suites_tls1_1",
            "suites_tls1_2",
            "suites_tls1_3"
        ]
    );
    assert!(
        header[23..].iter().all(|c| c.starts_with("client_")),
        "{header:?}"
    );
    rd.records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.expect("row").iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// The four version cells of a row.
pub fn cells(r: &Row) -> [&str; 4] {
    [
        r["tls1_0"].as_str(),
        r["tls1_1"].as_str(),
        r["tls1_2"].as_str(),
        r["tls1_3"].as_str(),
    ]
}

/// `tlscompat scan --format json --timeout 2s --roots <lab CA> ARGS…` (the lab
/// certificate names 127.0.0.1, so `IP:port` targets verify): the exit code and the
/// first record.
pub fn scan_lab_record(args: &[&str]) -> (i32, serde_json::Value) {
    let roots = super::lab_ca_file();
    let mut all = vec![
        "scan",
        "--format",
        "json",
        "--timeout",
        "2s",
        "--roots",
        &roots,
    ];
    all.extend_from_slice(args);
    let out = tlscompat(&all);
    let json: serde_json::Value = serde_json::from_str(&text(&out.stdout))
        .unwrap_or_else(|e| panic!("json: {e}\n{}\n{}", text(&out.stdout), text(&out.stderr)));
    (out.status.code().unwrap_or(-1), json["records"][0].clone())
}
