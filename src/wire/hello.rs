//! ClientHello construction for the raw version probe.
//!
//! Each hello offers **exactly one** TLS version, so the server's answer is a verdict on
//! that version alone. Two variants exist because real stacks are fragile in different
//! ways: the `Full` hello offers a broad suite list (so a server is never judged to
//! reject a version merely because we offered no suite it likes) and the `Compact`
//! hello is short and plain (for stacks that choke on long suite lists or unusual
//! extensions). The probe retries with `Compact` before believing a close, reset or
//! timeout.

use super::codec::{put_prefixed, put_u16};
use super::enums::{CipherSuite as CS, ContentType, ExtensionType, HandshakeType, NamedGroup};
use crate::version::TlsVersion;

/// Which of the two hello shapes to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelloVariant {
    Full,
    Compact,
}

impl HelloVariant {
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Compact => "compact",
        }
    }
}

/// Everything that varies between two hellos. The random values come from the caller
/// so that this module stays pure (and tests stay deterministic).
#[derive(Clone, Debug)]
pub struct HelloSpec<'a> {
    pub version: TlsVersion,
    pub variant: HelloVariant,
    /// SNI host name; `None` for IP literal targets (RFC 6066 forbids IPs in SNI).
    pub server_name: Option<&'a str>,
    pub random: [u8; 32],
    /// Used as legacy_session_id by the full variant (middlebox compatibility) and as
    /// the X25519 key share for TLS 1.3 probes.
    pub entropy: [u8; 32],
    /// Offer these suites instead of the variant's list (cipher enumeration); the
    /// renegotiation SCSV is still appended.
    pub suites: Option<&'a [CS]>,
}

/// Suites for TLS 1.0/1.1: every key exchange with CBC and 3DES, as Windows 7-era
/// clients offered them.
const LEGACY_SUITES: &[CS] = &[
    CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
    CS::TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_RSA_WITH_AES_256_CBC_SHA,
    CS::TLS_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_RSA_WITH_CAMELLIA_256_CBC_SHA,
    CS::TLS_RSA_WITH_CAMELLIA_128_CBC_SHA,
    CS::TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
    CS::TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CS::TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
    CS::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

/// Suites that exist only from TLS 1.2 on (AEAD and SHA-2 MACs); offered before the
/// legacy list in 1.2 and 1.3 probes.
const TLS12_SUITES: &[CS] = &[
    CS::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CS::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CS::TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CS::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    CS::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    CS::TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
    CS::TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
    CS::TLS_RSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_RSA_WITH_AES_256_CBC_SHA256,
    CS::TLS_RSA_WITH_AES_128_CBC_SHA256,
];

const TLS13_SUITES: &[CS] = &[
    CS::TLS13_AES_128_GCM_SHA256,
    CS::TLS13_AES_256_GCM_SHA384,
    CS::TLS13_CHACHA20_POLY1305_SHA256,
];

const COMPACT_LEGACY: &[CS] = &[
    CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CS::TLS_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_RSA_WITH_AES_256_CBC_SHA,
    CS::TLS_RSA_WITH_3DES_EDE_CBC_SHA,
];

const COMPACT_TLS12: &[CS] = &[
    CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CS::TLS_RSA_WITH_AES_128_GCM_SHA256,
    CS::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    CS::TLS_RSA_WITH_AES_128_CBC_SHA,
];

/// Every group a server might insist on: the key share is X25519 only, so a TLS 1.3
/// server that needs another group must be able to name it in a HelloRetryRequest
/// (which counts as accepted) instead of refusing outright.
const FULL_GROUPS: &[NamedGroup] = &[
    NamedGroup::X25519,
    NamedGroup::SECP256R1,
    NamedGroup::SECP384R1,
    NamedGroup::SECP521R1,
    NamedGroup::X448,
    NamedGroup::FFDHE2048,
    NamedGroup::FFDHE3072,
    NamedGroup::FFDHE4096,
    NamedGroup::FFDHE6144,
    NamedGroup::FFDHE8192,
];
const COMPACT_GROUPS: &[NamedGroup] = &[NamedGroup::X25519, NamedGroup::SECP256R1];

/// signature_algorithms (TLS 1.2+ only): ECDSA, RSA-PSS (rsaEncryption keys, then
/// rsassaPss keys: a server whose certificate has an RSASSA-PSS key can sign with
/// nothing else, and refuses a hello without them), PKCS#1 and Ed25519, SHA-1 last for
/// old 1.2 servers.
const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0804, 0x0809, 0x0401, 0x0503, 0x0805, 0x080a, 0x0501, 0x0806, 0x080b, 0x0601, 0x0807,
    0x0201, 0x0203,
];
const COMPACT_SIGNATURE_SCHEMES: &[u16] = &[0x0403, 0x0804, 0x0809, 0x0401, 0x0201];

/// Record-layer version of the hello record. TLS 1.0 everywhere, like browsers: some
/// old servers drop a first record that claims a version above their own.
const RECORD_VERSION: u16 = 0x0301;

/// Hello sizes some stacks (F5 and others, RFC 7685 §1) fail on: a handshake message
/// of 256..=511 bytes is padded to 512.
const PAD_LOW: usize = 256;
const PAD_TARGET: usize = 512;

/// The cipher suites a hello of this version and variant offers, in order. Built from
/// static tables on the fly: no allocation per probe.
pub fn cipher_suites(version: TlsVersion, variant: HelloVariant) -> impl Iterator<Item = CS> {
    let parts: &[&[CS]] = match (variant, version) {
        (HelloVariant::Full, TlsVersion::Tls10 | TlsVersion::Tls11) => &[LEGACY_SUITES],
        (HelloVariant::Full, TlsVersion::Tls12) => &[TLS12_SUITES, LEGACY_SUITES],
        (HelloVariant::Full, TlsVersion::Tls13) => &[TLS13_SUITES, TLS12_SUITES, LEGACY_SUITES],
        (HelloVariant::Compact, TlsVersion::Tls10 | TlsVersion::Tls11) => &[COMPACT_LEGACY],
        (HelloVariant::Compact, TlsVersion::Tls12) => &[COMPACT_TLS12],
        (HelloVariant::Compact, TlsVersion::Tls13) => &[TLS13_SUITES, COMPACT_TLS12],
    };
    parts
        .iter()
        .flat_map(|p| p.iter().copied())
        .chain(std::iter::once(CS::TLS_EMPTY_RENEGOTIATION_INFO_SCSV))
}

/// The complete TLS record carrying the ClientHello described by `spec`, written into
/// one buffer.
pub fn client_hello_record(spec: &HelloSpec<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(PAD_TARGET + 64);
    out.push(ContentType::HANDSHAKE.0);
    put_u16(&mut out, RECORD_VERSION);
    put_prefixed(&mut out, 2, |o| {
        o.push(HandshakeType::CLIENT_HELLO.0);
        put_prefixed(o, 3, |o| client_hello_body(o, spec));
    });
    out
}

/// Writes the ClientHello body at the end of `b` (whose 4-byte handshake header
/// immediately precedes it).
fn client_hello_body(b: &mut Vec<u8>, spec: &HelloSpec<'_>) {
    let body_start = b.len();
    let full = spec.variant == HelloVariant::Full;
    // TLS 1.3 hides behind legacy_version 1.2 (RFC 8446 §4.1.2).
    let legacy_version = spec.version.min(TlsVersion::Tls12).wire();
    put_u16(b, legacy_version.0);
    b.extend_from_slice(&spec.random);
    put_prefixed(b, 1, |o| {
        if full {
            o.extend_from_slice(&spec.entropy);
        }
    });
    put_prefixed(b, 2, |o| match spec.suites {
        Some(list) => list
            .iter()
            .chain(std::iter::once(&CS::TLS_EMPTY_RENEGOTIATION_INFO_SCSV))
            .for_each(|s| put_u16(o, s.0)),
        None => cipher_suites(spec.version, spec.variant).for_each(|s| put_u16(o, s.0)),
    });
    b.extend_from_slice(&[1, 0]); // compression_methods: null only
    put_prefixed(b, 2, |o| {
        extensions(o, spec);
        // 4 bytes of handshake header precede the body on the wire.
        let hs_len = 4 + o.len() - body_start;
        if (PAD_LOW..PAD_TARGET).contains(&hs_len) {
            let pad = (PAD_TARGET - hs_len).saturating_sub(4);
            put_ext(o, ExtensionType::PADDING, |o| o.resize(o.len() + pad, 0));
        }
    });
}

/// The groups a hello of this variant offers in supported_groups.
pub fn groups(variant: HelloVariant) -> &'static [NamedGroup] {
    match variant {
        HelloVariant::Full => FULL_GROUPS,
        HelloVariant::Compact => COMPACT_GROUPS,
    }
}

fn extensions(e: &mut Vec<u8>, spec: &HelloSpec<'_>) {
    let full = spec.variant == HelloVariant::Full;
    let groups = groups(spec.variant);
    if let Some(name) = spec.server_name {
        put_ext(e, ExtensionType::SERVER_NAME, |o| {
            put_prefixed(o, 2, |o| {
                o.push(0); // host_name
                put_prefixed(o, 2, |o| o.extend_from_slice(name.as_bytes()));
            })
        });
    }
    put_ext(e, ExtensionType::SUPPORTED_GROUPS, |o| {
        put_prefixed(o, 2, |o| groups.iter().for_each(|g| put_u16(o, g.0)))
    });
    put_ext(e, ExtensionType::EC_POINT_FORMATS, |o| {
        o.extend_from_slice(&[1, 0])
    });
    if full {
        put_ext(e, ExtensionType::RENEGOTIATION_INFO, |o| o.push(0));
        put_ext(e, ExtensionType::SESSION_TICKET, |_| {});
        put_ext(e, ExtensionType::EXTENDED_MASTER_SECRET, |_| {});
    }
    if spec.version >= TlsVersion::Tls12 {
        let schemes = if full {
            SIGNATURE_SCHEMES
        } else {
            COMPACT_SIGNATURE_SCHEMES
        };
        put_ext(e, ExtensionType::SIGNATURE_ALGORITHMS, |o| {
            put_prefixed(o, 2, |o| schemes.iter().for_each(|s| put_u16(o, *s)))
        });
    }
    if spec.version == TlsVersion::Tls13 {
        put_ext(e, ExtensionType::SUPPORTED_VERSIONS, |o| {
            put_prefixed(o, 1, |o| put_u16(o, TlsVersion::Tls13.wire().0))
        });
        put_ext(e, ExtensionType::PSK_KEY_EXCHANGE_MODES, |o| {
            o.extend_from_slice(&[1, 1])
        });
        put_ext(e, ExtensionType::KEY_SHARE, |o| {
            put_prefixed(o, 2, |o| {
                put_u16(o, NamedGroup::X25519.0);
                put_prefixed(o, 2, |o| o.extend_from_slice(&spec.entropy));
            })
        });
    }
}

fn put_ext(out: &mut Vec<u8>, typ: ExtensionType, body: impl FnOnce(&mut Vec<u8>)) {
    put_u16(out, typ.0);
    put_prefixed(out, 2, body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::Reader;

    fn spec(version: TlsVersion, variant: HelloVariant, name: Option<&str>) -> HelloSpec<'_> {
        HelloSpec {
            version,
            variant,
            server_name: name,
            random: [7; 32],
            entropy: [9; 32],
            suites: None,
        }
    }

    type Extensions = Vec<(u16, Vec<u8>)>;

    /// Parses our own hello back: (client_version, suites, extension types with bodies).
    fn parse(record: &[u8]) -> (u16, Vec<u16>, Extensions) {
        let mut r = Reader::new(record);
        assert_eq!(r.u8(), Some(22));
        assert_eq!(r.u16(), Some(0x0301));
        let mut rec = r.vec_u16().unwrap();
        assert!(r.is_empty());
        assert_eq!(rec.u8(), Some(1));
        let mut hs = rec.vec_u24().unwrap();
        let version = hs.u16().unwrap();
        hs.take(32).unwrap();
        hs.vec_u8().unwrap();
        let mut suites_r = hs.vec_u16().unwrap();
        let mut suites = Vec::new();
        while let Some(s) = suites_r.u16() {
            suites.push(s);
        }
        hs.vec_u8().unwrap();
        let mut ext_r = hs.vec_u16().unwrap();
        assert!(hs.is_empty());
        let mut exts = Vec::new();
        while !ext_r.is_empty() {
            let t = ext_r.u16().unwrap();
            exts.push((t, ext_r.vec_u16().unwrap().rest().to_vec()));
        }
        (version, suites, exts)
    }

    #[test]
    fn each_version_offers_exactly_itself() {
        for v in TlsVersion::ALL {
            for variant in [HelloVariant::Full, HelloVariant::Compact] {
                let (cv, _, exts) = parse(&client_hello_record(&spec(v, variant, Some("a.b"))));
                let sv = exts.iter().find(|(t, _)| *t == 0x002b);
                if v == TlsVersion::Tls13 {
                    assert_eq!(cv, 0x0303);
                    assert_eq!(sv.unwrap().1, [2, 0x03, 0x04]);
                } else {
                    assert_eq!(cv, v.wire().0);
                    assert!(sv.is_none());
                }
                let has_sigalgs = exts.iter().any(|(t, _)| *t == 0x000d);
                assert_eq!(has_sigalgs, v >= TlsVersion::Tls12, "{v} {variant:?}");
            }
        }
    }

    #[test]
    fn sni_only_for_names() {
        let (_, _, exts) = parse(&client_hello_record(&spec(
            TlsVersion::Tls12,
            HelloVariant::Full,
            Some("login.example"),
        )));
        let sni = &exts.iter().find(|(t, _)| *t == 0).unwrap().1;
        assert!(sni.ends_with(b"login.example"));
        let (_, _, exts) = parse(&client_hello_record(&spec(
            TlsVersion::Tls12,
            HelloVariant::Full,
            None,
        )));
        assert!(exts.iter().all(|(t, _)| *t != 0));
    }

    #[test]
    fn no_hello_lands_in_the_256_to_511_trap() {
        for v in TlsVersion::ALL {
            for variant in [HelloVariant::Full, HelloVariant::Compact] {
                for len in [0usize, 1, 10, 40, 80, 120, 200, 253] {
                    let name = "a".repeat(len);
                    let sni = (len > 0).then_some(name.as_str());
                    let rec = client_hello_record(&spec(v, variant, sni));
                    let hs_len = rec.len() - 5;
                    assert!(
                        !(256..512).contains(&hs_len),
                        "{v} {variant:?} sni {len}: handshake {hs_len} bytes"
                    );
                    parse(&rec);
                }
            }
        }
    }

    #[test]
    fn compact_is_small_and_legacy_offers_3des() {
        for v in TlsVersion::ALL {
            let rec = client_hello_record(&spec(v, HelloVariant::Compact, Some("host.example")));
            assert!(rec.len() - 5 < 256, "{v}: {}", rec.len());
        }
        let suites: Vec<CS> = cipher_suites(TlsVersion::Tls10, HelloVariant::Full).collect();
        assert!(suites.contains(&CS::TLS_RSA_WITH_3DES_EDE_CBC_SHA));
        assert!(!suites.contains(&CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256));
        let suites: Vec<CS> = cipher_suites(TlsVersion::Tls13, HelloVariant::Full).collect();
        assert_eq!(suites[0], CS::TLS13_AES_128_GCM_SHA256);
        assert!(suites.contains(&CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256));
    }
}
