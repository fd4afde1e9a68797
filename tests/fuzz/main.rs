//! Fuzz harness on stable Rust (no nightly, no cargo-fuzz): structure-aware mutations
//! of real inputs, run through every parser of network bytes, with oracles beyond
//! "no panic" (see `reply.rs` and `text.rs`).
//!
//! Targets: `reply` (wire::reply::parse_reply), `proof` (probe::proof::judge_claim:
//! ServerKeyExchange parsing and signature checks), `cert` (cert::summarize), `connect`
//! (proxy::answer::parse, the refusal it becomes), `dns` (DNS messages → the names the scan shows),
//! `mail` (wire::mail dialogues, wire::legacy flights and records; see `mail.rs`).
//!
//! Seeds: `tests/fuzz-seeds/*.bin`, first flights of OpenSSL, GnuTLS, JSSE and rustls
//! (see `tests/fuzz_seeds.rs`); the certificates inside them plus rcgen certificates
//! with hostile names; CONNECT answers shaped like real proxies'; DNS answers with
//! CNAME chains encoded by hickory-proto.
//!
//! `cargo test` runs a smoke round (2 000 inputs per target). The full run, not in CI:
//!
//! ```text
//! FUZZ_ITERS=1000000 cargo test --test fuzz
//! ```
//!
//! (a debug build does ~30 000 inputs/s here; `--release` is faster but rebuilds every
//! dev-dependency optimised).
//!
//! Environment: `FUZZ_ITERS` (inputs per target), `FUZZ_SEED` (PRNG seed, default 1),
//! `FUZZ_TARGETS` (comma list). Inputs that panic or break an oracle are written to
//! `$TMPDIR/tlscompat-fuzz-failures/`; the exit status is 1 if there was any.

mod mail;
mod mutate;
mod proof;
mod reply;
mod rng;
mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rng::Rng;
use tlscompat::version::TlsVersion;
use tlscompat::wire::enums::ProtocolVersion;
use tlscompat::wire::reply::{Progress, Reply, parse_reply};

/// What one target did.
#[derive(Default)]
struct Figures {
    inputs: u64,
    panics: u64,
    oracle: u64,
    first: Option<String>,
}

fn main() {
    let iters: u64 = env("FUZZ_ITERS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let seed: u64 = env("FUZZ_SEED").and_then(|v| v.parse().ok()).unwrap_or(1);
    let wanted = env("FUZZ_TARGETS").unwrap_or_else(|| "reply,proof,cert,connect,dns,mail".into());
    std::panic::set_hook(Box::new(|_| {})); // counted, not printed
    let flights = flight_seeds();
    let certs = cert_seeds(&flights);
    // Every captured flight that verifies under any offered version (a splice can turn
    // one seed into another, judged against another seed's offer).
    let genuine: Vec<proof::Signed> = flights
        .iter()
        .flat_map(|(f, _)| {
            TlsVersion::ALL
                .iter()
                .filter_map(|v| proof::verified(f, v.wire()))
        })
        .collect();
    assert!(
        genuine.len() >= 3,
        "captured ECDHE flights verify: {}",
        genuine.len()
    );
    println!(
        "fuzz: {iters} inputs per target, seed {seed}, {} flights, {} certificates",
        flights.len(),
        certs.len()
    );
    let mut failed = false;
    for target in wanted.split(',') {
        let mut rng = Rng::new(seed ^ hash(target));
        text::PARSED.store(0, std::sync::atomic::Ordering::Relaxed);
        let start = Instant::now();
        let f = match target {
            "reply" => run(iters, target, |i| fuzz_reply(&mut rng, &flights, i)),
            "proof" => run(iters, target, |i| {
                fuzz_proof(&mut rng, &flights, &genuine, i)
            }),
            "cert" => run(iters, target, |i| fuzz_cert(&mut rng, &certs, i)),
            "connect" => run(iters, target, |_| fuzz_connect(&mut rng)),
            "dns" => run(iters, target, |_| fuzz_dns(&mut rng)),
            "mail" => run(iters, target, |_| mail::one(&mut rng)),
            other => panic!("unknown target {other}"),
        };
        let secs = start.elapsed().as_secs_f64();
        let parsed = text::PARSED.load(std::sync::atomic::Ordering::Relaxed);
        println!(
            "{target:8} {:>9} inputs  {:>7.1}s  {:>9.0}/s  {:>5.1}% {}  panics {}  oracle failures {}",
            f.inputs,
            secs,
            f.inputs as f64 / secs,
            100.0 * parsed as f64 / f.inputs.max(1) as f64,
            deep(target),
            f.panics,
            f.oracle
        );
        if let Some(first) = &f.first {
            println!("  first failure: {first}");
        }
        failed |= f.panics + f.oracle > 0;
    }
    if failed {
        std::process::exit(1);
    }
}

/// What the per-target percentage counts.
fn deep(target: &str) -> &'static str {
    match target {
        "reply" => "ServerHello verdicts",
        "proof" => "verified (all genuine)",
        "cert" => "summarised",
        "connect" => "tunnels accepted",
        "mail" => "dialogues ready",
        _ => "messages decoded",
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Runs `one` `iters` times; `one` returns the input and the oracle's verdict on it.
fn run(
    iters: u64,
    target: &str,
    mut one: impl FnMut(u64) -> (Vec<u8>, Result<(), String>),
) -> Figures {
    let mut f = Figures::default();
    let mut last_input = Vec::new();
    for i in 0..iters {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let (input, verdict) = one(i);
            (input, verdict)
        }));
        f.inputs += 1;
        let (input, problem) = match outcome {
            Ok((input, Ok(()))) => {
                last_input = input;
                continue;
            }
            Ok((input, Err(why))) => {
                f.oracle += 1;
                (input, why)
            }
            Err(_) => {
                f.panics += 1;
                (
                    last_input.clone(),
                    "panic (input: the one before, see the saved file)".into(),
                )
            }
        };
        let path = save_failure(target, i, &input);
        if f.first.is_none() {
            let short: String = problem.chars().take(400).collect();
            f.first = Some(format!("{short} [{}]", path.display()));
        }
    }
    f
}

fn save_failure(target: &str, i: u64, input: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join("tlscompat-fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{target}-{i}.bin"));
    let _ = std::fs::write(&path, input);
    path
}

// ---------------------------------------------------------------- seeds

fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-seeds")
}

/// Every stored flight with the version its hello offered.
fn flight_seeds() -> Vec<(Vec<u8>, ProtocolVersion)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(seed_dir()) else {
        panic!("no tests/fuzz-seeds")
    };
    let mut paths: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let key = name.strip_suffix(".bin").and_then(|n| n.rsplit('-').next());
        let Some(v) = TlsVersion::ALL.iter().find(|v| Some(v.key()) == key) else {
            continue;
        };
        if let Ok(bytes) = std::fs::read(&p) {
            out.push((bytes, v.wire()));
        }
    }
    assert!(!out.is_empty(), "no seeds in tests/fuzz-seeds");
    out
}

/// The certificates in the captured flights, and rcgen ones with hostile names.
fn cert_seeds(flights: &[(Vec<u8>, ProtocolVersion)]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (bytes, offered) in flights {
        if let Progress::Done(Reply::Hello(h)) = parse_reply(bytes, *offered, true) {
            out.extend(h.certificates);
        }
    }
    for name in mutate::HOSTILE.iter().map(|h| String::from_utf8_lossy(h)) {
        let Ok(key) = rcgen::KeyPair::generate() else {
            continue;
        };
        let Ok(mut params) = rcgen::CertificateParams::new(vec!["lab.test".to_string()]) else {
            continue;
        };
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name.as_ref());
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, name.as_ref());
        if let Ok(c) = params.self_signed(&key) {
            out.push(c.der().to_vec());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// CONNECT answers shaped like squid's, tinyproxy's, Apache's, nginx's and Blue
/// Coat's, and a hostile one.
const CONNECT_SEEDS: &[&[u8]] = &[
    b"HTTP/1.1 200 Connection established",
    b"HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1",
    b"HTTP/1.1 200 OK\r\nVia: 1.1 squid",
    b"HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\nProxy-Authenticate: Basic realm=\"Squid\"\r\nContent-Length: 3486",
    b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nConnection: close",
    b"HTTP/1.1 502 Bad Gateway\r\nServer: nginx",
    b"HTTP/1.0 503 Service Unavailable\r\nX-Squid-Error: ERR_CONNECT_FAIL 111",
    b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD",
    b"HTTP/1.1 403 \x1b[2K\x1b[1AForbidden\r\n",
    b"SSH-2.0-OpenSSH_9.2p1",
];

// ---------------------------------------------------------------- targets

fn fuzz_reply(
    rng: &mut Rng,
    flights: &[(Vec<u8>, ProtocolVersion)],
    i: u64,
) -> (Vec<u8>, Result<(), String>) {
    let (seed, mut offered) = flights[rng.below(flights.len())].clone();
    let mut input = seed;
    // The unmutated seeds first: the oracles must hold on real flights.
    if i >= flights.len() as u64 {
        let others: Vec<Vec<u8>> = (0..2)
            .map(|_| flights[rng.below(flights.len())].0.clone())
            .collect();
        for _ in 0..1 + rng.below(4) {
            mutate::tls(rng, &mut input, &others);
        }
        if rng.chance(10) {
            offered = TlsVersion::ALL[rng.below(4)].wire();
        }
    } else {
        input = flights[i as usize].0.clone();
        offered = flights[i as usize].1;
    }
    let verdict = reply::check(rng, &input, offered);
    (input, verdict)
}

fn fuzz_proof(
    rng: &mut Rng,
    flights: &[(Vec<u8>, ProtocolVersion)],
    genuine: &[proof::Signed],
    i: u64,
) -> (Vec<u8>, Result<(), String>) {
    let (mut input, offered) = flights[rng.below(flights.len())].clone();
    if i >= flights.len() as u64 {
        let others: Vec<Vec<u8>> = (0..2)
            .map(|_| flights[rng.below(flights.len())].0.clone())
            .collect();
        for _ in 0..1 + rng.below(3) {
            mutate::tls(rng, &mut input, &others);
        }
    }
    let verdict = proof::check(&input, offered, genuine);
    if verdict.is_ok() && proof::verified(&input, offered).is_some() {
        text::PARSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    (input, verdict)
}

fn fuzz_cert(rng: &mut Rng, certs: &[Vec<u8>], i: u64) -> (Vec<u8>, Result<(), String>) {
    let mut der = certs[rng.below(certs.len())].clone();
    for _ in 0..1 + rng.below(3) {
        mutate::der(rng, &mut der, certs);
    }
    let verdict = text::certificate(&der, i.is_multiple_of(16));
    (der, verdict)
}

fn fuzz_connect(rng: &mut Rng) -> (Vec<u8>, Result<(), String>) {
    let seeds: Vec<Vec<u8>> = CONNECT_SEEDS.iter().map(|s| s.to_vec()).collect();
    let mut head = rng.pick(&seeds).clone();
    for _ in 0..1 + rng.below(3) {
        mutate::http(rng, &mut head, &seeds);
    }
    let junk: Vec<u8> = (0..rng.below(40)).map(|_| rng.byte()).collect();
    let verdict = text::connect_answer(&head, &junk);
    (head, verdict)
}

fn fuzz_dns(rng: &mut Rng) -> (Vec<u8>, Result<(), String>) {
    thread_local! {
        static SEEDS: Vec<Vec<u8>> = dns_seeds();
    }
    let mut msg = SEEDS.with(|s| s[rng.below(s.len())].clone());
    let others = SEEDS.with(|s| s.clone());
    for _ in 0..1 + rng.below(3) {
        mutate::dns(rng, &mut msg, &others);
    }
    let verdict = text::dns_message(&msg);
    (msg, verdict)
}

/// DNS answers with CNAME chains, encoded by hickory-proto: ordinary names, the
/// activation hosts' real chain shapes, and labels with hostile bytes.
fn dns_seeds() -> Vec<Vec<u8>> {
    use hickory_resolver::proto::op::{Message, MessageType, Query};
    use hickory_resolver::proto::rr::rdata::{A, CNAME};
    use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
    let chains: Vec<Vec<Vec<u8>>> = vec![
        vec![
            b"login.microsoftonline.com".to_vec(),
            b"login.mso.msidentity.com".to_vec(),
            b"ak.privatelink.msidentity.com".to_vec(),
        ],
        vec![
            b"ols.officeapps.live.com".to_vec(),
            b"prod.ols.officeapps.live.com.akadns.net".to_vec(),
        ],
        vec![
            b"a\x1b[2J.example".to_vec(),
            b"b\r\nFAIL x.example".to_vec(),
        ],
        vec![
            "\u{202e}moc.evil.example".as_bytes().to_vec(),
            b"x\\.y\x00z.example".to_vec(),
        ],
    ];
    let mut out = Vec::new();
    for chain in chains {
        let names: Vec<Name> = chain
            .iter()
            .filter_map(|n| Name::from_labels(n.split(|b| *b == b'.')).ok())
            .collect();
        let (Some(first), Some(last)) = (names.first(), names.last()) else {
            continue;
        };
        let mut m = Message::new(
            7,
            MessageType::Response,
            hickory_resolver::proto::op::OpCode::Query,
        );
        m.add_query(Query::query(first.clone(), RecordType::A));
        for pair in names.windows(2) {
            m.add_answer(Record::from_rdata(
                pair[0].clone(),
                60,
                RData::CNAME(CNAME(pair[1].clone())),
            ));
        }
        m.add_answer(Record::from_rdata(
            last.clone(),
            60,
            RData::A(A::new(192, 0, 2, 1)),
        ));
        if let Ok(bytes) = m.to_vec() {
            out.push(bytes);
        }
    }
    assert!(!out.is_empty(), "no DNS seeds");
    out
}
