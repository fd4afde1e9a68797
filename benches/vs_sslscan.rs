//! Side by side with `sslscan` (Debian package `sslscan`), in one run, on the same
//! loopback targets: 300 names, each on its own address (127.0.20.1 …), every one
//! presenting the same Microsoft-shaped chain (RSA root → P-384 "Microsoft Azure ECC
//! TLS Issuing CA 04" → P-256 leaf, see `common/chains.rs`).
//!
//! - 6 addresses are OpenSSL `s_server` processes accepting TLS 1.0–1.3, the rest
//!   in-process rustls servers: most TLS 1.2+1.3, one in ten 1.2 only, one in ten 1.3
//!   only — so the verdicts compared differ from target to target.
//! - `tlscompat scan` gets the names through the in-process DNS lab (`--resolver`) and
//!   the root with `--roots`; `sslscan --no-ciphersuites --no-groups` gets `IP:port` and
//!   `--sni-name`, 8 processes at a time.
//! - The version verdicts (TLS 1.0 … 1.3 accepted or not) of both must be identical
//!   for every target, or the bench fails.
//!
//! Prints wall time, CPU time (user + system of the child processes) and the ratio.
//! tlscompat is run 3 times (median), sslscan once (it takes seconds). Servers share
//! the same 2 cores as the scanners, so both tools are held back by them alike.
//!
//! Run with `cargo bench --bench vs_sslscan`; set `TLSCOMPAT_BIN` to compare another
//! build of the binary (e.g. one made before a change), `TLSCOMPAT_WRAP` to run it
//! under a profiler, `VS_SKIP_SSLSCAN=1` to run the scanner only.

#[path = "common/chains.rs"]
mod chains;
#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::dns::{Zone, dns_server};

const TARGETS: usize = 300;
const SSLSCAN_PARALLEL: usize = 8;
const RUNS: usize = 3;
/// No cipher-suite enumeration (tlscompat does none by default) and no key-exchange
/// group enumeration: against rustls servers sslscan's group probes wait for its 3 s
/// timeout (9 s per target), which would flatter tlscompat. What is left — protocol
/// versions, fallback SCSV, renegotiation, heartbleed, the certificate — is close to
/// tlscompat's own work.
const SSLSCAN_ARGS: [&str; 2] = ["--no-ciphersuites", "--no-groups"];

/// Version verdicts, TLS 1.0 … 1.3: accepted or not.
type Verdicts = [bool; 4];

struct Target {
    name: String,
    addr: SocketAddr,
}

/// An `openssl s_server` sending the whole chain (`-cert_chain`); killed on drop.
struct OpenSsl(Child);

impl Drop for OpenSsl {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn openssl_server(at: Ipv4Addr, chain: &chains::Chain, dir: &Path) -> (OpenSsl, SocketAddr) {
    let (cert, issuing, key) = (
        dir.join("leaf.pem"),
        dir.join("ca.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&cert, &chain.leaf_pem).expect("leaf");
    std::fs::write(&issuing, &chain.issuing_pem).expect("issuing");
    std::fs::write(&key, &chain.key_pem).expect("key");
    let mut child = Command::new("openssl")
        .args(["s_server", "-accept", &format!("{at}:0"), "-www", "-cert"])
        .arg(&cert)
        .arg("-cert_chain")
        .arg(&issuing)
        .arg("-key")
        .arg(&key)
        .args(["-min_protocol", "TLSv1", "-max_protocol", "TLSv1.3"])
        .args(["-cipher", "DEFAULT:@SECLEVEL=0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = loop {
        let line = lines.next().expect("s_server ACCEPT").expect("read");
        if let Some(a) = line.strip_prefix("ACCEPT ") {
            break a.trim().parse().expect("address");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (OpenSsl(child), addr)
}

fn address(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 20 + (i / 250) as u8, 1 + (i % 250) as u8)
}

/// CPU seconds (user + system) of every child process waited for so far, from
/// `/proc/self/stat` (cutime, cstime).
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // After the comm field: state is field 3, cutime 16 and cstime 17 (1-based).
    let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<f64>().ok());
    (ticks(16).unwrap_or(0.0) + ticks(17).unwrap_or(0.0)) / 100.0
}

struct Measured {
    wall: Duration,
    cpu: f64,
    verdicts: HashMap<String, Verdicts>,
    peak_rss_kib: u64,
}

fn run_tlscompat(bin: &str, dns: &str, root: &Path, endpoints: &Path, json: &Path) -> Measured {
    let cpu = children_cpu();
    let start = Instant::now();
    // `TLSCOMPAT_WRAP="perf record -g -o FILE --"` runs the scanner under a profiler.
    let wrap = std::env::var("TLSCOMPAT_WRAP").unwrap_or_default();
    let mut argv: Vec<&str> = wrap.split_whitespace().collect();
    argv.push(bin);
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .args(["scan", "--quiet", "--format", "csv", "--fail-on", "none"])
        .args(["--no-system-store", "--timeout", "5s", "--resolver", dns])
        .arg("--roots")
        .arg(root)
        .arg("--endpoints")
        .arg(endpoints)
        .arg("--json")
        .arg(json)
        .output()
        .expect("run tlscompat");
    let wall = start.elapsed();
    let cpu = children_cpu() - cpu;
    assert!(
        out.status.success(),
        "tlscompat: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut verdicts = HashMap::new();
    let mut rd = csv::Reader::from_reader(out.stdout.as_slice());
    let header = rd.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect("column");
    let (host, cells) = (
        col("host"),
        ["tls1_0", "tls1_1", "tls1_2", "tls1_3"].map(col),
    );
    for row in rd.records() {
        let row = row.expect("row");
        let cell = |i: usize| &row[cells[i]];
        for i in 0..4 {
            assert!(
                matches!(cell(i), "accepted" | "rejected"),
                "{}: {}",
                &row[host],
                cell(i)
            );
        }
        verdicts.insert(
            row[host].to_string(),
            [0, 1, 2, 3].map(|i| cell(i) == "accepted"),
        );
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).expect("json")).expect("json");
    let trusted = v["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["trusted_public"] == true)
        .count();
    // Every chain verifies: the trust stage did its whole work on every record.
    assert_eq!(trusted, verdicts.len(), "every chain trusted");
    Measured {
        wall,
        cpu,
        verdicts,
        peak_rss_kib: v["summary"]["peak_rss_kib"].as_u64().unwrap_or(0),
    }
}

fn sslscan_one(t: &Target) -> Verdicts {
    let out = Command::new("sslscan")
        .args(SSLSCAN_ARGS)
        .args(["--no-colour", "--xml=-"])
        .arg(format!("--sni-name={}", t.name))
        .arg(t.addr.to_string())
        .stderr(Stdio::null())
        .output()
        .expect("run sslscan");
    let xml = String::from_utf8_lossy(&out.stdout);
    ["1.0", "1.1", "1.2", "1.3"]
        .map(|v| xml.contains(&format!("type=\"tls\" version=\"{v}\" enabled=\"1\"")))
}

fn run_sslscan(targets: &[Target]) -> Measured {
    let cpu = children_cpu();
    let start = Instant::now();
    let next = Arc::new(Mutex::new(0usize));
    let found = Arc::new(Mutex::new(HashMap::new()));
    std::thread::scope(|s| {
        for _ in 0..SSLSCAN_PARALLEL {
            let (next, found) = (next.clone(), found.clone());
            s.spawn(move || {
                loop {
                    let i = {
                        let mut n = next.lock().expect("lock");
                        *n += 1;
                        *n - 1
                    };
                    let Some(t) = targets.get(i) else { break };
                    let v = sslscan_one(t);
                    found.lock().expect("lock").insert(t.name.clone(), v);
                }
            });
        }
    });
    let wall = start.elapsed();
    let cpu = children_cpu() - cpu;
    let verdicts = std::mem::take(&mut *found.lock().expect("lock"));
    Measured {
        wall,
        cpu,
        verdicts,
        peak_rss_kib: 0,
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let bin = std::env::var("TLSCOMPAT_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_tlscompat").to_string());
    let chain = chains::microsoft_ecc(&["*.bench.test"]);
    let dir = support::TempDir::new("vs-sslscan");
    let mut openssl = Vec::new();
    let mut zone = Zone::new();
    let mut targets = Vec::new();
    let both = [&rustls::version::TLS12, &rustls::version::TLS13];
    for i in 0..TARGETS {
        let ip = address(i);
        let addr = if i % 50 == 0 {
            let sub = dir.0.join(format!("s{i}"));
            std::fs::create_dir_all(&sub).expect("dir");
            let (server, addr) = openssl_server(ip, &chain, &sub);
            openssl.push(server);
            addr
        } else {
            let versions: &[&'static rustls::SupportedProtocolVersion] = match i % 10 {
                8 => &both[..1],
                9 => &both[1..],
                _ => &both,
            };
            support::rustls_server_chain_at(
                versions,
                chain.chain.clone(),
                chain.key_der.clone(),
                SocketAddr::from((ip, 0)),
            )
        };
        let name = format!("e{i}.bench.test");
        zone = zone.a(&name, ip);
        targets.push(Target { name, addr });
    }
    let dns = dns_server(zone).to_string();
    let root = dir.0.join("root.pem");
    std::fs::write(&root, &chain.root_pem).expect("root");
    let mut toml = format!(
        "[defaults]\nexpected_issuers = [\"{}\"]\n\n",
        chain.issuing_cn
    );
    for t in &targets {
        toml.push_str(&format!(
            "[[endpoint]]\nhost = \"{}\"\nport = {}\npurpose = \"bench\"\nsources = [\"bench\"]\n\
             category = \"default\"\ninspection = \"allowed\"\nlegacy_tls = \"unknown\"\n\n",
            t.name,
            t.addr.port()
        ));
    }
    let endpoints = dir.0.join("endpoints.toml");
    std::fs::write(&endpoints, toml).expect("endpoints");
    let json = dir.0.join("out.json");

    // One untimed pass each warms the servers, the page cache and the DNS lab.
    run_tlscompat(&bin, &dns, &root, &endpoints, &json);
    let mut ours: Vec<Measured> = (0..RUNS)
        .map(|_| run_tlscompat(&bin, &dns, &root, &endpoints, &json))
        .collect();
    // `VS_SKIP_SSLSCAN=1`: the scanner only (profiling, quick checks); also when
    // sslscan is not installed, so that a plain `cargo bench` still runs everywhere.
    let have_sslscan = Command::new("sslscan")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_sslscan {
        println!("sslscan is not installed (apt-get install sslscan): tlscompat only");
    }
    if std::env::var_os("VS_SKIP_SSLSCAN").is_some() || !have_sslscan {
        ours.sort_by_key(|m| m.wall);
        let m = &ours[RUNS / 2];
        println!(
            "tlscompat median wall {:.3} s, CPU {:.2} s",
            m.wall.as_secs_f64(),
            m.cpu
        );
        return;
    }
    let theirs = run_sslscan(&targets);
    ours.sort_by_key(|m| m.wall);
    let median = &ours[RUNS / 2];

    let mut differ = Vec::new();
    for t in &targets {
        let (a, b) = (median.verdicts.get(&t.name), theirs.verdicts.get(&t.name));
        if a.is_none() || a != b {
            differ.push(format!("{}: tlscompat {a:?}, sslscan {b:?}", t.name));
        }
    }
    let accepted_10 = median.verdicts.values().filter(|v| v[0]).count();
    let only_12 = median.verdicts.values().filter(|v| v[2] && !v[3]).count();
    let only_13 = median.verdicts.values().filter(|v| !v[2] && v[3]).count();
    println!(
        "vs sslscan: {TARGETS} loopback targets, chain {} (RSA root → P-384 CA → P-256 leaf)",
        chain.label
    );
    println!(
        "verdicts: {} identical of {TARGETS} (TLS 1.0 accepted by {accepted_10}, 1.2 only {only_12}, 1.3 only {only_13})",
        TARGETS - differ.len()
    );
    println!("| tool | wall | CPU (user+sys) | CPU per address |");
    println!("|---|---:|---:|---:|");
    let walls: Vec<String> = ours
        .iter()
        .map(|m| format!("{:.3}", m.wall.as_secs_f64()))
        .collect();
    println!(
        "| tlscompat (median of {RUNS}: {} s) | {:.3} s | {:.2} s | {:.2} ms |",
        walls.join(", "),
        median.wall.as_secs_f64(),
        median.cpu,
        median.cpu * 1000.0 / TARGETS as f64
    );
    println!(
        "| sslscan {} ×{SSLSCAN_PARALLEL} | {:.3} s | {:.2} s | {:.2} ms |",
        SSLSCAN_ARGS.join(" "),
        theirs.wall.as_secs_f64(),
        theirs.cpu,
        theirs.cpu * 1000.0 / TARGETS as f64
    );
    println!(
        "ratio (sslscan wall / tlscompat wall): {:.1}×; CPU ratio {:.1}×; tlscompat peak RSS {:.1} MiB",
        theirs.wall.as_secs_f64() / median.wall.as_secs_f64(),
        theirs.cpu / median.cpu.max(0.01),
        median.peak_rss_kib as f64 / 1024.0
    );
    drop(openssl);
    assert!(differ.is_empty(), "verdicts differ:\n{}", differ.join("\n"));
}
