//! Codec micro-benchmarks: building a ClientHello and decoding a server's first flight.
//! These bound the CPU the raw probe spends per connection, apart from the network.
//! (Handshake-throughput benchmarks against loopback servers are tracked separately.)

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
                }))
            })
        });
    }
}

/// A TLS 1.2 flight: ServerHello + Certificate (3 KiB chain) + ServerHelloDone.
fn flight() -> Vec<u8> {
    fn hs(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![typ];
        out.extend(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend(body);
        out
    }
    let mut sh = vec![3, 3];
    sh.extend([7; 32]);
    sh.extend([0, 0xc0, 0x2f, 0]);
    let cert = vec![0x30; 1500];
    let mut list: Vec<u8> = Vec::new();
    for _ in 0..2 {
        list.extend(&(cert.len() as u32).to_be_bytes()[1..]);
        list.extend(&cert);
    }
    let mut certs = (list.len() as u32).to_be_bytes()[1..].to_vec();
    certs.extend(list);
    let mut body = hs(2, &sh);
    body.extend(hs(11, &certs));
    body.extend(hs(14, &[]));
    let mut rec = vec![22, 3, 3];
    rec.extend((body.len() as u16).to_be_bytes());
    rec.extend(body);
    rec
}

fn reply(c: &mut Criterion) {
    let bytes = flight();
    c.bench_function("parse_reply/tls1_2_flight_3k", |b| {
        b.iter(|| parse_reply(black_box(&bytes), ProtocolVersion::TLS12, false))
    });
}

criterion_group!(benches, hello, reply);
criterion_main!(benches);
