//! The raw version probe: one hand-built ClientHello per version, over a plain TCP
//! socket, read until the verdict is known. This is how TLS 1.0/1.1 support is decided
//! (rustls cannot speak them), and it decides 1.2/1.3 the same way so that every
//! version is judged by one rule.

use std::time::{Duration, Instant};

use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::conn::Conn;
use super::dial::dial;
use super::net::{Route, is_reset};
use super::outcome::{Accepted, Outcome, ProbeError, Rejection, Timing, Try, VersionProbe};
use super::proof::{self, Offer, Proof, judge_claim};
use crate::mail::Mail;
use crate::target::Host;
use crate::version::TlsVersion;
use crate::wire::hello::{HelloSpec, HelloVariant, client_hello_record};
use crate::wire::reply::{FlightEnd, Progress, Reply, ReplyParser};

/// The most a server may send before we have a verdict. A first flight with a long
/// chain is ~10 KiB; anything past this is cut off rather than buffered.
pub const MAX_REPLY: usize = 128 * 1024;

/// The most read at a time: a whole first flight with a two-certificate chain (2–6
/// KiB) in one read. Reads go into the spare capacity of one buffer a probe
/// (`read_buf`), which is never zero-filled.
pub const READ_CHUNK: usize = 16 * 1024;

/// Where and what to probe.
#[derive(Clone, Copy, Debug)]
pub struct ProbeTarget<'a> {
    pub route: &'a Route,
    /// The name (sent as SNI) or IP literal (no SNI) being scanned.
    pub host: &'a Host,
    /// The mail protocol spoken around TLS (a STARTTLS preamble before it, the
    /// service's answer after a completed handshake); `None` for plain TLS.
    pub mail: Option<Mail>,
}

/// Probes one version, by the retry rules of DESIGN.md:
///
/// - a timeout (connect or read) is retried with the **same** hello, up to `retries`
///   times: a narrower hello must never turn a timeout into a rejection;
/// - a close, a reset or a handshake_failure alert is retried once with the compact
///   hello, whose answer is believed only when it is definite (an acceptance or a
///   refusal); otherwise the full hello's refusal stands.
///
/// Every connection's outcome is kept in `tries`.
pub async fn probe_version(
    target: ProbeTarget<'_>,
    version: TlsVersion,
    timeout: Duration,
    retries: u32,
) -> VersionProbe {
    let start = Instant::now();
    let mut tries = Vec::new();
    let (mut outcome, mut timing) = persist(
        target,
        version,
        HelloVariant::Full,
        timeout,
        retries,
        &mut tries,
    )
    .await;
    let mut variant = HelloVariant::Full;
    if outcome.wants_compact_retry() {
        let (compact, compact_timing) = persist(
            target,
            version,
            HelloVariant::Compact,
            timeout,
            0,
            &mut tries,
        )
        .await;
        if compact.is_definite() {
            (outcome, timing, variant) = (compact, compact_timing, HelloVariant::Compact);
        }
    }
    timing.total = start.elapsed();
    VersionProbe {
        outcome,
        variant,
        attempts: tries.len() as u32,
        tries,
        timing,
    }
}

/// One hello, sent again after a timeout (connect or read) up to `retries` times.
async fn persist(
    target: ProbeTarget<'_>,
    version: TlsVersion,
    variant: HelloVariant,
    timeout: Duration,
    retries: u32,
    tries: &mut Vec<Try>,
) -> (Outcome, Timing) {
    let mut left = retries;
    loop {
        let (outcome, timing) = attempt(target, version, variant, timeout).await;
        tries.push(Try {
            variant,
            outcome: outcome.clone(),
        });
        let timed_out = match &outcome {
            Outcome::Timeout { .. } => true,
            Outcome::Unreachable(c) => c.is_timeout(),
            _ => false,
        };
        if !timed_out || left == 0 {
            return (outcome, timing);
        }
        left -= 1;
    }
}

/// One connection, one hello, one verdict.
pub async fn attempt(
    target: ProbeTarget<'_>,
    version: TlsVersion,
    variant: HelloVariant,
    timeout: Duration,
) -> (Outcome, Timing) {
    let (random, entropy) = random_pair();
    let hello = client_hello_record(&HelloSpec {
        version,
        variant,
        server_name: target.host.server_name(),
        random,
        entropy,
        suites: None,
    });
    let offer = Offer::for_probe(version, variant, random);
    exchange(target, &hello, &offer, timeout).await
}

/// Sends `hello` (a whole record, built by the caller with `offer.client_random`) on a
/// new connection and reads the verdict: the one exchange every raw probe — version,
/// cipher enumeration, client profile — is made of.
pub async fn exchange(
    target: ProbeTarget<'_>,
    hello: &[u8],
    offer: &Offer,
    timeout: Duration,
) -> (Outcome, Timing) {
    let start = Instant::now();
    let mut timing = Timing::default();
    let (mut stream, connect_time) = match dial(target.route, target.mail, timeout).await {
        Ok(s) => s,
        Err(e) => {
            timing.total = start.elapsed();
            return (Outcome::Unreachable(e), timing);
        }
    };
    timing.connect = Some(connect_time);
    let deadline = tokio::time::Instant::now() + timeout;
    let outcome = match stream.write_all(hello).await {
        Err(e) if is_reset(&e) => Outcome::Rejected(Rejection::Reset),
        Err(e) => Outcome::Error(ProbeError::Io(e.to_string())),
        Ok(()) => read_verdict(&mut stream, offer, deadline, start, &mut timing).await,
    };
    if timing.first_byte.is_some() && !matches!(outcome, Outcome::Timeout { .. }) {
        timing.handshake = Some(start.elapsed());
    }
    timing.total = start.elapsed();
    (outcome, timing)
}

/// Fresh random values for a hello: (client random, entropy for a session id or an
/// x25519 key share).
pub fn fresh_randoms() -> ([u8; 32], [u8; 32]) {
    random_pair()
}

/// Reads until the reply is decided. Each chunk is decoded once, as it arrives.
async fn read_verdict(
    stream: &mut Conn,
    offer: &Offer,
    deadline: tokio::time::Instant,
    start: Instant,
    timing: &mut Timing,
) -> Outcome {
    let offered: Vec<_> = offer.versions.iter().map(|v| v.wire()).collect();
    let mut parser = ReplyParser::for_versions(offered);
    let mut chunk = Vec::with_capacity(READ_CHUNK);
    loop {
        if parser.received() >= MAX_REPLY {
            let too_large = Outcome::Error(ProbeError::TooLarge { limit: MAX_REPLY });
            let end = FlightEnd::TooLong(MAX_REPLY);
            return salvage(&mut parser, offer, too_large, deadline, end).await;
        }
        let room = (MAX_REPLY - parser.received()).min(READ_CHUNK);
        chunk.clear();
        let mut limited = (&mut *stream).take(room as u64);
        let read = limited.read_buf(&mut chunk);
        let read = tokio::time::timeout_at(deadline, read).await;
        let progress = match read {
            Err(_) => return at_deadline(&mut parser, offer, deadline).await,
            Ok(Ok(0)) => None,
            Ok(Ok(n)) => Some(parser.feed(&chunk[..n])),
            Ok(Err(e)) if is_reset(&e) && parser.received() == 0 => {
                return Outcome::Rejected(Rejection::Reset);
            }
            Ok(Err(e)) if is_reset(&e) => None,
            Ok(Err(e)) => {
                let failed = Outcome::Error(ProbeError::Io(e.to_string()));
                return salvage(&mut parser, offer, failed, deadline, FlightEnd::Closed).await;
            }
        };
        if timing.first_byte.is_none() && parser.received() > 0 {
            timing.first_byte = Some(start.elapsed());
        }
        // `None`: the connection ended.
        let progress = progress.unwrap_or_else(|| parser.finish());
        match progress {
            Progress::Done(reply) => return judge_in_time(reply, offer, deadline).await,
            Progress::Malformed(m) => return Outcome::Error(ProbeError::Malformed(m)),
            Progress::NeedMore if parser.is_finished() => {
                return Outcome::Rejected(Rejection::Closed);
            }
            Progress::NeedMore => {}
        }
    }
}

/// The deadline passed: a timeout, unless a hello already came (its flight stalled)
/// or a warning alert did and nothing after it.
async fn at_deadline(
    parser: &mut ReplyParser,
    offer: &Offer,
    deadline: tokio::time::Instant,
) -> Outcome {
    match parser.stalled() {
        Some(Reply::Alert { description, .. }) => {
            Outcome::Rejected(Rejection::WarningThenSilence(description))
        }
        Some(reply) => judge_in_time(reply, offer, deadline).await,
        None => Outcome::Timeout {
            bytes_received: parser.received(),
        },
    }
}

/// The verdict from a ServerHello already received, its flight ended as `end`, else
/// `otherwise`: a reply that fails after the server has said which version it takes
/// still answers the question.
async fn salvage(
    parser: &mut ReplyParser,
    offer: &Offer,
    otherwise: Outcome,
    deadline: tokio::time::Instant,
    end: FlightEnd,
) -> Outcome {
    match parser.stalled() {
        Some(Reply::Hello(mut hello)) => {
            if hello.flight == FlightEnd::Stalled {
                hello.flight = end;
            }
            judge_in_time(Reply::Hello(hello), offer, deadline).await
        }
        _ => otherwise,
    }
}

/// Time a signature check gets even when the reply came at the very end of the
/// probe's deadline (a normal check takes well under a millisecond).
const VERIFY_FLOOR: Duration = Duration::from_millis(100);

/// [`judge`], with the signature check counted against the probe's deadline. A
/// ServerKeyExchange signed by a key whose check is cheap (EC, Ed25519, RSA up to 4096
/// bits with e ≤ 65537: under a millisecond, `proof::cheap_to_verify`) is judged here;
/// one by a bigger key is judged on a blocking thread (CPU work that must not stall the
/// async workers) under the deadline (at least [`VERIFY_FLOOR`] from now). A check that
/// does not finish in time leaves the claim unproven, so no server can make one probe
/// cost more than `--timeout` — the key-size bounds of `probe/proof.rs` make a real
/// check far cheaper than that anyway. Judging the common case inline saves the hand-off
/// to the blocking pool (a thread wake-up) and a copy of the flight per proven claim.
async fn judge_in_time(reply: Reply, offer: &Offer, deadline: tokio::time::Instant) -> Outcome {
    let hello = match &reply {
        Reply::Hello(h)
            if h.key_exchange.is_some()
                && offer.offered(h.version).is_some()
                && h.certificates
                    .first()
                    .is_some_and(|leaf| !proof::cheap_to_verify(leaf)) =>
        {
            h.clone()
        }
        _ => return judge(reply, offer),
    };
    let until = deadline.max(tokio::time::Instant::now() + VERIFY_FLOOR);
    let task = {
        let offer = offer.clone();
        tokio::task::spawn_blocking(move || judge(reply, &offer))
    };
    match tokio::time::timeout_at(until, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        _ => Outcome::Accepted(Accepted {
            version: hello.version,
            cipher: hello.cipher,
            retry_request: hello.retry_request,
            chain: hello.certificates,
            downgrade_sentinel: hello.downgrade_sentinel,
            proof: Proof::Unproven(
                "the ServerKeyExchange signature could not be checked within --timeout".into(),
            ),
        }),
    }
}

/// Turns the server's answer into a verdict on the offered version; an acceptance
/// carries its proof (see `proof.rs`).
pub fn judge(reply: Reply, offer: &Offer) -> Outcome {
    match reply {
        Reply::Hello(h) if offer.offered(h.version).is_some() => {
            let proof = judge_claim(&h, offer);
            Outcome::Accepted(Accepted {
                version: h.version,
                cipher: h.cipher,
                retry_request: h.retry_request,
                chain: h.certificates,
                downgrade_sentinel: h.downgrade_sentinel,
                proof,
            })
        }
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
