//! Decoding of the server's first flight, as far as a version verdict needs.
//!
//! [`parse_reply`] is a pure function over every byte received so far. The probe calls
//! it after each read; the answer is either "need more bytes" or a final [`Reply`].
//! Re-parsing from the start keeps the code stateless and trivially correct for
//! replies split across TCP segments and TLS records; the buffer is bounded by the
//! caller, so the cost is too.

use std::fmt;

use super::codec::Reader;
use super::enums::{AlertDescription, CipherSuite, ContentType, HandshakeType, ProtocolVersion};

/// Largest record body a peer may send (2^14 plaintext plus the 2048 bytes RFC 5246
/// allows for compression/encryption expansion).
const MAX_RECORD: usize = 16384 + 2048;

/// The special ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The TLS 1.3 downgrade sentinel prefix in the last 8 bytes of ServerHello.random
/// (RFC 8446 §4.1.3): a 1.3-capable server that negotiated a lower version says so.
const DOWNGRADE_PREFIX: &[u8; 7] = b"DOWNGRD";

/// What the server's bytes amount to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A ServerHello (or HelloRetryRequest), with the chain when it was in clear text.
    Hello(ServerHello),
    /// A fatal or warning alert before any ServerHello.
    Alert {
        level: u8,
        description: AlertDescription,
    },
    /// The first bytes are not a TLS record at all (an HTTP error page, a banner).
    NotTls { excerpt: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// The version the server selected: `supported_versions` when present, otherwise
    /// `legacy_version`.
    pub version: ProtocolVersion,
    pub cipher: CipherSuite,
    pub retry_request: bool,
    /// Random ends in the TLS 1.3 downgrade sentinel: the server could do better than
    /// the version it chose.
    pub downgrade_sentinel: bool,
    /// DER certificates from a clear-text Certificate message, leaf first; empty when
    /// the version encrypts them (1.3) or none came before the flight ended.
    pub certificates: Vec<Vec<u8>>,
}

/// Why bytes that looked like TLS could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// A record header after the first one is not TLS.
    BadRecordHeader {
        content_type: u8,
        version: u16,
    },
    /// A record longer than the protocol allows.
    RecordTooLong(usize),
    /// An alert record that is not two bytes long.
    BadAlert,
    /// Application data or another record type where a handshake was expected.
    UnexpectedRecord(ContentType),
    /// A handshake message other than ServerHello came first.
    UnexpectedMessage(HandshakeType),
    BadServerHello,
    BadCertificate,
    /// The connection ended in the middle of a record or message.
    Truncated,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadRecordHeader {
                content_type,
                version,
            } => {
                write!(
                    f,
                    "bad record header (type {content_type}, version 0x{version:04x})"
                )
            }
            Self::RecordTooLong(n) => write!(f, "record of {n} bytes exceeds the limit"),
            Self::BadAlert => f.write_str("malformed alert"),
            Self::UnexpectedRecord(t) => write!(f, "unexpected {t} record"),
            Self::UnexpectedMessage(t) => write!(f, "unexpected {t} message"),
            Self::BadServerHello => f.write_str("malformed ServerHello"),
            Self::BadCertificate => f.write_str("malformed Certificate message"),
            Self::Truncated => f.write_str("reply truncated"),
        }
    }
}

/// The state of a reply after the bytes seen so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    NeedMore,
    Done(Reply),
    Malformed(Malformed),
}

/// Decodes `buf`, every byte the server has sent so far. `offered` is the version our
/// hello offered; the chain is awaited only when the server accepted a version ≤ 1.2
/// (whose Certificate message is in clear text). With `eof` set no more bytes will
/// come, so an incomplete reply becomes final.
pub fn parse_reply(buf: &[u8], offered: ProtocolVersion, eof: bool) -> Progress {
    if buf.is_empty() {
        return Progress::NeedMore;
    }
    if !looks_like_record(buf) {
        return Progress::Done(Reply::NotTls {
            excerpt: excerpt(buf),
        });
    }
    let mut flight = Flight::default();
    if let Some(progress) = read_records(&mut flight, buf, offered) {
        // A ServerHello that accepted the offered version stands, whatever breaks
        // after it while we wait for the chain: the verdict is known, the chain is not.
        return match (progress, flight.hello.take()) {
            (Progress::Malformed(_), Some(hello)) => Progress::Done(Reply::Hello(hello)),
            (progress, _) => progress,
        };
    }
    if eof {
        return match (flight.hello, flight.warning) {
            (Some(hello), _) => Progress::Done(Reply::Hello(hello)),
            (None, Some(description)) => Progress::Done(Reply::Alert {
                level: 1,
                description,
            }),
            (None, None) => Progress::Malformed(Malformed::Truncated),
        };
    }
    Progress::NeedMore
}

/// Feeds every complete record to `flight`; `Some` once the answer (or a decoding
/// error) is known, `None` when more bytes are needed.
fn read_records(flight: &mut Flight, buf: &[u8], offered: ProtocolVersion) -> Option<Progress> {
    let mut r = Reader::new(buf);
    while !r.is_empty() {
        // `None`: an incomplete record; wait for more bytes.
        let (typ, body) = match next_record(&mut r)? {
            Ok(rec) => rec,
            Err(m) => return Some(Progress::Malformed(m)),
        };
        if let Some(done) = flight.absorb(typ, body, offered) {
            return Some(done);
        }
    }
    None
}

/// True when the first bytes could start a TLS record: a known content type and
/// major version 3. Fewer than three bytes are judged on what is there.
fn looks_like_record(buf: &[u8]) -> bool {
    let type_ok = (20..=24).contains(&buf[0]);
    let major_ok = buf.get(1).is_none_or(|b| *b == 3);
    let minor_ok = buf.get(2).is_none_or(|b| *b <= 4);
    type_ok && major_ok && minor_ok
}

/// The next complete record, `None` when the buffer ends inside it.
fn next_record<'a>(r: &mut Reader<'a>) -> Option<Result<(ContentType, &'a [u8]), Malformed>> {
    let mut peek = r.clone();
    let typ = peek.u8()?;
    let version = peek.u16()?;
    let len = usize::from(peek.u16()?);
    if !(20..=24).contains(&typ) || version >> 8 != 3 {
        return Some(Err(Malformed::BadRecordHeader {
            content_type: typ,
            version,
        }));
    }
    if len > MAX_RECORD {
        return Some(Err(Malformed::RecordTooLong(len)));
    }
    let body = peek.take(len)?;
    *r = peek;
    Some(Ok((ContentType(typ), body)))
}

/// The handshake flight reassembled from records.
#[derive(Default)]
struct Flight {
    handshake: Vec<u8>,
    /// Bytes of `handshake` already decoded into messages.
    consumed: usize,
    hello: Option<ServerHello>,
    /// A warning alert before the ServerHello (e.g. unrecognized_name): some servers
    /// send one and carry on, so it is the answer only if nothing else follows.
    warning: Option<AlertDescription>,
}

impl Flight {
    /// Takes one record; returns the final answer once it is known.
    fn absorb(
        &mut self,
        typ: ContentType,
        body: &[u8],
        offered: ProtocolVersion,
    ) -> Option<Progress> {
        match typ {
            ContentType::ALERT => self.alert(body),
            ContentType::HANDSHAKE => {
                self.handshake.extend_from_slice(body);
                self.messages(offered)
            }
            // TLS 1.3 middlebox-compatibility CCS after the ServerHello.
            ContentType::CHANGE_CIPHER_SPEC if self.hello.is_some() => None,
            // Encrypted records follow a 1.3 ServerHello: the clear part is over.
            ContentType::APPLICATION_DATA if self.hello.is_some() => {
                self.hello.take().map(|h| Progress::Done(Reply::Hello(h)))
            }
            other => Some(Progress::Malformed(Malformed::UnexpectedRecord(other))),
        }
    }

    fn alert(&mut self, body: &[u8]) -> Option<Progress> {
        // An alert after the ServerHello ends the flight; the version was accepted.
        if let Some(hello) = self.hello.take() {
            return Some(Progress::Done(Reply::Hello(hello)));
        }
        match body {
            [1, description] if *description != AlertDescription::CLOSE_NOTIFY.0 => {
                self.warning = Some(AlertDescription(*description));
                None
            }
            [level, description] => Some(Progress::Done(Reply::Alert {
                level: *level,
                description: AlertDescription(*description),
            })),
            _ => Some(Progress::Malformed(Malformed::BadAlert)),
        }
    }

    /// Walks the complete handshake messages received so far.
    fn messages(&mut self, offered: ProtocolVersion) -> Option<Progress> {
        loop {
            let mut r = Reader::new(self.handshake.get(self.consumed..)?);
            let typ = HandshakeType(r.u8()?);
            let body = r.vec_u24()?;
            self.consumed = self.handshake.len() - r.rest().len();
            match self.hello.as_mut() {
                None if typ == HandshakeType::SERVER_HELLO => {
                    let Some(hello) = read_server_hello(body.rest()) else {
                        return Some(Progress::Malformed(Malformed::BadServerHello));
                    };
                    let wants_chain = !hello.retry_request
                        && hello.version == offered
                        && offered <= ProtocolVersion::TLS12;
                    if !wants_chain {
                        return Some(Progress::Done(Reply::Hello(hello)));
                    }
                    self.hello = Some(hello);
                }
                // HelloRequest (type 0) may precede anything; ignore it.
                None if typ.0 == 0 => {}
                None => return Some(Progress::Malformed(Malformed::UnexpectedMessage(typ))),
                Some(hello) if typ == HandshakeType::CERTIFICATE => {
                    let Some(chain) = read_certificates(body.rest()) else {
                        return Some(Progress::Malformed(Malformed::BadCertificate));
                    };
                    hello.certificates = chain;
                    return self.hello.take().map(|h| Progress::Done(Reply::Hello(h)));
                }
                // Key exchange or ServerHelloDone before any Certificate: an anonymous
                // or PSK suite. The version is accepted; there is no chain to capture.
                Some(_) => return self.hello.take().map(|h| Progress::Done(Reply::Hello(h))),
            }
        }
    }
}

fn read_server_hello(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader::new(body);
    let legacy_version = ProtocolVersion(r.u16()?);
    let random = r.take(32)?;
    r.vec_u8()?; // session id
    let cipher = CipherSuite(r.u16()?);
    r.u8()?; // compression
    let mut version = legacy_version;
    if !r.is_empty() {
        let mut exts = r.vec_u16()?;
        while !exts.is_empty() {
            let typ = exts.u16()?;
            let mut data = exts.vec_u16()?;
            if typ == super::enums::ExtensionType::SUPPORTED_VERSIONS.0 {
                version = ProtocolVersion(data.u16()?);
            }
        }
    }
    Some(ServerHello {
        version,
        cipher,
        retry_request: random == HRR_RANDOM,
        downgrade_sentinel: random[24..31] == DOWNGRADE_PREFIX[..],
        certificates: Vec::new(),
    })
}

fn read_certificates(body: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut r = Reader::new(body);
    let mut list = r.vec_u24()?;
    let mut out = Vec::new();
    while !list.is_empty() {
        out.push(list.vec_u24()?.rest().to_vec());
    }
    Some(out)
}

/// Up to 60 printable characters from the start of a non-TLS reply, for reports.
pub fn excerpt(buf: &[u8]) -> String {
    let text: String = buf
        .iter()
        .take(60)
        .map(|b| match b {
            b'\r' | b'\n' | b'\t' => ' ',
            0x20..=0x7e => char::from(*b),
            _ => '.',
        })
        .collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests;
