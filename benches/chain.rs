//! The work that dominates a real Microsoft 365 scan, for choosing the crypto provider
//! (`cargo bench --bench chain`, then again with `--features aws-lc-rs`):
//!
//! - `verify/<chain>`: one chain verification (path building, signatures, name) with
//!   the trust stores' memos off — what every distinct chain costs once;
//! - `verify_memo/<chain>`: the same with the memos on, after the first — what every
//!   further address with that chain costs (new server name each time, so only the
//!   signature memo helps, as on a real list of many names);
//! - `handshake/<chain>`: the scanner's rustls handshake (TLS 1.3, chain captured, 16
//!   in flight) against a server presenting the chain.
//!
//! Chains (`common/chains.rs`): `ms_ecc_p384` — RSA-2048 root → P-384 issuing CA →
//! P-256 leaf, the shape of Microsoft's "Azure ECC TLS Issuing CA" chains; `ms_rsa` —
//! RSA-4096 root → RSA-2048 issuing CA → RSA-2048 leaf. The servers always use ring:
//! only the scanner's side changes with the feature.

#[path = "common/chains.rs"]
mod chains;
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tlscompat::cert::summarize;
use tlscompat::probe::modern::{ModernClient, ModernOutcome};
use tlscompat::probe::net::Route;
use tlscompat::probe::raw::ProbeTarget;
use tlscompat::target::Host;
use tlscompat::trust::{TrustSettings, TrustStores};
use tlscompat::version::VersionRange;

const BATCH: usize = 64;
const IN_FLIGHT: usize = 16;

fn stores(chain: &chains::Chain, dir: &support::TempDir, memo: bool) -> TrustStores {
    let root = dir.0.join(format!("{}.pem", chain.label));
    std::fs::write(&root, &chain.root_pem).expect("root");
    let settings = TrustSettings {
        roots: vec![root],
        ca_files: Vec::new(),
        system_store: false,
    };
    match memo {
        true => TrustStores::new(&settings),
        false => TrustStores::without_cache(&settings),
    }
    .expect("stores")
}

fn bench(c: &mut Criterion) {
    let provider = if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "ring"
    };
    let dir = support::TempDir::new("chain-bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    for chain in [
        chains::microsoft_ecc(&["*.bench.test"]),
        chains::microsoft_rsa(&["*.bench.test"]),
    ] {
        let summaries: Vec<_> = chain
            .chain
            .iter()
            .filter_map(|c| summarize(c).ok())
            .collect();
        let host = Host::Name("e1.bench.test".into());
        let plain = stores(&chain, &dir, false);
        let verdict = plain.verify(&chain.chain, &summaries, &host);
        assert!(verdict.public.is_ok(), "{}: {verdict:?}", chain.label);

        let mut group = c.benchmark_group(format!("{provider}/{}", chain.label));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1));
        group.bench_function("verify", |b| {
            b.iter(|| plain.verify(&chain.chain, &summaries, &host))
        });
        let memo = stores(&chain, &dir, true);
        let n = AtomicUsize::new(0);
        group.bench_function("verify_memo", |b| {
            b.iter(|| {
                // A new name every time: the verdict memo misses, the signature memo hits.
                let i = n.fetch_add(1, Ordering::Relaxed);
                let host = Host::Name(format!("e{i}.bench.test"));
                memo.verify(&chain.chain, &summaries, &host)
            })
        });

        let addr = support::rustls_server_with(chain.chain.clone(), chain.key_der.clone());
        let route: &'static Route = Box::leak(Box::new(Route::Direct(addr)));
        let host: &'static Host = Box::leak(Box::new(Host::Name("e1.bench.test".into())));
        let client = Arc::new(
            ModernClient::new(VersionRange::all())
                .expect("client")
                .expect("modern"),
        );
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function(BenchmarkId::new("handshake", IN_FLIGHT), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let next = Arc::new(AtomicUsize::new(0));
                    let mut set = tokio::task::JoinSet::new();
                    for _ in 0..IN_FLIGHT {
                        let (next, client) = (next.clone(), client.clone());
                        set.spawn(async move {
                            while next.fetch_add(1, Ordering::Relaxed) < BATCH {
                                let target = ProbeTarget {
                                    route,
                                    host,
                                    mail: None,
                                };
                                let done = client.handshake(target, Duration::from_secs(5)).await;
                                assert!(
                                    matches!(done.outcome, ModernOutcome::Completed { .. }),
                                    "{:?}",
                                    done.outcome
                                );
                            }
                        });
                    }
                    set.join_all().await;
                })
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
