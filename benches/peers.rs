//! tlscompat side by side with the scanners people already run, on servers users meet,
//! and the embedded list's wall time across an emulated WAN. `cargo bench --bench
//! peers` (as root: nginx binds 30 loopback addresses; needs Debian's `nginx`, and
//! `sslscan`, `testssl.sh`, `python3-venv` for the peers).
//!
//! **Side by side.** 300 names (`eN.bench.test`) on 30 nginx front ends
//! (127.0.20.1–30, one port), ten names each — Microsoft's names share front ends. The
//! front ends are Debian's nginx with OpenSSL: 21 serve TLS 1.0–1.3 (`ssl_protocols
//! TLSv1 TLSv1.1 TLSv1.2 TLSv1.3`, `ssl_ciphers 'DEFAULT:@SECLEVEL=0'`), 3 TLS 1.2+1.3,
//! 3 TLS 1.2 only, 3 TLS 1.3 only; half present the Microsoft ECC chain (RSA-2048 root
//! → P-384 issuing CA → P-256 leaf), half the RSA one (RSA-4096 root → RSA-2048 CA →
//! RSA-2048 leaf), from `common/chains.rs`. Each tool is run as a user runs it:
//!
//! - `tlscompat scan` at its default flags, names resolved through the in-process DNS
//!   lab (a real scan resolves too), both roots given with `--roots`;
//! - `sslscan` 8 processes at a time, `IP:port --sni-name=NAME` with
//!   [`SSLSCAN_ARGS`]: protocol versions only (it still connects once to test the
//!   port, then tries SSLv2, SSLv3, TLS 1.0, 1.1, 1.2, 1.3: 7 connections a name);
//! - `sslyze --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 --certinfo`, one process (it runs
//!   its own concurrency), on 30 names (one per front end): sslyze decides a version by
//!   enumerating its cipher suites, so it is slow; the 300-name figure is scaled ×10;
//! - `testssl.sh --protocols`, 8 processes at a time, on the same 30 names, scaled ×10.
//!
//! Runs are interleaved (tlscompat, sslscan, sslyze, testssl.sh; three rounds) and the
//! median of the three is printed. For each: wall time, the client's CPU (user +
//! system from `wait4`, summed over the 8 processes for the ×8 tools), nginx's CPU
//! meanwhile (its workers' `/proc` times), and the client's peak RSS. Every tool's
//! TLS 1.0/1.1/1.2/1.3 verdicts must equal tlscompat's for every name it scanned, or
//! the bench fails.
//!
//! **Latency.** The 31 hosts of the embedded list, each on its own address behind a
//! delay relay (`common/relay.rs`, 25 ms each way: RTT 50 ms) in front of the same
//! front ends, the DNS lab answering one RTT late; scanned at default flags. The
//! printed lower bound is DNS (1 RTT) + one wave of (TCP connect + hello flight,
//! 2 RTT) per `--concurrency` probes. Then the same list with one host that accepts
//! TCP and never answers: it must cost no more than 2 × timeout + 1 s.
//!
//! Knobs: `TLSCOMPAT_BIN` (another build of the binary), `TLSCOMPAT_WRAP` (run the
//! scanner under a profiler, e.g. `"perf record -g -o perf.data --"`), `PEERS=none`
//! (tlscompat only) or `PEERS=sslscan` (skip sslyze and testssl.sh),
//! `PEERS_NGINX_WORKERS` (default 1), `PEERS_RUNS` (default 3), `PEERS_LATENCY=0`
//! (skip the latency part).

#[path = "common/chains.rs"]
mod chains;
#[path = "common/measure.rs"]
mod measure;
#[path = "common/nginx.rs"]
mod nginx;
#[path = "common/relay.rs"]
mod relay;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use measure::{Cost, median_by};
use support::dns::{Zone, dns_server, dns_server_delayed};

const NAMES: usize = 300;
const FRONT_ENDS: usize = 30;
/// Names per front end of the subset the slow peers scan (one per front end).
const SUBSET: usize = FRONT_ENDS;
const RUNS: usize = 3;
const PARALLEL: usize = 8;
/// sslscan 2.0.7 doing protocol versions only: no cipher-suite or group enumeration,
/// no renegotiation, compression, Heartbleed or fallback probes, no certificate.
const SSLSCAN_ARGS: [&str; 7] = [
    "--no-ciphersuites",
    "--no-renegotiation",
    "--no-compression",
    "--no-heartbleed",
    "--no-groups",
    "--no-check-certificate",
    "--no-fallback",
];
const SSLYZE_ARGS: [&str; 5] = [
    "--tlsv1",
    "--tlsv1_1",
    "--tlsv1_2",
    "--tlsv1_3",
    "--certinfo",
];
/// One-way delay of the latency relay.
const ONE_WAY: Duration = Duration::from_millis(25);

/// TLS 1.0, 1.1, 1.2, 1.3: accepted or not.
type Verdicts = [bool; 4];

#[derive(Clone)]
struct Target {
    name: String,
    addr: SocketAddr,
}

/// One run of one tool.
struct Measured {
    cost: Cost,
    /// nginx's CPU seconds during the run.
    server_cpu: f64,
    verdicts: HashMap<String, Verdicts>,
}

/// `ssl_protocols` of front end `i`: 7 in 10 with the legacy versions.
fn protocols(i: usize) -> &'static str {
    match i % 10 {
        7 => "TLSv1.2 TLSv1.3",
        8 => "TLSv1.2",
        9 => "TLSv1.3",
        _ => "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3",
    }
}

fn front_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 20, 1 + i as u8)
}

struct Lab {
    bin: String,
    nginx: nginx::Nginx,
    dir: support::TempDir,
    roots: PathBuf,
    issuers: Vec<String>,
    targets: Vec<Target>,
    dns: String,
    description: String,
}

fn lab(workers: usize) -> Lab {
    let bin = std::env::var("TLSCOMPAT_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tlscompat").to_string());
    let ecc = chains::microsoft_ecc(&["*.bench.test"]);
    let rsa = chains::microsoft_rsa(&["*.bench.test"]);
    let dir = support::TempDir::new("peers");
    let fronts: Vec<nginx::FrontEnd> = (0..FRONT_ENDS)
        .map(|i| {
            let chain = if i % 2 == 0 { &ecc } else { &rsa };
            nginx::FrontEnd {
                ip: front_ip(i),
                protocols: protocols(i),
                chain_pem: chain.chain_pem.clone(),
                key_pem: chain.key_pem.clone(),
            }
        })
        .collect();
    let nginx_dir = dir.0.join("nginx");
    std::fs::create_dir_all(&nginx_dir).expect("nginx dir");
    let nginx = nginx::start(&fronts, workers, &nginx_dir);
    let mut zone = Zone::new();
    let mut targets = Vec::new();
    for i in 0..NAMES {
        let name = format!("e{i}.bench.test");
        let ip = front_ip(i % FRONT_ENDS);
        zone = zone.a(&name, ip);
        targets.push(Target {
            name,
            addr: SocketAddr::from((ip, nginx.port)),
        });
    }
    let roots = dir.0.join("roots.pem");
    std::fs::write(&roots, format!("{}{}", ecc.root_pem, rsa.root_pem)).expect("roots");
    let version = |cmd: &str, arg: &str| {
        let out = Command::new(cmd).arg(arg).output().ok();
        out.map(|o| {
            let text = String::from_utf8_lossy(&o.stderr).to_string()
                + &String::from_utf8_lossy(&o.stdout);
            text.lines().next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_default()
    };
    let description = format!(
        "{NAMES} names on {FRONT_ENDS} front ends ({}, {}; worker_processes {workers}); \
         chains: {} and {}, half the front ends each",
        version("nginx", "-v"),
        version("openssl", "version"),
        "RSA-2048 root → P-384 CA → P-256 leaf",
        "RSA-4096 root → RSA-2048 CA → RSA-2048 leaf",
    );
    Lab {
        bin,
        nginx,
        dir,
        roots,
        issuers: vec![ecc.issuing_cn.clone(), rsa.issuing_cn.clone()],
        targets,
        dns: dns_server(zone).to_string(),
        description,
    }
}

/// An endpoints file listing `hosts` (name, port).
fn endpoints_file(path: &Path, issuers: &[String], hosts: &[(String, u16)]) {
    let quoted: Vec<String> = issuers.iter().map(|i| format!("\"{i}\"")).collect();
    let mut toml = format!("[defaults]\nexpected_issuers = [{}]\n\n", quoted.join(", "));
    for (host, port) in hosts {
        let _ = write!(
            toml,
            "[[endpoint]]\nhost = \"{host}\"\nport = {port}\npurpose = \"bench\"\n\
             sources = [\"bench\"]\ncategory = \"default\"\ninspection = \"allowed\"\n\
             legacy_tls = \"unknown\"\n\n"
        );
    }
    std::fs::write(path, toml).expect("endpoints");
}

/// What a scan's CSV says: verdicts per name (a name whose cells are not all accepted
/// or rejected is kept as "name (cells)" for the caller to judge), and how many rows
/// have a publicly trusted chain.
struct Scanned {
    ran: measure::Ran,
    verdicts: HashMap<String, Verdicts>,
    trusted: usize,
}

/// `tlscompat scan` at default flags with CSV output, as a CI job runs it; `json` adds
/// `--json FILE` (only for the untimed run whose proofs are checked).
fn scan(lab: &Lab, endpoints: &Path, dns: &str, json: Option<&Path>) -> Scanned {
    let wrap = std::env::var("TLSCOMPAT_WRAP").unwrap_or_default();
    let mut argv: Vec<&str> = wrap.split_whitespace().collect();
    argv.push(&lab.bin);
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..])
        .args(["scan", "--quiet", "--format", "csv", "--fail-on", "none"])
        .args(["--no-system-store", "--resolver", dns])
        .arg("--roots")
        .arg(&lab.roots)
        .arg("--endpoints")
        .arg(endpoints);
    if let Some(json) = json {
        cmd.arg("--json").arg(json);
    }
    let ran = measure::run(&mut cmd);
    assert!(
        ran.ok,
        "tlscompat: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let mut verdicts = HashMap::new();
    let mut trusted = 0;
    let mut rd = csv::Reader::from_reader(ran.stdout.as_slice());
    let header = rd.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (host, trusted_public) = (col("host"), col("trusted_public"));
    let cells = ["tls1_0", "tls1_1", "tls1_2", "tls1_3"].map(col);
    for row in rd.records() {
        let row = row.expect("row");
        trusted += usize::from(&row[trusted_public] == "true");
        let v = cells.map(|c| row[c].to_string());
        match v.iter().all(|c| c == "accepted" || c == "rejected") {
            true => verdicts.insert(row[host].to_string(), v.map(|c| c == "accepted")),
            false => verdicts.insert(format!("{} ({})", &row[host], v.join(" ")), [false; 4]),
        };
    }
    Scanned {
        ran,
        verdicts,
        trusted,
    }
}

fn run_tlscompat(lab: &Lab, endpoints: &Path) -> Measured {
    let server = lab.nginx.cpu();
    let scanned = scan(lab, endpoints, &lab.dns, None);
    let server_cpu = lab.nginx.cpu() - server;
    // Every chain verifies against the given roots: trust did its whole work on every
    // record (and the server proved it holds the leaf's key, or it would not count).
    assert_eq!(scanned.trusted, NAMES, "every chain trusted");
    Measured {
        cost: scanned.ran.cost,
        server_cpu,
        verdicts: scanned.verdicts,
    }
}

/// One untimed scan with `--json`: every acceptance must be proven (nginx signs every
/// key exchange; TLS 1.3 is proven by the rustls handshake). Returns the accepted
/// cells counted by how they were proven: a build that proves less shows there.
fn proofs(lab: &Lab, endpoints: &Path) -> BTreeMap<String, usize> {
    let json = lab.dir.0.join("out.json");
    let scanned = scan(lab, endpoints, &lab.dns, Some(&json));
    assert_eq!(scanned.trusted, NAMES, "every chain trusted");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("json");
    let mut proofs = BTreeMap::new();
    for r in doc["records"].as_array().expect("records") {
        for v in ["tls1_0", "tls1_1", "tls1_2", "tls1_3"] {
            let cell = &r["versions"][v];
            if cell["state"] != "accepted" {
                continue;
            }
            let proof = &cell["proof"];
            assert_eq!(proof["state"], "verified", "{} {v}: {proof}", r["host"]);
            let how = proof["detail"].as_str().unwrap_or("?").to_string();
            *proofs.entry(how).or_default() += 1;
        }
    }
    proofs
}

/// Runs `one` over `targets`, `parallel` processes at a time.
fn fan_out(
    lab: &Lab,
    targets: &[Target],
    parallel: usize,
    one: impl Fn(&Target) -> (Cost, Verdicts) + Sync,
) -> Measured {
    let server = lab.nginx.cpu();
    let start = std::time::Instant::now();
    let next = Mutex::new(0usize);
    let found = Mutex::new((Cost::default(), HashMap::new()));
    std::thread::scope(|s| {
        for _ in 0..parallel {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().expect("lock");
                        *n += 1;
                        *n - 1
                    };
                    let Some(t) = targets.get(i) else { break };
                    let (cost, v) = one(t);
                    let mut f = found.lock().expect("lock");
                    f.0.add(&cost);
                    f.1.insert(t.name.clone(), v);
                }
            });
        }
    });
    let (mut cost, verdicts) = found.into_inner().expect("lock");
    cost.wall = start.elapsed();
    Measured {
        cost,
        server_cpu: lab.nginx.cpu() - server,
        verdicts,
    }
}

fn sslscan_one(t: &Target) -> (Cost, Verdicts) {
    let ran = measure::run(
        Command::new("sslscan")
            .args(SSLSCAN_ARGS)
            .args(["--no-colour", "--xml=-"])
            .arg(format!("--sni-name={}", t.name))
            .arg(t.addr.to_string()),
    );
    let xml = String::from_utf8_lossy(&ran.stdout);
    let v = ["1.0", "1.1", "1.2", "1.3"]
        .map(|v| xml.contains(&format!("type=\"tls\" version=\"{v}\" enabled=\"1\"")));
    (ran.cost, v)
}

fn testssl_one(lab: &Lab, t: &Target) -> (Cost, Verdicts) {
    let json = lab.dir.0.join(format!("testssl-{}.json", t.name));
    let _ = std::fs::remove_file(&json);
    let ran = measure::run(
        Command::new("testssl")
            .args([
                "--quiet",
                "--color",
                "0",
                "--warnings",
                "off",
                "--protocols",
            ])
            .args(["--nodns", "none", "--ip", &t.addr.ip().to_string()])
            .arg("--jsonfile")
            .arg(&json)
            .arg(format!("{}:{}", t.name, t.addr.port())),
    );
    let found: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap_or_default())
            .unwrap_or_default();
    let offered = |id: &str| {
        found.as_array().into_iter().flatten().any(|f| {
            f["id"] == id
                && f["finding"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("offered"))
        })
    };
    (
        ran.cost,
        ["TLS1", "TLS1_1", "TLS1_2", "TLS1_3"].map(offered),
    )
}

/// sslyze from PyPI in a venv under `target/` (made on first use), or `SSLYZE`.
fn sslyze_path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("SSLYZE") {
        return Ok(p.into());
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers-venv");
    let bin = venv.join("bin/sslyze");
    if bin.exists() {
        return Ok(bin);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    let pip = venv.join("bin/pip");
    let installed = made
        && Command::new(&pip)
            .args(["install", "--quiet", "sslyze"])
            .status()
            .is_ok_and(|s| s.success());
    match installed && bin.exists() {
        true => Ok(bin),
        false => Err(format!(
            "could not make {} (python3 -m venv, pip install sslyze)",
            venv.display()
        )),
    }
}

fn run_sslyze(lab: &Lab, sslyze: &Path, targets: &[Target]) -> Measured {
    let json = lab.dir.0.join("sslyze.json");
    let server = lab.nginx.cpu();
    let mut cmd = Command::new(sslyze);
    cmd.arg("--quiet")
        .arg(format!("--json_out={}", json.display()))
        .args(SSLYZE_ARGS)
        .arg(format!("--certinfo_ca_file={}", lab.roots.display()));
    for t in targets {
        cmd.arg(format!("{}:{}{{{}}}", t.name, t.addr.port(), t.addr.ip()));
    }
    let ran = measure::run(&mut cmd);
    assert!(ran.ok, "sslyze: {}", String::from_utf8_lossy(&ran.stderr));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("sslyze json"))
            .expect("sslyze json");
    let mut verdicts = HashMap::new();
    for r in doc["server_scan_results"].as_array().into_iter().flatten() {
        let name = r["server_location"]["hostname"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        let accepted = |v: &str| {
            r["scan_result"][format!("tls_{v}_cipher_suites")]["result"]["accepted_cipher_suites"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        };
        verdicts.insert(name, ["1_0", "1_1", "1_2", "1_3"].map(accepted));
    }
    Measured {
        cost: ran.cost,
        server_cpu: lab.nginx.cpu() - server,
        verdicts,
    }
}

/// Names whose verdicts differ from `ours` (or are missing), described.
fn differences(
    ours: &HashMap<String, Verdicts>,
    theirs: &HashMap<String, Verdicts>,
    targets: &[Target],
    tool: &str,
) -> Vec<String> {
    targets
        .iter()
        .filter_map(|t| {
            let (a, b) = (ours.get(&t.name), theirs.get(&t.name));
            (a.is_none() || a != b).then(|| format!("{}: tlscompat {a:?}, {tool} {b:?}", t.name))
        })
        .collect()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

struct Row {
    tool: String,
    names: usize,
    runs: Vec<Measured>,
}

impl Row {
    fn median(&self) -> &Measured {
        median_by(&self.runs, |m| m.cost.wall)
    }

    /// Wall time scaled to the 300 names.
    fn wall_300(&self) -> f64 {
        self.median().cost.wall.as_secs_f64() * NAMES as f64 / self.names as f64
    }

    fn print(&self) {
        let m = self.median();
        let walls: Vec<String> = self
            .runs
            .iter()
            .map(|r| format!("{:.3}", r.cost.wall.as_secs_f64()))
            .collect();
        let scaled = match self.names == NAMES {
            true => String::new(),
            false => format!(" (×{})", NAMES / self.names),
        };
        println!(
            "| {} | {} | {:.3} s ({}) | {:.2} s{scaled} | {:.3} s ({:.3} + {:.3}) | {:.2} ms | {:.3} s | {:.1} MiB |",
            self.tool,
            self.names,
            m.cost.wall.as_secs_f64(),
            walls.join(", "),
            self.wall_300(),
            m.cost.cpu,
            m.cost.user,
            m.cost.sys,
            m.cost.cpu * 1000.0 / self.names as f64,
            m.server_cpu,
            m.cost.peak_rss_kib as f64 / 1024.0,
        );
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if !nginx::available() {
        println!("peers: nginx is not installed (apt-get install nginx): nothing measured");
        return;
    }
    let workers = std::env::var("PEERS_NGINX_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    let peers = std::env::var("PEERS").unwrap_or_else(|_| "all".into());
    let lab = lab(workers);
    let endpoints = lab.dir.0.join("endpoints.toml");
    let hosts: Vec<(String, u16)> = lab
        .targets
        .iter()
        .map(|t| (t.name.clone(), t.addr.port()))
        .collect();
    endpoints_file(&endpoints, &lab.issuers, &hosts);
    let subset: Vec<Target> = lab.targets[..SUBSET].to_vec();
    let have = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let sslscan = peers != "none" && have("sslscan", "--version");
    let testssl = peers == "all" && have("testssl", "--version");
    let sslyze = match peers.as_str() {
        "all" => sslyze_path()
            .map_err(|e| println!("sslyze left out: {e}"))
            .ok(),
        _ => None,
    };
    if peers != "none" && !sslscan {
        println!("sslscan is not installed (apt-get install sslscan): left out");
    }
    if peers == "all" && !testssl {
        println!("testssl.sh is not installed (apt-get install testssl.sh): left out");
    }
    println!("load average before: {}", load_average());

    // One untimed pass warms nginx, the page cache and the DNS lab, and checks proofs.
    let proven = proofs(&lab, &endpoints);
    let mut rows = vec![Row {
        tool: "tlscompat (default flags)".into(),
        names: NAMES,
        runs: Vec::new(),
    }];
    let mut tools: Vec<&str> = vec!["tlscompat"];
    if sslscan {
        tools.push("sslscan");
        rows.push(Row {
            tool: format!("sslscan ×{PARALLEL} ({})", SSLSCAN_ARGS.join(" ")),
            names: NAMES,
            runs: Vec::new(),
        });
    }
    if sslyze.is_some() {
        tools.push("sslyze");
        rows.push(Row {
            tool: format!("sslyze {} (one process)", SSLYZE_ARGS.join(" ")),
            names: SUBSET,
            runs: Vec::new(),
        });
    }
    if testssl {
        tools.push("testssl");
        rows.push(Row {
            tool: format!("testssl.sh --protocols ×{PARALLEL}"),
            names: SUBSET,
            runs: Vec::new(),
        });
    }
    let runs = std::env::var("PEERS_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(RUNS);
    for _ in 0..runs {
        for (i, tool) in tools.iter().enumerate() {
            let m = match *tool {
                "tlscompat" => run_tlscompat(&lab, &endpoints),
                "sslscan" => fan_out(&lab, &lab.targets, PARALLEL, sslscan_one),
                "sslyze" => run_sslyze(&lab, sslyze.as_deref().expect("sslyze"), &subset),
                _ => fan_out(&lab, &subset, PARALLEL, |t| testssl_one(&lab, t)),
            };
            rows[i].runs.push(m);
        }
    }

    let ours = &rows[0];
    let mut differ = Vec::new();
    // Every run of tlscompat must agree with every other run and with every peer's.
    let reference = &ours.runs[0].verdicts;
    let mut agreement = Vec::new();
    for row in &rows {
        let targets = match row.names == NAMES {
            true => &lab.targets[..],
            false => &subset[..],
        };
        let before = differ.len();
        for run in &row.runs {
            differ.extend(differences(reference, &run.verdicts, targets, &row.tool));
        }
        agreement.push(format!(
            "{} {}/{}",
            row.tool.split(' ').next().unwrap_or("?"),
            row.names - (differ.len() - before).min(row.names),
            row.names
        ));
    }
    let count = |f: fn(&Verdicts) -> bool| reference.values().filter(|v| f(v)).count();
    println!("peers: {}", lab.description);
    println!(
        "verdicts (TLS 1.0/1.1/1.2/1.3 per name, every run) equal to tlscompat's: {}; \
         TLS 1.0 accepted by {} names, 1.2 and 1.3 {}, 1.2 only {}, 1.3 only {}",
        agreement.join(", "),
        count(|v| v[0]),
        count(|v| v[2] && v[3]),
        count(|v| v[2] && !v[3]),
        count(|v| !v[2] && v[3]),
    );
    let proofs: Vec<String> = proven
        .iter()
        .map(|(how, n)| format!("{n} × {how}"))
        .collect();
    println!(
        "proofs (every accepted cell verified): {}",
        proofs.join("; ")
    );
    println!(
        "| tool | names | wall, median (runs) | for {NAMES} names | client CPU (user + sys) | per name | nginx CPU | client peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        row.print();
    }
    let base = ours.median();
    for row in &rows[1..] {
        let m = row.median();
        let scale = NAMES as f64 / row.names as f64;
        println!(
            "{} / tlscompat: wall {:.1}×, client CPU {:.1}×, client + server CPU {:.1}×",
            row.tool.split(' ').next().unwrap_or("?"),
            row.wall_300() / base.cost.wall.as_secs_f64(),
            m.cost.cpu * scale / base.cost.cpu.max(1e-6),
            (m.cost.cpu + m.server_cpu) * scale / (base.cost.cpu + base.server_cpu).max(1e-6),
        );
    }
    println!("load average after: {}", load_average());
    if std::env::var("PEERS_LATENCY").as_deref() != Ok("0") {
        latency(&lab);
    }
    assert!(differ.is_empty(), "verdicts differ:\n{}", differ.join("\n"));
}

/// The embedded list across the delay relay: wall time in round trips beside the lower
/// bound, then with one silent host.
fn latency(lab: &Lab) {
    let rtt = ONE_WAY * 2;
    let list = tlscompat::endpoints::EndpointList::embedded().expect("embedded list");
    let names: Vec<String> = list.endpoints.iter().map(|e| e.host.clone()).collect();
    let silent_upstream = support::blackhole();
    let setup = |silent: Option<&str>| {
        let mut zone = Zone::new();
        let mut hosts = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let ip = Ipv4Addr::new(127, 0, 30, 1 + i as u8);
            let upstream = match Some(name.as_str()) == silent {
                true => silent_upstream,
                false => lab.targets[i % FRONT_ENDS].addr,
            };
            let at = relay::delay_relay(SocketAddr::from((ip, 0)), upstream, ONE_WAY);
            zone = zone.a(name, ip);
            hosts.push((name.clone(), at.port()));
        }
        let path = lab
            .dir
            .0
            .join(format!("embedded-{}.toml", silent.is_some()));
        endpoints_file(&path, &lab.issuers, &hosts);
        (path, dns_server_delayed(zone, rtt).to_string())
    };
    // Default flags (src/cli.rs): 64 connections in flight, 5 probes an address.
    let (concurrency, per_address, timeout) = (64usize, 5usize, Duration::from_secs(5));
    let probes = names.len() * per_address;
    let waves = probes.div_ceil(concurrency);
    let bound_rtts = 1 + 2 * waves;
    let bound = rtt * bound_rtts as u32;
    let (path, dns) = setup(None);
    let mut walls = Vec::new();
    for _ in 0..RUNS {
        let scanned = scan(lab, &path, &dns, None);
        assert_eq!(scanned.verdicts.len(), names.len(), "every host scanned");
        walls.push(scanned.ran.cost.wall);
    }
    walls.sort();
    let wall = walls[RUNS / 2];
    let in_rtts = wall.as_secs_f64() / rtt.as_secs_f64();
    println!(
        "latency: the {} hosts of the embedded list, each on its own address behind a delay \
         relay, {} ms each way (RTT {} ms), DNS one RTT away; default flags \
         (--concurrency {concurrency}, --per-address {per_address}, --timeout 5s, --retries 1)",
        names.len(),
        ONE_WAY.as_millis(),
        rtt.as_millis()
    );
    println!(
        "lower bound = RTT × (1 DNS + ⌈{probes} probes / {concurrency}⌉ = {waves} waves × 2 \
         (TCP connect + hello flight)) = {bound_rtts} RTT = {} ms",
        bound.as_millis()
    );
    let runs: Vec<String> = walls
        .iter()
        .map(|w| format!("{:.3}", w.as_secs_f64()))
        .collect();
    println!(
        "tlscompat: {:.3} s = {in_rtts:.1} RTT = {:.2} × the bound (median of {RUNS}: {} s)",
        wall.as_secs_f64(),
        in_rtts / bound_rtts as f64,
        runs.join(", ")
    );
    let silent_name = names[names.len() / 2].clone();
    let (path, dns) = setup(Some(&silent_name));
    let Scanned { ran, verdicts, .. } = scan(lab, &path, &dns, None);
    let limit = timeout * 2 + Duration::from_secs(1);
    let silent_row = verdicts.keys().find(|k| k.starts_with(&silent_name));
    println!(
        "silent address (accepts TCP, never answers; {silent_name}): the scan took {:.2} s, \
         bound 2 × timeout + 1 s = {} s; its row: {}",
        ran.cost.wall.as_secs_f64(),
        limit.as_secs(),
        silent_row.map_or("missing", |s| s.as_str())
    );
    assert!(
        ran.cost.wall <= limit,
        "a silent host took {:?}",
        ran.cost.wall
    );
}
