//! tlscompat side by side with the scanners people already run, on servers users meet,
//! and the embedded list's wall time across an emulated WAN. `cargo bench --bench
//! peers` (as root: nginx binds 60 loopback addresses; needs Debian's `nginx`, and
//! `sslscan`, `testssl.sh`, `python3-venv` for the peers).
//!
//! **Side by side.** Two sets of 300 names (`eN.ecc.bench.test`, `eN.rsa.bench.test`),
//! each on 30 nginx front ends (127.0.20.1–30 and 127.0.21.1–30, one port), ten names
//! a front end — Microsoft's names share front ends. The front ends are Debian's nginx
//! with OpenSSL: 21 of 30 serve TLS 1.0–1.3 (`ssl_protocols TLSv1 TLSv1.1 TLSv1.2
//! TLSv1.3`, `ssl_ciphers 'DEFAULT:@SECLEVEL=0'`), 3 TLS 1.2+1.3, 3 TLS 1.2 only, 3
//! TLS 1.3 only. The `ecc` set presents the Microsoft ECC chain (RSA-2048 root → P-384
//! issuing CA → P-256 leaf), the `rsa` set the RSA one (RSA-4096 root → RSA-2048 CA →
//! RSA-2048 leaf), from `common/chains.rs`: Microsoft serves both, and the server's
//! signing cost differs tenfold between them. nginx runs `worker_processes 2` (what
//! `auto` gives on the 2-core machine the figures come from; 1 would serialise the
//! server). Each tool is run as a user runs it:
//!
//! - `tlscompat scan` at its default flags with `--format csv`, names resolved through
//!   the in-process DNS lab (a real scan resolves too), both roots given with
//!   `--roots`;
//! - `sslscan` 8 processes at a time, `IP:port --sni-name=NAME` with
//!   [`SSLSCAN_ARGS`]: protocol versions only (it still connects once to test the
//!   port, then tries SSLv2, SSLv3, TLS 1.0, 1.1, 1.2, 1.3: 7 connections a name);
//! - `sslyze --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 --certinfo`, one process (it runs
//!   its own concurrency), on 30 names (one per front end): sslyze decides a version by
//!   enumerating its cipher suites, so it is slow; the 300-name figure is scaled ×10;
//! - `testssl.sh --protocols`, 8 processes at a time, on 10 names (one on each kind of
//!   front end; about 6 CPU-seconds a name), scaled ×30.
//!
//! Runs are interleaved (set by set, tool by tool) for three rounds; tlscompat and
//! sslscan report the median of the three, sslyze and testssl.sh (a minute or more a
//! run) run in the first round only. For each: wall time, the client's CPU (user +
//! system from `wait4`, summed over the processes for the ×8 tools), nginx's CPU
//! meanwhile (its processes' `/proc` times), and the client's peak RSS (GNU `time`). Every tool's
//! TLS 1.0/1.1/1.2/1.3 verdicts must equal tlscompat's for every name it scanned, and
//! every acceptance tlscompat reports must be proven (checked on an untimed `--json`
//! run), or the bench fails.
//!
//! **Latency.** The 31 hosts of the embedded list, each on its own address behind a
//! delay relay (`common/relay.rs`, 25 ms each way: RTT 50 ms) in front of the same
//! front ends, the DNS lab answering one RTT late; scanned at default flags. The
//! printed lower bound is DNS (1 RTT) + one wave of (TCP connect + hello flight,
//! 2 RTT) per `--concurrency` probes. Then the same list with one host that accepts
//! TCP and never answers: it must cost no more than 2 × timeout + 1 s.
//!
//! Knobs: `TLSCOMPAT_BIN` (another build of the binary; several, comma-separated, are
//! measured side by side, the first being the reference), `TLSCOMPAT_WRAP` (run the
//! scanner under a profiler, e.g. `"perf record -g -o perf.data --"`), `PEERS=none`
//! (tlscompat only) or `PEERS=sslscan` (leave sslyze and testssl.sh out),
//! `PEERS_SETS=ecc` or `rsa` (one set), `PEERS_NGINX_WORKERS` (default 2),
//! `PEERS_RUNS` (default 3), `PEERS_LATENCY=0` (leave the latency part out).

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
/// Names sslyze scans: one per front end.
const SUBSET: usize = FRONT_ENDS;
/// Names testssl.sh scans (6 CPU-seconds a name): one per kind of front end.
const TESTSSL_SUBSET: usize = 10;
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

/// 300 names on 30 front ends presenting one chain.
struct Set {
    label: &'static str,
    chain: &'static str,
    targets: Vec<Target>,
    endpoints: PathBuf,
}

impl Set {
    /// The first `n` names: one on each of the first `n` front ends.
    fn subset(&self, n: usize) -> &[Target] {
        &self.targets[..n]
    }
}

struct Lab {
    nginx: nginx::Nginx,
    dir: support::TempDir,
    roots: PathBuf,
    issuers: Vec<String>,
    sets: Vec<Set>,
    dns: String,
    servers: String,
}

fn lab(workers: usize, labels: &[&'static str]) -> Lab {
    let dir = support::TempDir::new("peers");
    let ecc = chains::microsoft_ecc(&["*.ecc.bench.test"]);
    let rsa = chains::microsoft_rsa(&["*.rsa.bench.test"]);
    let all = [
        ("ecc", &ecc, "RSA-2048 root → P-384 CA → P-256 leaf", 20u8),
        (
            "rsa",
            &rsa,
            "RSA-4096 root → RSA-2048 CA → RSA-2048 leaf",
            21u8,
        ),
    ];
    let mut fronts = Vec::new();
    let mut zone = Zone::new();
    let mut sets = Vec::new();
    for (label, chain, desc, net) in all.into_iter().filter(|a| labels.contains(&a.0)) {
        let ip = |i: usize| Ipv4Addr::new(127, 0, net, 1 + i as u8);
        fronts.extend((0..FRONT_ENDS).map(|i| nginx::FrontEnd {
            ip: ip(i),
            protocols: protocols(i),
            chain_pem: chain.chain_pem.clone(),
            key_pem: chain.key_pem.clone(),
        }));
        let targets: Vec<Target> = (0..NAMES)
            .map(|i| Target {
                name: format!("e{i}.{label}.bench.test"),
                addr: SocketAddr::from((ip(i % FRONT_ENDS), 0)),
            })
            .collect();
        for t in &targets {
            let SocketAddr::V4(a) = t.addr else {
                unreachable!()
            };
            zone = zone.a(&t.name, *a.ip());
        }
        sets.push(Set {
            label,
            chain: desc,
            targets,
            endpoints: dir.0.join(format!("endpoints-{label}.toml")),
        });
    }
    let nginx_dir = dir.0.join("nginx");
    std::fs::create_dir_all(&nginx_dir).expect("nginx dir");
    let nginx = nginx::start(&fronts, workers, &nginx_dir);
    let issuers = vec![ecc.issuing_cn.clone(), rsa.issuing_cn.clone()];
    for set in &mut sets {
        for t in &mut set.targets {
            t.addr.set_port(nginx.port);
        }
        let hosts: Vec<(String, u16)> = set
            .targets
            .iter()
            .map(|t| (t.name.clone(), nginx.port))
            .collect();
        endpoints_file(&set.endpoints, &issuers, &hosts);
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
    let servers = format!(
        "{}, {}, worker_processes {workers}",
        version("nginx", "-v"),
        version("openssl", "version")
    );
    Lab {
        nginx,
        dir,
        roots,
        issuers,
        sets,
        dns: dns_server(zone).to_string(),
        servers,
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
fn scan(bin: &str, lab: &Lab, endpoints: &Path, dns: &str, json: Option<&Path>) -> Scanned {
    let wrap = std::env::var("TLSCOMPAT_WRAP").unwrap_or_default();
    let mut argv: Vec<&str> = wrap.split_whitespace().collect();
    argv.push(bin);
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

fn run_tlscompat(bin: &str, lab: &Lab, endpoints: &Path) -> Measured {
    let server = lab.nginx.cpu();
    let scanned = scan(bin, lab, endpoints, &lab.dns, None);
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
fn proofs(bin: &str, lab: &Lab, endpoints: &Path) -> BTreeMap<String, usize> {
    let json = lab.dir.0.join("out.json");
    let scanned = scan(bin, lab, endpoints, &lab.dns, Some(&json));
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
    let text = std::fs::read_to_string(&json).expect("sslyze json");
    let doc: serde_json::Value =
        serde_json::from_str(&shorten_numbers(&text)).expect("sslyze json");
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

/// sslyze's `--certinfo` JSON writes RSA moduli as bare integers of 600+ digits, which
/// serde_json (without arbitrary precision, which would change the product's JSON too)
/// refuses as out of range: every run of more than 30 digits becomes 0. No verdict is
/// read from a number.
fn shorten_numbers(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        out.push_str(if digits.len() > 30 { "0" } else { digits });
        digits.clear();
    };
    for c in json.chars() {
        match c.is_ascii_digit() {
            true => digits.push(c),
            false => {
                flush(&mut digits, &mut out);
                out.push(c);
            }
        }
    }
    flush(&mut digits, &mut out);
    out
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

/// What a row measures.
enum Tool {
    Tlscompat(String),
    Sslscan,
    Sslyze(PathBuf),
    Testssl,
}

struct Row {
    tool: Tool,
    label: String,
    names: usize,
    runs: Vec<Measured>,
}

impl Row {
    fn run(&mut self, lab: &Lab, set: &Set) {
        let m = match &self.tool {
            Tool::Tlscompat(bin) => run_tlscompat(bin, lab, &set.endpoints),
            Tool::Sslscan => fan_out(lab, &set.targets, PARALLEL, sslscan_one),
            Tool::Sslyze(bin) => run_sslyze(lab, bin, set.subset(self.names)),
            Tool::Testssl => fan_out(lab, set.subset(self.names), PARALLEL, |t| {
                testssl_one(lab, t)
            }),
        };
        self.runs.push(m);
    }

    /// sslyze and testssl.sh take a minute or more: one run, in the first round.
    fn slow(&self) -> bool {
        matches!(self.tool, Tool::Sslyze(_) | Tool::Testssl)
    }

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
        let runs = match self.runs.len() {
            1 => "1 run".to_string(),
            n => format!("median of {n}: {}", walls.join(", ")),
        };
        println!(
            "| {} | {} | {:.3} s ({runs}) | {:.2} s{scaled} | {:.3} s ({:.3} + {:.3}) | {:.2} ms | {:.3} s | {:.1} MiB |",
            self.label,
            self.names,
            m.cost.wall.as_secs_f64(),
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

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The rows measured at each set: every tlscompat build, then the peers present.
fn rows(bins: &[String], peers: &str) -> Vec<Row> {
    let have = |cmd: &str| {
        Command::new(cmd)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut rows: Vec<Row> = bins
        .iter()
        .map(|bin| Row {
            label: match bins.len() {
                1 => "tlscompat (default flags)".into(),
                _ => format!("tlscompat {bin}"),
            },
            tool: Tool::Tlscompat(bin.clone()),
            names: NAMES,
            runs: Vec::new(),
        })
        .collect();
    let mut peer = |tool: Tool, label: String, names: usize| {
        rows.push(Row {
            tool,
            label,
            names,
            runs: Vec::new(),
        })
    };
    if peers == "none" {
        return rows;
    }
    match have("sslscan") {
        true => peer(
            Tool::Sslscan,
            format!("sslscan ×{PARALLEL} ({})", SSLSCAN_ARGS.join(" ")),
            NAMES,
        ),
        false => println!("sslscan is not installed (apt-get install sslscan): left out"),
    }
    if peers != "all" {
        return rows;
    }
    match sslyze_path() {
        Ok(bin) => peer(
            Tool::Sslyze(bin),
            format!("sslyze {} (one process)", SSLYZE_ARGS.join(" ")),
            SUBSET,
        ),
        Err(e) => println!("sslyze left out: {e}"),
    }
    match have("testssl") {
        true => peer(
            Tool::Testssl,
            format!("testssl.sh --protocols ×{PARALLEL}"),
            TESTSSL_SUBSET,
        ),
        false => println!("testssl.sh is not installed (apt-get install testssl.sh): left out"),
    }
    rows
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if !nginx::available() {
        println!("peers: nginx is not installed (apt-get install nginx): nothing measured");
        return;
    }
    let bins: Vec<String> = std::env::var("TLSCOMPAT_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tlscompat").to_string())
        .split(',')
        .map(str::to_string)
        .collect();
    let peers = std::env::var("PEERS").unwrap_or_else(|_| "all".into());
    let labels: Vec<&'static str> = match std::env::var("PEERS_SETS").as_deref() {
        Ok("ecc") => vec!["ecc"],
        Ok("rsa") => vec!["rsa"],
        _ => vec!["ecc", "rsa"],
    };
    let lab = lab(env_or("PEERS_NGINX_WORKERS", 2), &labels);
    println!("load average before: {}", load_average());
    // One untimed pass per set warms nginx, the page cache and the DNS lab, and checks
    // that every acceptance is proven.
    let proven: Vec<BTreeMap<String, usize>> = lab
        .sets
        .iter()
        .map(|set| proofs(&bins[0], &lab, &set.endpoints))
        .collect();
    let mut table: Vec<Vec<Row>> = lab.sets.iter().map(|_| rows(&bins, &peers)).collect();
    for round in 0..env_or("PEERS_RUNS", RUNS) {
        for (set, rows) in lab.sets.iter().zip(&mut table) {
            for row in rows.iter_mut().filter(|r| round == 0 || !r.slow()) {
                row.run(&lab, set);
            }
        }
    }
    let mut differ = Vec::new();
    for ((set, rows), proven) in lab.sets.iter().zip(&table).zip(&proven) {
        differ.extend(report(&lab, set, rows, proven));
    }
    println!("load average after: {}", load_average());
    if env_or("PEERS_LATENCY", 1) != 0 {
        latency(&lab, &bins[0]);
    }
    assert!(differ.is_empty(), "verdicts differ:\n{}", differ.join("\n"));
}

/// Prints one set's table; returns the names whose verdicts differ from tlscompat's.
fn report(lab: &Lab, set: &Set, rows: &[Row], proven: &BTreeMap<String, usize>) -> Vec<String> {
    let mut differ = Vec::new();
    // Every run of every tool must agree with tlscompat's first run.
    let reference = &rows[0].runs[0].verdicts;
    let mut agreement = Vec::new();
    for row in rows {
        let targets = set.subset(row.names);
        let before = differ.len();
        for run in &row.runs {
            differ.extend(differences(reference, &run.verdicts, targets, &row.label));
        }
        let tool = row.label.split(' ').next().unwrap_or("?");
        let agree = row.names - (differ.len() - before).min(row.names);
        agreement.push(format!("{tool} {agree}/{}", row.names));
    }
    let count = |f: fn(&Verdicts) -> bool| reference.values().filter(|v| f(v)).count();
    println!(
        "\npeers, set {}: {NAMES} names on {FRONT_ENDS} front ends, chain {} ({})",
        set.label, set.chain, lab.servers
    );
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
        "| tool | names | wall | for {NAMES} names | client CPU (user + sys) | per name | nginx CPU | client peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        row.print();
    }
    // `PEERS_VERBOSE=1`: every run's client and server CPU, for comparing builds
    // under a noisy load (the minimum is the steadiest figure).
    if env_or("PEERS_VERBOSE", 0) != 0 {
        for row in rows {
            let cpu: Vec<String> = row
                .runs
                .iter()
                .map(|m| format!("{:.3}+{:.3}", m.cost.cpu, m.server_cpu))
                .collect();
            let min = row.runs.iter().map(|m| m.cost.cpu).fold(f64::MAX, f64::min);
            println!(
                "  {}: client+server CPU per run {}; client min {min:.3} s",
                row.label,
                cpu.join(", ")
            );
        }
    }
    let base = rows[0].median();
    for row in &rows[1..] {
        let m = row.median();
        let scale = NAMES as f64 / row.names as f64;
        println!(
            "{} / {}: wall {:.1}×, client CPU {:.1}×, client + server CPU {:.1}×",
            row.label.split(' ').next().unwrap_or("?"),
            rows[0].label.split(' ').next().unwrap_or("?"),
            row.wall_300() / base.cost.wall.as_secs_f64(),
            m.cost.cpu * scale / base.cost.cpu.max(1e-6),
            (m.cost.cpu + m.server_cpu) * scale / (base.cost.cpu + base.server_cpu).max(1e-6),
        );
    }
    differ
}

/// The embedded list across the delay relay: wall time in round trips beside the lower
/// bound, then with one silent host.
fn latency(lab: &Lab, bin: &str) {
    let rtt = ONE_WAY * 2;
    let list = tlscompat::endpoints::EndpointList::embedded().expect("embedded list");
    let names: Vec<String> = list.endpoints.iter().map(|e| e.host.clone()).collect();
    let silent_upstream = support::blackhole();
    let setup = |silent: Option<&str>| {
        let mut zone = Zone::new();
        let mut hosts = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let ip = Ipv4Addr::new(127, 0, 30, 1 + i as u8);
            let set = &lab.sets[i % lab.sets.len()];
            let upstream = match Some(name.as_str()) == silent {
                true => silent_upstream,
                false => set.targets[i % FRONT_ENDS].addr,
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
        let scanned = scan(bin, lab, &path, &dns, None);
        assert_eq!(scanned.verdicts.len(), names.len(), "every host scanned");
        walls.push(scanned.ran.cost.wall);
    }
    walls.sort();
    let wall = walls[RUNS / 2];
    let in_rtts = wall.as_secs_f64() / rtt.as_secs_f64();
    println!(
        "\nlatency: the {} hosts of the embedded list, each on its own address behind a delay \
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
        "tlscompat: {:.3} s = {in_rtts:.1} RTT = {:.2} × the bound (median of {RUNS}: {} s); \
         the relay cannot delay TCP's own handshake, so the one bare connect an address \
         waits for (the rustls handshake's, which releases its raw probes) is free here: \
         on a WAN add up to 1 RTT, {:.1} RTT = {:.2} × the bound",
        wall.as_secs_f64(),
        in_rtts / bound_rtts as f64,
        runs.join(", "),
        in_rtts + 1.0,
        (in_rtts + 1.0) / bound_rtts as f64,
    );
    let silent_name = names[names.len() / 2].clone();
    let (path, dns) = setup(Some(&silent_name));
    let Scanned { ran, verdicts, .. } = scan(bin, lab, &path, &dns, None);
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
