//! Issue 23, finding 4: `merge` and `--baseline` held ~17× the report in memory (a
//! 44 MB report of 10,000 records took 740 MB; 440 MB aborted at 6 GB). They now read
//! reports as streams and the sinks spool their rows, so memory stays bounded.
//!
//! The shards are made from a real record (a lab scan with `--clients all --ciphers`),
//! copied to as many targets as asked, each in the shard its `host:port` hashes to. The
//! figure is the merge's own peak RSS (`summary.peak_rss_kib`, Linux `VmHWM`).
//!
//! `cargo test --test bounded_memory` runs a small case (2 shards × 2,500 records);
//! the issue's figure, 10 shards × 10,000 records and a 100,000-record baseline:
//!
//! ```text
//! cargo test --release --test bounded_memory -- --ignored --nocapture
//! ```

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::cli::*;
use support::*;
use tlscompat::shard::Shard;

/// A real record of a lab server: a plain scan's (about 4 KB of JSON, as in the
/// issue's measurement), or with every client profile and the accepted suites.
fn template(rich: bool) -> Value {
    let server = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let target = server.to_string();
    let mut args = vec![target.as_str()];
    if rich {
        args.extend(["--clients", "all", "--ciphers"]);
    }
    let (_, r) = scan_lab_record(&args);
    assert!(
        r["certificate_chain"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{r}"
    );
    r
}

/// `shards` reports of `per_shard` records each (the whole report when `shards` is 1),
/// written like a scan writes them. Returns the paths and the bytes written.
fn write_shards(dir: &Path, shards: u32, per_shard: usize, record: &Value) -> (Vec<PathBuf>, u64) {
    let total = shards as usize * per_shard;
    // Targets in list order; each goes to the shard its host:port hashes to, until
    // every shard has its share.
    let mut lists: Vec<Vec<(usize, String)>> = vec![Vec::new(); shards as usize];
    let mut i = 0;
    while lists.iter().map(Vec::len).sum::<usize>() < total {
        let host = format!("h{i}.bounded.test");
        let k = Shard::slice_of(&host, 443, shards) as usize;
        if lists[k].len() < per_shard {
            lists[k].push((i, host));
        }
        i += 1;
    }
    let target_count = i;
    let mut bytes = 0;
    let mut paths = Vec::new();
    for (k, list) in lists.iter().enumerate() {
        let path = dir.join(format!("shard{}.json", k + 1));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let shard = (shards > 1).then(|| json!({"index": k + 1, "count": shards}));
        let head = json!({"schema_version": 1,
            "tool": {"name": "tlscompat", "version": env!("CARGO_PKG_VERSION")},
            "options": {"tls_min": "1.0", "tls_max": "1.3", "target_count": target_count,
                        "shard": shard, "clients": ["win7", "win7-tls12", "win81", "win10", "win11"],
                        "fail_on": ["dns", "unreachable"], "ciphers": true}});
        let head = serde_json::to_string(&head).unwrap();
        write!(out, "{},\"records\":[", &head[..head.len() - 1]).unwrap();
        let mut r = record.clone();
        for (n, (index, host)) in list.iter().enumerate() {
            r["host"] = host.as_str().into();
            r["port"] = 443.into();
            r["target_index"] = (*index).into();
            r["address"] = format!(
                "10.{}.{}.{}",
                index >> 16 & 255,
                index >> 8 & 255,
                index & 255
            )
            .into();
            if n > 0 {
                out.write_all(b",").unwrap();
            }
            serde_json::to_writer(&mut out, &r).unwrap();
        }
        write!(
            out,
            "],\"summary\":{{\"elapsed_ms\":1000}},\"complete\":true}}"
        )
        .unwrap();
        out.flush().unwrap();
        bytes += std::fs::metadata(&path).unwrap().len();
        paths.push(path);
    }
    (paths, bytes)
}

/// `merge` of `paths` with every report and the table; the merge's peak RSS in KiB.
fn merge_peak(dir: &Path, paths: &[PathBuf]) -> u64 {
    let out_path = |n: &str| dir.join(n).display().to_string();
    let (json, csv, xml, html) = (
        out_path("m.json"),
        out_path("m.csv"),
        out_path("m.xml"),
        out_path("m.html"),
    );
    let mut args = vec!["merge".to_string(), "-q".into()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    args.extend(
        [
            "--json", &json, "--csv", &csv, "--junit", &xml, "--html", &html,
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlscompat"))
        .args(&args)
        .stdout(std::process::Stdio::null())
        .output()
        .expect("merge");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    let tail = summary_of(Path::new(&json));
    assert_eq!(tail["complete"], true);
    tail["summary"]["peak_rss_kib"]
        .as_u64()
        .expect("peak_rss_kib")
}

/// `{"summary": …, "complete": …}` of a JSON report, without reading its records.
fn summary_of(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let at = text.rfind("],\"summary\":").expect("a summary");
    serde_json::from_str(&format!("{{{}", &text[at + 2..])).expect("the tail")
}

fn check(shards: u32, per_shard: usize, rich: bool, limit_mib: u64) {
    let dir = TempDir::new("bounded");
    let record = template(rich);
    let (paths, bytes) = write_shards(&dir.0, shards, per_shard, &record);
    let start = std::time::Instant::now();
    let peak = merge_peak(&dir.0, &paths);
    println!(
        "merge of {shards} shards × {per_shard} records ({:.1} MB of JSON): peak RSS {:.1} MiB, {:.1} s",
        bytes as f64 / 1e6,
        peak as f64 / 1024.0,
        start.elapsed().as_secs_f64()
    );
    assert!(peak < limit_mib * 1024, "peak RSS {peak} KiB");

    // The same records, one unsharded report, as a baseline of a one-target scan.
    let (whole, bytes) = write_shards(&dir.0, 1, shards as usize * per_shard, &record);
    let closed = closed_port().to_string();
    let json = dir.0.join("b.json").display().to_string();
    let start = std::time::Instant::now();
    let out = tlscompat(&[
        "scan",
        "-q",
        "--timeout",
        "2s",
        "--format",
        "json",
        "--json",
        &json,
        "--baseline",
        &whole[0].display().to_string(),
        &closed,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = summary_of(Path::new(&json));
    let peak = v["summary"]["peak_rss_kib"].as_u64().expect("peak");
    let disappeared = v["summary"]["baseline"]["disappeared"]
        .as_array()
        .map(Vec::len);
    assert_eq!(disappeared, Some(shards as usize * per_shard));
    println!(
        "--baseline of {} records ({:.1} MB): peak RSS {:.1} MiB, {:.1} s",
        shards as usize * per_shard,
        bytes as f64 / 1e6,
        peak as f64 / 1024.0,
        start.elapsed().as_secs_f64()
    );
    assert!(peak < limit_mib * 1024, "baseline peak RSS {peak} KiB");
}

/// Small enough for CI (about 12 MB of JSON, which the old reader held as ~200 MB).
#[test]
fn merge_and_baseline_memory_stays_bounded() {
    check(2, 600, true, 48);
}

/// The issue's figure: 10 shards × 10,000 records under 128 MiB, and a 100,000-record
/// baseline.
#[test]
#[ignore]
fn ten_shards_of_ten_thousand_records() {
    check(10, 10_000, false, 128);
}
