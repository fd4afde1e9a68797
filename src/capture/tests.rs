use super::*;
use crate::wire::custom_hello::{Ext, HelloInputs, HelloShape, encode};
use etherparse::PacketBuilder;
use proptest::prelude::*;
use std::borrow::Cow;

fn hello(suites: &'static [u16], name: &str) -> Vec<u8> {
    let shape = HelloShape {
        record_version: 0x0301,
        client_version: 0x0303,
        suites: Cow::Borrowed(suites),
        groups: Cow::Borrowed(&[0x001d, 0x0017]),
        signature_algorithms: Cow::Borrowed(&[0x0401]),
        versions: Cow::Borrowed(&[]),
        extensions: Cow::Borrowed(&[
            Ext::ServerName,
            Ext::SupportedGroups,
            Ext::SignatureAlgorithms,
        ]),
        key_share: None,
    };
    encode(
        &shape,
        &HelloInputs {
            server_name: Some(name),
            random: [5; 32],
            key_share: &[],
        },
    )
}

/// A TCP packet from 10.0.0.1:port (or [::1]) to 10.0.0.2:443 without link layer.
fn ip_packet(v6: bool, port: u16, seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
    let builder = match v6 {
        true => PacketBuilder::ipv6(
            [0; 15]
                .iter()
                .chain([1].iter())
                .copied()
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
            [0xfe; 16],
            64,
        ),
        false => PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64),
    };
    let mut tcp = builder.tcp(port, 443, seq, 65535);
    if syn {
        tcp = tcp.syn();
    }
    let mut out = Vec::new();
    tcp.write(&mut out, payload).unwrap();
    out
}

fn ethernet(ip: &[u8], v6: bool) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    f.extend_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
    f.extend_from_slice(ip);
    f
}

/// A little-endian microsecond pcap of `frames` with link type `link`.
fn pcap(link: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262144u32.to_le_bytes());
    out.extend_from_slice(&link.to_le_bytes());
    for f in frames {
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

fn block(typ: u32, body: &[u8]) -> Vec<u8> {
    let mut padded = body.to_vec();
    while !padded.len().is_multiple_of(4) {
        padded.push(0);
    }
    let len = (12 + padded.len()) as u32;
    let mut out = Vec::new();
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&padded);
    out.extend_from_slice(&len.to_le_bytes());
    out
}

/// A pcapng with one interface per link type; frames name their interface.
fn pcapng(links: &[u16], frames: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut out = block(0x0a0d0d0a, &shb);
    for l in links {
        let mut idb = Vec::new();
        idb.extend_from_slice(&l.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u32.to_le_bytes());
        out.extend(block(1, &idb));
    }
    for (iface, f) in frames {
        let mut epb = Vec::new();
        epb.extend_from_slice(&iface.to_le_bytes());
        epb.extend_from_slice(&[0; 8]);
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(f);
        out.extend(block(6, &epb));
    }
    out
}

const SUITES_A: &[u16] = &[0xc028, 0xc027, 0x003d, 0x002f];
const SUITES_B: &[u16] = &[0xc02f, 0xc030];

#[test]
fn a_hello_split_over_segments_out_of_order_in_ethernet_pcap() {
    let rec = hello(SUITES_A, "split.example");
    let (a, b) = rec.split_at(40);
    let frames = vec![
        ethernet(&ip_packet(false, 50000, 999, true, &[]), false),
        ethernet(&ip_packet(false, 50000, 1000 + 40, false, b), false),
        ethernet(&ip_packet(false, 50000, 1000, false, a), false),
        ethernet(&ip_packet(false, 50000, 1000 + 40, false, b), false),
    ];
    let c = contents(&pcap(1, &frames)).unwrap();
    assert_eq!(c.format, "pcap");
    assert_eq!(c.hellos.len(), 1, "{:?}", c.broken);
    assert_eq!(
        c.hellos[0].hello.server_name().as_deref(),
        Some("split.example")
    );
    assert_eq!(
        c.hellos[0].place,
        "frames 2-3, 10.0.0.1:50000 -> 10.0.0.2:443"
    );
    assert_eq!(
        c.hellos[0].hello.replay(Some("split.example"), [5; 32]),
        rec
    );
}

#[test]
fn every_link_type_and_ipv6() {
    let rec = hello(SUITES_A, "link.example");
    let v4 = ip_packet(false, 1, 1, false, &rec);
    let v6 = ip_packet(true, 1, 1, false, &rec);
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend_from_slice(&v4);
    let mut loop_ = 24u32.to_be_bytes().to_vec();
    loop_.extend_from_slice(&v6);
    let mut sll2 = vec![0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6];
    sll2.extend_from_slice(&[0; 8]);
    sll2.extend_from_slice(&v6);
    let mut sll = vec![0, 0, 0, 1, 0, 6];
    sll.extend_from_slice(&[0; 8]);
    sll.extend_from_slice(&[0x08, 0x00]);
    sll.extend_from_slice(&v4);
    for (link, frame) in [
        (1, ethernet(&v6, true)),
        (101, v4.clone()),
        (228, v4.clone()),
        (229, v6.clone()),
        (0, null),
        (108, loop_),
        (113, sll),
        (276, sll2),
    ] {
        let c = contents(&pcap(link, std::slice::from_ref(&frame))).unwrap();
        assert_eq!(c.hellos.len(), 1, "link type {link}: {:?}", c.notes);
        let ng = contents(&pcapng(&[147, link as u16], &[(1, frame)])).unwrap();
        assert_eq!(
            (ng.format, ng.hellos.len()),
            ("pcapng", 1),
            "pcapng link type {link}"
        );
    }
}

#[test]
fn several_hellos_pick_by_index_by_shape_or_by_name() {
    let frames = |hellos: &[Vec<u8>]| {
        let f: Vec<Vec<u8>> = hellos
            .iter()
            .enumerate()
            .map(|(i, h)| ethernet(&ip_packet(false, 50000 + i as u16, 1, false, h), false))
            .collect();
        pcap(1, &f)
    };
    let spec = |arg: &str| parse_spec(arg).unwrap();
    let targets = vec!["b.example".to_string()];
    // Same client, two names: the same shape, the first is taken.
    let same = frames(&[hello(SUITES_A, "a.example"), hello(SUITES_A, "c.example")]);
    let f = choose(&spec("pc=x"), contents(&same).unwrap(), &[]).unwrap();
    assert_eq!(f.hello.server_name().as_deref(), Some("a.example"));
    // Two clients: the one sent to a scanned name, else the list.
    let two = frames(&[hello(SUITES_A, "a.example"), hello(SUITES_B, "b.example")]);
    let f = choose(&spec("pc=x"), contents(&two).unwrap(), &targets).unwrap();
    assert_eq!(f.hello.suites, SUITES_B);
    let e = choose(&spec("pc=x.pcap"), contents(&two).unwrap(), &[]).unwrap_err();
    assert!(
        e.starts_with("2 different ClientHellos; choose one with pc=x.pcap#N:"),
        "{e}"
    );
    assert!(e.contains("#1  SNI a.example, TLS 1.0 TLS 1.1 TLS 1.2, 4 cipher suites  (frame 1, 10.0.0.1:50000 -> 10.0.0.2:443)"), "{e}");
    assert!(
        e.contains("#2  SNI b.example, TLS 1.0 TLS 1.1 TLS 1.2, 2 cipher suites"),
        "{e}"
    );
    let f = choose(&spec("pc=x#1"), contents(&two).unwrap(), &targets).unwrap();
    assert_eq!(f.hello.suites, SUITES_A);
    let e = choose(&spec("pc=x#3"), contents(&two).unwrap(), &[]).unwrap_err();
    assert_eq!(e, "#3: the file holds 2 ClientHello(s)");
}

#[test]
fn no_hello_truncated_or_not_a_capture_say_why() {
    let spec = parse_spec("pc=f").unwrap();
    let rec = hello(SUITES_A, "cut.example");
    let cut = pcap(
        1,
        &[ethernet(&ip_packet(false, 1, 1, false, &rec[..60]), false)],
    );
    let e = choose(&spec, contents(&cut).unwrap(), &[]).unwrap_err();
    assert!(e.contains("no ClientHello in this pcap file; frame 1, 10.0.0.1:1 -> 10.0.0.2:443: truncated ClientHello, 60 of at least"), "{e}");
    assert!(e.contains("(the capture ends before it does)"), "{e}");
    let http = pcap(
        1,
        &[ethernet(
            &ip_packet(false, 1, 1, false, b"GET / HTTP/1.1\r\n"),
            false,
        )],
    );
    let e = choose(&spec, contents(&http).unwrap(), &[]).unwrap_err();
    assert!(
        e.contains(
            "no ClientHello in this pcap file (1 frames, 1 TCP segments, 1 TCP streams with data)"
        ),
        "{e}"
    );
    assert!(
        contents(b"\x7fELF\x02\x01")
            .unwrap_err()
            .contains("not a pcap, pcapng or hex dump")
    );
    assert!(
        contents(b"hello world")
            .unwrap_err()
            .contains("'h' (column 1) is not a hex digit")
    );
    assert!(
        contents(&[0x1f, 0x8b, 8, 0])
            .unwrap_err()
            .contains("gunzip")
    );
    let e = contents(b"02 00 00 4c").unwrap_err();
    assert!(e.contains("begins with 0x02"), "{e}");
    let short_hex: String = rec[..50].iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        contents(short_hex.as_bytes())
            .unwrap_err()
            .contains("truncated ClientHello")
    );
}

#[test]
fn hex_dumps_of_records_or_of_the_message() {
    let rec = hello(SUITES_A, "hex.example");
    let text: String = rec.iter().map(|b| format!("{b:02x}")).collect();
    let c = contents(text.as_bytes()).unwrap();
    assert_eq!(c.hellos[0].place, format!("bytes 0-{}", rec.len() - 1));
    let msg: String = rec[5..].iter().map(|b| format!("{b:02x} ")).collect();
    let c = contents(msg.as_bytes()).unwrap();
    assert_eq!(
        c.hellos[0].hello.server_name().as_deref(),
        Some("hex.example")
    );
    // A bare message is replayed in one TLS 1.0-versioned record.
    assert_eq!(c.hellos[0].hello.replay(Some("hex.example"), [5; 32]), rec);
}

#[test]
fn names_and_indexes_parse() {
    assert_eq!(
        parse_spec("my-pc=/tmp/a b.pcap#2"),
        Ok(Spec {
            name: "my-pc".into(),
            min: None,
            path: "/tmp/a b.pcap".into(),
            index: Some(2)
        })
    );
    let floor = parse_spec("win7@1.0=x.pcap").unwrap();
    assert_eq!(
        (floor.name.as_str(), floor.min),
        ("win7", Some(TlsVersion::Tls10))
    );
    assert!(
        parse_spec("w@1.4=x")
            .unwrap_err()
            .contains("after '@': unknown TLS version")
    );
    assert_eq!(
        parse_spec("x=odd#name.pcap").unwrap().path,
        PathBuf::from("odd#name.pcap")
    );
    assert_eq!(parse_spec("x=f#12#").unwrap().path, PathBuf::from("f#12"));
    for bad in ["Win7=f", "a_b=f", "=f", "-a=f", "a", "a=", "a=f#0"] {
        assert!(parse_spec(bad).is_err(), "{bad}");
    }
    assert!(parse_spec("a_b=f").unwrap_err().contains("client_NAME"));
}

proptest! {
    #[test]
    fn arbitrary_captures_never_panic(
        magic in prop_oneof![
            Just(vec![0xd4, 0xc3, 0xb2, 0xa1]),
            Just(vec![0xa1, 0xb2, 0xc3, 0xd4]),
            Just(vec![0x4d, 0x3c, 0xb2, 0xa1]),
            Just(vec![0x34, 0xcd, 0xb2, 0xa1]),
            Just(vec![0x0a, 0x0d, 0x0d, 0x0a]),
            Just(vec![]),
        ],
        rest in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut bytes = magic;
        bytes.extend(rest);
        let _ = contents(&bytes);
    }

    #[test]
    fn mutated_captures_never_panic(flip in 0usize..400, value in any::<u8>(), cut in 0usize..400) {
        let rec = hello(SUITES_A, "fuzz.example");
        let (a, b) = rec.split_at(30);
        for mut file in [
            pcap(1, &[ethernet(&ip_packet(false, 9, 7, false, a), false), ethernet(&ip_packet(false, 9, 37, false, b), false)]),
            pcapng(&[1], &[(0, ethernet(&ip_packet(true, 9, 7, false, &rec), true))]),
        ] {
            if flip < file.len() {
                file[flip] = value;
            }
            file.truncate(cut.max(24));
            let _ = contents(&file);
        }
    }
}

/// Found by the `capture` fuzz target: a pcapng block of length 10 (a process
/// information block, type 0x80000001) made pcap-parser 0.17 compute `10 - 12` (an
/// overflow panic in a debug build). The packets before it are read, the file is cut
/// there; the same in a big-endian section.
#[test]
fn a_pcapng_block_shorter_than_12_bytes_cuts_the_file() {
    let found =
        include_bytes!("../../fuzz/seeds/capture/crash-1b7c7def46baafdd4da745d5ece080e455c33f93");
    let (_, stats) = packets::segments(found, Format::PcapNg);
    assert_eq!(stats.cut_at.as_deref(), Some("block 2"));

    let frame = ethernet(
        &ip_packet(false, 443, 1, false, &hello(SUITES_A, "a.test")),
        false,
    );
    let file = pcapng(&[1], &[(0, frame)]);
    let good = packets::segments(&file, Format::PcapNg).0.len();
    assert_eq!(good, 1);
    for len in [0u32, 8, 10, 11] {
        let mut bad = file.clone();
        bad.extend_from_slice(&0x8000_0001u32.to_le_bytes());
        bad.extend_from_slice(&len.to_le_bytes());
        bad.extend_from_slice(&[0; 8]);
        let (segments, stats) = packets::segments(&bad, Format::PcapNg);
        assert_eq!(segments.len(), good, "length {len}");
        assert_eq!(stats.cut_at.as_deref(), Some("block 4"), "length {len}");
    }
    // A big-endian section header, then a short block in its byte order.
    let mut be = vec![0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d];
    be.extend_from_slice(&[0, 1, 0, 0]);
    be.extend_from_slice(&[0xff; 8]);
    be.extend_from_slice(&[0, 0, 0, 28]);
    be.extend_from_slice(&[0x80, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 0]);
    let (_, stats) = packets::segments(&be, Format::PcapNg);
    assert_eq!(stats.cut_at.as_deref(), Some("block 2"));
}
