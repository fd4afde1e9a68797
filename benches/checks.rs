//! The cost of the checks of issue 10, on loopback against a rustls server (ECDSA
//! P-256, TLS 1.2 + 1.3) the bench starts itself:
//!
//! - `profile_probe/<profile>`: one client-profile hello and its verdict (what each
//!   profile given to `--clients` adds per address);
//! - `ciphers/tls1_x`: a whole `--ciphers` enumeration of one version, reported per
//!   probe (one probe per accepted suite, one refusal, one order check) — divide by
//!   the accepted suites for the cost per suite.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tlscompat::checks::Net;
use tlscompat::checks::ciphers::enumerate;
use tlscompat::checks::profiles;
use tlscompat::probe::net::Route;
use tlscompat::probe::outcome::Outcome;
use tlscompat::probe::raw::fresh_randoms;
use tlscompat::target::Host;
use tlscompat::version::TlsVersion;

const TIMEOUT: Duration = Duration::from_secs(5);

fn bench(c: &mut Criterion) {
    let addr = support::rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]);
    let net = support::DirectNet {
        route: Route::Direct(addr),
        host: Host::Name("lab.test".into()),
        timeout: TIMEOUT,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("profile_probe");
    g.throughput(Throughput::Elements(1));
    for p in [&profiles::WIN10, &profiles::WIN11] {
        g.bench_function(BenchmarkId::from_parameter(&p.name), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let (random, key) = fresh_randoms();
                    let offer = p.offer(random);
                    let hello = p.hello(net.server_name(), random, &key);
                    let (outcome, _) = net.exchange(hello, &offer).await;
                    assert!(matches!(outcome, Outcome::Accepted(_)), "{outcome}");
                })
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("ciphers");
    for v in [TlsVersion::Tls12, TlsVersion::Tls13] {
        let probes = rt.block_on(enumerate(&net, v)).probes;
        g.throughput(Throughput::Elements(u64::from(probes)));
        g.bench_function(BenchmarkId::from_parameter(v.key()), |b| {
            b.iter(|| {
                let found = rt.block_on(enumerate(&net, v));
                assert!(!found.suites.is_empty());
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
