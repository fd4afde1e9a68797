//! SOCKS5 tunnels (RFC 1928), with user/password authentication (RFC 1929) when
//! credentials are given, through `tokio-socks` over our own TCP connection (so the
//! connect timeout and its errors are ours). `socks5h://` sends the name for the
//! proxy to resolve; `socks5://` sends an address resolved here.
//!
//! The SOCKS exchange is read into fixed buffers by the crate (a reply is at most
//! 4 + 1 + 255 + 2 bytes); every way it can fail becomes a failure in words here
//! ([`failure`]), reply codes by their RFC 1928 names.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_socks::TargetAddr;
use tokio_socks::tcp::Socks5Stream;

use super::conn::Conn;
use super::net::{ProxyRoute, TunnelTarget, connect_proxy};
use super::outcome::ConnectFailure;
use crate::proxy::Credentials;
use crate::proxy::answer::{Refusal, RefusalKind};

/// Opens a tunnel to `p.target` through the SOCKS5 proxy at `addr`.
pub async fn open(
    addr: SocketAddr,
    p: &ProxyRoute,
    timeout: Duration,
) -> Result<Conn, ConnectFailure> {
    let tcp = connect_proxy(addr, p, timeout).await?;
    // tokio-socks reads the reply with `read_exact` of its known length: nothing of
    // the target's is read ahead.
    handshake(tcp, &p.target, p.auth.credentials.as_ref(), &p.label)
        .await
        .map(Conn::new)
}

/// The SOCKS5 exchange over any byte stream (a TCP connection, or bytes in memory
/// for the tests): the stream, ready to carry the target's bytes.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    target: &TunnelTarget,
    credentials: Option<&Credentials>,
    label: &str,
) -> Result<S, ConnectFailure> {
    let target = match target {
        TunnelTarget::Name(host, port) => TargetAddr::Domain(host.as_str().into(), *port),
        TunnelTarget::Addr(a) => TargetAddr::Ip(*a),
    };
    let with_password = credentials.filter(|c| c.has_user());
    let result = match with_password {
        Some(c) => {
            Socks5Stream::connect_with_password_and_socket(stream, target, &c.user, c.password())
                .await
        }
        None => Socks5Stream::connect_with_socket(stream, target).await,
    };
    result
        .map(Socks5Stream::into_inner)
        .map_err(|e| failure(&e, label, with_password.is_some()))
}

/// A SOCKS5 failure in words. Refusals by the proxy (it wants a password, the
/// password was wrong, its rules forbid the connection) are [`Refusal`]s, and become
/// findings; the proxy failing to reach the target is the target's `unreachable`.
pub fn failure(e: &tokio_socks::Error, proxy: &str, with_password: bool) -> ConnectFailure {
    use tokio_socks::Error as E;
    let refusal = |kind, status: &str, tried: Option<&str>| {
        ConnectFailure::ProxyRefused(Box::new(Refusal {
            proxy: proxy.to_string(),
            kind,
            code: None,
            status: status.to_string(),
            offers: Vec::new(),
            server: None,
            location: None,
            tried: tried.map(str::to_string),
        }))
    };
    let said = |what: &str| ConnectFailure::Proxy(format!("SOCKS5 proxy {proxy}: {what}"));
    let unreached = |code: u8, what: &str| {
        ConnectFailure::Proxy(format!(
            "SOCKS5 proxy {proxy} could not reach the target: reply {code}, {what}"
        ))
    };
    match e {
        E::NoAcceptableAuthMethods if with_password => refusal(
            RefusalKind::AuthRequired,
            "no acceptable authentication method (user/password offered)",
            Some("the proxy takes no user/password"),
        ),
        E::NoAcceptableAuthMethods => refusal(
            RefusalKind::AuthRequired,
            "no acceptable authentication method: the proxy wants a user/password",
            None,
        ),
        E::PasswordAuthFailure(code) => refusal(
            RefusalKind::AuthRequired,
            &format!("user/password refused (status {code})"),
            Some("the user/password given were refused"),
        ),
        E::ConnectionNotAllowedByRuleset => refusal(
            RefusalKind::Denied,
            "reply 2, connection not allowed by ruleset",
            None,
        ),
        E::GeneralSocksServerFailure => said("reply 1, general SOCKS server failure"),
        E::NetworkUnreachable => unreached(3, "network unreachable"),
        E::HostUnreachable => unreached(4, "host unreachable"),
        E::ConnectionRefused => unreached(5, "connection refused"),
        E::TtlExpired => unreached(6, "TTL expired"),
        E::CommandNotSupported => said("reply 7, command not supported"),
        E::AddressTypeNotSupported => said("reply 8, address type not supported"),
        E::UnknownError => said("an unassigned reply code"),
        E::InvalidResponseVersion => said("not a SOCKS5 answer (wrong version byte)"),
        E::UnknownAuthMethod => said("chose an authentication method that was not offered"),
        E::InvalidReservedByte => said("malformed reply (reserved byte set)"),
        E::UnknownAddressType => said("malformed reply (unknown address type)"),
        E::InvalidAuthValues(why) => said(&format!("user/password not usable: {why}")),
        E::InvalidTargetAddress(why) => said(&format!("target not usable: {why}")),
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            said("closed the connection during the SOCKS5 exchange")
        }
        E::Io(io) => said(&io.to_string()),
        other => said(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Runs the client against a server that answers with `reply` after the greeting.
    async fn against(reply: Vec<u8>, creds: Option<Credentials>) -> Result<(), ConnectFailure> {
        let (client, mut server) = tokio::io::duplex(1024);
        let serve = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let _ = server.read(&mut buf).await;
            let _ = server.write_all(&reply).await;
            // Then end of stream (a client waiting for more gets EOF), but keep
            // reading so the client's writes never fail first.
            let _ = server.shutdown().await;
            while matches!(server.read(&mut buf).await, Ok(n) if n > 0) {}
        });
        let target = TunnelTarget::Name("lab.test".into(), 443);
        let r = handshake(client, &target, creds.as_ref(), "p:1080")
            .await
            .map(|_| ());
        serve.abort();
        r
    }

    #[tokio::test]
    async fn replies_in_words() {
        // Method "no auth", then a refusal by rule (reply 2).
        let r = against(vec![5, 0, 5, 2, 0, 1, 0, 0, 0, 0, 0, 0], None).await;
        match r {
            Err(ConnectFailure::ProxyRefused(r)) => {
                assert_eq!(r.kind, RefusalKind::Denied);
                assert!(r.status.contains("not allowed by ruleset"), "{}", r.status);
            }
            other => panic!("{other:?}"),
        }
        let r = against(vec![5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0], None).await;
        assert_eq!(
            r,
            Err(ConnectFailure::Proxy(
                "SOCKS5 proxy p:1080 could not reach the target: reply 5, connection refused"
                    .into()
            ))
        );
        // "No acceptable methods": the proxy wants a password.
        match against(vec![5, 0xff], None).await {
            Err(ConnectFailure::ProxyRefused(r)) => assert_eq!(r.kind, RefusalKind::AuthRequired),
            other => panic!("{other:?}"),
        }
        // Password refused.
        let creds = Credentials::new("u".into(), "S3CRET".into());
        match against(vec![5, 2, 1, 1], Some(creds)).await {
            Err(ConnectFailure::ProxyRefused(r)) => {
                assert_eq!(r.kind, RefusalKind::AuthRequired);
                assert!(!r.to_string().contains("S3CRET"));
            }
            other => panic!("{other:?}"),
        }
        assert!(against(vec![4, 0], None).await.is_err());
        assert!(against(vec![], None).await.is_err());
        assert!(
            against(vec![5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 1, 187], None)
                .await
                .is_ok()
        );
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever a SOCKS5 server answers: a tunnel or a failure in words, never a
        /// panic or a hang (the server closes after its bytes).
        #[test]
        fn arbitrary_replies_never_panic(
            reply in proptest::collection::vec(any::<u8>(), 0..300),
            shaped: bool,
            with_password: bool,
        ) {
            let mut bytes = reply;
            if shaped && bytes.len() >= 2 {
                // A plausible start: version 5 and a method the client offered.
                bytes[0] = 5;
                bytes[1] = if with_password { 2 } else { 0 };
            }
            let creds = with_password.then(|| Credentials::new("u".into(), "pw".into()));
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let r = rt.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(5), against(bytes, creds)).await
            });
            prop_assert!(r.is_ok(), "hung");
            if let Ok(Err(e)) = r {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
