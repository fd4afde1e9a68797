//! A userspace delay relay: a fixed one-way delay per direction in front of a server,
//! standing in for a WAN (this kernel has no netem). Runs on the lab's tokio runtime.
//!
//! Bytes are forwarded in order, each chunk `one_way` after it was read; a close is
//! forwarded the same way. What a userspace relay cannot delay is TCP's own handshake:
//! the kernel answers the SYN before the relay even accepts, so a client's `connect`
//! returns at once. To keep each connection's cost right, the client's first bytes are
//! held until they would reach the server on a real path — SYN (one way), SYN-ACK
//! (one way), then the bytes themselves (one way): 1.5 round trips after the accept.
//! A probe (connect, hello, answer) therefore takes its two round trips, as on a WAN.
//! The one thing that stays faster than a WAN is a bare connect that nothing is sent
//! on; the bench accounts for that (see `peers.rs`, "Latency").

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Listens on `at` (port 0: any) and relays every connection to `upstream` with
/// `one_way` delay in each direction. Returns the address it listens on.
pub fn delay_relay(at: SocketAddr, upstream: SocketAddr, one_way: Duration) -> SocketAddr {
    let listener = std::net::TcpListener::bind(at).expect("bind relay");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("relay addr");
    super::support::lab().spawn(async move {
        let listener = TcpListener::from_std(listener).expect("tokio listener");
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            let accepted = Instant::now();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (client_rd, client_wr) = client.into_split();
                let (server_rd, server_wr) = server.into_split();
                tokio::join!(
                    pump(client_rd, server_wr, one_way, accepted + one_way * 3),
                    pump(server_rd, client_wr, one_way, accepted),
                );
            });
        }
    });
    addr
}

/// Forwards `from` to `to`, each chunk (and the close) `delay` after it was read and
/// never before `not_before`.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    delay: Duration,
    not_before: Instant,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Option<Vec<u8>>)>();
    let reader = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = from.read(&mut buf).await.unwrap_or(0);
            let at = (Instant::now() + delay).max(not_before);
            let chunk = (n > 0).then(|| buf[..n].to_vec());
            if tx.send((at, chunk)).is_err() || n == 0 {
                break;
            }
        }
    };
    let writer = async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            let Some(bytes) = chunk else {
                let _ = to.shutdown().await;
                break;
            };
            if to.write_all(&bytes).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(reader, writer);
}
