//! Mail servers for the lab that behave like Exchange Online: SMTP, IMAP and POP3 with
//! STARTTLS or implicit TLS, written here on tokio, with real TLS stacks under them.
//!
//! TLS 1.2/1.3 is rustls, in process. TLS 1.0/1.1 needs a server-side stack rustls
//! lacks: the server reads the client's hello, and a hello offering nothing above TLS
//! 1.1 is relayed (hello bytes first) to a real OpenSSL — `socat OPENSSL-LISTEN` at
//! security level 0, versions 1.0–1.1 only — whose decrypted side comes back to this
//! module's service over plain TCP. So the TLS is OpenSSL's, and what the service says
//! after the handshake is decided here, by the version family:
//!
//! - [`Legacy::Refuse421`]: like `smtp.office365.com`, the handshake completes and the
//!   service answers `EHLO` with `421 4.7.66 TLS 1.0 and 1.1 are not supported…` (IMAP
//!   `* BYE`, POP3 `-ERR`);
//! - [`Legacy::Accept`]: like `smtp-legacy.office365.com`, every version is served;
//! - [`Legacy::Reject`]: like `outlook.office365.com`'s IMAP/POP, TLS 1.0/1.1 fail in the
//!   handshake (rustls alone answers, with alert handshake_failure).
//!
//! [`Misbehaviour`] makes the failures a scanner must report cleanly: STARTTLS refused
//! or not offered, another protocol on the port, an endless banner.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::hostile::parse_client_hello;
use super::{TempDir, lab, read_hello};

/// Which mail protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Smtp,
    Imap,
    Pop3,
}

/// What TLS 1.0/1.1 clients get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Legacy {
    Refuse421,
    Accept,
    Reject,
}

/// Ways to fail before TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    None,
    /// STARTTLS answered with a refusal (SMTP 454, IMAP BAD, POP3 -ERR).
    RefuseStarttls,
    /// SMTP: EHLO does not list STARTTLS.
    NotOffered,
    /// These bytes instead of a greeting, then close (HTTP, a TLS alert).
    Foreign(Vec<u8>),
    /// A greeting that never ends (`220-…` lines), one line per `pause`.
    EndlessBanner {
        pause: Duration,
    },
    /// SMTP: STARTTLS answered with this line (CRLF added), e.g. a 454 carrying a
    /// control character.
    RefuseStarttlsWith(String),
    /// The greeting comes only after this long (a tarpit, an overloaded server).
    LateGreeting(Duration),
}

/// One lab mail server.
#[derive(Clone, Debug)]
pub struct Spec {
    pub proto: Proto,
    /// STARTTLS (`true`) or implicit TLS.
    pub starttls: bool,
    pub legacy: Legacy,
    pub misbehaviour: Misbehaviour,
    /// The name in greetings.
    pub name: &'static str,
}

impl Spec {
    pub fn new(proto: Proto, starttls: bool, legacy: Legacy) -> Self {
        Self {
            proto,
            starttls,
            legacy,
            misbehaviour: Misbehaviour::None,
            name: "lab.test",
        }
    }

    pub fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    pub fn misbehaving(mut self, m: Misbehaviour) -> Self {
        self.misbehaviour = m;
        self
    }
}

/// The refusal Exchange Online sends after a TLS 1.0/1.1 handshake on port 587
/// (shared/reference/proxies-and-mail.md §5).
pub const REFUSAL_421: &str = "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update \
your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls. [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]";

/// A running lab mail server; its helper processes end on drop.
pub struct MailServer {
    pub addr: SocketAddr,
    _socat: Option<Terminator>,
}

/// The certificate every lab mail server shows: RSA, signed by the lab CA, for the
/// Exchange Online mail names and the lab names (cert PEM with the CA, key PEM, DER
/// chain, PKCS#8 key DER).
pub struct MailCert {
    pub chain_pem: String,
    pub key_pem: String,
    pub chain_der: Vec<Vec<u8>>,
    pub key_der: Vec<u8>,
}

pub fn mail_cert() -> &'static MailCert {
    static CERT: std::sync::OnceLock<MailCert> = std::sync::OnceLock::new();
    CERT.get_or_init(|| {
        let pki = super::pki();
        let (cert_pem, key_pem) = pki.rsa_leaf_for(&[
            "smtp.office365.com",
            "smtp-legacy.office365.com",
            "outlook.office365.com",
        ]);
        let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes())
            .expect("cert PEM")
            .to_vec();
        let key_der = PrivatePkcs8KeyDer::from_pem_slice(key_pem.as_bytes())
            .expect("key PEM")
            .secret_pkcs8_der()
            .to_vec();
        MailCert {
            chain_pem: format!("{cert_pem}{}", pki.ca_pem),
            key_pem,
            chain_der: vec![cert_der, pki.ca_der.clone()],
            key_der,
        }
    })
}

/// Starts `spec` on 127.0.0.1, an ephemeral port.
pub fn mail_server(spec: Spec) -> MailServer {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    serve(spec, l)
}

/// Starts `spec` on `port` of a loopback address of its own (127.x.y.z, chosen so that
/// concurrent tests and test runs do not collide): the well-known mail ports need
/// their own address per server. Returns `None` (printed) when no address is free or
/// the port cannot be bound here (not root).
pub fn mail_server_on_port(spec: Spec, port: u16) -> Option<MailServer> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = std::process::id();
    for _ in 0..64 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let ip = Ipv4Addr::new(
            127,
            (100 + (base % 100)) as u8,
            ((base / 100) % 250) as u8 + 1,
            (n % 250) as u8 + 2,
        );
        match std::net::TcpListener::bind(SocketAddr::from((ip, port))) {
            Ok(l) => return Some(serve(spec, l)),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => {
                eprintln!("SKIPPED: cannot bind {ip}:{port}: {e} (the mail lab needs root)");
                return None;
            }
        }
    }
    eprintln!("SKIPPED: no free loopback address for port {port}");
    None
}

/// Starts `spec` at exactly `addr` (a second port on the address of another server).
pub fn mail_server_at(spec: Spec, addr: SocketAddr) -> Option<MailServer> {
    match std::net::TcpListener::bind(addr) {
        Ok(l) => Some(serve(spec, l)),
        Err(e) => {
            eprintln!("SKIPPED: cannot bind {addr}: {e}");
            None
        }
    }
}

fn serve(spec: Spec, listener: std::net::TcpListener) -> MailServer {
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("addr");
    let cert = mail_cert();
    let tls = rustls_acceptor(cert);
    let socat = match spec.legacy {
        Legacy::Reject => None,
        _ => Some(Terminator::start(&spec, cert)),
    };
    let legacy_at = socat.as_ref().map(|t| t.addr);
    let spec = Arc::new(spec);
    lab().spawn(async move {
        let listener = TcpListener::from_std(listener).expect("tokio listener");
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (spec, tls) = (spec.clone(), tls.clone());
            tokio::spawn(async move { connection(tcp, &spec, tls, legacy_at).await });
        }
    });
    MailServer {
        addr,
        _socat: socat,
    }
}

fn rustls_acceptor(cert: &MailCert) -> tokio_rustls::TlsAcceptor {
    let chain = cert
        .chain_der
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server config");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// One client connection: the plain-text dialogue, then TLS by the hello's version.
async fn connection(
    mut tcp: TcpStream,
    spec: &Spec,
    tls: tokio_rustls::TlsAcceptor,
    legacy_at: Option<SocketAddr>,
) {
    if let Some(m) = misbehave(&mut tcp, spec).await {
        return m;
    }
    if spec.starttls && !starttls(&mut tcp, spec).await {
        return;
    }
    let hello = read_hello(&mut tcp).await;
    let version = parse_client_hello(&hello).map_or(0, |h| h.version);
    match (version <= 0x0302, legacy_at) {
        (true, Some(at)) => {
            // OpenSSL terminates TLS 1.0/1.1; its plaintext comes back to `service`.
            let Ok(mut backend) = TcpStream::connect(at).await else {
                return;
            };
            if backend.write_all(&hello).await.is_ok() {
                let _ = tokio::io::copy_bidirectional(&mut tcp, &mut backend).await;
            }
        }
        _ => {
            let stream = Prefixed {
                prefix: hello,
                at: 0,
                inner: tcp,
            };
            if let Ok(mut session) = tls.accept(stream).await {
                service(&mut session, spec, false).await;
                let _ = session.shutdown().await;
            }
        }
    }
}

/// Sends what a misbehaving server sends instead of its dialogue; `Some` when that was
/// all.
async fn misbehave(tcp: &mut TcpStream, spec: &Spec) -> Option<()> {
    match &spec.misbehaviour {
        Misbehaviour::Foreign(bytes) => {
            let _ = tcp.write_all(bytes).await;
            let _ = tcp.shutdown().await;
            let _ = tcp.read(&mut [0u8; 256]).await;
            Some(())
        }
        Misbehaviour::EndlessBanner { pause } => {
            let line = format!("220-{} welcome, this banner never ends\r\n", spec.name);
            // Bounded on this side too: a few minutes of banner at most.
            for _ in 0..100_000 {
                if tcp.write_all(line.as_bytes()).await.is_err() {
                    break;
                }
                if !pause.is_zero() {
                    tokio::time::sleep(*pause).await;
                }
            }
            Some(())
        }
        _ => None,
    }
}

/// The plain-text dialogue up to a granted STARTTLS; `false` when the session ends.
async fn starttls(tcp: &mut TcpStream, spec: &Spec) -> bool {
    let refuse = matches!(
        spec.misbehaviour,
        Misbehaviour::RefuseStarttls | Misbehaviour::RefuseStarttlsWith(_)
    );
    if let Misbehaviour::LateGreeting(delay) = spec.misbehaviour {
        tokio::time::sleep(delay).await;
    }
    let greeting = greeting(spec);
    if tcp.write_all(greeting.as_bytes()).await.is_err() {
        return false;
    }
    loop {
        let Some(line) = read_line(tcp).await else {
            return false;
        };
        let (tag, verb) = split_command(spec.proto, &line);
        let reply = match (spec.proto, verb.as_str()) {
            (Proto::Smtp, "EHLO") => ehlo(spec, spec.misbehaviour != Misbehaviour::NotOffered),
            (Proto::Smtp, "STARTTLS") if refuse => match &spec.misbehaviour {
                Misbehaviour::RefuseStarttlsWith(line) => format!("{line}\r\n"),
                _ => "454 4.7.0 TLS not available due to local problem\r\n".into(),
            },
            (Proto::Smtp, "STARTTLS") => "220 2.0.0 SMTP server ready\r\n".into(),
            (Proto::Imap, "STARTTLS") if refuse => format!("{tag} BAD Command refused.\r\n"),
            (Proto::Imap, "STARTTLS") => format!("{tag} OK Begin TLS negotiation now.\r\n"),
            (Proto::Pop3, "STLS") if refuse => {
                "-ERR Command is not valid in this state.\r\n".into()
            }
            (Proto::Pop3, "STLS") => "+OK Begin TLS negotiation.\r\n".into(),
            _ => plain_answer(spec, &tag, &verb),
        };
        if tcp.write_all(reply.as_bytes()).await.is_err() {
            return false;
        }
        let granted = matches!(verb.as_str(), "STARTTLS" | "STLS") && !refuse;
        if granted {
            return true;
        }
        if matches!(verb.as_str(), "QUIT" | "LOGOUT") {
            return false;
        }
    }
}

fn greeting(spec: &Spec) -> String {
    match spec.proto {
        Proto::Smtp => format!(
            "220 {} Microsoft ESMTP MAIL Service ready at Sun, 6 Dec 2026 20:00:00 +0000\r\n",
            spec.name
        ),
        Proto::Imap => "* OK The Microsoft Exchange IMAP4 service is ready.\r\n".into(),
        Proto::Pop3 => "+OK The Microsoft Exchange POP3 service is ready.\r\n".into(),
    }
}

fn ehlo(spec: &Spec, with_starttls: bool) -> String {
    let mut r = format!(
        "250-{} Hello [127.0.0.1]\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n",
        spec.name
    );
    if with_starttls {
        r.push_str("250-STARTTLS\r\n");
    }
    r.push_str("250-AUTH LOGIN XOAUTH2\r\n250 SMTPUTF8\r\n");
    r
}

/// Answers to everything else, before or after TLS.
fn plain_answer(spec: &Spec, tag: &str, verb: &str) -> String {
    match (spec.proto, verb) {
        (Proto::Smtp, "QUIT") => "221 2.0.0 Service closing transmission channel\r\n".into(),
        (Proto::Smtp, _) => "500 5.3.3 Unrecognized command\r\n".into(),
        (Proto::Imap, "CAPABILITY") => format!(
            "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT \
             CHILDREN IDLE NAMESPACE LITERAL+\r\n{tag} OK CAPABILITY completed.\r\n"
        ),
        (Proto::Imap, "LOGOUT") => format!(
            "* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n{tag} OK LOGOUT completed.\r\n"
        ),
        (Proto::Imap, _) => format!("{tag} BAD Command Error. 10\r\n"),
        (Proto::Pop3, "CAPA") => "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nUSER\r\n.\r\n".into(),
        (Proto::Pop3, "QUIT") => {
            "+OK Microsoft Exchange Server POP3 server signing off.\r\n".into()
        }
        (Proto::Pop3, _) => "-ERR Protocol error. 14\r\n".into(),
    }
}

/// The service after the handshake. `legacy`: the session came through the TLS
/// 1.0/1.1 terminator.
async fn service<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, spec: &Spec, legacy: bool) {
    let refuse = legacy && spec.legacy == Legacy::Refuse421;
    if !spec.starttls && s.write_all(greeting(spec).as_bytes()).await.is_err() {
        return;
    }
    while let Some(line) = read_line(s).await {
        let (tag, verb) = split_command(spec.proto, &line);
        let reply = match (spec.proto, verb.as_str()) {
            (Proto::Smtp, "EHLO") if refuse => format!("{REFUSAL_421}\r\n"),
            (Proto::Imap, _) if refuse => "* BYE TLS 1.0 and 1.1 are not supported.\r\n".into(),
            (Proto::Pop3, _) if refuse => "-ERR TLS 1.0 and 1.1 are not supported.\r\n".into(),
            (Proto::Smtp, "EHLO") => ehlo(spec, false),
            _ => plain_answer(spec, &tag, &verb),
        };
        if s.write_all(reply.as_bytes()).await.is_err() || refuse {
            return;
        }
        if matches!(verb.as_str(), "QUIT" | "LOGOUT") {
            return;
        }
    }
}

/// (IMAP tag, upper-case verb) of a command line.
fn split_command(proto: Proto, line: &str) -> (String, String) {
    let mut words = line.split_ascii_whitespace();
    let tag = match proto {
        Proto::Imap => words.next().unwrap_or("").to_string(),
        _ => String::new(),
    };
    (tag, words.next().unwrap_or("").to_ascii_uppercase())
}

/// One line, byte by byte (never reads past it: the TLS hello follows STARTTLS).
async fn read_line<S: AsyncRead + Unpin>(s: &mut S) -> Option<String> {
    let mut line = Vec::new();
    loop {
        let b = s.read_u8().await.ok()?;
        if b == b'\n' {
            return Some(String::from_utf8_lossy(&line).trim_end().to_string());
        }
        if line.len() > 4096 {
            return None;
        }
        line.push(b);
    }
}

/// A stream that first yields bytes already read from it (the ClientHello).
struct Prefixed {
    prefix: Vec<u8>,
    at: usize,
    inner: TcpStream,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.at < self.prefix.len() {
            let n = (self.prefix.len() - self.at).min(buf.remaining());
            let at = self.at;
            buf.put_slice(&self.prefix[at..at + n]);
            self.at += n;
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// `socat` terminating TLS 1.0/1.1 with OpenSSL, relaying the plaintext to an
/// in-process [`service`] with `legacy` set; killed on drop.
struct Terminator {
    addr: SocketAddr,
    child: Child,
    _dir: TempDir,
}

impl Drop for Terminator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Terminator {
    fn start(spec: &Spec, cert: &MailCert) -> Self {
        let backend = std::net::TcpListener::bind("127.0.0.1:0").expect("bind backend");
        backend.set_nonblocking(true).expect("nonblocking");
        let backend_addr = backend.local_addr().expect("addr");
        let spec = Arc::new(spec.clone());
        lab().spawn(async move {
            let listener = TcpListener::from_std(backend).expect("tokio listener");
            loop {
                let Ok((mut plain, _)) = listener.accept().await else {
                    continue;
                };
                let spec = spec.clone();
                tokio::spawn(async move { service(&mut plain, &spec, true).await });
            }
        });
        let dir = TempDir::new("mail-socat");
        let (cert_file, key_file) = (dir.0.join("cert.pem"), dir.0.join("key.pem"));
        std::fs::write(&cert_file, &cert.chain_pem).expect("write cert");
        std::fs::write(&key_file, &cert.key_pem).expect("write key");
        // socat takes a port number only: borrow a free one from the kernel.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let listen = format!(
            "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={},key={},verify=0,\
             openssl-min-proto-version=TLS1,openssl-max-proto-version=TLS1.1,\
             cipher=DEFAULT:@SECLEVEL=0",
            cert_file.display(),
            key_file.display()
        );
        let child = Command::new("socat")
            .arg(listen)
            .arg(format!("TCP:{backend_addr}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat must be installed (apt-get install socat)");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(std::time::Instant::now() < deadline, "socat did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            addr,
            child,
            _dir: dir,
        }
    }
}

/// True when socat is installed; prints why not otherwise (CI installs it).
pub fn have_socat() -> bool {
    let ok = Command::new("socat").arg("-V").output().is_ok();
    if !ok {
        eprintln!(
            "SKIPPED: socat is not installed (apt-get install socat): no TLS 1.0/1.1 mail lab"
        );
    }
    ok
}
