//! What one probe found, as data. These types are the contract between the probe
//! engine and everything downstream (classification into cells, reports, policy).

use std::fmt;
use std::time::Duration;

use super::proof::Proof;
use crate::mail::MailProtocol;
use crate::wire::enums::{AlertDescription, CipherSuite, ProtocolVersion};
use crate::wire::hello::HelloVariant;
use crate::wire::reply::Malformed;

/// The verdict on one TLS version at one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server negotiated the offered version.
    Accepted(Accepted),
    /// The server answered, and the answer was no.
    Rejected(Rejection),
    /// Connected, but the server never finished answering before the deadline. Kept
    /// apart from rejections: a dropping firewall and a slow server look the same.
    Timeout { bytes_received: usize },
    /// No TCP connection.
    Unreachable(ConnectFailure),
    /// The exchange failed in a way that says nothing about the version.
    Error(ProbeError),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub version: ProtocolVersion,
    pub cipher: CipherSuite,
    /// TLS 1.3 answered with a HelloRetryRequest (it wants another key share): the
    /// version is supported.
    pub retry_request: bool,
    /// DER certificates, leaf first, when the version sends them in clear text.
    pub chain: Vec<Vec<u8>>,
    /// The ServerHello carried the TLS 1.3 downgrade sentinel: the server can do
    /// TLS 1.3 but was offered less.
    pub downgrade_sentinel: bool,
    /// How far the claim is proven (see `proof.rs`).
    pub proof: Proof,
}

/// How a server refused a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// An alert before any ServerHello.
    Alert(AlertDescription),
    /// The server picked another version than the only one offered. A higher one is
    /// non-compliant, and is still a rejection of the offered version.
    OtherVersion(ProtocolVersion),
    /// Orderly close (FIN) before any answer.
    Closed,
    /// Connection reset (RST) before any answer.
    Reset,
    /// A warning alert, then nothing until the deadline.
    WarningThenSilence(AlertDescription),
}

/// Why no connection to the target was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectFailure {
    Refused,
    Timeout,
    NoRoute,
    Other(String),
    /// The proxy itself could not be reached, failed the tunnel exchange, or could
    /// not reach the target (502/503/504, a SOCKS5 "host unreachable").
    Proxy(String),
    /// The proxy refused the tunnel: a 407, 403 or redirect, or a SOCKS5 refusal.
    /// Nothing was probed behind it.
    ProxyRefused(Box<crate::proxy::answer::Refusal>),
    /// Connected, but the mail server's plain-text dialogue before TLS failed (it
    /// refused or does not offer STARTTLS, is not the protocol it was told, or said
    /// nothing in time): no TLS can start on this address.
    Starttls(StarttlsFailure),
}

impl ConnectFailure {
    /// A timeout before any TLS byte was sent (connect, or the STARTTLS dialogue): a
    /// probe retries these with the same hello.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout => true,
            Self::Starttls(s) => s.timeout,
            _ => false,
        }
    }
}

/// Why the STARTTLS dialogue failed, in words quoting the server (exactly: sinks
/// escape).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarttlsFailure {
    pub protocol: MailProtocol,
    pub why: String,
    /// The server did not answer in time.
    pub timeout: bool,
}

/// What a mail service said after a completed TLS handshake (see `wire/mail.rs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceAnswer {
    /// It took the session: the first line of its reply.
    Accepted(String),
    /// It refused the session (a negative reply, or it hung up without one): the reply
    /// or what happened. Microsoft's `421 4.7.66 TLS 1.0 and 1.1 are not supported…`.
    Refused(String),
    /// No answer in time.
    Timeout,
    /// An answer that is not the protocol, too long, or a socket or TLS error.
    Error(String),
}

impl fmt::Display for ServiceAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accepted(r) => write!(f, "accepted by the service: {r}"),
            Self::Refused(r) => write!(f, "refused by the service after the handshake: {r}"),
            Self::Timeout => f.write_str("no answer from the service after the handshake"),
            Self::Error(e) => write!(f, "the service's answer after the handshake: {e}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeError {
    /// The reply is not TLS; the excerpt shows what it is.
    NotTls { excerpt: String },
    /// The reply looked like TLS but could not be decoded.
    Malformed(Malformed),
    /// The server kept sending past the reply size limit without a verdict.
    TooLarge { limit: usize },
    /// A socket error other than reset, while sending or reading.
    Io(String),
}

/// Coarse state of a version cell in reports: the CSV vocabulary of DESIGN.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CellState {
    Accepted,
    Rejected,
    Timeout,
    Unreachable,
    /// This machine has no route to the address's family (see DESIGN.md).
    NoRoute,
    /// A mail service completed the handshake at the version, then refused the session
    /// (DESIGN.md "Mail endpoints"): a rejection of the version, never an acceptance.
    Refused,
    Error,
    Skipped,
    /// In the range, but not probed: the proxy refused the tunnel (the record's
    /// finding says how: `proxy-auth-required`, `proxy-denied`, `proxy-redirect`).
    NotProbed,
}

impl CellState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
            Self::NoRoute => "no-route",
            Self::Refused => "refused",
            Self::Error => "error",
            Self::Skipped => "skipped",
            Self::NotProbed => "not-probed",
        }
    }
}

impl Outcome {
    pub fn state(&self) -> CellState {
        match self {
            Self::Accepted(_) => CellState::Accepted,
            Self::Rejected(_) => CellState::Rejected,
            Self::Timeout { .. } => CellState::Timeout,
            // Behind a proxy that refused the tunnel, nothing was probed.
            Self::Unreachable(ConnectFailure::ProxyRefused(_)) => CellState::NotProbed,
            // A mail server that never got to TLS: silent, or an error of the dialogue.
            Self::Unreachable(ConnectFailure::Starttls(s)) if s.timeout => CellState::Timeout,
            Self::Unreachable(ConnectFailure::Starttls(_)) => CellState::Error,
            Self::Unreachable(ConnectFailure::NoRoute) => CellState::NoRoute,
            Self::Unreachable(_) => CellState::Unreachable,
            Self::Error(_) => CellState::Error,
        }
    }

    /// Refusals that may come from a fragile stack choking on the full hello (its
    /// length, its suite count, an extension) rather than from the version: worth a
    /// second try with the compact hello before they are believed.
    pub fn wants_compact_retry(&self) -> bool {
        matches!(
            self,
            Self::Rejected(
                Rejection::Closed
                    | Rejection::Reset
                    | Rejection::Alert(AlertDescription::HANDSHAKE_FAILURE)
            )
        )
    }

    /// A definite answer about the version: an acceptance or a refusal.
    pub fn is_definite(&self) -> bool {
        matches!(self, Self::Accepted(_) | Self::Rejected(_))
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Before any ServerHello, and not a warning: a fatal alert. An undefined
            // description says so in words: `alert 255 (unknown), fatal`.
            Self::Alert(a) if a.name().is_none() => write!(f, "alert {}, fatal", a.label()),
            Self::Alert(a) => write!(f, "alert {}", a.label()),
            Self::OtherVersion(v) => write!(f, "server chose {v}"),
            Self::Closed => f.write_str("closed"),
            Self::Reset => f.write_str("reset"),
            Self::WarningThenSilence(a) => match a.name() {
                Some(n) => write!(f, "alert {n} ({}, warning), then silence", a.0),
                None => write!(f, "alert {} (unknown, warning), then silence", a.0),
            },
        }
    }
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused => f.write_str("connection refused"),
            Self::Timeout => f.write_str("connect timeout"),
            Self::NoRoute => f.write_str("no route to host"),
            Self::Other(e) => write!(f, "connect failed: {e}"),
            Self::Proxy(e) => f.write_str(e),
            Self::ProxyRefused(r) => write!(f, "{r}"),
            Self::Starttls(s) => write!(f, "{} STARTTLS: {}", s.protocol, s.why),
        }
    }
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotTls { excerpt } => write!(f, "not TLS: \"{excerpt}\""),
            Self::Malformed(m) => write!(f, "malformed reply: {m}"),
            Self::TooLarge { limit } => write!(f, "reply exceeds {limit} bytes without a verdict"),
            Self::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl fmt::Display for Outcome {
    /// One short phrase per outcome, as table cells and CSV details show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accepted(a) if a.retry_request => write!(f, "accepted (HelloRetryRequest)"),
            Self::Accepted(_) => f.write_str("accepted"),
            Self::Rejected(r) => write!(f, "rejected: {r}"),
            Self::Timeout { bytes_received: 0 } => f.write_str("timeout: no answer"),
            Self::Timeout { bytes_received } => {
                write!(f, "timeout: answer stalled after {bytes_received} bytes")
            }
            Self::Unreachable(ConnectFailure::ProxyRefused(r)) => write!(f, "not probed: {r}"),
            Self::Unreachable(c @ ConnectFailure::Starttls(s)) if s.timeout => {
                write!(f, "timeout: {c}")
            }
            Self::Unreachable(c @ ConnectFailure::Starttls(_)) => write!(f, "error: {c}"),
            Self::Unreachable(c) => write!(f, "unreachable: {c}"),
            Self::Error(e) => write!(f, "error: {e}"),
        }
    }
}

/// Where the time of one probe went, each measured from the probe's start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// TCP connected (through a proxy: tunnel established).
    pub connect: Option<Duration>,
    /// First reply byte (raw probe only; rustls does not expose it).
    pub first_byte: Option<Duration>,
    /// The verdict was known (raw probe) or the handshake completed (rustls).
    pub handshake: Option<Duration>,
    /// Everything, retries included.
    pub total: Duration,
}

/// One connection of a version probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Try {
    pub variant: HelloVariant,
    pub outcome: Outcome,
}

/// A raw version probe's result: the believed outcome, and how it was obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionProbe {
    pub outcome: Outcome,
    /// The hello variant whose answer is `outcome`.
    pub variant: HelloVariant,
    /// Connections made: 1, or more when an answer was retried.
    pub attempts: u32,
    /// Every connection's outcome, in order (the believed one among them).
    pub tries: Vec<Try>,
    pub timing: Timing,
}

impl VersionProbe {
    /// A probe not sent: every other probe at the address, the modern handshake
    /// included, timed out (see `scan.rs`, `Tls13Raw::Silent`). No attempt was made,
    /// and the cell says what the address did: no answer.
    pub fn not_sent_to_silent() -> Self {
        Self {
            outcome: Outcome::Timeout { bytes_received: 0 },
            variant: HelloVariant::Full,
            attempts: 0,
            tries: Vec::new(),
            timing: Timing::default(),
        }
    }

    /// The first attempt's outcome, when there was more than one attempt.
    pub fn first_outcome(&self) -> Option<&Outcome> {
        let first = &self.tries.first()?.outcome;
        (self.tries.len() > 1).then_some(first)
    }
}
