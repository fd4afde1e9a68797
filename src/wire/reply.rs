//! Decoding of the server's first flight, as far as a version verdict needs.
//!
//! [`ReplyParser`] is fed the bytes as they arrive and decodes each complete record
//! once: cost is linear in the bytes received however the server slices them (a
//! server sending 9-byte records slowly costs no more than one sending 16 KiB ones).
//! [`parse_reply`] runs it over a whole buffer, for tests and the fuzz harness.
//! Nothing here may panic on any input.

use std::fmt;

use super::codec::Reader;
use super::enums::{
    AlertDescription, CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup,
    ProtocolVersion,
};

/// Largest record body a peer may send (2^14 plaintext plus the 2048 bytes RFC 5246
/// allows for compression/encryption expansion).
const MAX_RECORD: usize = 16384 + 2048;

/// The special ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The TLS 1.3 downgrade sentinel prefix in the last 8 bytes of ServerHello.random
/// (RFC 8446 §4.1.3): a 1.3-capable server that negotiated a lower version says so.
const DOWNGRADE_PREFIX: &[u8; 7] = b"DOWNGRD";

/// What the server's bytes amount to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A ServerHello (or HelloRetryRequest), with the rest of the clear-text flight
    /// when the version sends one.
    Hello(ServerHello),
    /// A fatal or warning alert before any ServerHello.
    Alert {
        level: u8,
        description: AlertDescription,
    },
    /// The first bytes are not a TLS record at all (an HTTP error page, a banner).
    NotTls { excerpt: String },
}

/// How the clear-text flight after an accepting TLS ≤ 1.2 ServerHello ended. The
/// proof of acceptance needs the whole flight (Certificate, ServerKeyExchange), so a
/// flight that stops short is evidence too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlightEnd {
    /// Nothing more was awaited: a TLS 1.3 hello, a HelloRetryRequest, or a hello
    /// for another version than the one offered.
    NotAwaited,
    /// ServerHelloDone arrived: the flight is complete.
    Complete,
    /// The connection ended before ServerHelloDone.
    Closed,
    /// The deadline passed before ServerHelloDone.
    Stalled,
    /// An alert came after the hello, before ServerHelloDone.
    Alert(AlertDescription),
    /// Bytes after the hello could not be decoded.
    Broken(Malformed),
    /// The flight went past the reply limit (this many bytes) before ServerHelloDone:
    /// an endless Certificate message.
    TooLong(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    /// The version the server selected: `supported_versions` when present, otherwise
    /// `legacy_version`.
    pub version: ProtocolVersion,
    pub cipher: CipherSuite,
    pub compression: u8,
    pub random: [u8; 32],
    pub retry_request: bool,
    /// Random ends in the TLS 1.3 downgrade sentinel: the server could do better than
    /// the version it chose.
    pub downgrade_sentinel: bool,
    /// The group of a TLS 1.3 key_share (the server's share, or the group a
    /// HelloRetryRequest asks for).
    pub key_share: Option<NamedGroup>,
    /// DER certificates from a clear-text Certificate message, leaf first; empty when
    /// the version encrypts them (1.3) or none came.
    pub certificates: Vec<Vec<u8>>,
    /// The ServerKeyExchange body, when one came (TLS ≤ 1.2, (EC)DHE suites).
    pub key_exchange: Option<Vec<u8>>,
    pub flight: FlightEnd,
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
    /// A ServerHello's key share whose key has the wrong length for its group (`len`;
    /// `None`: no key at all), or a HelloRetryRequest's that carries a key.
    BadKeyShare {
        group: NamedGroup,
        len: Option<usize>,
        retry: bool,
    },
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
            Self::BadKeyShare {
                group, retry: true, ..
            } => write!(
                f,
                "malformed HelloRetryRequest: a {group} key where only the group belongs"
            ),
            Self::BadKeyShare {
                group, len: None, ..
            } => write!(f, "malformed ServerHello: {group} key share without a key"),
            Self::BadKeyShare {
                group,
                len: Some(n),
                ..
            } => match key_share_len(*group) {
                Some(want) => write!(
                    f,
                    "malformed ServerHello: {group} key share of {n} bytes ({group} keys are {want})"
                ),
                None => write!(f, "malformed ServerHello: empty {group} key share"),
            },
            Self::BadCertificate => f.write_str("malformed Certificate message"),
            Self::Truncated => f.write_str("reply truncated"),
        }
    }
}

impl fmt::Display for FlightEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAwaited => f.write_str("not awaited"),
            Self::Complete => f.write_str("complete"),
            Self::Closed => f.write_str("connection closed before ServerHelloDone"),
            Self::Stalled => f.write_str("stalled before ServerHelloDone"),
            Self::Alert(a) => write!(f, "alert {} before ServerHelloDone", a.label()),
            Self::Broken(m) => write!(f, "broken after the ServerHello: {m}"),
            Self::TooLong(n) => write!(f, "no ServerHelloDone within {n} bytes"),
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

/// Decodes the server's reply as it arrives. Feed it every chunk read from the
/// socket; once it answers `Done` or `Malformed` the answer is final.
#[derive(Debug)]
pub struct ReplyParser {
    /// The versions offered: the flight after an accepting hello is awaited only for
    /// these (and only up to TLS 1.2, whose flight is in clear text).
    offered: Vec<ProtocolVersion>,
    /// Bytes of a record not yet complete, carried to the next chunk.
    pending: Vec<u8>,
    received: usize,
    /// The first three bytes were checked to be a TLS record header.
    checked_start: bool,
    flight: Flight,
    done: Option<Progress>,
    /// The connection ended.
    ended: bool,
}

impl ReplyParser {
    /// `offered` is the version our hello offered; the rest of the flight is awaited
    /// only when the server accepted a version ≤ 1.2 (whose flight is in clear text).
    pub fn new(offered: ProtocolVersion) -> Self {
        Self::for_versions(vec![offered])
    }

    /// A parser for a hello that offered several versions (a client profile).
    pub fn for_versions(offered: Vec<ProtocolVersion>) -> Self {
        Self {
            offered,
            pending: Vec::new(),
            received: 0,
            checked_start: false,
            flight: Flight::default(),
            done: None,
            ended: false,
        }
    }

    /// Bytes fed so far.
    pub fn received(&self) -> usize {
        self.received
    }

    /// True once [`finish`](Self::finish) was called or an answer is final.
    pub fn is_finished(&self) -> bool {
        self.done.is_some() || self.ended
    }

    /// Takes the next bytes from the server.
    pub fn feed(&mut self, bytes: &[u8]) -> Progress {
        if let Some(done) = &self.done {
            return done.clone();
        }
        self.received += bytes.len();
        // Records are decoded straight from `bytes` when nothing is pending (a whole
        // flight in one read, the usual case): only an incomplete tail is copied.
        let mut pending = std::mem::take(&mut self.pending);
        let buf = match pending.is_empty() {
            true => bytes,
            false => {
                pending.extend_from_slice(bytes);
                &pending[..]
            }
        };
        if !self.checked_start {
            if buf.is_empty() {
                return Progress::NeedMore;
            }
            if !looks_like_record(buf) {
                let excerpt = excerpt(buf);
                return self.settle(Progress::Done(Reply::NotTls { excerpt }));
            }
            self.checked_start = buf.len() >= 3;
        }
        let (flight, offered) = (&mut self.flight, &self.offered[..]);
        let mut r = Reader::new(buf);
        let mut answer = None;
        while !r.is_empty() {
            match next_record(&mut r) {
                None => break,
                Some(Err(m)) => {
                    answer = Some(flight.broken(m));
                    break;
                }
                Some(Ok((typ, body))) => {
                    answer = flight.absorb(typ, body, offered);
                    if answer.is_some() {
                        break;
                    }
                }
            }
        }
        let tail = r.rest().len();
        if answer.is_none() {
            // Keep the incomplete record (in place when it was already pending).
            let start = buf.len() - tail;
            match pending.is_empty() {
                true => self.pending.extend_from_slice(&bytes[start..]),
                false => {
                    pending.drain(..start);
                    self.pending = pending;
                }
            }
        }
        match answer {
            Some(p) => self.settle(p),
            None => Progress::NeedMore,
        }
    }

    /// The connection ended: what the bytes so far amount to. `NeedMore` only when
    /// nothing at all was received (the caller's "closed without an answer").
    pub fn finish(&mut self) -> Progress {
        self.ended = true;
        if let Some(done) = &self.done {
            return done.clone();
        }
        if self.received == 0 {
            return Progress::NeedMore;
        }
        let answer = match (self.flight.hello.take(), self.flight.warning) {
            (Some(hello), _) => Progress::Done(Reply::Hello(hello.ended(FlightEnd::Closed))),
            (None, Some(description)) => Progress::Done(Reply::Alert {
                level: 1,
                description,
            }),
            (None, None) => Progress::Malformed(Malformed::Truncated),
        };
        self.settle(answer)
    }

    /// The deadline passed: an accepting hello whose flight stalled, or a warning
    /// alert followed by silence, or `None` (a plain timeout).
    pub fn stalled(&mut self) -> Option<Reply> {
        if let Some(Progress::Done(reply)) = &self.done {
            return Some(reply.clone());
        }
        if let Some(hello) = self.flight.hello.take() {
            return Some(Reply::Hello(hello.ended(FlightEnd::Stalled)));
        }
        self.flight.warning.map(|description| Reply::Alert {
            level: 1,
            description,
        })
    }

    fn settle(&mut self, answer: Progress) -> Progress {
        self.pending = Vec::new();
        self.done = Some(answer.clone());
        answer
    }
}

/// Decodes `buf`, every byte the server has sent so far, in one go. With `eof` set no
/// more bytes will come, so an incomplete reply becomes final.
pub fn parse_reply(buf: &[u8], offered: ProtocolVersion, eof: bool) -> Progress {
    let mut parser = ReplyParser::new(offered);
    match parser.feed(buf) {
        Progress::NeedMore if eof => parser.finish(),
        other => other,
    }
}

/// True when the first bytes could start a TLS record: a known content type and
/// major version 3. Fewer than three bytes are judged on what is there.
fn looks_like_record(buf: &[u8]) -> bool {
    let type_ok = buf.first().is_some_and(|b| (20..=24).contains(b));
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
#[derive(Debug, Default)]
struct Flight {
    /// The start of a handshake message whose end is in a later record.
    handshake: Vec<u8>,
    hello: Option<ServerHello>,
    /// A warning alert before the ServerHello (e.g. unrecognized_name): some servers
    /// send one and carry on, so it is the answer only if nothing else follows.
    warning: Option<AlertDescription>,
}

impl ServerHello {
    fn ended(mut self, how: FlightEnd) -> Self {
        self.flight = how;
        self
    }
}

impl Flight {
    /// Takes one record; returns the final answer once it is known.
    fn absorb(
        &mut self,
        typ: ContentType,
        body: &[u8],
        offered: &[ProtocolVersion],
    ) -> Option<Progress> {
        match typ {
            ContentType::ALERT => self.alert(body),
            ContentType::HANDSHAKE => {
                // Messages are decoded from the record itself unless one began in an
                // earlier record: only a message cut by a record boundary is copied.
                let mut carried = std::mem::take(&mut self.handshake);
                let buf = match carried.is_empty() {
                    true => body,
                    false => {
                        carried.extend_from_slice(body);
                        &carried[..]
                    }
                };
                let (answer, used) = self.messages(buf, offered);
                if answer.is_none() {
                    let rest = &buf[used..];
                    match carried.is_empty() {
                        true => self.handshake.extend_from_slice(rest),
                        false => {
                            carried.drain(..used);
                            self.handshake = carried;
                        }
                    }
                }
                answer
            }
            other => Some(self.broken(Malformed::UnexpectedRecord(other))),
        }
    }

    /// A decoding failure: after an accepting hello it ends the flight (the claim
    /// stands, its proof is judged later); before one it is the answer.
    fn broken(&mut self, m: Malformed) -> Progress {
        match self.hello.take() {
            Some(hello) => Progress::Done(Reply::Hello(hello.ended(FlightEnd::Broken(m)))),
            None => Progress::Malformed(m),
        }
    }

    fn alert(&mut self, body: &[u8]) -> Option<Progress> {
        let description = match body {
            [_, d] => AlertDescription(*d),
            _ => return Some(self.broken(Malformed::BadAlert)),
        };
        if let Some(hello) = self.hello.take() {
            let how = FlightEnd::Alert(description);
            return Some(Progress::Done(Reply::Hello(hello.ended(how))));
        }
        match body {
            [1, d] if *d != AlertDescription::CLOSE_NOTIFY.0 => {
                self.warning = Some(description);
                None
            }
            [level, _] => Some(Progress::Done(Reply::Alert {
                level: *level,
                description,
            })),
            _ => Some(self.broken(Malformed::BadAlert)),
        }
    }

    /// Walks the complete handshake messages in `buf`: the answer once it is known, and
    /// how many bytes of `buf` were whole messages.
    fn messages(&mut self, buf: &[u8], offered: &[ProtocolVersion]) -> (Option<Progress>, usize) {
        let mut r = Reader::new(buf);
        loop {
            let mut next = r.clone();
            let message = next.u8().zip(next.vec_u24());
            let Some((typ, body)) = message else {
                return (None, buf.len() - r.rest().len());
            };
            r = next;
            if let Some(done) = self.message(HandshakeType(typ), body.rest(), offered) {
                return (Some(done), buf.len() - r.rest().len());
            }
        }
    }

    fn message(
        &mut self,
        typ: HandshakeType,
        body: &[u8],
        offered: &[ProtocolVersion],
    ) -> Option<Progress> {
        let Some(hello) = self.hello.as_mut() else {
            return match typ {
                HandshakeType::SERVER_HELLO => {
                    let hello = match read_server_hello(body) {
                        Ok(hello) => hello,
                        Err(m) => return Some(Progress::Malformed(m)),
                    };
                    let awaits_flight = !hello.retry_request
                        && offered.contains(&hello.version)
                        && hello.version <= ProtocolVersion::TLS12;
                    if !awaits_flight {
                        return Some(Progress::Done(Reply::Hello(hello)));
                    }
                    self.hello = Some(hello);
                    None
                }
                // HelloRequest (type 0) may precede anything; ignore it.
                HandshakeType(0) => None,
                other => Some(Progress::Malformed(Malformed::UnexpectedMessage(other))),
            };
        };
        match typ {
            HandshakeType::CERTIFICATE => match read_certificates(body) {
                Some(chain) => hello.certificates = chain,
                None => return Some(self.broken(Malformed::BadCertificate)),
            },
            HandshakeType::SERVER_KEY_EXCHANGE => hello.key_exchange = Some(body.to_vec()),
            HandshakeType::CERTIFICATE_STATUS | HandshakeType::CERTIFICATE_REQUEST => {}
            HandshakeType::SERVER_HELLO_DONE => {
                let hello = self.hello.take()?.ended(FlightEnd::Complete);
                return Some(Progress::Done(Reply::Hello(hello)));
            }
            other => return Some(self.broken(Malformed::UnexpectedMessage(other))),
        }
        None
    }
}

/// Decodes a ServerHello and checks its key share: a key of the wrong length for its
/// group (a 5-byte x25519 share), or a key in a HelloRetryRequest, is no hello a client
/// could go on from.
fn read_server_hello(body: &[u8]) -> Result<ServerHello, Malformed> {
    let (hello, key_len) = read_hello_fields(body).ok_or(Malformed::BadServerHello)?;
    let Some(group) = hello.key_share else {
        return Ok(hello);
    };
    let fits = match (hello.retry_request, key_len, key_share_len(group)) {
        (true, None, _) => true,
        (false, Some(n), Some(want)) => n == want,
        (false, Some(n), None) => n > 0,
        _ => false,
    };
    match fits {
        true => Ok(hello),
        false => Err(Malformed::BadKeyShare {
            group,
            len: key_len,
            retry: hello.retry_request,
        }),
    }
}

/// The length of a server's key share for `group` (RFC 8446 §4.2.8.1–2: a point, a
/// Montgomery key, a finite-field value padded to the prime; the ML-KEM hybrids'
/// ciphertext and key), where the group is one a client here may offer.
fn key_share_len(group: NamedGroup) -> Option<usize> {
    Some(match group.0 {
        0x001d => 32,
        0x001e => 56,
        0x0017 => 65,
        0x0018 => 97,
        0x0019 => 133,
        0x0100 => 256,
        0x0101 => 384,
        0x0102 => 512,
        0x0103 => 768,
        0x0104 => 1024,
        0x11ec | 0x6399 => 1120,
        0x11eb => 1153,
        0x11ed => 1665,
        _ => return None,
    })
}

/// The ServerHello's fields, and the length of its key share's key (`None` when the
/// key_share extension holds the group alone, as in a HelloRetryRequest).
fn read_hello_fields(body: &[u8]) -> Option<(ServerHello, Option<usize>)> {
    let mut r = Reader::new(body);
    let legacy_version = ProtocolVersion(r.u16()?);
    let random: [u8; 32] = r.take(32)?.try_into().ok()?;
    r.vec_u8()?; // session id
    let cipher = CipherSuite(r.u16()?);
    let compression = r.u8()?;
    let mut version = legacy_version;
    let mut key_share = None;
    let mut key_len = None;
    if !r.is_empty() {
        let mut exts = r.vec_u16()?;
        while !exts.is_empty() {
            let typ = ExtensionType(exts.u16()?);
            let mut data = exts.vec_u16()?;
            match typ {
                ExtensionType::SUPPORTED_VERSIONS => version = ProtocolVersion(data.u16()?),
                // The server's KeyShareEntry, or the group a HelloRetryRequest asks for:
                // both start with the group.
                ExtensionType::KEY_SHARE => {
                    key_share = Some(NamedGroup(data.u16()?));
                    if !data.is_empty() {
                        key_len = Some(data.vec_u16()?.rest().len());
                        if !data.is_empty() {
                            return None;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let hello = ServerHello {
        version,
        cipher,
        compression,
        random,
        retry_request: random == HRR_RANDOM,
        downgrade_sentinel: random[24..31] == DOWNGRADE_PREFIX[..],
        key_share,
        certificates: Vec::new(),
        key_exchange: None,
        flight: FlightEnd::NotAwaited,
    };
    Some((hello, key_len))
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
