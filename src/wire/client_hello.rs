//! A ClientHello someone else's client sent (`--client-hello`): read from the bytes of
//! its first flight, kept field by field with every extension's body as sent, and
//! written back for another server with only what a real client of that build would
//! change when connecting there (see [`ClientHello::replay`]).
//!
//! Pure code: bytes in, values out; every length is bounded and nothing panics.

use std::fmt;

use super::codec::{Reader, put_prefixed, put_u16};
use super::enums::{ContentType, ExtensionType, HandshakeType};
use crate::version::TlsVersion;

/// The largest ClientHello accepted, handshake header included. Real hellos are under
/// 2 KiB (a post-quantum key share adds ~1.2 KiB); anything near this is not a hello.
pub const MAX_HELLO: usize = 64 * 1024;

/// A record's plaintext limit (RFC 8446 §5.1).
const MAX_FRAGMENT: usize = 16 * 1024;

/// Why bytes are not a ClientHello, in words for an error message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelloError {
    /// The bytes end before the hello does: how many there are, how many it needs.
    Truncated { have: usize, need: usize },
    /// Not a TLS handshake record.
    NotHandshake(String),
    /// A handshake message, but not a ClientHello.
    NotClientHello(u8),
    /// The hello's own lengths do not add up.
    Malformed(&'static str),
    /// Longer than [`MAX_HELLO`].
    TooLarge(usize),
}

impl fmt::Display for HelloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { have, need } => write!(
                f,
                "truncated ClientHello: {have} of its {need} bytes are there"
            ),
            Self::NotHandshake(what) => write!(f, "not a TLS handshake record: {what}"),
            Self::NotClientHello(t) => write!(
                f,
                "the first handshake message is {}, not a ClientHello",
                HandshakeType(*t)
            ),
            Self::Malformed(what) => write!(f, "malformed ClientHello: {what}"),
            Self::TooLarge(n) => write!(
                f,
                "a ClientHello of {n} bytes (more than the {} accepted)",
                MAX_HELLO
            ),
        }
    }
}

/// One extension, body as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub typ: ExtensionType,
    pub body: Vec<u8>,
}

/// A parsed ClientHello and the record framing it came in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    pub legacy_version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub suites: Vec<u16>,
    pub compression: Vec<u8>,
    /// `None` when the hello has no extensions block at all (SSL 3.0-era clients).
    pub extensions: Option<Vec<Extension>>,
    /// (record version, fragment length) of each record the hello came in; empty when
    /// it was given as a bare handshake message.
    pub records: Vec<(u16, usize)>,
}

/// What a byte stream holds so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Extract {
    /// A whole hello, and the stream bytes it took.
    Hello(Box<ClientHello>, usize),
    /// A hello has begun and is not finished: the bytes it needs at least.
    NeedMore(usize),
    /// Not a hello.
    Not(HelloError),
}

/// Reads the first ClientHello of a client's stream of TLS records. The hello may be
/// fragmented over several handshake records; bytes after it are left alone.
pub fn extract_from_records(stream: &[u8]) -> Extract {
    let mut r = Reader::new(stream);
    let mut message = Vec::new();
    let mut records = Vec::new();
    loop {
        let at = stream.len() - r.rest().len();
        let Some(header) = r.take(5) else {
            return Extract::NeedMore(at + 5);
        };
        let (typ, version) = (header[0], u16::from_be_bytes([header[1], header[2]]));
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if typ != ContentType::HANDSHAKE.0 {
            let what = match (typ, records.is_empty()) {
                (0x80..=0xff, true) => "an SSL 2.0-format hello (not supported)".to_string(),
                (_, true) => format!("starts with byte 0x{typ:02x}, not 0x16 (handshake)"),
                (_, false) => format!("a {} record inside the hello", ContentType(typ)),
            };
            return Extract::Not(HelloError::NotHandshake(what));
        }
        if version >> 8 != 0x03 {
            return Extract::Not(HelloError::NotHandshake(format!(
                "record version 0x{version:04x}"
            )));
        }
        if len == 0 || len > MAX_FRAGMENT + 2048 {
            return Extract::Not(HelloError::Malformed("record length out of range"));
        }
        let Some(fragment) = r.take(len) else {
            return Extract::NeedMore(at + 5 + len);
        };
        records.push((version, len));
        message.extend_from_slice(fragment);
        match message_len(&message) {
            Err(e) => return Extract::Not(e),
            Ok(Some(total)) if message.len() >= total => {
                if message.len() > total {
                    // Another message shares the last record: a client's first flight
                    // has none, so the hello is taken alone.
                    let extra = message.len() - total;
                    if let Some(last) = records.last_mut() {
                        last.1 -= extra;
                    }
                    message.truncate(total);
                }
                let used = stream.len() - r.rest().len();
                return match ClientHello::read_message(&message) {
                    Ok(mut h) => {
                        h.records = records;
                        Extract::Hello(Box::new(h), used)
                    }
                    Err(e) => Extract::Not(e),
                };
            }
            Ok(_) => {}
        }
    }
}

/// The whole length of the handshake message that `bytes` begins, once its header is
/// there; an error when it is not a ClientHello or too long.
fn message_len(bytes: &[u8]) -> Result<Option<usize>, HelloError> {
    let mut r = Reader::new(bytes);
    let Some(typ) = r.u8() else { return Ok(None) };
    if typ != HandshakeType::CLIENT_HELLO.0 {
        return Err(HelloError::NotClientHello(typ));
    }
    let Some(len) = r.u24() else { return Ok(None) };
    let total = len + 4;
    if total > MAX_HELLO {
        return Err(HelloError::TooLarge(total));
    }
    Ok(Some(total))
}

impl ClientHello {
    /// Reads a bare handshake message (type, length, body); it must be exactly one.
    pub fn read_message(msg: &[u8]) -> Result<Self, HelloError> {
        let need = message_len(msg)?.unwrap_or(4);
        if msg.len() < need {
            return Err(HelloError::Truncated {
                have: msg.len(),
                need,
            });
        }
        if msg.len() > need {
            return Err(HelloError::Malformed("bytes after the hello"));
        }
        let mut r = Reader::new(&msg[4..]);
        let bad = HelloError::Malformed;
        let legacy_version = r.u16().ok_or(bad("no client_version"))?;
        let random: [u8; 32] = r
            .take(32)
            .and_then(|b| b.try_into().ok())
            .ok_or(bad("no random"))?;
        let session_id = r.vec_u8().ok_or(bad("session id"))?.rest().to_vec();
        if session_id.len() > 32 {
            return Err(bad("session id longer than 32 bytes"));
        }
        let mut suites_r = r.vec_u16().ok_or(bad("cipher suites"))?;
        let mut suites = Vec::new();
        while !suites_r.is_empty() {
            suites.push(suites_r.u16().ok_or(bad("odd cipher suites length"))?);
        }
        if suites.is_empty() {
            return Err(bad("no cipher suite"));
        }
        let compression = r
            .vec_u8()
            .ok_or(bad("compression methods"))?
            .rest()
            .to_vec();
        let extensions = match r.is_empty() {
            true => None,
            false => Some(read_extensions(&mut r)?),
        };
        if !r.is_empty() {
            return Err(bad("bytes after the extensions"));
        }
        Ok(Self {
            legacy_version,
            random,
            session_id,
            suites,
            compression,
            extensions,
            records: Vec::new(),
        })
    }

    /// An extension's body, if the hello has it.
    pub fn extension(&self, typ: ExtensionType) -> Option<&[u8]> {
        self.extensions
            .as_deref()?
            .iter()
            .find(|e| e.typ == typ)
            .map(|e| e.body.as_slice())
    }

    /// The host name in server_name, as sent (not validated: it is only shown).
    pub fn server_name(&self) -> Option<String> {
        let mut list = Reader::new(self.extension(ExtensionType::SERVER_NAME)?).vec_u16()?;
        while !list.is_empty() {
            let typ = list.u8()?;
            let name = list.vec_u16()?;
            if typ == 0 {
                return Some(String::from_utf8_lossy(name.rest()).into_owned());
            }
        }
        None
    }

    /// supported_versions, in the client's order (GREASE included).
    pub fn supported_versions(&self) -> Option<Vec<u16>> {
        let body = self.extension(ExtensionType::SUPPORTED_VERSIONS)?;
        u16_list(Reader::new(body).vec_u8()?)
    }

    /// The versions this hello offers, oldest first: those of supported_versions when
    /// it has one, else every version from TLS 1.0 up to its client_version — a hello
    /// does not say its client's floor, so a TLS 1.2 hello is taken to accept 1.0 and
    /// 1.1 too, as SChannel, OpenSSL and GnuTLS do by default. SSL 3.0, DTLS and
    /// GREASE values are left out.
    pub fn offered_versions(&self) -> Vec<TlsVersion> {
        let listed = self.supported_versions();
        TlsVersion::ALL
            .into_iter()
            .filter(|v| match &listed {
                Some(list) => list.contains(&v.wire().0),
                None => v.wire().0 <= self.legacy_version,
            })
            .collect()
    }

    /// supported_groups, in the client's order.
    pub fn groups(&self) -> Vec<u16> {
        self.u16_ext(ExtensionType::SUPPORTED_GROUPS)
    }

    pub fn signature_algorithms(&self) -> Vec<u16> {
        self.u16_ext(ExtensionType::SIGNATURE_ALGORITHMS)
    }

    /// The groups of the key shares sent, in order.
    pub fn key_share_groups(&self) -> Vec<u16> {
        let Some(body) = self.extension(ExtensionType::KEY_SHARE) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let Some(mut shares) = Reader::new(body).vec_u16() else {
            return out;
        };
        while let (Some(group), Some(_)) = (shares.u16(), shares.vec_u16()) {
            out.push(group);
        }
        out
    }

    /// ALPN protocols, as sent.
    pub fn alpn(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(body) = self.extension(ExtensionType::ALPN) else {
            return out;
        };
        let Some(mut list) = Reader::new(body).vec_u16() else {
            return out;
        };
        while let Some(p) = list.vec_u8() {
            out.push(String::from_utf8_lossy(p.rest()).into_owned());
        }
        out
    }

    fn u16_ext(&self, typ: ExtensionType) -> Vec<u16> {
        self.extension(typ)
            .and_then(|b| u16_list(Reader::new(b).vec_u16()?))
            .unwrap_or_default()
    }

    /// The hello as this client would send it to `server_name` (`None`: an IP literal
    /// target), with `random` as its client random; whole TLS records.
    ///
    /// What changes, and why (everything else is byte for byte as captured):
    /// - server_name carries the target's name; it is left out for an IP target (RFC
    ///   6066 allows no IP literals, and clients send none) and added first, where
    ///   SChannel, OpenSSL and GnuTLS put it, when the capture had none;
    /// - padding (RFC 7685), which the client sized from the hello's length, absorbs
    ///   the change in length where it can, as the client would have computed it;
    /// - resumption state for the captured server is dropped: pre_shared_key and
    ///   early_data (the binders cover the hello, and the target has no such ticket),
    ///   and a session ticket (sent empty, as on a first visit);
    /// - the record framing is kept: the same record versions and fragment sizes, the
    ///   last fragment taking the difference.
    pub fn replay(&self, server_name: Option<&str>, random: [u8; 32]) -> Vec<u8> {
        let message = self.message(server_name, random);
        let mut out = Vec::with_capacity(message.len() + 5 * (self.records.len() + 1));
        let mut rest = message.as_slice();
        let mut framing = self.records.iter().copied();
        let default_version = self.records.first().map_or(0x0301, |r| r.0);
        while !rest.is_empty() {
            let (version, size) = framing.next().unwrap_or((default_version, rest.len()));
            let is_last = framing.len() == 0;
            let take = match is_last {
                true => rest.len(),
                false => size,
            }
            .min(rest.len())
            .min(MAX_FRAGMENT);
            out.push(ContentType::HANDSHAKE.0);
            put_u16(&mut out, version);
            put_prefixed(&mut out, 2, |o| o.extend_from_slice(&rest[..take]));
            rest = &rest[take..];
        }
        out
    }

    /// The handshake message for `server_name` (see [`Self::replay`]).
    pub fn message(&self, server_name: Option<&str>, random: [u8; 32]) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        out.push(HandshakeType::CLIENT_HELLO.0);
        put_prefixed(&mut out, 3, |o| {
            put_u16(o, self.legacy_version);
            o.extend_from_slice(&random);
            put_prefixed(o, 1, |o| o.extend_from_slice(&self.session_id));
            put_prefixed(o, 2, |o| self.suites.iter().for_each(|s| put_u16(o, *s)));
            put_prefixed(o, 1, |o| o.extend_from_slice(&self.compression));
            if let Some(exts) = &self.extensions {
                let exts = self.extensions_for(exts, server_name);
                put_prefixed(o, 2, |o| {
                    for e in &exts {
                        put_u16(o, e.typ.0);
                        put_prefixed(o, 2, |o| o.extend_from_slice(&e.body));
                    }
                });
            }
        });
        out
    }

    fn extensions_for(&self, exts: &[Extension], server_name: Option<&str>) -> Vec<Extension> {
        let sni = server_name.map(|name| Extension {
            typ: ExtensionType::SERVER_NAME,
            body: sni_body(name),
        });
        let mut out = Vec::with_capacity(exts.len() + 1);
        if !exts.iter().any(|e| e.typ == ExtensionType::SERVER_NAME) {
            out.extend(sni.clone());
        }
        for e in exts {
            match e.typ {
                ExtensionType::SERVER_NAME => out.extend(sni.clone()),
                ExtensionType::PRE_SHARED_KEY | ExtensionType::EARLY_DATA => {}
                ExtensionType::SESSION_TICKET => out.push(Extension {
                    typ: e.typ,
                    body: Vec::new(),
                }),
                _ => out.push(e.clone()),
            }
        }
        let size = |v: &[Extension]| v.iter().map(|e| 4 + e.body.len()).sum::<usize>();
        let (before, after) = (size(exts), size(&out));
        if let Some(pad) = out.iter_mut().find(|e| e.typ == ExtensionType::PADDING) {
            let len = (pad.body.len() + before).saturating_sub(after);
            pad.body = vec![0; len];
        }
        out
    }
}

fn read_extensions(r: &mut Reader<'_>) -> Result<Vec<Extension>, HelloError> {
    let mut list = r
        .vec_u16()
        .ok_or(HelloError::Malformed("extensions length"))?;
    let mut out: Vec<Extension> = Vec::new();
    while !list.is_empty() {
        let typ = list
            .u16()
            .map(ExtensionType)
            .ok_or(HelloError::Malformed("extension header"))?;
        let body = list
            .vec_u16()
            .ok_or(HelloError::Malformed("extension length"))?;
        if out.iter().any(|e| e.typ == typ) {
            return Err(HelloError::Malformed("an extension appears twice"));
        }
        out.push(Extension {
            typ,
            body: body.rest().to_vec(),
        });
    }
    Ok(out)
}

fn u16_list(mut r: Reader<'_>) -> Option<Vec<u16>> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(r.u16()?);
    }
    Some(out)
}

fn sni_body(name: &str) -> Vec<u8> {
    let mut b = Vec::new();
    put_prefixed(&mut b, 2, |b| {
        b.push(0);
        put_prefixed(b, 2, |b| b.extend_from_slice(name.as_bytes()));
    });
    b
}

/// GREASE values (RFC 8701): 0x?a?a with both bytes equal.
pub fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && v >> 8 == v & 0xff
}

#[cfg(test)]
mod tests;
