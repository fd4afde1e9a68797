//! HTTP CONNECT proxies for the lab: a plain tunnel (optionally demanding Basic
//! credentials or refusing everything) and an intercepting one that terminates TLS
//! itself, the way inspection proxies and firewalls do.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::tcp_server;

/// How a lab proxy behaves.
#[derive(Clone, Default)]
pub struct ProxyConfig {
    /// Names the proxy resolves itself (it stands where the real proxy would).
    pub hosts: HashMap<String, IpAddr>,
    /// Required `Proxy-Authorization: Basic <this>`; 407 without it.
    pub basic_auth: Option<String>,
    /// Answer every CONNECT with 403.
    pub deny: bool,
    /// Answer every CONNECT with this status line (after `HTTP/1.1 `), verbatim: a
    /// hostile proxy's escape sequences.
    pub status: Option<String>,
    /// Instead of tunnelling to the requested target, splice every accepted tunnel to
    /// this TLS terminator (an intercepting proxy's own TLS server).
    pub intercept_to: Option<SocketAddr>,
}

/// Starts the proxy; returns its address.
pub fn connect_proxy(config: ProxyConfig) -> SocketAddr {
    let config = Arc::new(config);
    tcp_server(move |client| {
        let config = config.clone();
        async move {
            let _ = serve(client, &config).await;
        }
    })
}

async fn serve(mut client: TcpStream, config: &ProxyConfig) -> std::io::Result<()> {
    let head = read_head(&mut client).await?;
    let mut lines = head.lines();
    let request = lines.next().unwrap_or("");
    let mut parts = request.split_whitespace();
    let (method, authority) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "CONNECT" {
        return respond(&mut client, "405 Method Not Allowed").await;
    }
    if config.deny {
        return respond(&mut client, "403 Forbidden").await;
    }
    if let Some(status) = &config.status {
        return respond(&mut client, status).await;
    }
    if let Some(expected) = &config.basic_auth {
        let given = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("proxy-authorization"))
            .map(|(_, v)| v.trim().to_string());
        if given.as_deref() != Some(format!("Basic {expected}").as_str()) {
            return respond(
                &mut client,
                "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"lab\"",
            )
            .await;
        }
    }
    let upstream = match config.intercept_to {
        Some(terminator) => terminator,
        None => match resolve(authority, &config.hosts) {
            Some(a) => a,
            None => return respond(&mut client, "502 Bad Gateway").await,
        },
    };
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return respond(&mut client, "502 Bad Gateway").await;
    };
    client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await?;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    Ok(())
}

fn resolve(authority: &str, hosts: &HashMap<String, IpAddr>) -> Option<SocketAddr> {
    let (host, port) = authority.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match host.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => *hosts.get(host)?,
    };
    Some(SocketAddr::new(ip, port))
}

async fn read_head(s: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") && buf.len() < 8192 {
        if s.read(&mut byte).await? == 0 {
            break;
        }
        buf.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn respond(s: &mut TcpStream, status: &str) -> std::io::Result<()> {
    s.write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes())
        .await?;
    s.shutdown().await
}
