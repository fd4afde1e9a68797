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
    /// Answer every CONNECT with `200` followed, in the same write, by these bytes (a
    /// captive portal's page), then hold the connection without a tunnel.
    pub portal: Option<Vec<u8>>,
    /// Send the target's first bytes (a server-speaks-first protocol such as SMTP) in
    /// the same write as the `200` head, the way a proxy that connects before it
    /// answers may coalesce them.
    pub coalesce: bool,
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
    if let Some(page) = &config.portal {
        let mut answer = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        answer.extend_from_slice(page);
        client.write_all(&answer).await?;
        let mut sink = [0u8; 4096];
        while client.read(&mut sink).await? > 0 {}
        return Ok(());
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
    let mut answer = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
    if config.coalesce {
        let mut first = vec![0u8; 4096];
        let wait = std::time::Duration::from_secs(2);
        if let Ok(Ok(n)) = tokio::time::timeout(wait, server.read(&mut first)).await {
            answer.extend_from_slice(&first[..n]);
        }
    }
    client.write_all(&answer).await?;
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

/// A SOCKS5 proxy (no authentication) that answers every CONNECT with success followed,
/// in the same write, by `page` (a captive portal behind a SOCKS front), then holds
/// the connection without a tunnel.
pub fn socks5_portal(page: Vec<u8>) -> SocketAddr {
    let page = Arc::new(page);
    tcp_server(move |mut client| {
        let page = page.clone();
        async move {
            // Greeting: version, method count, methods.
            let mut head = [0u8; 2];
            if client.read_exact(&mut head).await.is_err() {
                return;
            }
            let mut methods = vec![0u8; usize::from(head[1])];
            if client.read_exact(&mut methods).await.is_err()
                || client.write_all(&[5, 0]).await.is_err()
            {
                return;
            }
            // Request: version, command, reserved, address type, address, port.
            let mut req = [0u8; 4];
            if client.read_exact(&mut req).await.is_err() {
                return;
            }
            let addr_len = match req[3] {
                1 => 4,
                4 => 16,
                _ => {
                    let mut n = [0u8; 1];
                    if client.read_exact(&mut n).await.is_err() {
                        return;
                    }
                    usize::from(n[0])
                }
            };
            let mut rest = vec![0u8; addr_len + 2];
            if client.read_exact(&mut rest).await.is_err() {
                return;
            }
            let mut answer = vec![5, 0, 0, 1, 127, 0, 0, 1, 0, 80];
            answer.extend_from_slice(&page);
            if client.write_all(&answer).await.is_ok() {
                let mut sink = [0u8; 4096];
                while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {}
            }
        }
    })
}
