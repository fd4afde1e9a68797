//! Target `socks`: a SOCKS5 proxy's replies (method selection, RFC 1929 status, the
//! CONNECT reply with its bound address) through `probe::socks::handshake` — the
//! tokio-socks exchange over bytes in memory — and the failure it becomes in words.
//! Input: one flag byte (bit 0: with a user and password; bit 1: the target as a name,
//! as `socks5h://` sends it), then the proxy's bytes.
//!
//! Oracles: the exchange ends (the bytes run out) without a panic; a failure's text
//! keeps the proxy label, passes the sink rules, and never holds the password.

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tlscompat::probe::net::TunnelTarget;
use tlscompat::probe::socks::handshake;
use tlscompat::proxy::Credentials;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::oracle::{fail, sinks_safe};

const LABEL: &str = "socks.lab:1080";
const PASSWORD: &str = "S3CRETPW";

pub fn run(data: &[u8]) {
    let [flags, reply @ ..] = data else {
        return;
    };
    if let Err(e) = check(*flags, reply) {
        fail("socks", e);
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

pub fn check(flags: u8, reply: &[u8]) -> Result<(), String> {
    let target = match flags & 2 {
        0 => TunnelTarget::Addr("192.0.2.7:443".parse().map_err(|_| "addr")?),
        _ => TunnelTarget::Name("login.microsoftonline.com".into(), 443),
    };
    let creds = Credentials::new("scanner".into(), PASSWORD.into());
    let creds = (flags & 1 != 0).then_some(&creds);
    let stream = Replay { bytes: reply };
    match runtime().block_on(handshake(stream, &target, creds, LABEL)) {
        Ok(_) => Ok(()),
        Err(e) => {
            let shown = e.to_string();
            if shown.contains(PASSWORD) {
                return Err(format!("the password in {shown:?}"));
            }
            sinks_safe("socks failure", &shown)
        }
    }
}

/// A proxy that answers with `bytes` whatever it is sent, then closes.
struct Replay<'a> {
    bytes: &'a [u8],
}

impl AsyncRead for Replay<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = self.bytes.len().min(buf.remaining());
        buf.put_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Replay<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
