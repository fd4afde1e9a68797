//! TCP connection set-up shared by both probe kinds.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::outcome::ConnectFailure;

/// Connects within `timeout`, with Nagle off: every probe writes one small hello and
/// waits for the answer, so delaying that write only adds latency.
pub async fn connect(
    addr: SocketAddr,
    timeout: Duration,
) -> Result<(TcpStream, Duration), ConnectFailure> {
    let start = Instant::now();
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => return Err(ConnectFailure::Timeout),
        Ok(Err(e)) => return Err(classify_connect_error(&e)),
        Ok(Ok(s)) => s,
    };
    // Failing to set TCP_NODELAY costs latency, not correctness.
    let _ = stream.set_nodelay(true);
    Ok((stream, start.elapsed()))
}

pub fn classify_connect_error(e: &io::Error) -> ConnectFailure {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
        io::ErrorKind::TimedOut => ConnectFailure::Timeout,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            ConnectFailure::NoRoute
        }
        _ => ConnectFailure::Other(e.to_string()),
    }
}

/// True for the error kinds a peer's RST produces.
pub fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}
