//! The fuzz targets (`fuzz/targets/`) on stable Rust, in the normal test suite: every
//! committed seed — the real inputs each target starts from, and every crash a
//! campaign ever found (`crash-*`) — replayed through its target with its oracles, and
//! a check that every target is wired for cargo-fuzz (binary, `[[bin]]`, seeds).
//!
//! `write_seeds` (ignored) regenerates the seeds from real sources: the captured
//! flights of `tests/fuzz-seeds/`, lab scans' JSON reports, rcgen certificates with
//! hostile names, the endpoint web service sample:
//!
//! ```text
//! cargo test --test fuzz_corpus -- --ignored write_seeds
//! ```

mod support;

#[path = "../fuzz/targets/mod.rs"]
#[allow(dead_code)]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.is_file());
    out.sort();
    out
}

#[test]
fn every_seed_and_past_crash_passes_its_target() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (name, run) in targets::ALL {
        for path in files(&fuzz_dir().join("seeds").join(name)) {
            let data = std::fs::read(&path).expect("seed");
            total += 1;
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| run(&data))) {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {why}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(total >= 100, "{total} seeds");
}

#[test]
fn every_target_is_wired_for_cargo_fuzz() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for (name, _) in targets::ALL {
        let stub = fuzz_dir().join(format!("fuzz_targets/{name}.rs"));
        let text = std::fs::read_to_string(&stub).unwrap_or_default();
        assert!(
            text.contains(&format!("tlscompat_fuzz::{name}::run(data)")),
            "{} runs the target",
            stub.display()
        );
        assert!(
            manifest.contains(&format!(
                "name = \"{name}\"\npath = \"fuzz_targets/{name}.rs\""
            )),
            "fuzz/Cargo.toml has a [[bin]] for {name}"
        );
        assert!(
            !files(&fuzz_dir().join("seeds").join(name)).is_empty(),
            "fuzz/seeds/{name}/ has seeds"
        );
    }
    let stubs = files(&fuzz_dir().join("fuzz_targets"));
    assert_eq!(
        stubs.len(),
        targets::ALL.len(),
        "a binary per target, no more"
    );
}

// ---------------------------------------------------------------- the seeds

/// Hostile text for names: escapes, forged lines, bidi, noncharacters, invisible
/// characters, formulas, markup.
const HOSTILE: &[&str] = &[
    "\x1b[2J\x1b[H\x1b[31mALL GOOD",
    "\nFAIL fake.example:443: forged line\r\n",
    "\u{202e}gro.elpmaxe",
    "\u{fffe}\u{ffff}",
    "\u{7}\u{7f}\u{9b}2J",
    "a\u{1d173}\u{600}\u{13430}\u{2800}\u{3000}\u{fffc}b",
    "=HYPERLINK(\"http://x\")",
    "&<>\"'",
];

/// CONNECT answers shaped like squid's, tinyproxy's, Apache's, nginx's and Blue
/// Coat's, and a hostile one.
const CONNECT: &[&[u8]] = &[
    b"HTTP/1.1 200 Connection established",
    b"HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1",
    b"HTTP/1.1 200 OK\r\nVia: 1.1 squid",
    b"HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\nProxy-Authenticate: Basic realm=\"Squid\"\r\nContent-Length: 3486",
    b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nConnection: close",
    b"HTTP/1.1 502 Bad Gateway\r\nServer: nginx",
    b"HTTP/1.0 503 Service Unavailable\r\nX-Squid-Error: ERR_CONNECT_FAIL 111",
    b"HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD",
    b"HTTP/1.1 403 \x1b[2K\x1b[1AForbidden\r\n\0X-Junk: 1",
    b"SSH-2.0-OpenSSH_9.2p1",
];

struct Seeds(PathBuf);

impl Seeds {
    fn put(&self, target: &str, name: &str, data: &[u8]) {
        let dir = self.0.join(target);
        std::fs::create_dir_all(&dir).expect("seed dir");
        std::fs::write(dir.join(format!("seed-{name}")), data).expect("write seed");
    }
}

/// The captured flights: (file stem, version index, bytes).
fn flights() -> Vec<(String, u8, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-seeds");
    files(&dir)
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let v = targets::oracle::seed_version(&name)? as u8;
            Some((
                name.trim_end_matches(".bin").to_string(),
                v,
                std::fs::read(&p).ok()?,
            ))
        })
        .collect()
}

fn certificates_of(flight: &[u8], v: u8) -> Vec<Vec<u8>> {
    use tlscompat::wire::enums::ProtocolVersion;
    use tlscompat::wire::reply::{Progress, Reply, parse_reply};
    match parse_reply(flight, ProtocolVersion(0x0301 + u16::from(v)), true) {
        Progress::Done(Reply::Hello(h)) => h.certificates,
        _ => Vec::new(),
    }
}

fn hostile_certificate(name: &str) -> Vec<u8> {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(vec!["lab.test".to_string()]).expect("params");
    p.distinguished_name.push(rcgen::DnType::CommonName, name);
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, name);
    p.self_signed(&key).expect("cert").der().to_vec()
}

/// A real JSON report of a lab scan (`args` after `scan`).
fn lab_report(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let path = dir.join(name);
    let mut all = vec![
        "scan",
        "-q",
        "--timeout",
        "2s",
        "--json",
        path.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let out = support::cli::tlscompat(&all);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        support::cli::text(&out.stderr)
    );
    std::fs::read(&path).expect("report")
}

#[test]
#[ignore]
fn write_seeds() {
    let seeds = Seeds(fuzz_dir().join("seeds"));
    let flights = flights();
    let mut certs: Vec<Vec<u8>> = Vec::new();
    for (stem, v, bytes) in &flights {
        seeds.put("reply", stem, &[&[*v, 0][..], bytes].concat());
        seeds.put("proof", stem, &[&[*v][..], bytes].concat());
        let chain = certificates_of(bytes, *v);
        if !chain.is_empty() {
            let mut c = vec![*v & 1];
            for der in &chain {
                c.extend((der.len() as u16).to_be_bytes());
                c.extend(der);
            }
            seeds.put("chain", stem, &c);
        }
        certs.extend(chain);
    }
    certs.sort();
    certs.dedup();
    for (i, der) in certs.iter().enumerate() {
        seeds.put("cert", &format!("captured-{i}"), der);
    }
    for (i, name) in HOSTILE.iter().enumerate() {
        seeds.put("cert", &format!("hostile-{i}"), &hostile_certificate(name));
    }
    seeds.put(
        "cert",
        "controls-17000",
        &hostile_certificate(&"\u{1}".repeat(17_000)),
    );
    // PEM files of CAs.
    let pki = support::pki();
    seeds.put("pem", "lab-ca", pki.ca_pem.as_bytes());
    let ca = support::pki::Ca::new("Seed CA");
    seeds.put(
        "pem",
        "bundle",
        format!("{}{}", pki.ca_pem, ca.pem).as_bytes(),
    );
    seeds.put(
        "pem",
        "garbage",
        b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    );
    for (i, c) in CONNECT.iter().enumerate() {
        seeds.put("connect", &i.to_string(), c);
    }
    // NTLM challenges: MS-NLMP 4.2.4's, Squid's ntlm_fake_auth's, one cut short.
    let spec = hex(
        "4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000060070170000000f530065007200760065007200\
         02000c0044006f006d00610069006e0001000c005300650072007600650072000000000000",
    );
    seeds.put("ntlm", "ms-nlmp-4.2.4", &spec);
    seeds.put("ntlm", "cut", &spec[..40]);
    seeds.put(
        "ntlm",
        "squid-fake",
        &hex("4e544c4d535350000200000009000900aeaaaaaa07820888048e7bfcc54d75c20000000000003a00574f524b47524f5550"),
    );
    // SOCKS5 replies (flag byte: bit 0 password, bit 1 name): success with IPv4, IPv6
    // and name bound addresses, password accepted and refused, no acceptable method,
    // connection refused, a truncated reply.
    for (name, flags, reply) in [
        ("ok-v4", 0u8, "0500 05000001c000020701bb"),
        (
            "ok-v6",
            2,
            "0500 05000004000000000000000000000000000000000001bb",
        ),
        ("ok-name", 2, "0500 050000030b6c6f67696e2e6c61622e7401bb"),
        ("password-ok", 1, "0502 0100 05000001c000020701bb"),
        ("password-refused", 1, "0502 0101"),
        ("no-method", 0, "05ff"),
        ("refused", 0, "0500 05050001000000000000"),
        ("truncated", 3, "0500 0500"),
    ] {
        seeds.put("socks", name, &[&[flags][..], &hex(reply)].concat());
    }
    for (i, p) in [
        "http://user:S3CRETPW@proxy.example:3128\0localhost,.corp.example,10.0.0.0/8",
        "proxy.example\0*",
        "HTTP://u%40x:p%3Aw@[::1]:8080/\0[::1]:8443,fd00::/8",
        "socks5://p:1\0corp.example:443",
        "socks5h://LAB%5Cscanner:pw@[::1]:1080\0*",
        "http://u:secret@p:0\r\nX-Injected: 1\0.example",
        "user:S3CRETPW@host:0\u{202e}\x00127.0.0.0/30,::1",
    ]
    .iter()
    .enumerate()
    {
        seeds.put("proxy", &i.to_string(), p.as_bytes());
    }
    // --client-hello files: the scanner's own TLS 1.2 and 1.3 hellos in a pcap (one
    // hello split over two segments), a pcapng and a hex dump.
    for (v, version) in [
        (2u8, tlscompat::version::TlsVersion::Tls12),
        (3, tlscompat::version::TlsVersion::Tls13),
    ] {
        let hello =
            tlscompat::wire::hello::client_hello_record(&tlscompat::wire::hello::HelloSpec {
                version,
                variant: tlscompat::wire::hello::HelloVariant::Full,
                server_name: Some("login.microsoftonline.com"),
                random: [7; 32],
                entropy: [9; 32],
                suites: None,
            });
        let (a, b) = hello.split_at(hello.len() / 2);
        let frames = [tcp_frame(1, a), tcp_frame(1 + a.len() as u32, b)];
        seeds.put("capture", &format!("tls1_{v}.pcap"), &pcap(&frames));
        seeds.put(
            "capture",
            &format!("tls1_{v}.pcapng"),
            &pcapng(&[tcp_frame(1, &hello)]),
        );
        let dump: String = hello.iter().map(|b| format!("{b:02x} ")).collect();
        seeds.put("capture", &format!("tls1_{v}.hex"), dump.as_bytes());
    }
    // Mail dialogues: Exchange Online's answers, as the preamble and as the answer
    // after TLS, and an endless banner.
    for (i, (protocol, bytes)) in targets::mail::SEEDS.iter().enumerate() {
        let index = match protocol {
            tlscompat::mail::MailProtocol::Smtp => 0,
            tlscompat::mail::MailProtocol::Imap => 1,
            tlscompat::mail::MailProtocol::Pop3 => 2,
        };
        for preamble in [0u8, 4] {
            let name = format!("{i}-{}", if preamble == 0 { "answer" } else { "preamble" });
            seeds.put("mail", &name, &[&[index | preamble, 7][..], bytes].concat());
        }
    }
    let banner = b"220-smtp.example ESMTP\r\n".repeat(2000);
    seeds.put("mail", "endless-banner", &[&[4u8, 1][..], &banner].concat());
    for (i, m) in dns_messages().iter().enumerate() {
        seeds.put("dns", &i.to_string(), m);
    }
    // Reports: real scans of lab servers, hostile names included.
    let tmp = support::TempDir::new("seeds");
    let good = support::rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let closed = support::closed_port().to_string();
    let roots = support::lab_ca_file();
    let plain = lab_report(
        &tmp.0,
        "plain.json",
        &["--roots", &roots, &good.to_string(), &closed],
    );
    let rich = lab_report(
        &tmp.0,
        "rich.json",
        &[
            "--roots",
            &roots,
            "--clients",
            "all",
            "--ciphers",
            "--tls-min",
            "1.2",
            &good.to_string(),
        ],
    );
    let shard = lab_report(
        &tmp.0,
        "shard.json",
        &["--shard", "1/2", &good.to_string(), &closed],
    );
    seeds.put("report", "plain", &plain);
    seeds.put("report", "rich", &rich);
    seeds.put("report", "shard", &shard);
    let hostile = support::hostile::echo_server().to_string();
    let echo = lab_report(&tmp.0, "echo.json", &[&hostile]);
    seeds.put("report", "echo", &echo);
    let incomplete =
        String::from_utf8_lossy(&plain).replace("\"complete\":true", "\"complete\":false");
    seeds.put("report", "incomplete", incomplete.as_bytes());
    let s1 = lab_report(
        &tmp.0,
        "s1.json",
        &["--shard", "1/2", &good.to_string(), &closed],
    );
    let s2 = lab_report(
        &tmp.0,
        "s2.json",
        &["--shard", "2/2", &good.to_string(), &closed],
    );
    seeds.put("merge", "two-shards", &[&[0][..], &s1, b"\0", &s2].concat());
    seeds.put("merge", "single", &[&[0][..], &plain[..]].concat());
    seeds.put(
        "merge",
        "incomplete-allowed",
        &[&[1][..], incomplete.as_bytes()].concat(),
    );
    seeds.put(
        "merge",
        "incomplete-refused",
        &[&[0][..], incomplete.as_bytes()].concat(),
    );
    seeds.put(
        "baseline",
        "same",
        &[&plain[..], b"\0", &plain[..]].concat(),
    );
    seeds.put(
        "baseline",
        "changed",
        &[&plain[..], b"\0", &echo[..]].concat(),
    );
    seeds.put("baseline", "rich", &[&rich[..], b"\0", &rich[..]].concat());
    // Endpoint lists and the web service JSON.
    let embedded = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("endpoints.toml"))
        .expect("endpoints.toml");
    seeds.put("endpoints", "embedded", &embedded);
    seeds.put(
        "endpoints",
        "small",
        b"[defaults]\nport = 443\nexpected_issuers = [\"Microsoft*\"]\n\n[[endpoint]]\nhost = \"a.example\"\npurpose = \"x\"\ncategory = \"allow\"\ninspection = \"bypass\"\nlegacy_tls = \"refused\"\n",
    );
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/m365-worldwide-sample.json"),
    )
    .expect("sample");
    seeds.put("import", "sample", &sample);
    seeds.put(
        "import",
        "injection",
        br#"[{"id":5,"category":"Allow","urls":["*.x.com\nattacker.example:8443 inspection=bypass","a.example.com"],"tcpPorts":"443","notes":"n\u202e\u007f\r\n[[endpoint]]"}]"#,
    );
    seeds.put("import", "empty", b"[]");
    // Command lines.
    for (i, args) in [
        "scan\0--timeout\0800ms\0--tls-min\x001.2\0login.microsoftonline.com:443",
        "scan\0--resolver\0::1:53\0--resolver\0[::1]:53\0--fail-on\0none,dns\0a.example",
        "scan\0--clients\0all,win7\0--shard\x002/4\0--retries\x003\0[::1]:8443",
        "scan\0--proxy\0http://u:p@proxy:3128\0--per-address\x0010\x00127.1",
        "merge\0a.json\0b.json\0--fail-on\0drift\0--allow-incomplete",
        "scan\0--endpoints\0e.toml\0--csv\0e.toml\0--format\0json",
    ]
    .iter()
    .enumerate()
    {
        seeds.put("cli", &i.to_string(), args.as_bytes());
    }
}

/// An Ethernet frame: 10.0.0.1:50000 -> 10.0.0.2:443, TCP sequence `seq`, `payload`.
fn tcp_frame(seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(50000, 443, seq, 65535)
        .write(&mut out, payload)
        .expect("frame");
    out
}

/// A little-endian microsecond pcap of Ethernet `frames`.
fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262144u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for f in frames {
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// A pcapng block.
fn block(typ: u32, body: &[u8]) -> Vec<u8> {
    let mut padded = body.to_vec();
    while !padded.len().is_multiple_of(4) {
        padded.push(0);
    }
    let len = (12 + padded.len()) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&padded);
    out.extend_from_slice(&len.to_le_bytes());
    out
}

/// A pcapng of Ethernet `frames` on one interface.
fn pcapng(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut out = block(0x0a0d0d0a, &shb);
    out.extend(block(1, &[1, 0, 0, 0, 0, 0, 0, 0]));
    for f in frames {
        let mut epb = vec![0; 12];
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(f);
        out.extend(block(6, &epb));
    }
    out
}

/// Bytes from hex digits (spaces allowed).
fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// DNS answers with CNAME chains, encoded by hickory-proto: the activation hosts'
/// real chain shapes, and labels with hostile bytes.
fn dns_messages() -> Vec<Vec<u8>> {
    use hickory_resolver::proto::op::{Message, MessageType, OpCode, Query};
    use hickory_resolver::proto::rr::rdata::{A, CNAME};
    use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
    let chains: Vec<Vec<&[u8]>> = vec![
        vec![
            b"login.microsoftonline.com",
            b"login.mso.msidentity.com",
            b"ak.privatelink.msidentity.com",
        ],
        vec![
            b"ols.officeapps.live.com",
            b"prod.ols.officeapps.live.com.akadns.net",
        ],
        vec![b"a\x1b[2J.example", b"b\r\nFAIL x.example"],
        vec!["\u{202e}moc.evil.example".as_bytes(), b"x\\.y\x00z.example"],
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
        let mut m = Message::new(7, MessageType::Response, OpCode::Query);
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
    out
}
