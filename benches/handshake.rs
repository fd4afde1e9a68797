//! Handshake throughput on loopback, against rustls servers the bench starts itself:
//!
//! - `scanner`: our modern-handshake path (`ModernClient::handshake`: connect, full
//!   TLS 1.3 handshake, chain captured);
//! - `bare`: a bare tokio-rustls client loop, same server, same concurrency, same
//!   verifier semantics (chain accepted, handshake signatures checked) — the limit our
//!   path is held against;
//! - `raw_probe`: our raw TLS 1.2 version probe (hello → ServerHello … Certificate);
//! - `raw_floor`: the least a raw probe can cost — connect, write one prebuilt hello,
//!   read the first flight, close — to show how much of `raw_probe` is the server's;
//!
//! each at 1, 16 and 64 connections in flight, with an ECDSA P-256 and an RSA-2048
//! server certificate. Throughput is reported in handshakes (elements) per second.

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use support::pki::Ca;
use tlscompat::probe::modern::{ModernClient, ModernOutcome};
use tlscompat::probe::net::Route;
use tlscompat::probe::outcome::Outcome;
use tlscompat::probe::raw::{ProbeTarget, probe_version};
use tlscompat::target::Host;
use tlscompat::version::{TlsVersion, VersionRange};

/// Handshakes per measured iteration.
const BATCH: usize = 128;
const TIMEOUT: Duration = Duration::from_secs(5);

fn ecdsa_server() -> SocketAddr {
    let ca = Ca::new("Bench CA");
    let leaf = ca.leaf(&["bench.test"], |_| {});
    support::rustls_server_with(vec![leaf.der, ca.der], leaf.key_der)
}

/// The RSA key is a throwaway made for this bench with `openssl genpkey` and kept in
/// `benches/data/` because ring (rcgen's backend) cannot generate RSA keys.
fn rsa_server() -> SocketAddr {
    let pem = include_str!("data/rsa2048.pkcs8.pem");
    let key =
        rcgen::KeyPair::from_pem_and_sign_algo(pem, &rcgen::PKCS_RSA_SHA256).expect("rsa key");
    let mut params = rcgen::CertificateParams::new(vec!["bench.test".to_string()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "bench.test");
    let cert = params.self_signed(&key).expect("rsa cert");
    support::rustls_server_with(vec![cert.der().to_vec()], key.serialize_der())
}

/// Runs `one` BATCH times with `concurrency` in flight; panics if any fails, so a
/// broken path can never look fast.
async fn batch<F, Fut>(concurrency: usize, one: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let one = Arc::new(one);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (next, one) = (next.clone(), one.clone());
        set.spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < BATCH {
                assert!(one().await, "handshake failed");
            }
        });
    }
    set.join_all().await;
}

fn bare_connector() -> tokio_rustls::TlsConnector {
    let provider = Arc::new(tlscompat::crypto::provider());
    let verifier = tlscompat::probe::modern::accept_any_chain(&provider);
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.resumption = rustls::client::Resumption::disabled();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// One prebuilt TLS 1.2 hello, written and answered with no parsing beyond waiting
/// for the ServerHelloDone (the flight's last message, `0e 00 00 00`).
async fn raw_floor(addr: SocketAddr) -> bool {
    use std::sync::OnceLock;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    static HELLO: OnceLock<Vec<u8>> = OnceLock::new();
    let hello = HELLO.get_or_init(|| {
        tlscompat::wire::hello::client_hello_record(&tlscompat::wire::hello::HelloSpec {
            version: TlsVersion::Tls12,
            variant: tlscompat::wire::hello::HelloVariant::Full,
            server_name: Some("bench.test"),
            random: [7; 32],
            entropy: [9; 32],
            suites: None,
        })
    });
    let Ok(mut tcp) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let _ = tcp.set_nodelay(true);
    if tcp.write_all(hello).await.is_err() {
        return false;
    }
    let mut buf = Vec::with_capacity(8192);
    loop {
        match tcp.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(_) if buf.ends_with(&[0x0e, 0, 0, 0]) => return true,
            Ok(_) => {}
        }
    }
}

fn handshakes(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let host: &'static Host = Box::leak(Box::new(Host::Name("bench.test".into())));
    for (cert, addr) in [("ecdsa_p256", ecdsa_server()), ("rsa_2048", rsa_server())] {
        let route: &'static Route = Box::leak(Box::new(Route::Direct(addr)));
        let scanner = Arc::new(
            ModernClient::new(VersionRange::all())
                .expect("client")
                .expect("modern"),
        );
        let bare = bare_connector();
        let mut group = c.benchmark_group(format!("handshake/{cert}"));
        group.throughput(Throughput::Elements(BATCH as u64));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(4))
            .warm_up_time(Duration::from_secs(1));
        for concurrency in [1usize, 16, 64] {
            group.bench_function(BenchmarkId::new("scanner", concurrency), |b| {
                b.iter(|| {
                    let scanner = scanner.clone();
                    rt.block_on(batch(concurrency, move || {
                        let scanner = scanner.clone();
                        async move {
                            let target = ProbeTarget {
                                route,
                                host,
                                mail: None,
                            };
                            matches!(
                                scanner.handshake(target, TIMEOUT).await.outcome,
                                ModernOutcome::Completed { .. }
                            )
                        }
                    }))
                })
            });
            group.bench_function(BenchmarkId::new("bare", concurrency), |b| {
                b.iter(|| {
                    let bare = bare.clone();
                    rt.block_on(batch(concurrency, move || {
                        let bare = bare.clone();
                        async move {
                            let Ok(tcp) = tokio::net::TcpStream::connect(addr).await else {
                                return false;
                            };
                            let _ = tcp.set_nodelay(true);
                            let name = ServerName::try_from("bench.test").expect("name");
                            bare.connect(name, tcp).await.is_ok()
                        }
                    }))
                })
            });
            group.bench_function(BenchmarkId::new("raw_floor", concurrency), |b| {
                b.iter(|| {
                    rt.block_on(batch(
                        concurrency,
                        move || async move { raw_floor(addr).await },
                    ))
                })
            });
            group.bench_function(BenchmarkId::new("raw_probe", concurrency), |b| {
                b.iter(|| {
                    rt.block_on(batch(concurrency, move || async move {
                        let target = ProbeTarget {
                            route,
                            host,
                            mail: None,
                        };
                        let p = probe_version(target, TlsVersion::Tls12, TIMEOUT, 0).await;
                        matches!(p.outcome, Outcome::Accepted(_))
                    }))
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, handshakes);
criterion_main!(benches);
