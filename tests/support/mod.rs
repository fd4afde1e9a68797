//! The in-process lab: real servers on 127.0.0.1 with ephemeral ports, started by the
//! tests. Every outcome class the probe can report has a server here that produces it.
//!
//! Servers run on one shared background tokio runtime so that both library tests
//! (which bring their own runtime) and CLI tests (which run the binary) can use them.

#![allow(dead_code)]

pub mod cli;
pub mod dns;
pub mod hostile;
pub mod mail;
pub mod pki;
pub mod proxies;
pub mod proxy;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The lab's runtime, alive for the whole test binary.
pub fn lab() -> &'static tokio::runtime::Runtime {
    static LAB: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    LAB.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("lab runtime")
    })
}

/// Binds an ephemeral loopback port. The std listener becomes a tokio one inside the
/// lab runtime (see [`serve`]), so this works from any thread or runtime.
fn bind() -> (std::net::TcpListener, SocketAddr) {
    bind_at("127.0.0.1:0".parse().expect("addr"))
}

fn bind_at(at: SocketAddr) -> (std::net::TcpListener, SocketAddr) {
    let l = std::net::TcpListener::bind(at).expect("bind");
    l.set_nonblocking(true).expect("nonblocking");
    let a = l.local_addr().expect("addr");
    (l, a)
}

fn tokio_listener(l: std::net::TcpListener) -> TcpListener {
    TcpListener::from_std(l).expect("tokio listener")
}

/// A CA and a leaf certificate for the lab's names, made with rcgen.
pub struct Pki {
    pub ca_der: Vec<u8>,
    pub ca_pem: String,
    pub leaf_der: Vec<u8>,
    pub leaf_pem: String,
    pub key_der: Vec<u8>,
    pub key_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

pub const LAB_NAMES: &[&str] = &[
    "localhost",
    "lab.test",
    "*.lab.test",
    "login.microsoftonline.com",
];

impl Pki {
    pub fn new() -> Self {
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "tlscompat Lab CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("ca cert");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().expect("leaf key");
        let mut sans: Vec<String> = LAB_NAMES.iter().map(|s| s.to_string()).collect();
        sans.extend(["127.0.0.1".into(), "127.0.0.2".into(), "127.0.0.3".into()]);
        let mut params = rcgen::CertificateParams::new(sans).expect("leaf params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "lab.test");
        let leaf = params.signed_by(&key, &issuer).expect("leaf cert");
        Self {
            ca_der: ca.der().to_vec(),
            ca_pem: ca.pem(),
            leaf_der: leaf.der().to_vec(),
            leaf_pem: leaf.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
            issuer,
        }
    }

    /// A leaf for the lab names signed by the lab CA with the RSA-2048 key of
    /// `benches/data` (rcgen cannot make RSA keys): (cert PEM, key PEM).
    pub fn rsa_leaf(&self) -> (String, String) {
        let key = rcgen::KeyPair::from_pem(include_str!("../../benches/data/rsa2048.pkcs8.pem"))
            .expect("rsa key");
        let mut sans: Vec<String> = LAB_NAMES.iter().map(|s| s.to_string()).collect();
        sans.push("127.0.0.1".into());
        let mut params = rcgen::CertificateParams::new(sans).expect("leaf params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "lab.test");
        let cert = params.signed_by(&key, &self.issuer).expect("rsa leaf");
        (cert.pem(), key.serialize_pem())
    }

    /// Like [`Self::rsa_leaf`], for `names` (DNS names) besides the lab's.
    pub fn rsa_leaf_for(&self, names: &[&str]) -> (String, String) {
        let key = rcgen::KeyPair::from_pem(include_str!("../../benches/data/rsa2048.pkcs8.pem"))
            .expect("rsa key");
        let mut sans: Vec<String> = LAB_NAMES.iter().map(|s| s.to_string()).collect();
        sans.extend(names.iter().map(|s| s.to_string()));
        sans.push("127.0.0.1".into());
        let mut params = rcgen::CertificateParams::new(sans).expect("leaf params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "lab.test");
        let cert = params.signed_by(&key, &self.issuer).expect("rsa leaf");
        (cert.pem(), key.serialize_pem())
    }

    /// Writes cert (leaf + CA) and key PEM files into `dir`.
    pub fn write_pem(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, format!("{}{}", self.leaf_pem, self.ca_pem)).expect("write cert");
        std::fs::write(&key, &self.key_pem).expect("write key");
        (cert, key)
    }
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(Pki::new)
}

/// A rustls server on 127.0.0.1 presenting `chain` (DER, leaf first) with `key_der`.
pub fn rustls_server_with(chain: Vec<Vec<u8>>, key_der: Vec<u8>) -> SocketAddr {
    let chain = chain.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der));
    serve_rustls(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        chain,
        key,
        "127.0.0.1:0".parse().expect("addr"),
    )
}

/// A rustls server offering `versions` at `at`, presenting `chain` with `key_der`.
pub fn rustls_server_chain_at(
    versions: &[&'static rustls::SupportedProtocolVersion],
    chain: Vec<Vec<u8>>,
    key_der: Vec<u8>,
    at: SocketAddr,
) -> SocketAddr {
    let chain = chain.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der));
    serve_rustls(versions, chain, key, at)
}

/// A rustls server offering exactly `versions`, presenting the lab chain.
pub fn rustls_server(versions: &[&'static rustls::SupportedProtocolVersion]) -> SocketAddr {
    rustls_server_at(versions, "127.0.0.1:0".parse().expect("addr"))
}

/// Like [`rustls_server`], on a chosen loopback address (port 0 = ephemeral).
pub fn rustls_server_at(
    versions: &[&'static rustls::SupportedProtocolVersion],
    at: SocketAddr,
) -> SocketAddr {
    let pki = pki();
    let chain = vec![
        CertificateDer::from(pki.leaf_der.clone()),
        CertificateDer::from(pki.ca_der.clone()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key_der.clone()));
    serve_rustls(versions, chain, key, at)
}

/// A rustls server (TLS 1.2 and 1.3, lab chain) whose key exchange groups are only
/// `groups`: with secp384r1 alone, a client sending an x25519 share gets a
/// HelloRetryRequest.
pub fn rustls_server_groups(
    groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> SocketAddr {
    let pki = pki();
    let chain = vec![
        CertificateDer::from(pki.leaf_der.clone()),
        CertificateDer::from(pki.ca_der.clone()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key_der.clone()));
    let mut provider = rustls::crypto::ring::default_provider();
    provider.kx_groups = groups;
    serve_rustls_with(
        provider,
        versions,
        chain,
        key,
        "127.0.0.1:0".parse().expect("addr"),
    )
}

fn serve_rustls(
    versions: &[&'static rustls::SupportedProtocolVersion],
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    at: SocketAddr,
) -> SocketAddr {
    serve_rustls_with(
        rustls::crypto::ring::default_provider(),
        versions,
        chain,
        key,
        at,
    )
}

fn serve_rustls_with(
    provider: rustls::crypto::CryptoProvider,
    versions: &[&'static rustls::SupportedProtocolVersion],
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    at: SocketAddr,
) -> SocketAddr {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (listener, addr) = bind_at(at);
    lab().spawn(async move {
        let listener = tokio_listener(listener);
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = tls.write_all(b"hello from the lab\n").await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

/// Runs `handler` on every accepted connection.
pub fn tcp_server<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tcp_server_at("127.0.0.1:0", handler)
}

/// [`tcp_server`] on `at` (another loopback address: the scanner's per-address
/// connection limit then does not tie it to the servers on 127.0.0.1).
pub fn tcp_server_at<F, Fut>(at: &str, handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (listener, addr) = bind_at(at.parse().expect("addr"));
    let handler = Arc::new(handler);
    lab().spawn(async move {
        let listener = tokio_listener(listener);
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(handler(tcp));
        }
    });
    addr
}

/// Reads one whole TLS record (the ClientHello) so that closing afterwards sends FIN,
/// not RST (Linux resets when unread data is discarded). Returns the record.
pub async fn read_hello(tcp: &mut TcpStream) -> Vec<u8> {
    let mut header = [0u8; 5];
    if tcp.read_exact(&mut header).await.is_err() {
        return Vec::new();
    }
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut body = vec![0u8; len];
    let _ = tcp.read_exact(&mut body).await;
    let mut out = header.to_vec();
    out.extend(body);
    out
}

/// Answers any hello with a fatal alert.
pub fn alert_server(description: u8) -> SocketAddr {
    tcp_server(move |mut tcp| async move {
        read_hello(&mut tcp).await;
        let _ = tcp.write_all(&[21, 3, 1, 0, 2, 2, description]).await;
        let _ = tcp.shutdown().await;
        let _ = tcp.read(&mut [0u8; 64]).await;
    })
}

/// Accepts and never answers.
pub fn blackhole() -> SocketAddr {
    blackhole_at("127.0.0.1:0")
}

/// [`blackhole`] on `at`.
pub fn blackhole_at(at: &str) -> SocketAddr {
    tcp_server_at(at, |tcp| async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(tcp);
    })
}

/// Reads the hello, then resets the connection (SO_LINGER 0).
pub fn resetter() -> SocketAddr {
    tcp_server(|mut tcp| async move {
        read_hello(&mut tcp).await;
        let _ = tcp.set_zero_linger();
        drop(tcp);
    })
}

/// Reads the hello, then closes cleanly without a word.
pub fn closer() -> SocketAddr {
    tcp_server(|mut tcp| async move {
        read_hello(&mut tcp).await;
        let _ = tcp.shutdown().await;
        let _ = tcp.read(&mut [0u8; 64]).await;
    })
}

/// An HTTP server on the TLS port (a proxy error page, a captive portal).
pub fn http_responder() -> SocketAddr {
    tcp_server(|mut tcp| async move {
        let _ = tcp.read(&mut [0u8; 4096]).await;
        let _ = tcp
            .write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n",
            )
            .await;
        let _ = tcp.shutdown().await;
    })
}

/// A port nothing listens on.
///
/// The port stays bound (a socket that never listens, so connections are refused)
/// for the whole test binary: a port merely released could be handed to the next
/// server a test starts, turning "closed" into that server.
pub fn closed_port() -> SocketAddr {
    let sock = tokio::net::TcpSocket::new_v4().expect("socket");
    sock.bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let addr = sock.local_addr().expect("addr");
    std::mem::forget(sock);
    addr
}

/// A stack that silently closes on hellos offering more than 12 cipher suites (the
/// long-list intolerance peers document), and otherwise accepts the offered version
/// with a canned ServerHello + Certificate: only the compact retry gets through.
pub fn fragile_server() -> SocketAddr {
    let leaf = pki().leaf_der.clone();
    tcp_server(move |mut tcp| {
        let leaf = leaf.clone();
        async move {
            let hello = read_hello(&mut tcp).await;
            if suite_count(&hello).is_none_or(|n| n > 12) {
                let _ = tcp.shutdown().await;
                let _ = tcp.read(&mut [0u8; 64]).await;
                return;
            }
            let version = [hello[9], hello[10]];
            let _ = tcp.write_all(&canned_flight(version, 0x002f, &leaf)).await;
            let _ = tcp.shutdown().await;
            let _ = tcp.read(&mut [0u8; 64]).await;
        }
    })
}

/// Number of cipher suites in a ClientHello record.
fn suite_count(hello: &[u8]) -> Option<usize> {
    let sid_len = usize::from(*hello.get(43)?);
    let at = 44 + sid_len;
    let len = u16::from_be_bytes([*hello.get(at)?, *hello.get(at + 1)?]);
    Some(usize::from(len) / 2)
}

/// ServerHello (version, suite) + Certificate (one cert) + ServerHelloDone, one record.
pub fn canned_flight(version: [u8; 2], suite: u16, cert: &[u8]) -> Vec<u8> {
    let mut sh = vec![version[0], version[1]];
    sh.extend([0x42; 32]);
    sh.push(0);
    sh.extend(suite.to_be_bytes());
    sh.push(0);
    let mut hs = handshake(2, &sh);
    let mut certs = u24(cert.len());
    certs.extend_from_slice(cert);
    let mut cert_msg = u24(certs.len());
    cert_msg.extend(certs);
    hs.extend(handshake(11, &cert_msg));
    hs.extend(handshake(14, &[]));
    let mut rec = vec![22, 3, 1];
    rec.extend((hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}

fn u24(n: usize) -> Vec<u8> {
    (n as u32).to_be_bytes()[1..].to_vec()
}

fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend(u24(body.len()));
    out.extend_from_slice(body);
    out
}

/// A real `openssl s_server` with legacy protocols enabled; killed on drop.
pub struct OpenSslServer {
    pub addr: SocketAddr,
    child: Child,
    _dir: TempDir,
}

impl Drop for OpenSslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openssl s_server` accepting TLS `min`..=`max` (OpenSSL names: TLSv1,
/// TLSv1.1, TLSv1.2, TLSv1.3) at security level 0, which OpenSSL 3 needs for 1.0/1.1.
pub fn openssl_server(min: &str, max: &str) -> OpenSslServer {
    openssl_server_at(min, max, "127.0.0.1:0")
}

/// Like [`openssl_server`], on a chosen loopback address (`IP:0` = ephemeral port).
pub fn openssl_server_at(min: &str, max: &str, at: &str) -> OpenSslServer {
    let pki = pki();
    openssl_server_with(
        min,
        max,
        at,
        &format!("{}{}", pki.leaf_pem, pki.ca_pem),
        &pki.key_pem,
    )
}

/// Like [`openssl_server_at`], presenting `cert_pem` (leaf first) with `key_pem`.
pub fn openssl_server_with(
    min: &str,
    max: &str,
    at: &str,
    cert_pem: &str,
    key_pem: &str,
) -> OpenSslServer {
    openssl_server_opts(
        min,
        max,
        at,
        cert_pem,
        key_pem,
        &["-cipher", "DEFAULT:@SECLEVEL=0"],
    )
}

/// The most general lab OpenSSL: `extra` replaces the default `-cipher` argument
/// (e.g. `-cipher DHE-RSA-AES128-SHA:@SECLEVEL=0`, `-groups x448`).
pub fn openssl_server_opts(
    min: &str,
    max: &str,
    at: &str,
    cert_pem: &str,
    key_pem: &str,
    extra: &[&str],
) -> OpenSslServer {
    let dir = TempDir::new("openssl");
    let (cert, key) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
    std::fs::write(&cert, cert_pem).expect("write cert");
    std::fs::write(&key, key_pem).expect("write key");
    let mut child = Command::new("openssl")
        .args(["s_server", "-accept", at, "-www", "-cert"])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args(["-min_protocol", min, "-max_protocol", max])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server must be installed (apt-get install openssl)");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("s_server exited before ACCEPT")
            .expect("read s_server");
        if let Some(a) = line.strip_prefix("ACCEPT ") {
            break a.trim().parse().expect("ACCEPT address");
        }
    };
    // Keep draining stdout so s_server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    OpenSslServer {
        addr,
        child,
        _dir: dir,
    }
}

/// A real `gnutls-serv` (GnuTLS); killed on drop.
pub struct GnuTlsServer {
    pub addr: SocketAddr,
    child: Child,
    _dir: TempDir,
}

impl Drop for GnuTlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `gnutls-serv` with the GnuTLS `priority` string (which versions, key
/// exchanges and ciphers it accepts), presenting `cert_pem` (leaf first) with
/// `key_pem`. It listens on every interface of an ephemeral port; the tests connect to
/// 127.0.0.1 only.
pub fn gnutls_server(priority: &str, cert_pem: &str, key_pem: &str) -> GnuTlsServer {
    gnutls_server_with(priority, cert_pem, key_pem, &["--disable-client-cert"])
}

/// Like [`gnutls_server`], with `extra` options instead of `--disable-client-cert`
/// (`--echo`: an echo server; without `--disable-client-cert` it asks the client for
/// a certificate).
pub fn gnutls_server_with(
    priority: &str,
    cert_pem: &str,
    key_pem: &str,
    extra: &[&str],
) -> GnuTlsServer {
    let dir = TempDir::new("gnutls");
    let (cert, key) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
    std::fs::write(&cert, cert_pem).expect("write cert");
    std::fs::write(&key, key_pem).expect("write key");
    // gnutls-serv takes a port, not port 0: take a free one; another process may
    // grab it first, so try a few.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut child = Command::new("gnutls-serv")
            .args(["--port", &port.to_string(), "--priority", priority])
            .args(extra)
            .arg("--x509certfile")
            .arg(&cert)
            .arg("--x509keyfile")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnutls-serv must be installed (apt-get install gnutls-bin)");
        // Its "listening" line is buffered in a pipe: wait until the port takes a
        // connection instead (or the server has exited: the port was taken).
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break;
            }
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                // The port may have been taken by another test's listener between our
                // probe bind and gnutls-serv's (seen once in CI: the test then met a
                // refused connection). gnutls-serv exits at once when it cannot bind:
                // a server still running a moment later is the one listening.
                std::thread::sleep(Duration::from_millis(100));
                if matches!(child.try_wait(), Ok(None)) && listens(child.id(), port) {
                    return GnuTlsServer {
                        addr,
                        child,
                        _dir: dir,
                    };
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("gnutls-serv did not start (priority {priority})");
}

/// Whether process `pid` holds a listening TCP socket on `port` (its socket inodes
/// against `/proc/net/tcp{,6}`): the listener a readiness probe reached is its own.
fn listens(pid: u32, port: u16) -> bool {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| {
            let l = l.to_string_lossy().into_owned();
            Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect();
    let port_hex = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table).is_ok_and(|t| {
            t.lines().skip(1).any(|line| {
                let f: Vec<&str> = line.split_whitespace().collect();
                // local_address, state 0A (LISTEN), inode.
                f.len() > 9
                    && f[1].ends_with(&port_hex)
                    && f[3] == "0A"
                    && inodes.iter().any(|i| i == f[9])
            })
        })
    })
}

/// A check's connection side without the scheduler: each exchange straight to `route`
/// with the raw probe's code, as the scan's own exchanges go (benches, and tests that
/// run a check by itself).
pub struct DirectNet {
    pub route: tlscompat::probe::net::Route,
    pub host: tlscompat::target::Host,
    pub timeout: Duration,
}

impl tlscompat::checks::Net for DirectNet {
    fn server_name(&self) -> Option<&str> {
        self.host.server_name()
    }

    fn exchange<'a>(
        &'a self,
        hello: Vec<u8>,
        offer: &'a tlscompat::probe::proof::Offer,
    ) -> tlscompat::checks::BoxFuture<
        'a,
        (
            tlscompat::probe::outcome::Outcome,
            tlscompat::probe::outcome::Timing,
        ),
    > {
        Box::pin(async move {
            let target = tlscompat::probe::raw::ProbeTarget {
                route: &self.route,
                host: &self.host,
                mail: None,
            };
            tlscompat::probe::raw::exchange(target, &hello, offer, self.timeout).await
        })
    }
}

/// A real `openssl s_server` with the lab's RSA leaf (the RSA suites need one) and
/// `extra` options (`-cipher …`, `-groups …`).
pub fn openssl_rsa_server(min: &str, max: &str, extra: &[&str]) -> OpenSslServer {
    let (cert, key) = pki().rsa_leaf();
    openssl_server_opts(
        min,
        max,
        "127.0.0.1:0",
        &format!("{cert}{}", pki().ca_pem),
        &key,
        extra,
    )
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("tlscompat-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Counts connections open at once; answers each hello with alert protocol_version
/// after holding it for `hold`.
pub struct CountingServer {
    pub addr: SocketAddr,
    pub max_open: Arc<std::sync::atomic::AtomicUsize>,
    pub accepted: Arc<std::sync::atomic::AtomicUsize>,
}

pub fn counting_server(hold: Duration) -> CountingServer {
    counting_servers(1, hold).remove(0)
}

/// `ports` counting servers on 127.0.0.1 that count together: `max_open` is the most
/// connections open at once to the IP, across all its ports.
pub fn counting_servers(ports: usize, hold: Duration) -> Vec<CountingServer> {
    use std::sync::atomic::AtomicUsize;
    let open = Arc::new(AtomicUsize::new(0));
    let max_open = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    (0..ports)
        .map(|_| CountingServer {
            addr: counting_port(hold, &open, &max_open, &accepted),
            max_open: max_open.clone(),
            accepted: accepted.clone(),
        })
        .collect()
}

fn counting_port(
    hold: Duration,
    open: &Arc<std::sync::atomic::AtomicUsize>,
    max_open: &Arc<std::sync::atomic::AtomicUsize>,
    accepted: &Arc<std::sync::atomic::AtomicUsize>,
) -> SocketAddr {
    use std::sync::atomic::Ordering;
    let (o, m, a) = (open.clone(), max_open.clone(), accepted.clone());
    tcp_server(move |mut tcp| {
        let (o, m, a) = (o.clone(), m.clone(), a.clone());
        async move {
            a.fetch_add(1, Ordering::SeqCst);
            let now = o.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            read_hello(&mut tcp).await;
            tokio::time::sleep(hold).await;
            o.fetch_sub(1, Ordering::SeqCst);
            let _ = tcp.write_all(&[21, 3, 1, 0, 2, 2, 70]).await;
            let _ = tcp.shutdown().await;
        }
    })
}

/// The lab CA as a PEM file, for `--roots` / `--ca-file`.
pub fn lab_ca_file() -> String {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = TempDir::new("lab-ca");
        let path = dir.0.join("lab-ca.pem");
        std::fs::write(&path, &pki().ca_pem).expect("write CA");
        // Kept for the whole test binary.
        std::mem::forget(dir);
        path.to_str().expect("utf-8 path").to_string()
    })
    .clone()
}
