//! Codec micro-benchmarks: building a ClientHello and decoding a server's first flight.
//! These bound the CPU the raw probe spends per connection, apart from the network.
//! (Handshake-throughput benchmarks against loopback servers are tracked separately.)

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tlscompat::version::TlsVersion;
use tlscompat::wire::enums::ProtocolVersion;
use tlscompat::wire::hello::{HelloSpec, HelloVariant, client_hello_record};
use tlscompat::wire::reply::parse_reply;

fn hello(c: &mut Criterion) {
    for v in [TlsVersion::Tls10, TlsVersion::Tls13] {
        c.bench_function(&format!("client_hello_record/{}", v.key()), |b| {
            b.iter(|| {
                client_hello_record(black_box(&HelloSpec {
                    version: v,
                    variant: HelloVariant::Full,
                    server_name: Some("login.microsoftonline.com"),
                    random: [1; 32],
                    entropy: [2; 32],
                    suites: None,
                }))
            })
        });
    }
}

fn reply(c: &mut Criterion) {
    // ServerHello + Certificate (a 3 KiB certificate) + ServerHelloDone.
    let bytes = support::canned_flight([3, 3], 0xc02f, &[0x30; 3000]);
    c.bench_function("parse_reply/tls1_2_flight_3k", |b| {
        b.iter(|| parse_reply(black_box(&bytes), ProtocolVersion::TLS12, false))
    });
}

criterion_group!(benches, hello, reply);
criterion_main!(benches);
