//! The TLS 1.0/1.1 client of `wire/legacy` against real servers: OpenSSL's `s_server`
//! and GnuTLS's `gnutls-serv`, RSA and ECDSA certificates, AES-128 and AES-256, both
//! versions, with and without a client-certificate request. Each test completes the
//! handshake and exchanges application data both ways, which only works when the PRF,
//! the keys, the Finished hashes and the CBC/HMAC records are all right.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tlscompat::probe::legacy::{LegacySession, connect, handshake_at};
use tlscompat::probe::mail::Channel;
use tlscompat::probe::modern::ModernOutcome;
use tlscompat::probe::net::Route;
use tlscompat::probe::outcome::Timing;
use tlscompat::probe::raw::ProbeTarget;
use tlscompat::target::Host;
use tlscompat::version::TlsVersion::{self, *};

const T: Duration = Duration::from_secs(3);

fn target(addr: SocketAddr) -> ProbeTarget<'static> {
    ProbeTarget {
        route: Box::leak(Box::new(Route::Direct(addr))),
        host: Box::leak(Box::new(Host::Name("lab.test".into()))),
        mail: None,
    }
}

async fn session(addr: SocketAddr, v: TlsVersion) -> LegacySession {
    let mut timing = Timing::default();
    match connect(target(addr), T, v, Instant::now(), &mut timing).await {
        Ok(s) => s,
        Err(e) => panic!("{v} handshake with {addr}: {e}"),
    }
}

/// Sends `request` and reads until the server closes or `want` shows up.
async fn exchange(s: &mut LegacySession, request: &[u8], want: &str) -> String {
    s.send(request).await.expect("send");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + T;
    while !String::from_utf8_lossy(&got).contains(want) {
        match tokio::time::timeout_at(deadline, s.recv(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("recv: {e}"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn openssl_cipher_page(page: &str) -> Option<&str> {
    page.lines()
        .find_map(|l| l.trim().strip_prefix("Cipher    :"))
        .map(str::trim)
}

#[tokio::test]
async fn openssl_s_server_tls10_and_tls11_with_ecdsa_and_rsa() {
    let pki = support::pki();
    let (rsa_cert, rsa_key) = pki.rsa_leaf();
    let ec = (
        format!("{}{}", pki.leaf_pem, pki.ca_pem),
        pki.key_pem.clone(),
    );
    let rsa = (format!("{rsa_cert}{}", pki.ca_pem), rsa_key);
    for (name, (cert, key)) in [("ecdsa", &ec), ("rsa", &rsa)] {
        for (v, openssl) in [(Tls10, "TLSv1"), (Tls11, "TLSv1.1")] {
            for suite in ["AES128-SHA", "AES256-SHA"] {
                let kx = if name == "rsa" {
                    "ECDHE-RSA"
                } else {
                    "ECDHE-ECDSA"
                };
                let cipher = format!("{kx}-{suite}:@SECLEVEL=0");
                let server = support::openssl_server_opts(
                    openssl,
                    openssl,
                    "127.0.0.1:0",
                    cert,
                    key,
                    &["-cipher", &cipher],
                );
                let mut s = session(server.addr, v).await;
                // s_server -www answers a GET with a page describing the session.
                let page = exchange(&mut s, b"GET / HTTP/1.0\r\n\r\n", "</HTML>").await;
                assert!(page.starts_with("HTTP/1.0 200 ok"), "{name} {v}: {page}");
                assert!(page.contains(&format!("Protocol  : {openssl}\n")), "{page}");
                assert_eq!(
                    openssl_cipher_page(&page),
                    Some(&format!("{kx}-{suite}")[..])
                );
            }
        }
    }
}

#[tokio::test]
async fn gnutls_serv_echoes_at_tls10_and_tls11_and_asks_for_a_certificate() {
    let pki = support::pki();
    let (rsa_cert, rsa_key) = pki.rsa_leaf();
    for (v, vers) in [(Tls10, "+VERS-TLS1.0"), (Tls11, "+VERS-TLS1.1")] {
        for group in ["+GROUP-X25519", "+GROUP-SECP256R1"] {
            // gnutls-serv asks for a client certificate by default: the client answers
            // with an empty one.
            let priority = format!("NORMAL:-VERS-ALL:{vers}:-GROUP-ALL:{group}");
            let server = support::gnutls_server_with(&priority, &rsa_cert, &rsa_key, &["--echo"]);
            let mut s = session(server.addr, v).await;
            let echo = exchange(&mut s, b"EHLO [127.0.0.1]\r\n", "EHLO").await;
            assert!(
                echo.starts_with("EHLO [127.0.0.1]"),
                "{v} {group}: {echo:?}"
            );
            // A longer second record (the echo server answers whole lines), to check
            // sequence numbers and TLS 1.0's chained IVs.
            let line = format!("{}\n", "x".repeat(3000));
            let echo = exchange(&mut s, line.as_bytes(), &line).await;
            assert_eq!(echo, line, "{v} {group}");
        }
    }
}

#[tokio::test]
async fn a_server_that_needs_a_group_not_offered_is_incompatible() {
    let pki = support::pki();
    let (rsa_cert, rsa_key) = pki.rsa_leaf();
    let priority = "NORMAL:-VERS-ALL:+VERS-TLS1.0:-GROUP-ALL:+GROUP-SECP384R1";
    let server = support::gnutls_server(priority, &rsa_cert, &rsa_key);
    let h = handshake_at(target(server.addr), T, Tls10).await;
    assert!(
        matches!(&h.outcome, ModernOutcome::Incompatible(e) if e.contains("alert")),
        "{:?}",
        h.outcome
    );
}

#[tokio::test]
async fn a_server_without_the_clients_suites_is_incompatible_and_tls12_is_not_its_job() {
    let pki = support::pki();
    let (rsa_cert, rsa_key) = pki.rsa_leaf();
    let server = support::openssl_server_opts(
        "TLSv1",
        "TLSv1",
        "127.0.0.1:0",
        &format!("{rsa_cert}{}", pki.ca_pem),
        &rsa_key,
        &["-cipher", "AES128-SHA:@SECLEVEL=0"],
    );
    let h = handshake_at(target(server.addr), T, Tls10).await;
    assert!(
        matches!(&h.outcome, ModernOutcome::Incompatible(e) if e.contains("handshake_failure")),
        "{:?}",
        h.outcome
    );
    let ok = support::openssl_server("TLSv1", "TLSv1");
    let h = handshake_at(target(ok.addr), T, Tls10).await;
    let ModernOutcome::Completed {
        version,
        chain,
        service,
        ..
    } = &h.outcome
    else {
        panic!("{:?}", h.outcome)
    };
    assert_eq!(version.to_string(), "TLS 1.0");
    assert!(!chain.is_empty());
    assert_eq!(*service, None);
    let h = handshake_at(target(ok.addr), T, Tls12).await;
    assert!(matches!(h.outcome, ModernOutcome::Incompatible(_)));
}
