use super::*;
use crate::wire::codec::{put_prefixed, put_u16};
use crate::wire::enums::NamedGroup;
use proptest::prelude::*;

const V12: ProtocolVersion = ProtocolVersion::TLS12;
const V10: ProtocolVersion = ProtocolVersion::TLS10;

fn record(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    put_u16(&mut out, 0x0303);
    put_prefixed(&mut out, 2, |o| o.extend_from_slice(body));
    out
}

fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    put_prefixed(&mut out, 3, |o| o.extend_from_slice(body));
    out
}

fn server_hello(version: u16, suite: u16, random: [u8; 32], selected: Option<u16>) -> Vec<u8> {
    let mut b = Vec::new();
    put_u16(&mut b, version);
    b.extend_from_slice(&random);
    b.push(0);
    put_u16(&mut b, suite);
    b.push(0);
    if let Some(v) = selected {
        put_prefixed(&mut b, 2, |o| {
            put_u16(o, 0x002b);
            put_prefixed(o, 2, |o| put_u16(o, v));
        });
    }
    handshake(2, &b)
}

fn certificate(certs: &[&[u8]]) -> Vec<u8> {
    let mut b = Vec::new();
    put_prefixed(&mut b, 3, |o| {
        for c in certs {
            put_prefixed(o, 3, |o| o.extend_from_slice(c));
        }
    });
    handshake(11, &b)
}

fn hello_of(p: Progress) -> ServerHello {
    match p {
        Progress::Done(Reply::Hello(h)) => h,
        other => panic!("expected hello, got {other:?}"),
    }
}

#[test]
fn alert_before_hello_is_the_answer() {
    let bytes = record(21, &[2, 70]);
    assert_eq!(
        parse_reply(&bytes, V10, false),
        Progress::Done(Reply::Alert {
            level: 2,
            description: AlertDescription::PROTOCOL_VERSION
        })
    );
    assert_eq!(
        parse_reply(&record(21, &[2]), V10, false),
        Progress::Malformed(Malformed::BadAlert)
    );
}

#[test]
fn warning_alert_is_not_final_while_the_server_goes_on() {
    let mut wire = record(21, &[1, 112]);
    assert_eq!(parse_reply(&wire, V12, false), Progress::NeedMore);
    assert_eq!(
        parse_reply(&wire, V12, true),
        Progress::Done(Reply::Alert {
            level: 1,
            description: AlertDescription::UNRECOGNIZED_NAME
        })
    );
    wire.extend(record(22, &server_hello(0x0303, 0xc02f, [1; 32], None)));
    wire.extend(record(22, &certificate(&[b"c"])));
    wire.extend(record(22, &handshake(14, &[])));
    assert_eq!(hello_of(parse_reply(&wire, V12, false)).version, V12);
}

#[test]
fn tls12_hello_waits_for_certificate_across_records_and_segments() {
    let mut flight = server_hello(0x0303, 0xc02f, [1; 32], None);
    flight.extend(certificate(&[b"leaf-der", b"ca-der"]));
    flight.extend(handshake(14, &[]));
    // Split the handshake stream into two records, and feed it byte by byte.
    let (a, b) = flight.split_at(50);
    let mut wire = record(22, a);
    wire.extend(record(22, b));
    for cut in 1..wire.len() {
        assert_eq!(
            parse_reply(&wire[..cut], V12, false),
            Progress::NeedMore,
            "cut at {cut}"
        );
    }
    let hello = hello_of(parse_reply(&wire, V12, false));
    assert_eq!(hello.version, V12);
    assert_eq!(
        hello.cipher,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    );
    assert_eq!(
        hello.certificates,
        vec![b"leaf-der".to_vec(), b"ca-der".to_vec()]
    );
}

#[test]
fn lower_version_hello_is_final_without_certificate() {
    let wire = record(22, &server_hello(0x0301, 0x002f, [0; 32], None));
    let hello = hello_of(parse_reply(&wire, V12, false));
    assert_eq!(hello.version, V10);
    assert!(hello.certificates.is_empty());
}

#[test]
fn tls13_uses_supported_versions_and_detects_hrr() {
    let wire = record(22, &server_hello(0x0303, 0x1301, [3; 32], Some(0x0304)));
    let hello = hello_of(parse_reply(&wire, ProtocolVersion::TLS13, false));
    assert_eq!(hello.version, ProtocolVersion::TLS13);
    assert!(!hello.retry_request);
    let wire = record(22, &server_hello(0x0303, 0x1301, HRR_RANDOM, Some(0x0304)));
    assert!(hello_of(parse_reply(&wire, ProtocolVersion::TLS13, false)).retry_request);
}

#[test]
fn downgrade_sentinel_is_seen() {
    let mut random = [0u8; 32];
    random[24..].copy_from_slice(b"DOWNGRD\x01");
    let wire = record(22, &server_hello(0x0303, 0xc02f, random, None));
    let mut wire2 = wire.clone();
    wire2.extend(record(22, &certificate(&[b"x"])));
    assert_eq!(parse_reply(&wire2, V12, false), Progress::NeedMore);
    wire2.extend(record(22, &handshake(14, &[])));
    assert!(hello_of(parse_reply(&wire2, V12, false)).downgrade_sentinel);
}

#[test]
fn eof_after_hello_keeps_the_acceptance() {
    let wire = record(22, &server_hello(0x0301, 0x002f, [0; 32], None));
    assert_eq!(parse_reply(&wire, V10, false), Progress::NeedMore);
    let hello = hello_of(parse_reply(&wire, V10, true));
    assert_eq!(hello.version, V10);
    assert_eq!(
        parse_reply(&wire[..7], V10, true),
        Progress::Malformed(Malformed::Truncated)
    );
}

#[test]
fn http_reply_is_not_tls() {
    let http = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(
        parse_reply(http, V12, false),
        Progress::Done(Reply::NotTls {
            excerpt: "HTTP/1.1 400 Bad Request Content-Length: 0".into()
        })
    );
}

#[test]
fn oversized_record_is_rejected_not_awaited() {
    let wire = [22u8, 3, 3, 0xff, 0xff];
    assert_eq!(
        parse_reply(&wire, V12, false),
        Progress::Malformed(Malformed::RecordTooLong(65535))
    );
}

#[test]
fn unexpected_first_message_is_malformed() {
    let wire = record(22, &certificate(&[b"x"]));
    assert_eq!(
        parse_reply(&wire, V12, false),
        Progress::Malformed(Malformed::UnexpectedMessage(HandshakeType::CERTIFICATE))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), eof: bool) {
        for v in [V10, V12, ProtocolVersion::TLS13] {
            let _ = parse_reply(&bytes, v, eof);
        }
    }

    #[test]
    fn tls_shaped_bytes_never_panic(
        typ in 20u8..=24,
        body in proptest::collection::vec(any::<u8>(), 0..600),
        tail in proptest::collection::vec(any::<u8>(), 0..64),
        eof: bool,
    ) {
        let mut wire = record(typ, &body);
        wire.extend(tail);
        for v in [V10, V12, ProtocolVersion::TLS13] {
            let _ = parse_reply(&wire, v, eof);
        }
    }

    #[test]
    fn truncated_valid_flights_never_panic(cut in 0usize..200, eof: bool) {
        let mut flight = server_hello(0x0303, 0xc02f, [1; 32], Some(0x0303));
        flight.extend(certificate(&[&[0x30; 40], &[0x31; 40]]));
        let wire = record(22, &flight);
        let cut = cut.min(wire.len());
        let _ = parse_reply(&wire[..cut], V12, eof);
    }
}

#[test]
fn failures_after_an_accepting_hello_keep_the_acceptance() {
    let hello = server_hello(0x0301, 0x002f, [1; 32], None);
    // A Certificate message whose inner length overruns it.
    let mut bad_cert = hello.clone();
    bad_cert.extend(handshake(11, &[0, 0, 9, 0, 0, 20, 1, 2, 3]));
    let h = hello_of(parse_reply(&record(22, &bad_cert), V10, false));
    assert_eq!(h.version, V10);
    assert!(h.certificates.is_empty());
    // A garbage record header after the hello.
    let mut wire = record(22, &hello);
    wire.extend([0x99, 0x99, 0x99, 0, 1, 0]);
    assert_eq!(hello_of(parse_reply(&wire, V10, false)).version, V10);
    // Before any hello, the same garbage is an error.
    assert!(matches!(
        parse_reply(
            &[22, 3, 1, 0, 1, 0x63, 0x99, 0x99, 0x99, 0, 1, 0],
            V10,
            false
        ),
        Progress::Malformed(_)
    ));
}

#[test]
fn tls12_flight_keeps_key_exchange_and_says_how_it_ended() {
    let mut flight = server_hello(0x0303, 0xc02f, [5; 32], None);
    flight.extend(certificate(&[b"leaf"]));
    flight.extend(handshake(12, &[3, 0, 0x17, 1, 4, 0x04, 0x03, 0, 1, 9]));
    let before_done = record(22, &flight);
    let h = hello_of(parse_reply(&before_done, V12, true));
    assert_eq!(h.flight, FlightEnd::Closed);
    assert_eq!(h.random, [5; 32]);
    assert_eq!(
        h.key_exchange.as_deref(),
        Some(&[3, 0, 0x17, 1, 4, 0x04, 0x03, 0, 1, 9][..])
    );
    flight.extend(handshake(14, &[]));
    let h = hello_of(parse_reply(&record(22, &flight), V12, false));
    assert_eq!(h.flight, FlightEnd::Complete);
    // An alert after the hello ends the flight, and says so.
    let mut wire = before_done.clone();
    wire.extend(record(21, &[2, 40]));
    let h = hello_of(parse_reply(&wire, V12, false));
    assert_eq!(
        h.flight,
        FlightEnd::Alert(AlertDescription::HANDSHAKE_FAILURE)
    );
}

#[test]
fn tls13_hello_records_the_key_share_group() {
    let mut b = Vec::new();
    put_u16(&mut b, 0x0303);
    b.extend_from_slice(&HRR_RANDOM);
    b.push(0);
    put_u16(&mut b, 0x1301);
    b.push(0);
    put_prefixed(&mut b, 2, |o| {
        put_u16(o, 0x002b);
        put_prefixed(o, 2, |o| put_u16(o, 0x0304));
        put_u16(o, 0x0033);
        put_prefixed(o, 2, |o| put_u16(o, 0x001e));
    });
    let wire = record(22, &handshake(2, &b));
    let h = hello_of(parse_reply(&wire, ProtocolVersion::TLS13, false));
    assert!(h.retry_request);
    assert_eq!(h.key_share, Some(NamedGroup::X448));
    assert_eq!(h.compression, 0);
}

#[test]
fn ssl3_record_version_alert_is_read() {
    let wire = [21u8, 3, 0, 0, 2, 2, 40];
    assert_eq!(
        parse_reply(&wire, V10, false),
        Progress::Done(Reply::Alert {
            level: 2,
            description: AlertDescription::HANDSHAKE_FAILURE
        })
    );
}

#[test]
fn warning_then_deadline_is_reported_as_the_warning() {
    let mut p = ReplyParser::new(V12);
    assert_eq!(p.feed(&record(21, &[1, 112])), Progress::NeedMore);
    assert_eq!(
        p.stalled(),
        Some(Reply::Alert {
            level: 1,
            description: AlertDescription::UNRECOGNIZED_NAME
        })
    );
}

/// A flight fed in tiny slices gives the same answer as fed whole, and each byte is
/// decoded once: the parser keeps only the incomplete record between feeds.
#[test]
fn incremental_feeding_matches_whole_parsing() {
    let mut flight = server_hello(0x0303, 0xc02f, [1; 32], None);
    flight.extend(certificate(&[&[0x30; 3000], &[0x31; 2000]]));
    flight.extend(handshake(14, &[]));
    let mut wire = Vec::new();
    for chunk in flight.chunks(4) {
        wire.extend(record(22, chunk));
    }
    let whole = parse_reply(&wire, V12, false);
    for step in [1usize, 2, 9, 100, 4096] {
        let mut p = ReplyParser::new(V12);
        let mut last = Progress::NeedMore;
        for piece in wire.chunks(step) {
            last = p.feed(piece);
            assert!(
                p.pending.len() <= 5 + 4,
                "pending grew to {}",
                p.pending.len()
            );
        }
        assert_eq!(last, whole, "step {step}");
    }
}
