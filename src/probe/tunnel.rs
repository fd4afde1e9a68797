//! The HTTP CONNECT tunnel, with proxy authentication the way curl does it.
//!
//! Without credentials or `--proxy-auth`, one CONNECT is sent and anything but 2xx is
//! the proxy's refusal (`proxy-auth-required`, `proxy-denied`, `proxy-redirect`) —
//! what Office's licensing service, running as SYSTEM, meets. With them, a 407 is
//! answered with the strongest scheme it offers that can be answered (Negotiate >
//! NTLM > Basic, or the one `--proxy-auth` names); a scheme that fails gives way to
//! the next. Once a scheme has opened a tunnel, later tunnels to the same proxy send
//! it straight away (Basic and Negotiate in the first request, NTLM's first message).
//!
//! NTLM authenticates the connection, not the request: its three messages travel on
//! one connection, so the 407 carrying the challenge is read to its end
//! (`Content-Length`) and the connection kept. Between other rounds a connection the
//! proxy keeps open is reused the same way, and one it closes is replaced.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::conn::Conn;
use super::net::{ProxyRoute, connect_proxy};
use super::outcome::ConnectFailure;
use crate::proxy::answer::{self, Answer, MAX_HEAD, Refusal};
use crate::proxy::{AuthScheme, ProxyAuth, base64_decode, base64_encode, ntlm};

/// CONNECT requests sent for one tunnel, at most: NTLM takes two, each scheme tried
/// one more.
const MAX_ROUNDS: usize = 6;
/// The largest 407/403 body read to keep a connection (bigger: reconnect instead).
const MAX_BODY: u64 = 256 * 1024;

/// Opens a tunnel to `p.target` through the HTTP proxy at `addr`. The caller bounds
/// the whole exchange with the scan's timeout. Bytes that came after the `2xx` head
/// in its last read are the target's: the [`Conn`] yields them first.
pub async fn open(
    addr: SocketAddr,
    p: &ProxyRoute,
    timeout: Duration,
) -> Result<Conn, ConnectFailure> {
    let auth = &p.auth;
    let mut stream = connect_proxy(addr, p, timeout).await?;
    let mut scheme = auth.first();
    let mut candidates: Option<Vec<AuthScheme>> = None;
    let mut tried: Vec<AuthScheme> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut challenge: Option<ntlm::Challenge> = None;
    // The connection was kept from the previous round (a proxy may close one it
    // announced to keep: then the request is sent again on a new one).
    let mut reused = false;
    for _ in 0..MAX_ROUNDS {
        let header = match scheme {
            None => None,
            Some(s) => match credentials(auth, s, challenge.as_ref()).await {
                Ok(h) => Some(h),
                Err(why) => {
                    // This scheme cannot be answered here (no Kerberos ticket): ask
                    // without it, or with the next scheme the proxy offered.
                    failures.push(why);
                    tried.push(s);
                    scheme = match &candidates {
                        None => None,
                        Some(c) => next(c, &tried),
                    };
                    continue;
                }
            },
        };
        let (answer, after_head) = match exchange(&mut stream, p, header.as_deref()).await {
            Err(_) if reused && challenge.is_none() => {
                stream = connect_proxy(addr, p, timeout).await?;
                exchange(&mut stream, p, header.as_deref()).await?
            }
            other => other?,
        };
        if answer.is_success() {
            if let Some(s) = scheme {
                auth.learn(s);
            }
            return Ok(Conn::with_early(stream, after_head));
        }
        if answer.code != 407 || !auth.enabled() {
            return Err(refusal(p, &answer, &failures));
        }
        let offered: Vec<AuthScheme> = answer
            .challenges
            .iter()
            .filter_map(|c| AuthScheme::from_token(&c.scheme))
            .collect();
        let candidates = candidates.get_or_insert_with(|| auth.candidates(&offered));
        match (scheme, &challenge) {
            // NTLM's first message got the challenge: answer it on this connection.
            (Some(AuthScheme::Ntlm), None) => {
                match ntlm_challenge(&answer) {
                    Ok(c)
                        if answer.keep_alive
                            && answer.content_length.is_some_and(|n| n <= MAX_BODY) =>
                    {
                        challenge = Some(c);
                        finish_body(&mut stream, &answer, after_head.len()).await?;
                        reused = true;
                        continue;
                    }
                    Ok(_) => failures.push(
                        "NTLM: the proxy does not keep the connection after its challenge \
                         (NTLM needs it kept alive, with a body of known, bounded length)"
                            .into(),
                    ),
                    Err(why) => failures.push(format!("NTLM: {why}")),
                }
                tried.push(AuthScheme::Ntlm);
            }
            (Some(s), _) => {
                failures.push(format!("the {} credentials given were refused", s.name()));
                tried.push(s);
            }
            (None, _) => {}
        }
        challenge = None;
        scheme = next(candidates, &tried);
        if scheme.is_none() {
            if failures.is_empty() {
                failures.push(unanswerable(auth));
            }
            return Err(refusal(p, &answer, &failures));
        }
        (stream, reused) =
            reuse_or_reconnect(stream, &answer, after_head.len(), addr, p, timeout).await?;
    }
    Err(ConnectFailure::Proxy(format!(
        "proxy {}: no tunnel after {MAX_ROUNDS} CONNECT requests",
        p.label
    )))
}

/// Why none of the offered schemes could be tried.
fn unanswerable(auth: &ProxyAuth) -> String {
    match auth.choice {
        crate::proxy::AuthChoice::Only(s) => {
            format!("--proxy-auth {} is not among the schemes offered", s.name())
        }
        crate::proxy::AuthChoice::Any => {
            "no offered scheme can be answered: Basic and NTLM need a user name".into()
        }
    }
}

/// The next scheme to try: the strongest candidate not tried yet.
fn next(candidates: &[AuthScheme], tried: &[AuthScheme]) -> Option<AuthScheme> {
    candidates.iter().copied().find(|s| !tried.contains(s))
}

/// The `Proxy-Authorization` value for `scheme` at this step, or why it cannot be made.
async fn credentials(
    auth: &ProxyAuth,
    scheme: AuthScheme,
    challenge: Option<&ntlm::Challenge>,
) -> Result<String, String> {
    match (scheme, challenge) {
        (AuthScheme::Basic, _) => auth
            .basic()
            .ok_or_else(|| "Basic: no credentials given".into()),
        (AuthScheme::Ntlm, None) => Ok(format!("NTLM {}", base64_encode(&ntlm::negotiate()))),
        (AuthScheme::Ntlm, Some(c)) => {
            let creds = auth
                .credentials
                .as_ref()
                .ok_or("NTLM: no credentials given")?;
            let (domain, user) = creds.domain_and_user();
            let id = ntlm::Identity {
                domain,
                user,
                password: creds.password(),
            };
            let message = ntlm::authenticate(c, &id, "", client_challenge(), ntlm::now());
            Ok(format!("NTLM {}", base64_encode(&message)))
        }
        (AuthScheme::Negotiate, _) => negotiate(&auth.host).await,
    }
}

#[cfg(feature = "negotiate")]
async fn negotiate(host: &str) -> Result<String, String> {
    let host = host.to_string();
    // GSSAPI may ask the KDC for a service ticket: a blocking call.
    let token = tokio::task::spawn_blocking(move || crate::proxy::negotiate::initial_token(&host))
        .await
        .map_err(|e| format!("Negotiate: {e}"))?
        .map_err(|e| format!("Negotiate: {e}"))?;
    Ok(format!("Negotiate {}", base64_encode(&token)))
}

#[cfg(not(feature = "negotiate"))]
async fn negotiate(_host: &str) -> Result<String, String> {
    Err("Negotiate: this build has no GSSAPI (built without the `negotiate` feature)".into())
}

fn client_challenge() -> [u8; 8] {
    use ring::rand::SecureRandom;
    let mut c = [0u8; 8];
    // The system RNG does not fail on Linux; zeros would still be a valid response.
    let _ = ring::rand::SystemRandom::new().fill(&mut c);
    c
}

fn ntlm_challenge(answer: &Answer) -> Result<ntlm::Challenge, String> {
    let token = answer
        .token("NTLM")
        .ok_or("the 407 carries no NTLM challenge")?;
    let bytes = base64_decode(token).ok_or("the NTLM challenge is not base64")?;
    ntlm::Challenge::parse(&bytes).map_err(|e| e.to_string())
}

/// The refusal (or, for a 5xx, the unreachable target) an answer is.
fn refusal(p: &ProxyRoute, answer: &Answer, failures: &[String]) -> ConnectFailure {
    let tried = (!failures.is_empty()).then(|| failures.join("; "));
    match Refusal::from_answer(&p.label, answer, tried) {
        Some(r) => ConnectFailure::ProxyRefused(Box::new(r)),
        None => {
            let server = answer
                .server
                .as_ref()
                .map(|s| format!(" (Server: {s})"))
                .unwrap_or_default();
            let what = match answer.code {
                502..=504 => "could not reach the target",
                _ => "failed to open the tunnel",
            };
            ConnectFailure::Proxy(format!(
                "proxy {} {what}: {}{server}",
                p.label, answer.status
            ))
        }
    }
}

/// Sends one CONNECT and reads the answer's head: (answer, the bytes read after the
/// head — the start of a refusal's body, or the target's first bytes in a tunnel).
async fn exchange(
    stream: &mut TcpStream,
    p: &ProxyRoute,
    authorization: Option<&str>,
) -> Result<(Answer, Vec<u8>), ConnectFailure> {
    let authority = p.target.authority();
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(value) = authorization {
        req.push_str(&format!("Proxy-Authorization: {value}\r\n"));
    }
    req.push_str("Proxy-Connection: Keep-Alive\r\nUser-Agent: tlscompat\r\n\r\n");
    let io_err = |e: std::io::Error| ConnectFailure::Proxy(format!("proxy {}: {e}", p.label));
    stream.write_all(req.as_bytes()).await.map_err(io_err)?;
    let mut buf = Vec::with_capacity(1024);
    loop {
        if let Some((end, sep)) = head_end(&buf) {
            let answer = answer::parse(&buf[..end])
                .map_err(|e| ConnectFailure::Proxy(format!("proxy {}: {e}", p.label)))?;
            buf.drain(..end + sep);
            return Ok((answer, buf));
        }
        if buf.len() >= MAX_HEAD {
            return Err(ConnectFailure::Proxy(format!(
                "proxy {}: CONNECT answer head exceeds {MAX_HEAD} bytes",
                p.label
            )));
        }
        let mut chunk = [0u8; 2048];
        let room = (MAX_HEAD + 4 - buf.len()).min(chunk.len());
        let n = stream.read(&mut chunk[..room]).await.map_err(io_err)?;
        if n == 0 {
            return Err(ConnectFailure::Proxy(format!(
                "proxy {}: closed during CONNECT",
                p.label
            )));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Where the head ends: (its length, the separator's length). CRLF CRLF, or LF LF
/// from lax proxies.
pub fn head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// Reads the rest of the answer's body, so the connection can carry the next request.
async fn finish_body(
    stream: &mut TcpStream,
    answer: &Answer,
    already: usize,
) -> Result<(), ConnectFailure> {
    let len = answer.content_length.unwrap_or(0);
    let mut left = len.saturating_sub(already as u64);
    let mut chunk = [0u8; 4096];
    while left > 0 {
        let want = usize::try_from(left)
            .unwrap_or(chunk.len())
            .min(chunk.len());
        let n = stream
            .read(&mut chunk[..want])
            .await
            .map_err(|e| ConnectFailure::Proxy(format!("proxy: {e}")))?;
        if n == 0 {
            return Err(ConnectFailure::Proxy(
                "proxy closed the connection in the middle of its answer".into(),
            ));
        }
        left -= n as u64;
    }
    Ok(())
}

/// The connection for the next round: this one when the proxy keeps it and its body
/// is small (read to its end), else a new one; and whether it is the same.
async fn reuse_or_reconnect(
    mut stream: TcpStream,
    answer: &Answer,
    already: usize,
    addr: SocketAddr,
    p: &ProxyRoute,
    timeout: Duration,
) -> Result<(TcpStream, bool), ConnectFailure> {
    let small = answer.content_length.is_some_and(|n| n <= MAX_BODY);
    if answer.keep_alive && small && finish_body(&mut stream, answer, already).await.is_ok() {
        return Ok((stream, true));
    }
    Ok((connect_proxy(addr, p, timeout).await?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_ends() {
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\n\r\nrest"), Some((15, 4)));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\n\nrest"), Some((15, 2)));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\n"), None);
    }
}
