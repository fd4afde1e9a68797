//! [`Conn`]: a probe's byte stream to its target — the TCP connection, plus the bytes
//! already read from it while setting it up that belong to the target.
//!
//! An HTTP proxy answers CONNECT with a head and then relays the target's bytes on the
//! same connection; both may arrive in one read (a captive portal writes `200` and its
//! HTML page at once; a fast origin's first bytes follow the `200` at once). The
//! tunnel reads the head in chunks, so whatever followed it in the last chunk is the
//! target's: it is handed to the `Conn`, whose reads yield it before anything else.
//! Every probe kind (raw probes, rustls and legacy handshakes, STARTTLS preambles)
//! reads through a `Conn`, so none of them can lose those bytes.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A TCP connection whose reads first yield `early`, the bytes read ahead of it.
#[derive(Debug)]
pub struct Conn {
    tcp: TcpStream,
    early: Vec<u8>,
    /// How much of `early` was handed out.
    taken: usize,
}

impl Conn {
    /// A connection nothing was read ahead of.
    pub fn new(tcp: TcpStream) -> Self {
        Self::with_early(tcp, Vec::new())
    }

    /// A connection whose first bytes, already read, are `early`.
    pub fn with_early(tcp: TcpStream, early: Vec<u8>) -> Self {
        Self {
            tcp,
            early,
            taken: 0,
        }
    }

    /// Our end of the connection (the EHLO address literal).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// The bytes read ahead and not handed out yet.
    fn pending(&self) -> &[u8] {
        self.early.get(self.taken..).unwrap_or_default()
    }
}

impl From<TcpStream> for Conn {
    fn from(tcp: TcpStream) -> Self {
        Self::new(tcp)
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let pending = this.pending();
        if pending.is_empty() {
            return Pin::new(&mut this.tcp).poll_read(cx, buf);
        }
        let n = pending.len().min(buf.remaining());
        buf.put_slice(&pending[..n]);
        this.taken += n;
        if this.taken == this.early.len() {
            this.early = Vec::new();
            this.taken = 0;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The early bytes come first, in pieces as small as the reader asks, then the
    /// socket's.
    #[tokio::test]
    async fn early_bytes_come_first() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(b" world").await.unwrap();
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut conn = Conn::with_early(tcp, b"hello".to_vec());
        let mut three = [0u8; 3];
        conn.read_exact(&mut three).await.unwrap();
        assert_eq!(&three, b"hel");
        let mut rest = Vec::new();
        conn.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"lo world");
        server.await.unwrap();
    }
}
