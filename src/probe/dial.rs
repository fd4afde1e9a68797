//! A probe's connection, ready for its first TLS byte: the TCP connection of `net.rs`
//! or a proxy tunnel (`tunnel.rs` for HTTP CONNECT, `socks.rs` for SOCKS5), then, on
//! a STARTTLS mail target, the plain-text preamble of `mail.rs`. Every probe — raw version probes, client profiles, cipher enumeration
//! (through `Net`), the rustls handshakes, the legacy handshakes — opens its
//! connection here, so each speaks the same preamble.

use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::mail::preamble;
use super::net::{Route, connect};
use super::outcome::ConnectFailure;
use crate::mail::Mail;
use crate::proxy::ProxyKind;

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

/// Opens a byte stream to the route's target within `timeout` (for a proxy: connect
/// plus the tunnel exchange, authentication included), with Nagle off: every probe
/// writes one small hello and waits for the answer, so delaying that write only adds
/// latency.
async fn open(route: &Route, timeout: Duration) -> Result<(TcpStream, Duration), ConnectFailure> {
    let start = Instant::now();
    match route {
        Route::Direct(addr) => {
            let stream = connect(*addr, timeout).await?;
            Ok((stream, start.elapsed()))
        }
        Route::Proxy(p) => {
            let addr = p.proxy.clone().map_err(ConnectFailure::Proxy)?;
            let opened = match p.kind {
                ProxyKind::Http => {
                    tokio::time::timeout(timeout, super::tunnel::open(addr, p, timeout)).await
                }
                ProxyKind::Socks5 | ProxyKind::Socks5h => {
                    tokio::time::timeout(timeout, super::socks::open(addr, p, timeout)).await
                }
            };
            match opened {
                Err(_) => Err(ConnectFailure::Proxy(format!(
                    "proxy {}: no tunnel in time",
                    p.label
                ))),
                Ok(Err(e)) => Err(e),
                Ok(Ok(stream)) => Ok((stream, start.elapsed())),
            }
        }
    }
}
