use super::*;
use crate::wire::custom_hello::{Ext, HelloInputs, HelloShape, encode};
use proptest::prelude::*;
use std::borrow::Cow;

const SHAPE: HelloShape<'static> = HelloShape {
    record_version: 0x0301,
    client_version: 0x0303,
    suites: Cow::Borrowed(&[0x1302, 0xc02f, 0xc028, 0x002f]),
    groups: Cow::Borrowed(&[0x001d, 0x0017]),
    signature_algorithms: Cow::Borrowed(&[0x0804, 0x0401]),
    versions: Cow::Borrowed(&[0x0304, 0x0303]),
    extensions: Cow::Borrowed(&[
        Ext::ServerName,
        Ext::SupportedGroups,
        Ext::SignatureAlgorithms,
        Ext::SessionTicket,
        Ext::SupportedVersions,
        Ext::KeyShare,
    ]),
    key_share: Some(0x001d),
};

fn captured(name: Option<&str>) -> Vec<u8> {
    encode(
        &SHAPE,
        &HelloInputs {
            server_name: name,
            random: [7; 32],
            key_share: &[9; 32],
        },
    )
}

fn parse(stream: &[u8]) -> ClientHello {
    match extract_from_records(stream) {
        Extract::Hello(h, used) => {
            assert_eq!(used, stream.len());
            *h
        }
        other => panic!("no hello: {other:?}"),
    }
}

#[test]
fn reads_every_field_and_replays_byte_for_byte() {
    let rec = captured(Some("captured.example"));
    let h = parse(&rec);
    assert_eq!(h.legacy_version, 0x0303);
    assert_eq!(h.random, [7; 32]);
    assert_eq!(h.suites, [0x1302, 0xc02f, 0xc028, 0x002f]);
    assert_eq!(h.server_name().as_deref(), Some("captured.example"));
    assert_eq!(h.supported_versions(), Some(vec![0x0304, 0x0303]));
    assert_eq!(h.groups(), [0x001d, 0x0017]);
    assert_eq!(h.key_share_groups(), [0x001d]);
    assert_eq!(h.signature_algorithms(), [0x0804, 0x0401]);
    assert_eq!(h.records, [(0x0301, rec.len() - 5)]);
    // Same name, same random: the very bytes captured.
    assert_eq!(h.replay(Some("captured.example"), [7; 32]), rec);
    // Another name: what the same client sends there, lengths and all.
    assert_eq!(
        h.replay(Some("login.microsoftonline.com"), [7; 32]),
        captured(Some("login.microsoftonline.com"))
    );
    // An IP target: no server_name, like the client connecting to an IP.
    assert_eq!(h.replay(None, [7; 32]), captured(None));
    // A capture made against an IP gets the name added, first.
    let bare = parse(&captured(None));
    assert_eq!(
        bare.replay(Some("a.example"), [7; 32]),
        captured(Some("a.example"))
    );
}

/// A hello with the given extensions (type, body), as one record.
fn with_extensions(exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut msg = vec![1];
    put_prefixed(&mut msg, 3, |o| {
        put_u16(o, 0x0303);
        o.extend_from_slice(&[1; 32]);
        o.push(0);
        put_prefixed(o, 2, |o| put_u16(o, 0xc02f));
        o.extend_from_slice(&[1, 0]);
        put_prefixed(o, 2, |o| {
            for (t, b) in exts {
                put_u16(o, *t);
                put_prefixed(o, 2, |o| o.extend_from_slice(b));
            }
        });
    });
    let mut rec = vec![22, 3, 1];
    put_prefixed(&mut rec, 2, |o| o.extend_from_slice(&msg));
    rec
}

#[test]
fn padding_absorbs_the_name_and_resumption_state_is_dropped() {
    let rec = with_extensions(&[
        (0, sni_body("a.example")),
        (0x0023, vec![5; 40]),
        (0x0015, vec![0; 30]),
        (0x002a, vec![]),
        (0x0029, vec![1, 2, 3]),
    ]);
    let h = parse(&rec);
    let out = parse(&h.replay(Some("abc.example"), [1; 32]));
    let types: Vec<u16> = out.extensions.iter().flatten().map(|e| e.typ.0).collect();
    assert_eq!(types, [0, 0x0023, 0x0015]);
    assert_eq!(out.extension(ExtensionType::SESSION_TICKET), Some(&[][..]));
    // The ticket (40), early_data (4) and the PSK (7) went, the name grew by 2:
    // the padding took all of it back.
    assert_eq!(
        out.extension(ExtensionType::PADDING).map(<[u8]>::len),
        Some(30 + 40 + 4 + 7 - 2)
    );
    assert_eq!(out.server_name().as_deref(), Some("abc.example"));
}

#[test]
fn hellos_fragmented_over_records_reassemble_and_keep_their_framing() {
    let rec = captured(Some("captured.example"));
    let msg = &rec[5..];
    let mut split = Vec::new();
    for (i, part) in [&msg[..100], &msg[100..]].iter().enumerate() {
        split.extend_from_slice(&[22, 3, if i == 0 { 1 } else { 3 }]);
        put_prefixed(&mut split, 2, |o| o.extend_from_slice(part));
    }
    for cut in 0..split.len() {
        assert!(
            matches!(extract_from_records(&split[..cut]), Extract::NeedMore(n) if n > cut),
            "{cut}"
        );
    }
    let h = parse(&split);
    assert_eq!(h.records, [(0x0301, 100), (0x0303, msg.len() - 100)]);
    assert_eq!(h.replay(Some("captured.example"), [7; 32]), split);
    let longer = parse(&h.replay(Some("longer.captured.example"), [7; 32]));
    assert_eq!(
        longer.records,
        [(0x0301, 100), (0x0303, msg.len() - 100 + 7)]
    );
    // Followed by something else: only the hello's bytes are taken.
    let mut more = rec.clone();
    more.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
    assert!(matches!(extract_from_records(&more), Extract::Hello(_, n) if n == rec.len()));
}

#[test]
fn what_is_not_a_hello_says_why() {
    let not = |b: &[u8]| match extract_from_records(b) {
        Extract::Not(e) => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(not(b"GET / HTTP/1.1\r\n").contains("0x47, not 0x16"));
    assert!(not(&[22, 3, 3, 0, 4, 2, 0, 0, 0]).contains("server_hello, not a ClientHello"));
    assert!(not(&[22, 3, 1, 0, 4, 1, 1, 0, 0]).contains("more than the 65536"));
    assert!(not(&[0x80, 0x2e, 1, 3, 1]).contains("SSL 2.0"));
    assert!(not(&[22, 3, 1, 0, 4, 1, 0, 0, 0]).contains("no client_version"));
    let e = ClientHello::read_message(&[1, 0, 0, 50, 3, 3]).unwrap_err();
    assert_eq!(e, HelloError::Truncated { have: 6, need: 54 });
    assert!(e.to_string().contains("6 of its 54 bytes"));
    let dup = with_extensions(&[(0x17, vec![]), (0x17, vec![])]);
    assert!(not(&dup).contains("twice"));
}

#[test]
fn grease_values() {
    assert!(is_grease(0x0a0a) && is_grease(0xfafa));
    assert!(!is_grease(0x0a1a) && !is_grease(0x0303));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = extract_from_records(&bytes);
        let _ = ClientHello::read_message(&bytes);
    }

    #[test]
    fn any_parsed_hello_replays_to_itself_with_the_new_name(
        name in "[a-z]{1,20}(\\.[a-z]{1,10}){0,3}",
        cut in 0usize..400,
    ) {
        let h = parse(&captured(Some("x.example")));
        let out = h.replay(Some(&name), [3; 32]);
        let back = parse(&out);
        prop_assert_eq!(back.server_name(), Some(name.clone()));
        prop_assert_eq!(&back.suites, &h.suites);
        prop_assert_eq!(back.random, [3; 32]);
        let cut = cut.min(out.len() - 1);
        prop_assert!(matches!(extract_from_records(&out[..cut]), Extract::NeedMore(_)));
    }
}
