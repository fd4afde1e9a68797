//! The probe engine against real peers on loopback: rustls servers with chosen
//! versions, real OpenSSL legacy servers, and one server per failure class.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use support::*;
use tlscompat::probe::modern::{ModernClient, ModernOutcome};
use tlscompat::probe::net::Route;
use tlscompat::probe::outcome::{ConnectFailure, Outcome, ProbeError, Rejection, VersionProbe};
use tlscompat::probe::raw::{ProbeTarget, probe_version};
use tlscompat::target::Host;
use tlscompat::version::{TlsVersion, VersionRange};
use tlscompat::wire::enums::{AlertDescription, ProtocolVersion};
use tlscompat::wire::hello::HelloVariant;

/// A probe target for tests (leaked: tests are short-lived).
fn pt(addr: SocketAddr, name: Option<&str>) -> ProbeTarget<'static> {
    let host = match name {
        Some(n) => Host::Name(n.to_string()),
        None => Host::Ip(addr.ip()),
    };
    ProbeTarget {
        route: Box::leak(Box::new(Route::Direct(addr))),
        host: Box::leak(Box::new(host)),
        mail: None,
    }
}

const T: Duration = Duration::from_secs(3);
use TlsVersion::*;

async fn probe(addr: SocketAddr, name: Option<&str>, v: TlsVersion) -> VersionProbe {
    probe_version(pt(addr, name), v, T, 1).await
}

async fn states(addr: SocketAddr) -> Vec<Outcome> {
    let mut out = Vec::new();
    for v in TlsVersion::ALL {
        out.push(probe(addr, Some("lab.test"), v).await.outcome);
    }
    out
}

fn accepted(o: &Outcome, v: ProtocolVersion) -> bool {
    matches!(o, Outcome::Accepted(a) if a.version == v)
}

fn alert(a: AlertDescription) -> Outcome {
    Outcome::Rejected(Rejection::Alert(a))
}

// rustls refuses a TLS 1.0/1.1 hello with handshake_failure: it requires the
// signature_algorithms extension before it looks at the version, and a 1.0/1.1 hello
// must not carry that extension (RFC 5246 §7.4.1.4.1). The verdict is the same
// (rejected); the alert named is the one the server really sent.
#[tokio::test]
async fn rustls_tls13_only() {
    let s = states(rustls_server(&[&rustls::version::TLS13])).await;
    assert_eq!(s[0], alert(AlertDescription::HANDSHAKE_FAILURE));
    assert_eq!(s[1], alert(AlertDescription::HANDSHAKE_FAILURE));
    assert_eq!(s[2], alert(AlertDescription::PROTOCOL_VERSION));
    assert!(accepted(&s[3], ProtocolVersion::TLS13), "{:?}", s[3]);
}

#[tokio::test]
async fn rustls_tls12_only() {
    let s = states(rustls_server(&[&rustls::version::TLS12])).await;
    assert_eq!(s[0], alert(AlertDescription::HANDSHAKE_FAILURE));
    assert_eq!(s[1], alert(AlertDescription::HANDSHAKE_FAILURE));
    assert!(accepted(&s[2], ProtocolVersion::TLS12), "{:?}", s[2]);
    assert_eq!(s[3], alert(AlertDescription::PROTOCOL_VERSION));
}

#[tokio::test]
async fn rustls_tls12_and_13() {
    let s = states(rustls_server(&[
        &rustls::version::TLS12,
        &rustls::version::TLS13,
    ]))
    .await;
    assert_eq!(s[0], alert(AlertDescription::HANDSHAKE_FAILURE));
    assert_eq!(s[1], alert(AlertDescription::HANDSHAKE_FAILURE));
    assert!(accepted(&s[2], ProtocolVersion::TLS12), "{:?}", s[2]);
    assert!(accepted(&s[3], ProtocolVersion::TLS13), "{:?}", s[3]);
}

#[tokio::test]
async fn openssl_tls10_only() {
    let server = openssl_server("TLSv1", "TLSv1");
    let s = states(server.addr).await;
    assert!(accepted(&s[0], ProtocolVersion::TLS10), "{:?}", s[0]);
    // OpenSSL answers a newer hello with its own (older) version: a rejection.
    assert_eq!(
        s[1],
        Outcome::Rejected(Rejection::OtherVersion(ProtocolVersion::TLS10))
    );
    assert_eq!(
        s[2],
        Outcome::Rejected(Rejection::OtherVersion(ProtocolVersion::TLS10))
    );
    // A 1.3 hello (supported_versions = [1.3] only) gets protocol_version.
    assert_eq!(s[3], alert(AlertDescription::PROTOCOL_VERSION));
}

#[tokio::test]
async fn openssl_tls10_and_11() {
    let server = openssl_server("TLSv1", "TLSv1.1");
    let s = states(server.addr).await;
    assert!(accepted(&s[0], ProtocolVersion::TLS10), "{:?}", s[0]);
    assert!(accepted(&s[1], ProtocolVersion::TLS11), "{:?}", s[1]);
    assert_eq!(
        s[2],
        Outcome::Rejected(Rejection::OtherVersion(ProtocolVersion::TLS11))
    );
    assert_eq!(s[3], alert(AlertDescription::PROTOCOL_VERSION));
    // The legacy chain is captured from the clear-text Certificate message.
    let Outcome::Accepted(a) = &s[0] else {
        unreachable!()
    };
    assert_eq!(a.chain.first(), Some(&pki().leaf_der));
}

#[tokio::test]
async fn alert_servers_name_the_alert() {
    let pv = alert_server(70);
    let hf = alert_server(40);
    let p = probe(pv, Some("lab.test"), Tls10).await;
    assert_eq!(p.outcome, alert(AlertDescription::PROTOCOL_VERSION));
    assert_eq!((p.attempts, p.variant), (1, HelloVariant::Full));
    assert_eq!(
        p.outcome.to_string(),
        "rejected: alert protocol_version (70)"
    );
    let p = probe(hf, Some("lab.test"), Tls11).await;
    assert_eq!(p.outcome, alert(AlertDescription::HANDSHAKE_FAILURE));
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    let p = probe(closed_port(), None, Tls12).await;
    assert_eq!(p.outcome, Outcome::Unreachable(ConnectFailure::Refused));
}

#[tokio::test]
async fn blackhole_times_out_within_the_deadline_after_one_retry() {
    let t = Duration::from_millis(300);
    let start = std::time::Instant::now();
    let p = probe_version(pt(blackhole(), None), Tls10, t, 1).await;
    let took = start.elapsed();
    assert_eq!(p.outcome, Outcome::Timeout { bytes_received: 0 });
    assert_eq!(p.attempts, 2, "a timeout is retried once");
    assert_eq!(
        p.first_outcome().cloned(),
        Some(Outcome::Timeout { bytes_received: 0 })
    );
    assert!(
        took >= 2 * t && took < 2 * t + Duration::from_secs(2),
        "took {took:?}"
    );
}

#[tokio::test]
async fn resetter_is_rejected_reset() {
    let p = probe(resetter(), Some("lab.test"), Tls10).await;
    assert_eq!(p.outcome, Outcome::Rejected(Rejection::Reset));
    assert_eq!((p.attempts, p.variant), (2, HelloVariant::Compact));
}

#[tokio::test]
async fn closer_is_rejected_closed() {
    let p = probe(closer(), Some("lab.test"), Tls11).await;
    assert_eq!(p.outcome, Outcome::Rejected(Rejection::Closed));
    assert_eq!(p.attempts, 2);
}

#[tokio::test]
async fn http_on_the_tls_port_is_not_tls() {
    let p = probe(http_responder(), Some("lab.test"), Tls12).await;
    let Outcome::Error(ProbeError::NotTls { excerpt }) = &p.outcome else {
        panic!("{:?}", p.outcome)
    };
    assert!(
        excerpt.starts_with("HTTP/1.1 400 Bad Request Content-Type: text/html"),
        "{excerpt}"
    );
    assert!(
        p.outcome
            .to_string()
            .starts_with("error: not TLS: \"HTTP/1.1 400")
    );
}

/// The raw TLS 1.3 probe's own reading of what a scan now leaves to rustls when
/// rustls completes (`scan.rs`, `Tls13Raw`): the compact retry past a suite-count
/// intolerant front end, and a HelloRetryRequest as acceptance.
#[tokio::test]
async fn raw_tls13_probe_retries_compact_and_reads_a_retry_request() {
    let backend = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let front = hostile::suite_intolerant_front(16, backend);
    let p = probe(front, Some("localhost"), Tls13).await;
    assert!(accepted(&p.outcome, Tls13.wire()), "{:?}", p.outcome);
    assert_eq!((p.attempts, p.variant), (2, HelloVariant::Compact));
    assert_eq!(
        p.first_outcome().cloned(),
        Some(alert(AlertDescription::HANDSHAKE_FAILURE))
    );
    let p384_only = rustls_server_groups(
        vec![rustls::crypto::ring::kx_group::SECP384R1],
        &[&rustls::version::TLS13],
    );
    let p = probe(p384_only, Some("localhost"), Tls13).await;
    match &p.outcome {
        Outcome::Accepted(a) => assert!(a.retry_request, "{a:?}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn fragile_stack_is_reached_by_the_compact_retry() {
    let addr = fragile_server();
    for v in [Tls10, Tls11, Tls12] {
        let p = probe(
            addr,
            Some("a-rather-long-name-to-push-the-hello.lab.test"),
            v,
        )
        .await;
        assert!(accepted(&p.outcome, v.wire()), "{v}: {:?}", p.outcome);
        assert_eq!((p.attempts, p.variant), (2, HelloVariant::Compact));
        assert_eq!(
            p.first_outcome().cloned(),
            Some(Outcome::Rejected(Rejection::Closed))
        );
    }
}

#[tokio::test]
async fn higher_version_answer_is_a_rejection() {
    // A non-compliant server that answers every hello with TLS 1.2.
    let leaf = pki().leaf_der.clone();
    let addr = tcp_server(move |mut tcp| {
        let leaf = leaf.clone();
        async move {
            use tokio::io::AsyncWriteExt;
            read_hello(&mut tcp).await;
            let _ = tcp.write_all(&canned_flight([3, 3], 0xc02f, &leaf)).await;
            let _ = tcp.shutdown().await;
        }
    });
    let p = probe(addr, None, Tls10).await;
    assert_eq!(
        p.outcome,
        Outcome::Rejected(Rejection::OtherVersion(ProtocolVersion::TLS12))
    );
    assert_eq!(p.outcome.to_string(), "rejected: server chose TLS 1.2");
}

#[tokio::test]
async fn modern_handshake_and_raw_probe_see_the_same_certificate() {
    let addr = rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let raw = probe(addr, Some("lab.test"), Tls12).await;
    let Outcome::Accepted(a) = raw.outcome else {
        panic!("{:?}", raw.outcome)
    };
    let client = ModernClient::new(VersionRange::all()).unwrap().unwrap();
    let m = client.handshake(pt(addr, Some("lab.test")), T).await;
    let ModernOutcome::Completed { version, chain, .. } = m.outcome else {
        panic!("{:?}", m.outcome)
    };
    assert_eq!(version, ProtocolVersion::TLS13);
    let fp = |der: &[u8]| tlscompat::cert::sha256_hex(der);
    assert_eq!(fp(&chain[0]), fp(&a.chain[0]));
    assert_eq!(fp(&chain[0]), fp(&pki().leaf_der));
    assert_eq!(chain.len(), 2);
    assert!(m.timing.connect.is_some());
}

#[tokio::test]
async fn modern_handshake_reports_a_refusal() {
    let server = openssl_server("TLSv1", "TLSv1");
    let client = ModernClient::new(VersionRange::all()).unwrap().unwrap();
    let m = client.handshake(pt(server.addr, Some("lab.test")), T).await;
    // A refusal by alert is incompatibility, not a broken claim.
    assert!(
        matches!(&m.outcome, ModernOutcome::Incompatible(e) if e.contains("ProtocolVersion")),
        "{:?}",
        m.outcome
    );
}

#[tokio::test]
async fn retries_bound_the_attempts_on_timeouts() {
    let t = Duration::from_millis(150);
    let addr = blackhole();
    let target = pt(addr, None);
    let p = probe_version(target, Tls12, t, 0).await;
    assert_eq!(
        (p.attempts, p.variant),
        (1, HelloVariant::Full),
        "--retries 0 believes the timeout"
    );
    let p = probe_version(target, Tls12, t, 3).await;
    assert_eq!(p.attempts, 4);
    assert_eq!(p.outcome, Outcome::Timeout { bytes_received: 0 });
    // A close is always confirmed once, whatever --retries says.
    let p = probe_version(pt(closer(), None), Tls12, t, 0).await;
    assert_eq!(p.attempts, 2);
}

#[tokio::test]
async fn endless_reply_is_cut_off_not_buffered() {
    // Announces a huge ServerHello, then streams full records forever.
    let addr = tcp_server(|mut tcp| async move {
        use tokio::io::AsyncWriteExt;
        read_hello(&mut tcp).await;
        let mut first = vec![22, 3, 3, 0x40, 0x00, 2, 0xff, 0xff, 0xff];
        first.resize(5 + 0x4000, 0);
        if tcp.write_all(&first).await.is_err() {
            return;
        }
        let mut rec = vec![22, 3, 3, 0x40, 0x00];
        rec.resize(5 + 0x4000, 0);
        for _ in 0..64 {
            if tcp.write_all(&rec).await.is_err() {
                return;
            }
        }
    });
    let p = probe(addr, None, Tls12).await;
    assert_eq!(
        p.outcome,
        Outcome::Error(ProbeError::TooLarge {
            limit: tlscompat::probe::raw::MAX_REPLY
        })
    );
}

#[tokio::test]
async fn acceptance_survives_a_broken_certificate_message() {
    // TLS 1.0 ServerHello, then a Certificate message whose inner length overruns it.
    let addr = tcp_server(|mut tcp| async move {
        use tokio::io::AsyncWriteExt;
        read_hello(&mut tcp).await;
        let mut flight = canned_flight([3, 1], 0x002f, b"x");
        // Corrupt the certificate list length (bytes after the ServerHello).
        let sh_len = 4 + 2 + 32 + 1 + 2 + 1;
        let list_len_at = 5 + sh_len + 4;
        flight[list_len_at..list_len_at + 3].copy_from_slice(&[0, 0x10, 0]);
        let _ = tcp.write_all(&flight).await;
        let _ = tcp.shutdown().await;
    });
    let p = probe(addr, None, Tls10).await;
    let Outcome::Accepted(a) = &p.outcome else {
        panic!("{:?}", p.outcome)
    };
    assert_eq!(a.version, ProtocolVersion::TLS10);
    assert!(a.chain.is_empty(), "the chain could not be read");
}

#[tokio::test]
async fn a_proxy_whose_name_did_not_resolve_fails_the_probe_not_the_run() {
    // What the scan builds when the proxy's name does not resolve (resolution happens
    // once, before the scan; no DNS is asked here).
    let (proxy, _) = tlscompat::proxy::Proxy::parse("http://proxy.invalid:3128").unwrap();
    let route = Route::Proxy(tlscompat::probe::net::ProxyRoute {
        proxy: Err("proxy proxy.invalid:3128: no address".into()),
        label: "proxy.invalid:3128".into(),
        kind: proxy.kind,
        target: tlscompat::probe::net::TunnelTarget::Name("a.example".into(), 443),
        auth: std::sync::Arc::new(tlscompat::proxy::ProxyAuth::new(&proxy)),
    });
    let host = Host::Name("a.example".into());
    let p = probe_version(
        ProbeTarget {
            route: &route,
            host: &host,
            mail: None,
        },
        Tls12,
        T,
        1,
    )
    .await;
    assert_eq!(
        p.outcome,
        Outcome::Unreachable(ConnectFailure::Proxy(
            "proxy proxy.invalid:3128: no address".into()
        ))
    );
    assert_eq!(
        p.outcome.to_string(),
        "unreachable: proxy proxy.invalid:3128: no address"
    );
}
