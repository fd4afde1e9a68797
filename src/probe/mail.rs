//! The mail dialogues on the wire: `wire/mail.rs`'s state machine driven over a
//! [`Channel`] — the plain TCP connection for the STARTTLS preamble, a completed TLS
//! session (rustls, or the legacy client of `legacy.rs`) for the service's answer.
//!
//! Time: each dialogue has its own deadline of `--timeout` (the preamble from the
//! moment the connection is open, the answer from the end of the handshake), so a
//! silent or trickling server costs one timeout per phase, never more.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::net::is_reset;
use super::outcome::{ServiceAnswer, StarttlsFailure};
use crate::mail::{Mail, MailProtocol};
use crate::wire::mail::{Dialogue, Step, Verdict};

/// A byte channel a dialogue runs over.
pub trait Channel {
    /// Sends every byte.
    fn send(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>> + Send;
    /// Receives the next bytes into `buf`; `Ok(0)` when the peer closed.
    fn recv(&mut self, buf: &mut [u8]) -> impl Future<Output = io::Result<usize>> + Send;
}

impl Channel for TcpStream {
    async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes).await
    }

    async fn recv(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read(buf).await
    }
}

/// How a dialogue ended on the wire.
#[derive(Debug)]
pub enum Ended {
    Verdict(Verdict),
    /// The deadline passed, waiting for the server's `waiting_for`.
    Timeout,
    /// The peer reset the connection.
    Reset,
    Io(String),
}

/// Runs `d` over `ch` until it has a verdict, the deadline passes or the channel fails.
pub async fn converse<C: Channel>(
    d: &mut Dialogue,
    ch: &mut C,
    deadline: tokio::time::Instant,
) -> Ended {
    let mut buf = vec![0u8; 4096];
    let mut step = d.start();
    loop {
        step = match step {
            Step::Done(v) => return Ended::Verdict(v),
            Step::Send(bytes) => match tokio::time::timeout_at(deadline, ch.send(&bytes)).await {
                Err(_) => return Ended::Timeout,
                Ok(Err(e)) if is_reset(&e) => return Ended::Reset,
                Ok(Err(e)) => return Ended::Io(e.to_string()),
                Ok(Ok(())) => d.feed(&[]),
            },
            Step::NeedMore => match tokio::time::timeout_at(deadline, ch.recv(&mut buf)).await {
                Err(_) => return Ended::Timeout,
                Ok(Ok(0)) => return Ended::Verdict(d.finish()),
                Ok(Ok(n)) => d.feed(&buf[..n]),
                Ok(Err(e)) if is_reset(&e) => return Ended::Reset,
                Ok(Err(e)) => return Ended::Io(e.to_string()),
            },
        };
    }
}

/// The EHLO argument: the address literal of our end of the connection (RFC 5321
/// §4.1.3), which needs no DNS name for this machine.
pub fn client_name(local: Option<SocketAddr>) -> String {
    match local {
        Some(SocketAddr::V4(a)) => format!("[{}]", a.ip()),
        Some(SocketAddr::V6(a)) => format!("[IPv6:{}]", a.ip()),
        None => "[127.0.0.1]".into(),
    }
}

/// The STARTTLS preamble of `protocol` on a fresh connection, within `timeout`: `Ok`
/// when the server said to go ahead and the next byte may be a ClientHello.
pub async fn preamble(
    stream: &mut TcpStream,
    protocol: MailProtocol,
    timeout: Duration,
) -> Result<(), StarttlsFailure> {
    let mut d = Dialogue::preamble(protocol, &client_name(stream.local_addr().ok()));
    let deadline = tokio::time::Instant::now() + timeout;
    let failure = |why: String, timeout: bool| StarttlsFailure {
        protocol,
        why,
        timeout,
    };
    match converse(&mut d, stream, deadline).await {
        Ended::Verdict(Verdict::Ready(_)) => Ok(()),
        Ended::Verdict(v) => Err(failure(v.describe(protocol), false)),
        Ended::Timeout => Err(failure(
            format!("no {} within {timeout:?}", d.waiting_for()),
            true,
        )),
        Ended::Reset => Err(failure(
            format!("connection reset waiting for the {}", d.waiting_for()),
            false,
        )),
        Ended::Io(e) => Err(failure(e, false)),
    }
}

/// The service's answer after a completed handshake on `ch`, within `timeout`.
pub async fn answer<C: Channel>(
    ch: &mut C,
    mail: Mail,
    local: Option<SocketAddr>,
    timeout: Duration,
) -> ServiceAnswer {
    let mut d = Dialogue::answer(mail, &client_name(local));
    let deadline = tokio::time::Instant::now() + timeout;
    let protocol = mail.protocol;
    match converse(&mut d, ch, deadline).await {
        Ended::Verdict(Verdict::Ready(reply)) => ServiceAnswer::Accepted(reply),
        Ended::Verdict(Verdict::Refused { reply, .. }) => ServiceAnswer::Refused(reply),
        // Hanging up instead of answering is the service turning the session away.
        Ended::Verdict(v @ Verdict::Closed { .. }) => ServiceAnswer::Refused(v.describe(protocol)),
        Ended::Verdict(v) => ServiceAnswer::Error(v.describe(protocol)),
        Ended::Reset => ServiceAnswer::Refused(format!(
            "the server reset the connection instead of its {}",
            d.waiting_for()
        )),
        Ended::Timeout => ServiceAnswer::Timeout,
        Ended::Io(e) => ServiceAnswer::Error(e),
    }
}
