//! Routes and TCP connections: where a probe goes (straight to an address, or through
//! a proxy to a name or an address), the TCP connect itself, and how its failures are
//! classified. The tunnels through proxies (`tunnel.rs`, `socks.rs`) build on this;
//! `dial.rs` puts the pieces together for a probe.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::outcome::ConnectFailure;
use crate::proxy::{ProxyAuth, ProxyKind};

/// How to reach one target address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    Direct(SocketAddr),
    /// Through a proxy.
    Proxy(ProxyRoute),
}

/// What the tunnel is asked to reach.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TunnelTarget {
    /// A name the proxy resolves (HTTP CONNECT, `socks5h://`).
    Name(String, u16),
    /// An address resolved here (`socks5://`), or an IP literal target.
    Addr(SocketAddr),
}

impl TunnelTarget {
    /// `host:port`, `[v6]:port`: the CONNECT request target.
    pub fn authority(&self) -> String {
        match self {
            Self::Name(h, p) => format!("{h}:{p}"),
            Self::Addr(a) => a.to_string(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ProxyRoute {
    /// Where the proxy listens, or why its name did not resolve.
    pub proxy: Result<SocketAddr, String>,
    /// The proxy as the user named it (`host:port`), for reports.
    pub label: String,
    pub kind: ProxyKind,
    pub target: TunnelTarget,
    /// Credentials and scheme, shared by every tunnel to this proxy.
    pub auth: Arc<ProxyAuth>,
}

/// Routes are told apart by where they lead; the shared authentication state is not
/// part of a route's identity.
impl PartialEq for ProxyRoute {
    fn eq(&self, other: &Self) -> bool {
        (&self.proxy, &self.label, self.kind, &self.target)
            == (&other.proxy, &other.label, other.kind, &other.target)
    }
}

impl Eq for ProxyRoute {}

impl std::hash::Hash for ProxyRoute {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (&self.proxy, &self.label, self.kind, &self.target).hash(h);
    }
}

impl Route {
    /// The `address` column: the IP, or `via <proxy>` when the proxy resolved the
    /// name. Through `socks5://` the name was resolved here: the address is the real
    /// one (the record's notes name the proxy).
    pub fn label(&self) -> String {
        match self {
            Self::Direct(a) => a.ip().to_string(),
            Self::Proxy(ProxyRoute {
                kind: ProxyKind::Socks5,
                target: TunnelTarget::Addr(a),
                ..
            }) => a.ip().to_string(),
            Self::Proxy(p) => format!("via {}", p.label),
        }
    }
}

/// A TCP connection to the proxy itself; its failures are the proxy's.
pub(super) async fn connect_proxy(
    addr: SocketAddr,
    p: &ProxyRoute,
    timeout: Duration,
) -> Result<TcpStream, ConnectFailure> {
    connect(addr, timeout)
        .await
        .map_err(|e| ConnectFailure::Proxy(format!("proxy {} {}", p.label, e)))
}

pub(super) async fn connect(
    addr: SocketAddr,
    timeout: Duration,
) -> Result<TcpStream, ConnectFailure> {
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => return Err(ConnectFailure::Timeout),
        Ok(Err(e)) => return Err(classify_connect_error(&e)),
        Ok(Ok(s)) => s,
    };
    // Failing to set TCP_NODELAY costs latency, not correctness.
    let _ = stream.set_nodelay(true);
    // Closed with a reset (SO_LINGER 0; a zero linger never blocks): a probe has its
    // verdict and never reads the rest of the server's flight (a TLS 1.3 server's
    // encrypted half is unread anyway, which already makes the kernel reset). The
    // orderly close costs both ends four more packets and leaves a TIME_WAIT socket
    // per probe on this machine for 60 s: one front end address then takes at most
    // ~28,000 probes a minute before the ephemeral ports run out. Issue 18 measured
    // the scanner's system time 16-20 % lower and the servers' CPU 3-17 % lower.
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    Ok(stream)
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
}
