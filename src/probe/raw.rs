//! The raw version probe: one hand-built ClientHello per version, over a plain TCP
//! socket, read until the verdict is known. This is how TLS 1.0/1.1 support is decided
//! (rustls cannot speak them), and it decides 1.2/1.3 the same way so that every
//! version is judged by one rule.

use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::net::{Route, is_reset, open};
use super::outcome::{
    Accepted, ConnectFailure, Outcome, ProbeError, Rejection, Timing, VersionProbe,
};
use crate::target::Host;
use crate::version::TlsVersion;
use crate::wire::enums::ProtocolVersion;
use crate::wire::hello::{HelloSpec, HelloVariant, client_hello_record};
use crate::wire::reply::{Progress, Reply, parse_reply};

/// The most a server may send before we have a verdict. A first flight with a long
/// chain is ~10 KiB; anything past this is cut off rather than buffered.
pub const MAX_REPLY: usize = 128 * 1024;

/// Where and what to probe.
#[derive(Clone, Copy, Debug)]
pub struct ProbeTarget<'a> {
    pub route: &'a Route,
    /// The name (sent as SNI) or IP literal (no SNI) being scanned.
    pub host: &'a Host,
}

/// Probes one version. A doubtful answer (close, reset, timeout) is tried again with
/// the compact hello before it is believed; a timeout is retried up to `retries` times
/// in all (`retries` = 0 believes the first timeout). The last answer is the verdict.
pub async fn probe_version(
    target: ProbeTarget<'_>,
    version: TlsVersion,
    timeout: Duration,
    retries: u32,
) -> VersionProbe {
    let start = Instant::now();
    let (mut first, mut timing) = attempt(target, version, HelloVariant::Full, timeout).await;
    let mut attempts = 1;
    // A connect timeout is retried as it is (the hello played no part in it).
    while first == Outcome::Unreachable(ConnectFailure::Timeout) && attempts <= retries {
        attempts += 1;
        (first, timing) = attempt(target, version, HelloVariant::Full, timeout).await;
    }
    let is_timeout = |o: &Outcome| matches!(o, Outcome::Timeout { .. });
    if !first.is_doubtful() || (is_timeout(&first) && retries == 0) {
        timing.total = start.elapsed();
        return VersionProbe {
            outcome: first,
            variant: HelloVariant::Full,
            attempts,
            first_outcome: None,
            timing,
        };
    }
    let mut timeouts_left = retries.saturating_sub(u32::from(is_timeout(&first)));
    attempts += 1;
    let (mut last, mut last_timing) =
        attempt(target, version, HelloVariant::Compact, timeout).await;
    while is_timeout(&last) && timeouts_left > 0 {
        timeouts_left -= 1;
        attempts += 1;
        (last, last_timing) = attempt(target, version, HelloVariant::Compact, timeout).await;
    }
    last_timing.total = start.elapsed();
    VersionProbe {
        outcome: last,
        variant: HelloVariant::Compact,
        attempts,
        first_outcome: Some(first),
        timing: last_timing,
    }
}

/// One connection, one hello, one verdict.
pub async fn attempt(
    target: ProbeTarget<'_>,
    version: TlsVersion,
    variant: HelloVariant,
    timeout: Duration,
) -> (Outcome, Timing) {
    let start = Instant::now();
    let mut timing = Timing::default();
    let (mut stream, connect_time) = match open(target.route, timeout).await {
        Ok(s) => s,
        Err(e) => {
            timing.total = start.elapsed();
            return (Outcome::Unreachable(e), timing);
        }
    };
    timing.connect = Some(connect_time);
    let (random, entropy) = random_pair();
    let hello = client_hello_record(&HelloSpec {
        version,
        variant,
        server_name: target.host.server_name(),
        random,
        entropy,
    });
    let deadline = tokio::time::Instant::now() + timeout;
    let outcome = match stream.write_all(&hello).await {
        Err(e) if is_reset(&e) => Outcome::Rejected(Rejection::Reset),
        Err(e) => Outcome::Error(ProbeError::Io(e.to_string())),
        Ok(()) => read_verdict(&mut stream, version.wire(), deadline, start, &mut timing).await,
    };
    if timing.first_byte.is_some() && !matches!(outcome, Outcome::Timeout { .. }) {
        timing.handshake = Some(start.elapsed());
    }
    timing.total = start.elapsed();
    (outcome, timing)
}

async fn read_verdict(
    stream: &mut TcpStream,
    offered: ProtocolVersion,
    deadline: tokio::time::Instant,
    start: Instant,
    timing: &mut Timing,
) -> Outcome {
    let mut buf: Vec<u8> = Vec::with_capacity(8 * 1024);
    loop {
        let read = tokio::time::timeout_at(deadline, stream.read_buf(&mut buf)).await;
        let eof = match read {
            Err(_) => return at_deadline(&buf, offered),
            Ok(Ok(0)) => true,
            Ok(Ok(_)) => false,
            Ok(Err(e)) if is_reset(&e) && buf.is_empty() => {
                return Outcome::Rejected(Rejection::Reset);
            }
            Ok(Err(e)) if is_reset(&e) => true,
            Ok(Err(e)) => {
                return salvage(&buf, offered, Outcome::Error(ProbeError::Io(e.to_string())));
            }
        };
        if timing.first_byte.is_none() && !buf.is_empty() {
            timing.first_byte = Some(start.elapsed());
        }
        if eof && buf.is_empty() {
            return Outcome::Rejected(Rejection::Closed);
        }
        match parse_reply(&buf, offered, eof) {
            Progress::Done(reply) => return judge(reply, offered),
            Progress::Malformed(m) => return Outcome::Error(ProbeError::Malformed(m)),
            Progress::NeedMore if buf.len() >= MAX_REPLY => {
                return salvage(
                    &buf,
                    offered,
                    Outcome::Error(ProbeError::TooLarge { limit: MAX_REPLY }),
                );
            }
            Progress::NeedMore => {
                // Never let one read grow the buffer past the limit.
                let room = MAX_REPLY - buf.len();
                buf.reserve(room.min(16 * 1024));
            }
        }
    }
}

/// The deadline passed: a timeout, unless an accepting ServerHello already came (the
/// server stalled while sending its chain).
fn at_deadline(buf: &[u8], offered: ProtocolVersion) -> Outcome {
    salvage(
        buf,
        offered,
        Outcome::Timeout {
            bytes_received: buf.len(),
        },
    )
}

/// The verdict from a ServerHello already received, else `otherwise`: a reply that
/// fails after the server has said which version it takes still answers the question.
fn salvage(buf: &[u8], offered: ProtocolVersion, otherwise: Outcome) -> Outcome {
    match parse_reply(buf, offered, true) {
        Progress::Done(reply @ Reply::Hello(_)) => judge(reply, offered),
        _ => otherwise,
    }
}

/// Turns the server's answer into a verdict on the offered version.
pub fn judge(reply: Reply, offered: ProtocolVersion) -> Outcome {
    match reply {
        Reply::Hello(h) if h.version == offered => Outcome::Accepted(Accepted {
            version: h.version,
            cipher: h.cipher,
            retry_request: h.retry_request,
            chain: h.certificates,
            downgrade_sentinel: h.downgrade_sentinel,
        }),
        Reply::Hello(h) => Outcome::Rejected(Rejection::OtherVersion(h.version)),
        Reply::Alert { description, .. } => Outcome::Rejected(Rejection::Alert(description)),
        Reply::NotTls { excerpt } => Outcome::Error(ProbeError::NotTls { excerpt }),
    }
}

/// Hello random and entropy from one OS RNG call.
fn random_pair() -> ([u8; 32], [u8; 32]) {
    let mut buf = [0u8; 64];
    // The OS RNG failing is not something a probe can fix; a fixed pattern still
    // yields a well-formed hello (no verdict depends on the values being secret).
    if SystemRandom::new().fill(&mut buf).is_err() {
        buf = [0x5a; 64];
    }
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    a.copy_from_slice(&buf[..32]);
    b.copy_from_slice(&buf[32..]);
    (a, b)
}
