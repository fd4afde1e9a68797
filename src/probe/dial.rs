//! A probe's connection, ready for its first TLS byte: the TCP connection (or proxy
//! tunnel) of `net.rs`, then, on a STARTTLS mail target, the plain-text preamble of
//! `mail.rs`. Every probe — raw version probes, client profiles, cipher enumeration
//! (through `Net`), the rustls handshakes, the legacy handshakes — opens its
//! connection here, so each speaks the same preamble.

use std::time::Duration;

use tokio::net::TcpStream;

use super::mail::preamble;
use super::net::{Route, open};
use super::outcome::ConnectFailure;
use crate::mail::Mail;

/// Opens `route` within `timeout` and runs the STARTTLS preamble when `mail` asks for
/// one (within its own `timeout`). Returns the stream and how long the connect took.
/// A preamble that fails is a [`ConnectFailure::Starttls`]: no TLS can start there.
pub async fn dial(
    route: &Route,
    mail: Option<Mail>,
    timeout: Duration,
) -> Result<(TcpStream, Duration), ConnectFailure> {
    let (mut stream, connected) = open(route, timeout).await?;
    if let Some(m) = mail.filter(|m| m.is_starttls()) {
        preamble(&mut stream, m.protocol, timeout)
            .await
            .map_err(ConnectFailure::Starttls)?;
    }
    Ok((stream, connected))
}
