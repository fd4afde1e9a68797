//! `--client-hello NAME=FILE` (issue 16): hellos of **real clients** (openssl
//! s_client, gnutls-cli, curl), captured here with tcpdump, dumpcap and tshark into
//! pcap and pcapng, replayed by `tlscompat scan` against OpenSSL (several policies),
//! GnuTLS and rustls servers; host by host, the replayed verdict must be what that
//! real client got from the same server (success and version).
//!
//! Capturing needs root and tcpdump/dumpcap/tshark (`.ci/run` installs them); where a
//! capture cannot start, the test says so loudly and skips (and fails under `CI`).

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::cli::{csv_rows, text, tlscompat};
use support::*;

/// Windows 7's TLS 1.2 CBC suites (SHA-384/SHA-256 first), as OpenSSL names them.
const WIN7_CIPHERS: &str = "ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA:\
ECDHE-RSA-AES128-SHA:AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA:DES-CBC3-SHA";

/// A capture tool.
#[derive(Clone, Copy, Debug)]
enum Tool {
    /// tcpdump on lo: pcap, Ethernet, microseconds.
    Tcpdump,
    /// tcpdump on lo, nanosecond pcap.
    TcpdumpNano,
    /// tcpdump on `any`: pcap, Linux cooked v2 (SLL2).
    TcpdumpAny,
    /// dumpcap: pcapng.
    Dumpcap,
    /// tshark -F pcapng.
    Tshark,
}

/// A running capture; [`Capture::stop`] ends it with SIGINT and waits for the file.
struct Capture {
    child: Child,
    path: PathBuf,
}

impl Capture {
    /// Starts `tool` on loopback, filtered on `port`; `None` (said loudly) when the
    /// tool is missing or cannot capture here.
    fn start(tool: Tool, port: u16, path: &Path) -> Option<Capture> {
        let filter = format!("tcp port {port}");
        let (prog, args): (&str, Vec<String>) = match tool {
            Tool::Tcpdump | Tool::TcpdumpNano | Tool::TcpdumpAny => {
                let iface = match tool {
                    Tool::TcpdumpAny => "any",
                    _ => "lo",
                };
                let mut a = vec![
                    "-i",
                    iface,
                    "--immediate-mode",
                    "-U",
                    "-n",
                    "-Z",
                    "root",
                    "-w",
                ];
                if matches!(tool, Tool::TcpdumpNano) {
                    a.insert(0, "--time-stamp-precision=nano");
                }
                let mut a: Vec<String> = a.into_iter().map(String::from).collect();
                a.push(path.display().to_string());
                a.push(filter);
                ("tcpdump", a)
            }
            Tool::Dumpcap | Tool::Tshark => {
                let mut a: Vec<String> = ["-i", "lo", "-f", &filter, "-w"]
                    .into_iter()
                    .map(String::from)
                    .collect();
                a.push(path.display().to_string());
                if matches!(tool, Tool::Tshark) {
                    a.extend(["-F", "pcapng", "-q"].map(String::from));
                }
                (
                    if matches!(tool, Tool::Dumpcap) {
                        "dumpcap"
                    } else {
                        "tshark"
                    },
                    a,
                )
            }
        };
        let mut child = match Command::new(prog)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                loud_skip(&format!(
                    "{prog} cannot start ({e}): apt-get install tcpdump tshark"
                ));
                return None;
            }
        };
        // Ready once it says it listens; its stderr is drained after that.
        let stderr = child.stderr.take()?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut said = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let ready = line.contains("listening on") || line.contains("Capturing on");
                said.push(line);
                if ready {
                    let _ = tx.send(Ok(()));
                }
            }
            let _ = tx.send(Err(said.join(" / ")));
        });
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(Ok(())) => {
                // dumpcap and tshark say "Capturing on" a little before they do.
                std::thread::sleep(Duration::from_millis(700));
                Some(Capture {
                    child,
                    path: path.to_path_buf(),
                })
            }
            other => {
                let _ = child.kill();
                let _ = child.wait();
                loud_skip(&format!(
                    "{prog} cannot capture on loopback (root needed): {other:?}"
                ));
                None
            }
        }
    }

    /// Lets the last packets in, stops the capture and returns its file.
    fn stop(mut self) -> PathBuf {
        std::thread::sleep(Duration::from_millis(300));
        // SIGINT: the tools flush and close the file.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let _ = self.child.wait();
        self.path.clone()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Says loudly why a test cannot run here; on CI (where `.ci/run` installs the tools
/// and runs as root) that is a failure, not a skip.
fn loud_skip(why: &str) {
    assert!(std::env::var_os("CI").is_none(), "on CI: {why}");
    eprintln!("\n!!!!!!!! SKIPPED: {why} !!!!!!!!\n");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// A real client.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Client {
    /// `openssl s_client -tls1_2` with Windows 7's CBC suites.
    OpenSslWin7,
    GnutlsCli,
    Curl,
}

/// What a real client got: the negotiated version ("1.2"), or `None` when the
/// handshake failed.
fn connect(client: Client, addr: SocketAddr, sni: Option<&str>) -> Option<String> {
    let port = addr.port().to_string();
    let mut cmd;
    match client {
        Client::OpenSslWin7 => {
            cmd = Command::new("openssl");
            cmd.args([
                "s_client",
                "-brief",
                "-connect",
                &addr.to_string(),
                "-tls1_2",
            ])
            .args(["-cipher", WIN7_CIPHERS]);
            match sni {
                Some(n) => cmd.args(["-servername", n]),
                None => cmd.arg("-noservername"),
            };
        }
        Client::GnutlsCli => {
            cmd = Command::new("gnutls-cli");
            cmd.args(["--insecure", "-p", &port]);
            if let Some(n) = sni {
                cmd.args(["--sni-hostname", n]);
            }
            cmd.arg("127.0.0.1");
        }
        Client::Curl => {
            cmd = Command::new("curl");
            cmd.args(["-sk", "-v", "-o", "/dev/null", "--max-time", "5"]);
            match sni {
                Some(n) => cmd
                    .args(["--resolve", &format!("{n}:{port}:127.0.0.1")])
                    .arg(format!("https://{n}:{port}/")),
                None => cmd.arg(format!("https://127.0.0.1:{port}/")),
            };
        }
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{client:?}: {e}"));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    let version = |marker: &str| {
        let at = all.find(marker)? + marker.len();
        let rest = &all[at..];
        Some(
            rest.chars()
                .take_while(|c| *c == '.' || c.is_ascii_digit())
                .collect::<String>(),
        )
    };
    match client {
        Client::OpenSslWin7 if all.contains("CONNECTION ESTABLISHED") => {
            version("Protocol version: TLSv")
        }
        Client::GnutlsCli if all.contains("Handshake was completed") => {
            version("- Description: (TLS")
        }
        Client::Curl => version("SSL connection using TLSv"),
        _ => None,
    }
}

/// Captures `clients`' hellos (sent with SNI `captured.example`) with `tool`.
fn capture(tool: Tool, clients: &[Client], dir: &Path, file: &str) -> Option<PathBuf> {
    let server = openssl_server("TLSv1.2", "TLSv1.3");
    let cap = Capture::start(tool, server.addr.port(), &dir.join(file))?;
    for c in clients {
        connect(*c, server.addr, Some("captured.example"));
    }
    Some(cap.stop())
}

fn have(prog: &str) -> bool {
    let ok = Command::new(prog)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !ok {
        loud_skip(&format!(
            "{prog} is not installed (apt-get install gnutls-bin curl)"
        ));
    }
    ok
}

/// `gnutls-serv` with `priority`, on a free port; killed on drop.
struct GnutlsServer {
    child: Child,
    addr: SocketAddr,
    _dir: TempDir,
}

impl Drop for GnutlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gnutls_server(priority: &str) -> GnutlsServer {
    let dir = TempDir::new("gnutls");
    let (cert, key) = pki().rsa_leaf();
    let (cert_path, key_path) = (dir.0.join("c.pem"), dir.0.join("k.pem"));
    std::fs::write(&cert_path, cert).expect("cert");
    std::fs::write(&key_path, key).expect("key");
    let port = free_port();
    let child = Command::new("gnutls-serv")
        .args(["--port", &port.to_string(), "--x509certfile"])
        .arg(&cert_path)
        .arg("--x509keyfile")
        .arg(&key_path)
        .args(["--priority", priority])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnutls-serv (apt-get install gnutls-bin)");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "gnutls-serv did not listen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    GnutlsServer {
        child,
        addr,
        _dir: dir,
    }
}

/// The scan's cell for `profile` at `addr`: ok → the version ("1.2"), fail → None.
fn replayed(
    rows: &[support::cli::Row],
    addr: SocketAddr,
    profile: &str,
) -> (Option<String>, String) {
    let row = rows
        .iter()
        .find(|r| r["port"] == addr.port().to_string())
        .unwrap_or_else(|| panic!("no row for {addr}"));
    let cell = row[&format!("client_{}", profile.replace('-', "_"))].clone();
    let version = cell
        .strip_prefix("ok TLS ")
        .map(|v| v.split(' ').next().unwrap_or("").to_string());
    (version, cell)
}

#[test]
fn replayed_real_client_hellos_get_what_the_real_clients_got() {
    if !have("gnutls-cli") || !have("curl") {
        return;
    }
    let dir = TempDir::new("client-hello");
    // One capture per tool and client: pcap (µs, ns, SLL2) and pcapng (dumpcap).
    let captures = [
        (Client::OpenSslWin7, Tool::Tcpdump, "win7.pcap"),
        (Client::GnutlsCli, Tool::Dumpcap, "gnutls.pcapng"),
        (Client::Curl, Tool::TcpdumpNano, "curl.pcap"),
    ];
    let mut files = Vec::new();
    for (client, tool, file) in captures {
        let Some(path) = capture(tool, &[client], &dir.0, file) else {
            return;
        };
        files.push((client, path));
    }
    // The servers, each a policy an admin meets.
    let o_default = openssl_rsa_server("TLSv1.2", "TLSv1.3", &["-cipher", "DEFAULT"]);
    let o_afd = openssl_rsa_server(
        "TLSv1.2",
        "TLSv1.2",
        &[
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        ],
    );
    let o_cbc384 = openssl_rsa_server(
        "TLSv1.2",
        "TLSv1.2",
        &["-cipher", "ECDHE-RSA-AES256-SHA384"],
    );
    let o_13 = openssl_rsa_server("TLSv1.3", "TLSv1.3", &["-cipher", "DEFAULT"]);
    let o_p384 = openssl_rsa_server(
        "TLSv1.2",
        "TLSv1.3",
        &["-cipher", "DEFAULT", "-groups", "P-384"],
    );
    let o_legacy = openssl_rsa_server("TLSv1", "TLSv1.1", &["-cipher", "DEFAULT:@SECLEVEL=0"]);
    let g_normal = gnutls_server("NORMAL");
    let g_gcm = gnutls_server("NORMAL:-VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM");
    let r_12 = rustls_server(&[&rustls::version::TLS12]);
    let r_13 = rustls_server(&[&rustls::version::TLS13]);
    let servers: Vec<(&str, SocketAddr)> = vec![
        ("openssl 1.2-1.3 DEFAULT", o_default.addr),
        ("openssl 1.2 ECDHE-RSA-AES-GCM (AFD 2023)", o_afd.addr),
        ("openssl 1.2 ECDHE-RSA-AES256-SHA384 only", o_cbc384.addr),
        ("openssl 1.3 only", o_13.addr),
        ("openssl 1.2-1.3 P-384 only", o_p384.addr),
        ("openssl 1.0-1.1 only", o_legacy.addr),
        ("gnutls NORMAL", g_normal.addr),
        ("gnutls 1.2 AES-GCM only", g_gcm.addr),
        ("rustls 1.2 (ECDSA)", r_12),
        ("rustls 1.3 (ECDSA)", r_13),
    ];
    let mut args: Vec<String> = [
        "scan",
        "--format",
        "csv",
        "--timeout",
        "3s",
        "--fail-on",
        "none",
    ]
    .map(String::from)
    .to_vec();
    for (client, path) in &files {
        // The oldest version each client takes, which its hello does not say: GnuTLS
        // takes what it lists (1.0 and 1.1 here); OpenSSL 3 refuses them, the default.
        let floor = match client {
            Client::GnutlsCli => "@1.0",
            _ => "",
        };
        args.push("--client-hello".into());
        args.push(format!("{}{floor}={}", name(*client), path.display()));
    }
    args.extend(servers.iter().map(|(_, a)| a.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = tlscompat(&argv);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = csv_rows(&text(&out.stdout));
    let mut table = String::from("client | server | real client | replayed\n");
    let mut mismatches = Vec::new();
    for (client, _) in &files {
        for (label, addr) in &servers {
            // The real client as the replay connects: to the IP, so without SNI.
            let real = connect(*client, *addr, None);
            let (version, cell) = replayed(&rows, *addr, name(*client));
            table.push_str(&format!(
                "{} | {label} | {} | {cell}\n",
                name(*client),
                real.as_deref()
                    .map_or("fail".to_string(), |v| format!("ok TLS {v}"))
            ));
            if real != version {
                mismatches.push(format!("{} at {label}", name(*client)));
            }
        }
    }
    println!("{table}");
    assert!(
        mismatches.is_empty(),
        "replay differs from the real client: {mismatches:?}\n{table}"
    );
    // A TLS 1.3 answer to a replayed hello cannot be finished (the captured key share's
    // secret is not ours): consistent, recorded unproven.
    let spec = format!("curl={}", files[2].1.display());
    let data = scan_json(&["--client-hello", &spec, &o_13.addr.to_string()], "curl");
    assert_eq!(data["version"], "TLS 1.3", "{data}");
    assert_eq!(data["proof"]["state"], "unproven", "{data}");
    // The table is not trivial: each client fails somewhere and connects somewhere.
    for (client, _) in &files {
        let col = format!("client_{}", name(*client).replace('-', "_"));
        assert!(rows.iter().any(|r| r[&col].starts_with("ok")), "{col}");
        assert!(rows.iter().any(|r| r[&col].starts_with("fail")), "{col}");
    }
}

/// `tlscompat scan --format json ARGS`: the clients check's JSON for `profile` at the
/// first record.
fn scan_json(args: &[&str], profile: &str) -> serde_json::Value {
    let mut all = vec!["scan", "--format", "json", "--timeout", "3s"];
    all.extend_from_slice(args);
    let out = tlscompat(&all);
    let json: serde_json::Value = serde_json::from_str(&text(&out.stdout))
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    json["records"][0]["checks"][0]["data"][profile].clone()
}

fn name(c: Client) -> &'static str {
    match c {
        Client::OpenSslWin7 => "openssl-win7",
        Client::GnutlsCli => "gnutls",
        Client::Curl => "curl",
    }
}

/// A relay that writes the client's first flight upstream in two TCP segments (the
/// hello cut after 100 bytes, a pause between), then copies both ways.
fn splitting_relay(upstream: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            std::thread::spawn(move || {
                let Ok(mut server) = TcpStream::connect(upstream) else {
                    return;
                };
                let _ = server.set_nodelay(true);
                let mut header = [0u8; 5];
                if client.read_exact(&mut header).is_err() {
                    return;
                }
                let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
                let mut hello = header.to_vec();
                hello.resize(5 + len, 0);
                if client.read_exact(&mut hello[5..]).is_err() {
                    return;
                }
                let _ = server.write_all(&hello[..100]);
                std::thread::sleep(Duration::from_millis(100));
                let _ = server.write_all(&hello[100..]);
                let (mut c2, mut s2) = match (client.try_clone(), server.try_clone()) {
                    (Ok(c), Ok(s)) => (c, s),
                    _ => return,
                };
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut client, &mut server);
                let _ = server.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    addr
}

#[test]
fn a_hello_split_over_two_segments_is_reassembled_from_tshark_and_sll2_captures() {
    let dir = TempDir::new("client-hello-split");
    let server = openssl_rsa_server("TLSv1.2", "TLSv1.3", &["-cipher", "DEFAULT"]);
    let relay = splitting_relay(server.addr);
    let mut files = Vec::new();
    for (tool, file) in [
        (Tool::Tshark, "split.pcapng"),
        (Tool::TcpdumpAny, "split-any.pcap"),
    ] {
        // Captured on the relay's upstream side, where the hello is in two segments.
        let Some(cap) = Capture::start(tool, server.addr.port(), &dir.0.join(file)) else {
            return;
        };
        let real = connect(Client::OpenSslWin7, relay, Some("split.example"));
        assert_eq!(real.as_deref(), Some("1.2"));
        files.push(cap.stop());
    }
    for path in &files {
        let spec = format!("split={}", path.display());
        let out = tlscompat(&["clients", "--client-hello", &spec]);
        let described = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // Two frames hold it: the reassembly joined them.
        assert!(described.contains("(frames "), "{described}");
        assert!(
            described.contains("captured SNI: split.example"),
            "{described}"
        );
        assert!(
            described.contains("0xc028 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"),
            "{described}"
        );
        // The TLS 1.2 answer is proven: the ServerKeyExchange signs the captured
        // client random, which the replay sends.
        let addr = server.addr.to_string();
        let data = scan_json(&["--client-hello", &spec, &addr], "split");
        assert_eq!(
            data["verdict"], "ok TLS 1.2 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
            "{data}"
        );
        assert_eq!(data["proof"]["state"], "verified", "{data}");
    }
}

/// A ClientHello record's parts, read here without the crate's parser: (random,
/// session id, suites, extensions as (type, body)).
type Parts = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<(u16, Vec<u8>)>);

fn parts(rec: &[u8]) -> Parts {
    let be16 = |b: &[u8], at: usize| usize::from(u16::from_be_bytes([b[at], b[at + 1]]));
    assert_eq!(
        (rec[0], rec[5]),
        (22, 1),
        "a handshake record with a ClientHello"
    );
    assert_eq!(be16(rec, 3) + 5, rec.len(), "one record, its length right");
    let body = &rec[9..];
    assert_eq!(
        (usize::from(rec[6]) << 16) | be16(rec, 7),
        body.len(),
        "handshake length right"
    );
    let random = body[2..34].to_vec();
    let sid_len = usize::from(body[34]);
    let sid = body[35..35 + sid_len].to_vec();
    let mut at = 35 + sid_len;
    let suites = body[at + 2..at + 2 + be16(body, at)].to_vec();
    at += 2 + be16(body, at);
    at += 1 + usize::from(body[at]);
    let end = at + 2 + be16(body, at);
    assert_eq!(end, body.len(), "extensions length right");
    at += 2;
    let mut exts = Vec::new();
    while at < end {
        let len = be16(body, at + 2);
        exts.push((be16(body, at) as u16, body[at + 4..at + 4 + len].to_vec()));
        at += 4 + len;
    }
    (random, sid, suites, exts)
}

/// The first ClientHello of a capture, as tshark (not our parser) reads it.
fn tshark_hello(path: &Path) -> Option<Vec<u8>> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args([
            "-Y",
            "tls.handshake.type == 1",
            "-T",
            "fields",
            "-e",
            "tcp.payload",
        ])
        .output()
        .ok()?;
    let hex = text(&out.stdout);
    let line = hex.lines().next()?.trim().replace(':', "");
    (0..line.len() / 2)
        .map(|i| u8::from_str_radix(&line[2 * i..2 * i + 2], 16).ok())
        .collect()
}

#[test]
fn replayed_bytes_are_the_captured_ones_but_for_the_sni() {
    if !have("curl") {
        return;
    }
    let dir = TempDir::new("client-hello-bytes");
    let Some(path) = capture(Tool::Tcpdump, &[Client::Curl], &dir.0, "curl.pcap") else {
        return;
    };
    let Some(captured) = tshark_hello(&path) else {
        loud_skip("tshark cannot read the capture back");
        return;
    };
    // A server that keeps every hello it is sent, and closes.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
    let keep = seen.clone();
    let addr = tcp_server(move |mut tcp| {
        let keep = keep.clone();
        async move {
            let hello = read_hello(&mut tcp).await;
            keep.lock().expect("lock").push(hello);
        }
    });
    let zone = support::dns::Zone::new().a("login.lab.test", std::net::Ipv4Addr::LOCALHOST);
    let dns = support::dns::dns_server(zone).to_string();
    let spec = format!("curl={}", path.display());
    let name_target = format!("login.lab.test:{}", addr.port());
    // Only the TLS 1.3 probe besides the profile: the server keeps every hello.
    let replay_to = |target: &str| {
        let out = tlscompat(&[
            "scan",
            "--resolver",
            &dns,
            "--timeout",
            "2s",
            "--tls-min",
            "1.3",
            "--client-hello",
            &spec,
            target,
        ]);
        assert!(out.status.code().is_some(), "{}", text(&out.stderr));
    };
    replay_to(&name_target);
    let (c_random, c_sid, c_suites, c_exts) = parts(&captured);
    let sent = seen.lock().expect("lock").clone();
    // The profile's hello is the one whose random is the capture's.
    let replay = sent
        .iter()
        .find(|h| h.len() > 43 && h[11..43] == c_random[..])
        .unwrap_or_else(|| panic!("no replayed hello among {} received", sent.len()));
    let (random, sid, suites, exts) = parts(replay);
    assert_eq!((random, sid, suites), (c_random, c_sid, c_suites));
    let sni = |name: &str| {
        let mut b = ((name.len() + 3) as u16).to_be_bytes().to_vec();
        b.push(0);
        b.extend_from_slice(&(name.len() as u16).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b
    };
    let c_sni = c_exts.iter().find(|(t, _)| *t == 0).map(|e| e.1.len());
    let grown = sni("login.lab.test").len() as isize - c_sni.expect("curl sent SNI") as isize;
    let expected: Vec<(u16, Vec<u8>)> = c_exts
        .iter()
        .map(|(t, b)| match t {
            0 => (0, sni("login.lab.test")),
            // The padding the client sized from the hello's length takes the change.
            21 => (21, vec![0; (b.len() as isize - grown) as usize]),
            _ => (*t, b.clone()),
        })
        .collect();
    assert_eq!(
        exts, expected,
        "every extension as captured, the SNI the target's"
    );
    assert_eq!(replay.len(), captured.len(), "padded to the captured size");
    // To an IP: the same without server_name.
    seen.lock().expect("lock").clear();
    replay_to(&addr.to_string());
    let sent = seen.lock().expect("lock").clone();
    let replay = sent
        .iter()
        .find(|h| h.len() > 43 && h[11..43] == expected_random(&captured)[..])
        .expect("replayed hello");
    let without: Vec<(u16, Vec<u8>)> = c_exts.into_iter().filter(|(t, _)| *t != 0).collect();
    let got: Vec<(u16, Vec<u8>)> = parts(replay)
        .3
        .into_iter()
        .filter(|(t, _)| *t != 21)
        .collect();
    let without: Vec<(u16, Vec<u8>)> = without.into_iter().filter(|(t, _)| *t != 21).collect();
    assert_eq!(
        got, without,
        "no server_name to an IP, the rest as captured"
    );
    assert_eq!(replay.len(), captured.len(), "padded to the captured size");
}

fn expected_random(rec: &[u8]) -> Vec<u8> {
    rec[11..43].to_vec()
}

#[test]
fn bad_client_hello_arguments_exit_2_naming_the_file() {
    let dir = TempDir::new("client-hello-errors");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.0.join(name);
        std::fs::write(&p, bytes).expect("write");
        p.display().to_string()
    };
    let not_hex = write("notes.txt", b"this is not a capture\n");
    let server_hello = write("sh.hex", b"16 03 03 00 04 02 00 00 00\n");
    let truncated = write("cut.hex", b"16 03 01 02 00 01 00 01 fc 03 03\n");
    let empty_pcap = write(
        "empty.pcap",
        &[
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
        ],
    );
    let cases: Vec<(String, &str)> = vec![
        (
            format!("pc={not_hex}"),
            "not a pcap, pcapng or hex dump: line 1: 't' (column 1) is not a hex digit",
        ),
        (
            format!("pc={server_hello}"),
            "the first handshake message is server_hello, not a ClientHello",
        ),
        (format!("pc={truncated}"), "truncated ClientHello"),
        (
            format!("pc={empty_pcap}"),
            "no ClientHello in this pcap file (0 frames",
        ),
        (format!("PC={not_hex}"), "invalid name 'PC'"),
        (
            format!("win7={not_hex}"),
            "'win7' is a built-in profile's name",
        ),
        (
            format!("pc={}/missing.pcap", dir.0.display()),
            "cannot read",
        ),
    ];
    for (arg, want) in cases {
        let out = tlscompat(&["scan", "--client-hello", &arg, "127.0.0.1:9"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{arg}: {err}");
        assert!(err.contains(want), "{arg}: {err}");
        if !arg.starts_with("PC=") {
            assert!(
                err.contains(&format!("--client-hello {arg}")),
                "names the file: {err}"
            );
        }
        assert!(
            out.stdout.is_empty(),
            "nothing scanned: {}",
            text(&out.stdout)
        );
    }
}
