//! The modern handshake: a complete TLS 1.2/1.3 handshake with rustls.
//!
//! It proves end to end that a current client gets through (the raw probe only sees
//! the ServerHello), and it is the only way to see a TLS 1.3 chain, which travels
//! encrypted. The verifier accepts every chain so the handshake completes even when the
//! chain is untrusted (an interception CA, a lab CA); judging the chain is the trust
//! stage's job (`trust.rs`), for chains from both probe paths alike.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConnection;
use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::conn::Conn;
use super::dial::dial;
use super::mail::{Channel, answer};
use super::outcome::{ConnectFailure, Outcome, ServiceAnswer, Timing, VersionProbe};
use super::proof::Proof;
use super::raw::ProbeTarget;
use crate::target::Host;
use crate::version::{TlsVersion, VersionRange};
use crate::wire::enums::{CipherSuite, ProtocolVersion};

/// Result of one modern handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModernHandshake {
    pub outcome: ModernOutcome,
    pub timing: Timing,
    /// The one version offered, for a handshake pinned to it (a proof follow-up);
    /// `None` for the handshake offering every modern version in the range.
    pub pinned: Option<TlsVersion>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModernOutcome {
    Completed {
        version: ProtocolVersion,
        cipher: CipherSuite,
        /// DER certificates as presented, leaf first.
        chain: Vec<Vec<u8>>,
        /// A mail service's answer after the handshake (the first line of its reply),
        /// which took the session; `None` for plain TLS.
        service: Option<String>,
    },
    /// The handshake completed, and then the mail service did not take the session
    /// (it refused, said nothing in time, or said something else): the version is not
    /// usable there, whatever the handshake says.
    Refused {
        version: ProtocolVersion,
        cipher: CipherSuite,
        chain: Vec<Vec<u8>>,
        answer: ServiceAnswer,
    },
    /// The server misbehaved once the handshake was under way (no key share, a bad
    /// signature, garbage, a close mid-handshake), as rustls words it: evidence that
    /// a claimed version cannot actually be used.
    Failed(String),
    /// The server refused rustls' hello (an alert) or they share nothing (suites,
    /// groups): rustls' limits, not the server's honesty.
    Incompatible(String),
    Timeout,
    Unreachable(ConnectFailure),
}

impl fmt::Display for ModernOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Completed {
                version, cipher, ..
            } => write!(f, "{version} {cipher}"),
            Self::Refused {
                version,
                cipher,
                answer,
                ..
            } => write!(f, "{version} {cipher}, then {answer}"),
            Self::Failed(e) => write!(f, "failed: {e}"),
            Self::Incompatible(e) => write!(f, "incompatible with rustls: {e}"),
            Self::Timeout => f.write_str("timeout"),
            Self::Unreachable(c) => write!(f, "unreachable: {c}"),
        }
    }
}

/// A reusable rustls client for one version range. Built once per scan: the config and
/// provider tables are shared by every handshake.
#[derive(Clone)]
pub struct ModernClient {
    /// Offers every modern version in the range.
    connector: Arc<ClientConfig>,
    /// Offer TLS 1.2 only / TLS 1.3 only, for proof follow-ups.
    tls12: Arc<ClientConfig>,
    tls13: Arc<ClientConfig>,
}

impl ModernClient {
    /// `None` when the range holds neither TLS 1.2 nor 1.3.
    pub fn new(range: VersionRange) -> Result<Option<Self>, String> {
        let versions: Vec<TlsVersion> = [TlsVersion::Tls12, TlsVersion::Tls13]
            .into_iter()
            .filter(|v| range.contains(*v))
            .collect();
        if versions.is_empty() {
            return Ok(None);
        }
        let provider = Arc::new(raw_tls13_order(crate::crypto::provider()));
        Ok(Some(Self {
            connector: connector(&provider, &versions)?,
            tls12: connector(&provider, &[TlsVersion::Tls12])?,
            tls13: connector(&provider, &[TlsVersion::Tls13])?,
        }))
    }

    /// A handshake offering every modern version in the range.
    pub async fn handshake(&self, target: ProbeTarget<'_>, timeout: Duration) -> ModernHandshake {
        self.timed(&self.connector, target, timeout, None).await
    }

    /// A handshake offering every modern version in the range, over a connection
    /// already open: the scheduler opens an address's first connection itself, to learn
    /// that the address takes connections before it starts the other probes.
    /// `connect_time` is what opening took, and `start` when it began. `chose` hears
    /// the version of the server's ServerHello as soon as it is read, before the
    /// handshake completes (the scheduler's raw TLS 1.3 probe waits on it).
    pub async fn handshake_over(
        &self,
        tcp: Conn,
        connect_time: Duration,
        target: ProbeTarget<'_>,
        timeout: Duration,
        start: Instant,
        chose: Option<ChosenVersion>,
    ) -> ModernHandshake {
        let mut timing = Timing {
            connect: Some(connect_time),
            ..Timing::default()
        };
        let opened = Opened { tcp, start, chose };
        let outcome = run_over(&self.connector, opened, target, timeout, &mut timing).await;
        timing.total = start.elapsed();
        ModernHandshake {
            outcome,
            timing,
            pinned: None,
        }
    }

    /// A handshake offering `version` alone (1.2 or 1.3): proves or disproves a raw
    /// probe's claim that the server accepts it.
    pub async fn handshake_at(
        &self,
        target: ProbeTarget<'_>,
        timeout: Duration,
        version: TlsVersion,
    ) -> ModernHandshake {
        let connector = match version {
            TlsVersion::Tls13 => &self.tls13,
            _ => &self.tls12,
        };
        self.timed(connector, target, timeout, Some(version)).await
    }

    async fn timed(
        &self,
        connector: &Arc<ClientConfig>,
        target: ProbeTarget<'_>,
        timeout: Duration,
        pinned: Option<TlsVersion>,
    ) -> ModernHandshake {
        let start = Instant::now();
        let mut timing = Timing::default();
        let outcome = run(connector, target, timeout, start, &mut timing).await;
        timing.total = start.elapsed();
        ModernHandshake {
            outcome,
            timing,
            pinned,
        }
    }
}

/// The provider with its TLS 1.3 suites in the order the raw TLS 1.3 probe offers them
/// (`wire::hello`: AES-128-GCM first, as browsers order them), so that both probes of
/// TLS 1.3 get the server's choice from the same preference, and a server that takes
/// the client's order negotiates SHA-256 (SHA-NI in hardware on current x86) rather
/// than rustls' first choice AES-256-GCM-SHA384, whose SHA-384 runs in software (2.3 %
/// of the scanner's CPU on the issue-18 bench, the servers' likewise). TLS 1.2 suites
/// keep rustls' order.
fn raw_tls13_order(mut provider: CryptoProvider) -> CryptoProvider {
    let raw: Vec<CipherSuite> = crate::wire::hello::cipher_suites(
        TlsVersion::Tls13,
        crate::wire::hello::HelloVariant::Full,
    )
    .filter(|s| s.is_tls13())
    .collect();
    // A stable sort: the TLS 1.3 suites (all in `raw`) first in its order, the rest
    // after them as they were.
    provider.cipher_suites.sort_by_key(|s| {
        let id = CipherSuite(u16::from(s.suite()));
        raw.iter().position(|r| *r == id).unwrap_or(raw.len())
    });
    provider
}

fn connector(
    provider: &Arc<CryptoProvider>,
    versions: &[TlsVersion],
) -> Result<Arc<ClientConfig>, String> {
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = versions
        .iter()
        .map(|v| match v {
            TlsVersion::Tls13 => &rustls::version::TLS13,
            _ => &rustls::version::TLS12,
        })
        .collect();
    let accept_any = accept_any_chain(provider);
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("rustls config: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(accept_any)
        .with_no_client_auth();
    // Every handshake must be a full one: resumption would skip the chain.
    config.resumption = Resumption::disabled();
    Ok(Arc::new(config))
}

/// Sorts a rustls error: refused or nothing in common (`Incompatible`), or the server
/// went wrong after the handshake started (`Failed`).
pub fn classify_error(e: &rustls::Error) -> ModernOutcome {
    use rustls::Error as E;
    match e {
        E::AlertReceived(_) | E::PeerIncompatible(_) => ModernOutcome::Incompatible(e.to_string()),
        _ => ModernOutcome::Failed(e.to_string()),
    }
}

/// How a handshake that did not complete ended, with whether the server's
/// ServerHello had been processed (the server had claimed a version by then).
enum Broken {
    Tls(rustls::Error),
    Timeout {
        after_hello: bool,
    },
    Closed {
        after_hello: bool,
    },
    Io {
        error: std::io::Error,
        after_hello: bool,
    },
}

impl Broken {
    fn outcome(self) -> ModernOutcome {
        match self {
            Self::Tls(e) => classify_error(&e),
            Self::Timeout { after_hello: true } => {
                ModernOutcome::Failed("the server stalled after its ServerHello".into())
            }
            Self::Timeout { after_hello: false } => ModernOutcome::Timeout,
            Self::Closed { after_hello: true } => {
                ModernOutcome::Failed("connection closed after the ServerHello".into())
            }
            Self::Closed { after_hello: false } => {
                ModernOutcome::Incompatible("connection closed without an answer".into())
            }
            Self::Io {
                error,
                after_hello: true,
            } => ModernOutcome::Failed(format!("after the ServerHello: {error}")),
            Self::Io { error, .. } => ModernOutcome::Incompatible(error.to_string()),
        }
    }
}

/// Drives a rustls client handshake over `tcp` by hand (instead of tokio-rustls), so
/// that a handshake that breaks can say whether the server had already answered with
/// a ServerHello: a server that claims a version and then stalls or hangs up has not
/// accepted it.
async fn drive(
    mut conn: ClientConnection,
    tcp: &mut Conn,
    deadline: tokio::time::Instant,
    mut chose: Option<ChosenVersion>,
) -> Result<ClientConnection, Broken> {
    // Reads into spare capacity (never zero-filled): the server's flight in one read.
    let mut buf = Vec::with_capacity(crate::probe::raw::READ_CHUNK);
    let mut out = Vec::new();
    loop {
        let after_hello = conn.protocol_version().is_some();
        // Everything rustls has to send, in one write: a flight is one segment.
        out.clear();
        while conn.wants_write() {
            if let Err(error) = conn.write_tls(&mut out) {
                return Err(Broken::Io { error, after_hello });
            }
        }
        if !out.is_empty()
            && let Err(error) = tcp.write_all(&out).await
        {
            return Err(Broken::Io { error, after_hello });
        }
        if !conn.is_handshaking() {
            return Ok(conn);
        }
        buf.clear();
        let n = match tokio::time::timeout_at(deadline, tcp.read_buf(&mut buf)).await {
            Err(_) => return Err(Broken::Timeout { after_hello }),
            Ok(Ok(0)) => return Err(Broken::Closed { after_hello }),
            Ok(Ok(n)) => n,
            Ok(Err(error)) => return Err(Broken::Io { error, after_hello }),
        };
        let mut rd = &buf[..n];
        while !rd.is_empty() {
            if let Err(error) = conn.read_tls(&mut rd) {
                return Err(Broken::Io { error, after_hello });
            }
            if let Err(e) = conn.process_new_packets() {
                // Send our alert, as a client would; the verdict does not depend on it.
                let mut out = Vec::new();
                let _ = conn.write_tls(&mut out);
                let _ = tcp.write_all(&out).await;
                return Err(Broken::Tls(e));
            }
            if let Some(v) = conn.protocol_version()
                && let Some(tx) = chose.take()
            {
                let _ = tx.send(ProtocolVersion(u16::from(v)));
            }
        }
    }
}

async fn run(
    config: &Arc<ClientConfig>,
    target: ProbeTarget<'_>,
    timeout: Duration,
    start: Instant,
    timing: &mut Timing,
) -> ModernOutcome {
    if let Err(e) = server_name(target.host) {
        return e;
    }
    let (tcp, connect_time) = match dial(target.route, target.mail, timeout).await {
        Ok(s) => s,
        Err(e) => return ModernOutcome::Unreachable(e),
    };
    timing.connect = Some(connect_time);
    let opened = Opened {
        tcp,
        start,
        chose: None,
    };
    run_over(config, opened, target, timeout, timing).await
}

/// Tells the version of the server's ServerHello, once read.
pub type ChosenVersion = tokio::sync::oneshot::Sender<ProtocolVersion>;

/// A connection open for the handshake: when opening began, and who wants to hear the
/// server's version early.
struct Opened {
    tcp: Conn,
    start: Instant,
    chose: Option<ChosenVersion>,
}

fn server_name(host: &Host) -> Result<ServerName<'static>, ModernOutcome> {
    match host {
        Host::Name(n) => ServerName::try_from(n.to_owned())
            .map_err(|e| ModernOutcome::Failed(format!("invalid server name: {e}"))),
        Host::Ip(ip) => Ok(ServerName::IpAddress((*ip).into())),
    }
}

/// The handshake proper, over an open connection, then a mail service's answer.
async fn run_over(
    config: &Arc<ClientConfig>,
    opened: Opened,
    target: ProbeTarget<'_>,
    timeout: Duration,
    timing: &mut Timing,
) -> ModernOutcome {
    let Opened {
        mut tcp,
        start,
        chose,
    } = opened;
    let server_name = match server_name(target.host) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let conn = match ClientConnection::new(config.clone(), server_name) {
        Ok(c) => c,
        Err(e) => return ModernOutcome::Failed(format!("rustls client: {e}")),
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let mut conn = match drive(conn, &mut tcp, deadline, chose).await {
        Ok(c) => c,
        Err(broken) => return broken.outcome(),
    };
    timing.handshake = Some(start.elapsed());
    let chain: Vec<Vec<u8>> = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.as_ref().to_vec()).collect())
        .unwrap_or_default();
    let version = conn
        .protocol_version()
        .map_or(ProtocolVersion(0), |v| ProtocolVersion(u16::from(v)));
    let cipher = conn
        .negotiated_cipher_suite()
        .map_or(CipherSuite(0), |s| CipherSuite(u16::from(s.suite())));
    let Some(mail) = target.mail else {
        return ModernOutcome::Completed {
            version,
            cipher,
            chain,
            service: None,
        };
    };
    let local = tcp.local_addr().ok();
    let mut session = Session {
        conn: &mut conn,
        tcp: &mut tcp,
        buf: vec![0u8; 16 * 1024],
    };
    served(
        version,
        cipher,
        chain,
        answer(&mut session, mail, local, timeout).await,
    )
}

/// The outcome of a handshake that completed, by the mail service's answer after it.
pub fn served(
    version: ProtocolVersion,
    cipher: CipherSuite,
    chain: Vec<Vec<u8>>,
    answer: ServiceAnswer,
) -> ModernOutcome {
    match answer {
        ServiceAnswer::Accepted(reply) => ModernOutcome::Completed {
            version,
            cipher,
            chain,
            service: Some(reply),
        },
        answer => ModernOutcome::Refused {
            version,
            cipher,
            chain,
            answer,
        },
    }
}

/// A completed rustls session as a [`Channel`] for the mail answer.
struct Session<'a> {
    conn: &'a mut ClientConnection,
    tcp: &'a mut Conn,
    buf: Vec<u8>,
}

impl Session<'_> {
    async fn flush(&mut self) -> std::io::Result<()> {
        while self.conn.wants_write() {
            let mut out = Vec::new();
            self.conn.write_tls(&mut out)?;
            self.tcp.write_all(&out).await?;
        }
        Ok(())
    }
}

impl Channel for Session<'_> {
    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        self.conn.writer().write_all(bytes)?;
        self.flush().await
    }

    async fn recv(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        use std::io::Read;
        loop {
            match self.conn.reader().read(out) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            let n = self.tcp.read(&mut self.buf).await?;
            if n == 0 {
                return Ok(0);
            }
            let mut rd = &self.buf[..n];
            while !rd.is_empty() {
                self.conn.read_tls(&mut rd)?;
                self.conn
                    .process_new_packets()
                    .map_err(|e| std::io::Error::other(format!("TLS: {e}")))?;
            }
            self.flush().await?;
        }
    }
}

/// A verifier that records nothing and accepts any chain, but checks handshake
/// signatures with `provider`'s algorithms.
pub fn accept_any_chain(provider: &CryptoProvider) -> Arc<dyn ServerCertVerifier> {
    Arc::new(AcceptAnyChain {
        algorithms: provider.signature_verification_algorithms,
    })
}

/// Accepts any chain (verification happens after the handshake, see module doc) but
/// still checks handshake signatures, so a completed handshake proves the server holds
/// the key of the leaf it showed.
#[derive(Debug)]
struct AcceptAnyChain {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyChain {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The versions whose raw claim still needs a handshake pinned to them:
///
/// - plain TLS: 1.2 / 1.3 claimed by the raw probe (accepted, but not proven by a
///   verified ServerKeyExchange), where the handshake offering every version did not
///   complete at that version;
/// - a mail target (`mail`): every version claimed, TLS 1.0/1.1 included (their
///   handshake is the legacy client's), where no handshake reached the service's answer
///   yet — a completed handshake does not say the service takes the version.
pub fn needs_pinned(
    raw: &[(TlsVersion, VersionProbe)],
    combined: Option<&ModernHandshake>,
    mail: bool,
) -> Vec<TlsVersion> {
    let reached = combined.and_then(|m| m.outcome.reached());
    raw.iter()
        .filter(|(v, p)| {
            let Outcome::Accepted(a) = &p.outcome else {
                return false;
            };
            let wanted = match mail {
                true => true,
                false => !v.is_legacy() && !matches!(a.proof, Proof::Verified(_)),
            };
            wanted && reached != Some(v.wire())
        })
        .map(|(v, _)| *v)
        .collect()
}

impl ModernOutcome {
    /// The version of a handshake that completed (whatever the service said after).
    pub fn reached(&self) -> Option<ProtocolVersion> {
        match self {
            Self::Completed { version, .. } | Self::Refused { version, .. } => Some(*version),
            _ => None,
        }
    }

    /// The chain of a handshake that completed.
    pub fn chain(&self) -> Option<&[Vec<u8>]> {
        match self {
            Self::Completed { chain, .. } | Self::Refused { chain, .. } => Some(chain),
            _ => None,
        }
    }
}
