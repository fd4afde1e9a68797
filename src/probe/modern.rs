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

use rustls::client::Resumption;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::net::open;
use super::outcome::{ConnectFailure, Timing};
use super::raw::ProbeTarget;
use crate::target::Host;
use crate::version::{TlsVersion, VersionRange};
use crate::wire::enums::{CipherSuite, ProtocolVersion};

/// Result of one modern handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModernHandshake {
    pub outcome: ModernOutcome,
    pub timing: Timing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModernOutcome {
    Completed {
        version: ProtocolVersion,
        cipher: CipherSuite,
        /// DER certificates as presented, leaf first.
        chain: Vec<Vec<u8>>,
    },
    /// The handshake failed: a TLS alert or a protocol error, as rustls words it.
    Failed(String),
    Timeout,
    Unreachable(ConnectFailure),
}

impl fmt::Display for ModernOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Completed {
                version, cipher, ..
            } => write!(f, "{version} {cipher}"),
            Self::Failed(e) => write!(f, "failed: {e}"),
            Self::Timeout => f.write_str("timeout"),
            Self::Unreachable(c) => write!(f, "unreachable: {c}"),
        }
    }
}

/// A reusable rustls client for one version range. Built once per scan: the config and
/// provider tables are shared by every handshake.
#[derive(Clone)]
pub struct ModernClient {
    connector: TlsConnector,
}

impl ModernClient {
    /// `None` when the range holds neither TLS 1.2 nor 1.3.
    pub fn new(range: VersionRange) -> Result<Option<Self>, String> {
        let mut versions = Vec::new();
        if range.contains(TlsVersion::Tls12) {
            versions.push(&rustls::version::TLS12);
        }
        if range.contains(TlsVersion::Tls13) {
            versions.push(&rustls::version::TLS13);
        }
        if versions.is_empty() {
            return Ok(None);
        }
        let provider = Arc::new(crate::crypto::provider());
        let accept_any = accept_any_chain(&provider);
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&versions)
            .map_err(|e| format!("rustls config: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(accept_any)
            .with_no_client_auth();
        // Every handshake must be a full one: resumption would skip the chain.
        config.resumption = Resumption::disabled();
        Ok(Some(Self {
            connector: TlsConnector::from(Arc::new(config)),
        }))
    }

    pub async fn handshake(&self, target: ProbeTarget<'_>, timeout: Duration) -> ModernHandshake {
        let start = Instant::now();
        match open(target.route, timeout).await {
            Ok((tcp, connect_time)) => {
                self.handshake_over(tcp, connect_time, target.host, timeout, start)
                    .await
            }
            Err(e) => ModernHandshake {
                outcome: ModernOutcome::Unreachable(e),
                timing: Timing {
                    total: start.elapsed(),
                    ..Timing::default()
                },
            },
        }
    }

    /// The handshake over a connection already open (the scheduler opens the first
    /// connection of an address itself, to learn that the address takes connections
    /// before it starts the other probes). `connect_time` is what opening took, and
    /// `start` when it began.
    pub async fn handshake_over(
        &self,
        tcp: TcpStream,
        connect_time: Duration,
        host: &Host,
        timeout: Duration,
        start: Instant,
    ) -> ModernHandshake {
        let mut timing = Timing {
            connect: Some(connect_time),
            ..Timing::default()
        };
        let outcome = self.run(tcp, host, timeout, start, &mut timing).await;
        timing.total = start.elapsed();
        ModernHandshake { outcome, timing }
    }

    async fn run(
        &self,
        tcp: TcpStream,
        host: &Host,
        timeout: Duration,
        start: Instant,
        timing: &mut Timing,
    ) -> ModernOutcome {
        let server_name = match host {
            Host::Name(n) => match ServerName::try_from(n.to_owned()) {
                Ok(s) => s,
                Err(e) => return ModernOutcome::Failed(format!("invalid server name: {e}")),
            },
            Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
        };
        let handshake = self.connector.connect(server_name, tcp);
        let tls = match tokio::time::timeout(timeout, handshake).await {
            Err(_) => return ModernOutcome::Timeout,
            Ok(Err(e)) => return ModernOutcome::Failed(e.to_string()),
            Ok(Ok(s)) => s,
        };
        timing.handshake = Some(start.elapsed());
        let (_, conn) = tls.get_ref();
        let chain: Vec<CertificateDer<'static>> = conn
            .peer_certificates()
            .map(|c| c.to_vec())
            .unwrap_or_default();
        ModernOutcome::Completed {
            version: conn
                .protocol_version()
                .map_or(ProtocolVersion(0), |v| ProtocolVersion(u16::from(v))),
            cipher: conn
                .negotiated_cipher_suite()
                .map_or(CipherSuite(0), |s| CipherSuite(u16::from(s.suite()))),
            chain: chain.iter().map(|c| c.as_ref().to_vec()).collect(),
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
