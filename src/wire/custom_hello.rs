//! ClientHellos of an exact, given shape: record and client versions, suites in
//! order, extensions in order. Client profiles (`checks/profiles.rs`) are data in this
//! shape, so a profile probe sends the bytes that client sends — no padding, no
//! extension of ours added.

use std::borrow::Cow;

use super::codec::{put_prefixed, put_u16};
use super::enums::{ContentType, ExtensionType, HandshakeType};

/// The extensions a profile may carry, each encoded from the profile's own data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ext {
    /// The target's name (left out for IP literal targets).
    ServerName,
    /// OCSP stapling request, empty responder list and extensions.
    StatusRequest,
    SupportedGroups,
    /// Uncompressed points only.
    EcPointFormats,
    SignatureAlgorithms,
    /// Empty: no ticket to resume.
    SessionTicket,
    ExtendedMasterSecret,
    /// Empty renegotiated_connection (an initial handshake).
    RenegotiationInfo,
    SupportedVersions,
    /// psk_dhe_ke only.
    PskKeyExchangeModes,
    /// One share, of the profile's key share group.
    KeyShare,
}

impl Ext {
    pub fn name(self) -> &'static str {
        match self {
            Self::ServerName => "server_name",
            Self::StatusRequest => "status_request",
            Self::SupportedGroups => "supported_groups",
            Self::EcPointFormats => "ec_point_formats",
            Self::SignatureAlgorithms => "signature_algorithms",
            Self::SessionTicket => "session_ticket",
            Self::ExtendedMasterSecret => "extended_master_secret",
            Self::RenegotiationInfo => "renegotiation_info",
            Self::SupportedVersions => "supported_versions",
            Self::PskKeyExchangeModes => "psk_key_exchange_modes",
            Self::KeyShare => "key_share",
        }
    }
}

/// The fixed part of a hello. The lists are borrowed for the built-in profiles (static
/// tables) and owned for profiles made at run time (a hello captured on a client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloShape<'a> {
    pub record_version: u16,
    pub client_version: u16,
    pub suites: Cow<'a, [u16]>,
    pub groups: Cow<'a, [u16]>,
    pub signature_algorithms: Cow<'a, [u16]>,
    /// supported_versions, newest first (TLS 1.3 clients).
    pub versions: Cow<'a, [u16]>,
    pub extensions: Cow<'a, [Ext]>,
    /// The group of the one key share sent (TLS 1.3 clients).
    pub key_share: Option<u16>,
}

/// What varies per connection.
#[derive(Clone, Copy, Debug)]
pub struct HelloInputs<'a> {
    pub server_name: Option<&'a str>,
    pub random: [u8; 32],
    /// The key share's public value (32 bytes for x25519; a test value is fine: the
    /// probe never derives keys).
    pub key_share: &'a [u8],
}

/// The TLS record carrying the hello.
pub fn encode(shape: &HelloShape<'_>, inputs: &HelloInputs<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.push(ContentType::HANDSHAKE.0);
    put_u16(&mut out, shape.record_version);
    put_prefixed(&mut out, 2, |o| {
        o.push(HandshakeType::CLIENT_HELLO.0);
        put_prefixed(o, 3, |o| {
            put_u16(o, shape.client_version);
            o.extend_from_slice(&inputs.random);
            o.push(0); // no session id: SChannel sends none on a first connection
            put_prefixed(o, 2, |o| shape.suites.iter().for_each(|s| put_u16(o, *s)));
            o.extend_from_slice(&[1, 0]);
            put_prefixed(o, 2, |o| {
                for ext in shape.extensions.iter() {
                    extension(o, *ext, shape, inputs);
                }
            });
        });
    });
    out
}

fn extension(o: &mut Vec<u8>, ext: Ext, shape: &HelloShape<'_>, inputs: &HelloInputs<'_>) {
    let u16s = |list: &[u16], width: usize| {
        let mut b = Vec::new();
        put_prefixed(&mut b, width, |b| list.iter().for_each(|v| put_u16(b, *v)));
        b
    };
    let (typ, body) = match ext {
        Ext::ServerName => {
            let Some(name) = inputs.server_name else {
                return;
            };
            let mut b = Vec::new();
            put_prefixed(&mut b, 2, |b| {
                b.push(0);
                put_prefixed(b, 2, |b| b.extend_from_slice(name.as_bytes()));
            });
            (ExtensionType::SERVER_NAME, b)
        }
        Ext::StatusRequest => (ExtensionType(5), vec![1, 0, 0, 0, 0]),
        Ext::SupportedGroups => (ExtensionType::SUPPORTED_GROUPS, u16s(&shape.groups, 2)),
        Ext::EcPointFormats => (ExtensionType::EC_POINT_FORMATS, vec![1, 0]),
        Ext::SignatureAlgorithms => (
            ExtensionType::SIGNATURE_ALGORITHMS,
            u16s(&shape.signature_algorithms, 2),
        ),
        Ext::SessionTicket => (ExtensionType::SESSION_TICKET, Vec::new()),
        Ext::ExtendedMasterSecret => (ExtensionType::EXTENDED_MASTER_SECRET, Vec::new()),
        Ext::RenegotiationInfo => (ExtensionType::RENEGOTIATION_INFO, vec![0]),
        Ext::SupportedVersions => (ExtensionType::SUPPORTED_VERSIONS, u16s(&shape.versions, 1)),
        Ext::PskKeyExchangeModes => (ExtensionType::PSK_KEY_EXCHANGE_MODES, vec![1, 1]),
        Ext::KeyShare => {
            let Some(group) = shape.key_share else {
                return;
            };
            let mut b = Vec::new();
            put_prefixed(&mut b, 2, |b| {
                put_u16(b, group);
                put_prefixed(b, 2, |b| b.extend_from_slice(inputs.key_share));
            });
            (ExtensionType::KEY_SHARE, b)
        }
    };
    put_u16(o, typ.0);
    put_prefixed(o, 2, |o| o.extend_from_slice(&body));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codec::Reader;

    #[test]
    fn encodes_exactly_the_shape() {
        let shape = HelloShape {
            record_version: 0x0301,
            client_version: 0x0301,
            suites: Cow::Borrowed(&[0xc014, 0x002f]),
            groups: Cow::Borrowed(&[0x0017]),
            signature_algorithms: Cow::Borrowed(&[]),
            versions: Cow::Borrowed(&[]),
            extensions: Cow::Borrowed(&[
                Ext::ServerName,
                Ext::StatusRequest,
                Ext::RenegotiationInfo,
            ]),
            key_share: None,
        };
        let inputs = HelloInputs {
            server_name: Some("a.example"),
            random: [3; 32],
            key_share: &[],
        };
        let rec = encode(&shape, &inputs);
        let mut r = Reader::new(&rec);
        assert_eq!((r.u8(), r.u16()), (Some(22), Some(0x0301)));
        let mut hs = r.vec_u16().unwrap();
        assert_eq!(hs.u8(), Some(1));
        let mut body = hs.vec_u24().unwrap();
        assert_eq!(body.u16(), Some(0x0301));
        body.take(32).unwrap();
        assert_eq!(body.vec_u8().unwrap().rest(), &[] as &[u8]);
        assert_eq!(body.vec_u16().unwrap().rest(), &[0xc0, 0x14, 0x00, 0x2f]);
        body.vec_u8().unwrap();
        let mut exts = body.vec_u16().unwrap();
        let mut types = Vec::new();
        while !exts.is_empty() {
            types.push(exts.u16().unwrap());
            exts.vec_u16().unwrap();
        }
        assert_eq!(types, [0, 5, 0xff01]);
        // No name, no server_name extension.
        let bare = encode(
            &shape,
            &HelloInputs {
                server_name: None,
                ..inputs
            },
        );
        assert_eq!(bare.len(), rec.len() - (4 + 5 + "a.example".len()));
    }
}
