//! Seeds for the fuzz targets (`fuzz/`, via `fuzz/seeds/`): real first flights of real TLS stacks,
//! captured on loopback, answering the scanner's own ClientHello for every version.
//!
//! `seeds_are_real_flights` (in CI) checks that every stored seed still decodes to a
//! final verdict. `capture_seeds` (ignored; needs `openssl`, `gnutls-serv` from
//! gnutls-bin, and `java`) re-captures them:
//!
//! ```text
//! cargo test --test fuzz_seeds -- --ignored capture_seeds
//! ```
//!
//! File names: `<stack>-tls1_<minor>.bin`, the raw bytes the server sent in answer to a
//! hello offering exactly that version (read until the server went quiet or closed).

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::*;
use tlscompat::version::TlsVersion;
use tlscompat::wire::hello::{HelloSpec, HelloVariant, client_hello_record};
use tlscompat::wire::reply::{Progress, Reply, parse_reply};

fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-seeds")
}

/// The offered version a seed file answers, from its name.
pub fn offered(name: &str) -> Option<TlsVersion> {
    let key = name.strip_suffix(".bin")?.rsplit('-').next()?;
    TlsVersion::ALL.iter().copied().find(|v| v.key() == key)
}

#[test]
fn seeds_are_real_flights() {
    let mut stacks = std::collections::BTreeSet::new();
    let mut accepted = 0;
    for entry in std::fs::read_dir(seed_dir()).expect("tests/fuzz-seeds") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(version) = offered(&name) else {
            continue;
        };
        stacks.insert(name.split('-').next().unwrap_or("").to_string());
        let bytes = std::fs::read(&path).expect("seed");
        match parse_reply(&bytes, version.wire(), true) {
            Progress::Done(Reply::Hello(h)) => {
                if h.version == version.wire() {
                    accepted += 1;
                    assert!(
                        version == TlsVersion::Tls13 || !h.certificates.is_empty(),
                        "{name}: accepted ≤ 1.2 without the clear-text chain"
                    );
                }
            }
            Progress::Done(Reply::Alert { .. }) => {}
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(stacks.len() >= 4, "seeds from several stacks: {stacks:?}");
    assert!(accepted >= 8, "{accepted} accepting flights");
}

/// Sends the scanner's hello for `version` and keeps every byte until the server is
/// quiet for 300 ms or closes.
fn capture(addr: SocketAddr, version: TlsVersion) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect");
    let hello = client_hello_record(&HelloSpec {
        version,
        variant: HelloVariant::Full,
        server_name: Some("lab.test"),
        random: [7; 32],
        entropy: [9; 32],
        suites: None,
    });
    s.write_all(&hello).expect("send hello");
    s.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16384];
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

fn save(stack: &str, addr: SocketAddr) {
    for v in TlsVersion::ALL {
        let bytes = capture(addr, v);
        let path = seed_dir().join(format!("{stack}-{}.bin", v.key()));
        println!("{}: {} bytes", path.display(), bytes.len());
        if !bytes.is_empty() {
            std::fs::write(path, bytes).expect("write seed");
        }
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_listening(addr: SocketAddr) {
    let start = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{addr} never listened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// An RSA certificate and key made by `openssl req`, for the legacy stacks (static RSA
/// and CBC suites need an RSA key).
fn rsa_pem(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("rsa.pem"), dir.join("rsa.key"));
    let ok = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-subj", "/CN=lab.test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl req");
    assert!(ok.success());
    (cert, key)
}

#[test]
#[ignore = "captures seeds from openssl, gnutls-serv, java and rustls; run by hand"]
fn capture_seeds() {
    let dir = TempDir::new("seeds");
    // OpenSSL, legacy only (TLS 1.0/1.1, RSA) and modern (1.2/1.3, ECDSA).
    let (rsa_cert, rsa_key) = rsa_pem(&dir.0);
    let cert = std::fs::read_to_string(&rsa_cert).unwrap();
    let key = std::fs::read_to_string(&rsa_key).unwrap();
    let legacy = openssl_server_with("TLSv1", "TLSv1.1", "127.0.0.1:0", &cert, &key);
    save("openssl_legacy", legacy.addr);
    let modern = openssl_server("TLSv1.2", "TLSv1.3");
    save("openssl_modern", modern.addr);
    // rustls 1.2 + 1.3 (the lab's ECDSA chain).
    save(
        "rustls",
        rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]),
    );
    // GnuTLS with every version enabled.
    let port = free_port();
    let gnutls = Killed(
        Command::new("gnutls-serv")
            .args(["--port", &port.to_string(), "--x509certfile"])
            .arg(&rsa_cert)
            .arg("--x509keyfile")
            .arg(&rsa_key)
            .args([
                "--priority",
                "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+SHA1:+AES-128-CBC",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnutls-serv (apt-get install gnutls-bin)"),
    );
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_listening(addr);
    save("gnutls", addr);
    drop(gnutls);
    // Java's JSSE, with the legacy versions re-enabled.
    let java = java_server(&dir.0, &rsa_cert, &rsa_key);
    save("jsse", java.1);
}

const JAVA_SERVER: &str = r#"
import javax.net.ssl.*; import java.io.*; import java.security.*;
public class Jsse {
  public static void main(String[] a) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(new FileInputStream(a[1]), "lab".toCharArray());
    KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
    kmf.init(ks, "lab".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory()
        .createServerSocket(Integer.parseInt(a[0]), 50, java.net.InetAddress.getLoopbackAddress());
    ss.setEnabledProtocols(new String[] {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"});
    while (true) {
      SSLSocket s = (SSLSocket) ss.accept();
      new Thread(() -> { try { s.startHandshake(); } catch (Exception e) {} finally {
        try { s.close(); } catch (Exception e) {} } }).start();
    }
  }
}
"#;

fn java_server(dir: &Path, cert: &Path, key: &Path) -> (Killed, SocketAddr) {
    let p12 = dir.join("lab.p12");
    let ok = Command::new("openssl")
        .args(["pkcs12", "-export", "-passout", "pass:lab", "-in"])
        .arg(cert)
        .arg("-inkey")
        .arg(key)
        .arg("-out")
        .arg(&p12)
        .status()
        .expect("openssl pkcs12");
    assert!(ok.success());
    let src = dir.join("Jsse.java");
    std::fs::write(&src, JAVA_SERVER).unwrap();
    let security = dir.join("java.security");
    std::fs::write(&security, "jdk.tls.disabledAlgorithms=\n").unwrap();
    let port = free_port();
    let child = Command::new("java")
        .arg(format!("-Djava.security.properties={}", security.display()))
        .arg(&src)
        .arg(port.to_string())
        .arg(&p12)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("java");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let guard = Killed(child);
    wait_listening(addr);
    (guard, addr)
}
