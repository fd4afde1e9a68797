//! Connection set-up shared by both probe kinds: straight TCP, or a tunnel through an
//! HTTP CONNECT proxy. Either way the probe gets a plain byte stream to the target.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::outcome::ConnectFailure;

/// How to reach one target address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    Direct(SocketAddr),
    /// Through an HTTP proxy, which resolves and connects to `authority` itself.
    Proxy(ProxyRoute),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProxyRoute {
    /// Where the proxy listens, or why its name did not resolve.
    pub proxy: Result<SocketAddr, String>,
    /// The proxy as the user named it (`host:port`), for reports.
    pub label: String,
    /// `Proxy-Authorization: Basic …` value, if any.
    pub basic_auth: Option<String>,
    /// The CONNECT target, `host:port` (`[v6]:port` for IPv6 literals).
    pub authority: String,
}

impl Route {
    /// The `address` column: the IP, or `via <proxy>`.
    pub fn label(&self) -> String {
        match self {
            Self::Direct(a) => a.ip().to_string(),
            Self::Proxy(p) => format!("via {}", p.label),
        }
    }
}

/// The most header bytes a proxy may send in answer to CONNECT.
const MAX_PROXY_HEADER: usize = 16 * 1024;

/// Opens a byte stream to the route's target within `timeout` (for a proxy: connect
/// plus the CONNECT exchange), with Nagle off: every probe writes one small hello and
/// waits for the answer, so delaying that write only adds latency.
pub async fn open(
    route: &Route,
    timeout: Duration,
) -> Result<(TcpStream, Duration), ConnectFailure> {
    let start = Instant::now();
    match route {
        Route::Direct(addr) => {
            let stream = connect(*addr, timeout).await?;
            Ok((stream, start.elapsed()))
        }
        Route::Proxy(p) => {
            let proxy = p.proxy.clone().map_err(ConnectFailure::Proxy)?;
            let mut stream = connect(proxy, timeout)
                .await
                .map_err(|e| ConnectFailure::Proxy(format!("proxy {} {}", p.label, e)))?;
            match tokio::time::timeout(timeout, tunnel(&mut stream, p)).await {
                Err(_) => Err(ConnectFailure::Proxy(format!(
                    "proxy {}: no CONNECT answer in time",
                    p.label
                ))),
                Ok(Err(e)) => Err(e),
                Ok(Ok(())) => Ok((stream, start.elapsed())),
            }
        }
    }
}

async fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, ConnectFailure> {
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => return Err(ConnectFailure::Timeout),
        Ok(Err(e)) => return Err(classify_connect_error(&e)),
        Ok(Ok(s)) => s,
    };
    // Failing to set TCP_NODELAY costs latency, not correctness.
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// Sends CONNECT and reads the answer's header block; anything but 2xx is reported with
/// the proxy's status line.
async fn tunnel(stream: &mut TcpStream, p: &ProxyRoute) -> Result<(), ConnectFailure> {
    let mut req = format!("CONNECT {0} HTTP/1.1\r\nHost: {0}\r\n", p.authority);
    if let Some(auth) = &p.basic_auth {
        req.push_str(&format!("Proxy-Authorization: Basic {auth}\r\n"));
    }
    req.push_str("User-Agent: tlscompat\r\n\r\n");
    let io_err = |e: io::Error| ConnectFailure::Proxy(format!("proxy {}: {e}", p.label));
    stream.write_all(req.as_bytes()).await.map_err(io_err)?;
    let mut buf = Vec::with_capacity(1024);
    loop {
        if buf.len() >= MAX_PROXY_HEADER {
            return Err(ConnectFailure::Proxy(format!(
                "proxy {}: oversized CONNECT answer",
                p.label
            )));
        }
        let n = stream.read_buf(&mut buf).await.map_err(io_err)?;
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return check_status(&buf[..end], &p.label);
        }
        if n == 0 {
            return Err(ConnectFailure::Proxy(format!(
                "proxy {}: closed during CONNECT",
                p.label
            )));
        }
    }
}

/// Judges the header block of a CONNECT answer (`head`, without the blank line): `Ok`
/// for `HTTP/1.x 2xx`, otherwise the status line (at most 80 characters, kept exact:
/// sinks escape it) as a proxy refusal. Public for the fuzz harness.
pub fn check_status(head: &[u8], label: &str) -> Result<(), ConnectFailure> {
    let text = String::from_utf8_lossy(head);
    let status_line = text.lines().next().unwrap_or("").trim();
    let mut parts = status_line.splitn(3, ' ');
    let (version, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if version.starts_with("HTTP/1.") && code.len() == 3 && code.starts_with('2') {
        return Ok(());
    }
    let shown: String = status_line.chars().take(80).collect();
    let status = shown
        .strip_prefix("HTTP/1.1 ")
        .or(shown.strip_prefix("HTTP/1.0 "))
        .unwrap_or(&shown);
    Err(ConnectFailure::ProxyStatus(
        format!("proxy {status}"),
        label.to_string(),
    ))
}

pub fn classify_connect_error(e: &io::Error) -> ConnectFailure {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
        io::ErrorKind::TimedOut => ConnectFailure::Timeout,
        // No route from this machine for the address's family (DESIGN.md "Addresses
        // this machine cannot reach"): ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, and
        // EAFNOSUPPORT (97 on Linux) when the family is not even configured.
        io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::AddrNotAvailable => ConnectFailure::NoRoute,
        _ if e.raw_os_error() == Some(EAFNOSUPPORT) => ConnectFailure::NoRoute,
        _ => ConnectFailure::Other(e.to_string()),
    }
}

/// "Address family not supported by protocol" on Linux.
const EAFNOSUPPORT: i32 = 97;

/// True for the error kinds a peer's RST produces.
pub fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_routing_failures_are_no_route() {
        let of = |kind| classify_connect_error(&io::Error::from(kind));
        assert_eq!(
            of(io::ErrorKind::NetworkUnreachable),
            ConnectFailure::NoRoute
        );
        assert_eq!(of(io::ErrorKind::HostUnreachable), ConnectFailure::NoRoute);
        assert_eq!(of(io::ErrorKind::AddrNotAvailable), ConnectFailure::NoRoute);
        let afnosupport = io::Error::from_raw_os_error(EAFNOSUPPORT);
        assert_eq!(
            classify_connect_error(&afnosupport),
            ConnectFailure::NoRoute
        );
        assert_eq!(
            of(io::ErrorKind::ConnectionRefused),
            ConnectFailure::Refused
        );
        assert_eq!(of(io::ErrorKind::TimedOut), ConnectFailure::Timeout);
    }

    #[test]
    fn proxy_status_lines() {
        assert!(check_status(b"HTTP/1.1 200 Connection established", "p:1").is_ok());
        assert!(check_status(b"HTTP/1.0 200 OK\r\nVia: x", "p:1").is_ok());
        assert_eq!(
            check_status(b"HTTP/1.1 407 Proxy Authentication Required\r\nX: y", "p:1"),
            Err(ConnectFailure::ProxyStatus(
                "proxy 407 Proxy Authentication Required".into(),
                "p:1".into()
            ))
        );
        assert!(check_status(b"SSH-2.0-OpenSSH", "p:1").is_err());
        assert!(check_status(b"", "p:1").is_err());
    }
}
