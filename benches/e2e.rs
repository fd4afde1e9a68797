//! End-to-end: `tlscompat scan` of N loopback endpoints × 4 versions (raw TLS 1.0-1.2
//! probes and one rustls handshake each, which proves TLS 1.3) through the in-process
//! DNS server, as probes per second and peak memory of the scanner process. N = 1,000
//! three times (median reported), then N = 10,000 once, to show memory does not grow
//! with the list.
//!
//! The endpoints resolve to 32 addresses (127.0.10.1–32), each a rustls TLS 1.2/1.3
//! server, so the per-address cap (4) and the global limit (64) both come into play.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};

use support::dns::{Zone, dns_server};
use support::pki::Ca;

const ADDRESSES: u8 = 32;

struct Lab {
    dns: String,
    ca: String,
    servers: Vec<SocketAddr>,
    dir: support::TempDir,
}

fn lab() -> Lab {
    let ca = Ca::new("Bench CA");
    let leaf = ca.leaf(&["*.bench.test"], |_| {});
    let versions = [&rustls::version::TLS12, &rustls::version::TLS13];
    let servers: Vec<SocketAddr> = (1..=ADDRESSES)
        .map(|i| {
            let at = SocketAddr::from((Ipv4Addr::new(127, 0, 10, i), 0));
            support::rustls_server_chain_at(
                &versions,
                vec![leaf.der.clone(), ca.der.clone()],
                leaf.key_der.clone(),
                at,
            )
        })
        .collect();
    let mut zone = Zone::new();
    for i in 0..10_000 {
        let ip = Ipv4Addr::new(127, 0, 10, (i % usize::from(ADDRESSES)) as u8 + 1);
        zone = zone.a(&format!("e{i}.bench.test"), ip);
    }
    let dir = support::TempDir::new("e2e");
    let ca_path = dir.0.join("ca.pem");
    std::fs::write(&ca_path, &ca.pem).expect("ca");
    Lab {
        dns: dns_server(zone).to_string(),
        ca: ca_path.display().to_string(),
        servers,
        dir,
    }
}

struct Run {
    probes: u64,
    elapsed_ms: f64,
    rate: f64,
    peak_rss_kib: u64,
}

fn scan(lab: &Lab, n: usize) -> Run {
    let mut toml = String::from("[defaults]\nexpected_issuers = [\"Bench CA\"]\n\n");
    for i in 0..n {
        let port = lab.servers[i % lab.servers.len()].port();
        let _ = write!(
            toml,
            "[[endpoint]]\nhost = \"e{i}.bench.test\"\nport = {port}\npurpose = \"bench\"\n\
             sources = [\"bench\"]\ncategory = \"default\"\ninspection = \"allowed\"\nlegacy_tls = \"unknown\"\n\n"
        );
    }
    let endpoints = lab.dir.0.join(format!("endpoints-{n}.toml"));
    std::fs::write(&endpoints, toml).expect("endpoints");
    let json = lab.dir.0.join("out.json");
    // `TLSCOMPAT_BIN` runs another build of the binary (e.g. one made before a change).
    let bin = std::env::var("TLSCOMPAT_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tlscompat").to_string());
    let status = Command::new(bin)
        .args([
            "scan",
            "--quiet",
            "--format",
            "csv",
            "--fail-on",
            "none",
            "--no-system-store",
        ])
        .args(["--resolver", &lab.dns, "--roots", &lab.ca, "--endpoints"])
        .arg(&endpoints)
        .arg("--json")
        .arg(&json)
        .stdout(Stdio::null())
        .status()
        .expect("run tlscompat");
    assert!(status.success(), "scan failed: {status}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("valid json");
    let s = &v["summary"];
    let records = v["records"].as_array().expect("records");
    assert_eq!(records.len(), n);
    assert!(
        records
            .iter()
            .all(|r| r["versions"]["tls1_3"]["state"] == "accepted"),
        "every endpoint answered"
    );
    Run {
        probes: s["probes"].as_u64().unwrap_or(0),
        elapsed_ms: s["elapsed_ms"].as_f64().unwrap_or(0.0),
        rate: s["probes_per_second"].as_f64().unwrap_or(0.0),
        peak_rss_kib: s["peak_rss_kib"].as_u64().unwrap_or(0),
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run only
    // when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let lab = lab();
    let mut runs: Vec<Run> = (0..3).map(|_| scan(&lab, 1_000)).collect();
    runs.sort_by(|a, b| a.rate.total_cmp(&b.rate));
    let median = &runs[1];
    let big = scan(&lab, 10_000);
    println!(
        "end-to-end scan (loopback, {ADDRESSES} addresses; per endpoint raw TLS 1.0-1.2 + one rustls handshake, which proves TLS 1.3 so no raw TLS 1.3 probe is sent)"
    );
    println!("| endpoints | probes | elapsed | probes/s | peak RSS |");
    println!("|---:|---:|---:|---:|---:|");
    for (n, r, note) in [(1_000, median, " (median of 3)"), (10_000, &big, "")] {
        println!(
            "| {n} | {} | {:.2} s | {:.0}{note} | {:.1} MiB |",
            r.probes,
            r.elapsed_ms / 1000.0,
            r.rate,
            r.peak_rss_kib as f64 / 1024.0
        );
    }
    let all: Vec<String> = runs.iter().map(|r| format!("{:.0}", r.rate)).collect();
    println!("1,000-endpoint runs, probes/s: {}", all.join(", "));
}
