//! The handshake messages of the legacy client beyond the ClientHello (which
//! `wire/hello.rs` builds): the transcript of the server's first flight, the client's
//! second flight (an empty Certificate when one is requested, ClientKeyExchange,
//! Finished), the keys, and the server's Finished.

use std::fmt;

use super::prf::{key_block, master_secret, verify_data};
use super::record::{ALERT, HANDSHAKE, Protection, RecordError, next_record};
use crate::wire::codec::Reader;
use crate::wire::enums::NamedGroup;

const SERVER_HELLO: u8 = 2;
const CERTIFICATE: u8 = 11;
const SERVER_KEY_EXCHANGE: u8 = 12;
const CERTIFICATE_REQUEST: u8 = 13;
const SERVER_HELLO_DONE: u8 = 14;
const CLIENT_KEY_EXCHANGE: u8 = 16;
const FINISHED: u8 = 20;
const HELLO_REQUEST: u8 = 0;

/// The most handshake bytes a server's first flight may hold (a long chain is ~10 KiB).
pub const MAX_FLIGHT: usize = 128 * 1024;

/// What the client needs of the server's first flight, ServerHello to ServerHelloDone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFlight {
    /// The handshake messages exactly as received (HelloRequests left out), for the
    /// Finished hashes.
    pub transcript: Vec<u8>,
    pub server_random: [u8; 32],
    /// The ServerKeyExchange body.
    pub key_exchange: Option<Vec<u8>>,
    /// The server asked for a client certificate.
    pub certificate_request: bool,
    /// Bytes of the input up to the end of the record that held ServerHelloDone.
    pub consumed: usize,
}

/// Why a flight or a Finished could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlightError {
    /// The bytes end before ServerHelloDone.
    Incomplete,
    Record(RecordError),
    /// A fatal alert (its description code).
    Alert(u8),
    /// A message where another was expected, or one that does not decode.
    Unexpected(String),
    TooLong,
}

impl fmt::Display for FlightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Incomplete => f.write_str("the flight ended before ServerHelloDone"),
            Self::Record(e) => e.fmt(f),
            Self::Alert(d) => match crate::wire::enums::AlertDescription(*d).name() {
                Some(n) => write!(f, "alert {n}"),
                None => write!(f, "alert {d} (unknown)"),
            },
            Self::Unexpected(what) => f.write_str(what),
            Self::TooLong => write!(f, "flight exceeds {MAX_FLIGHT} bytes"),
        }
    }
}

/// Reads the server's first flight from `received` (every byte so far).
pub fn server_flight(received: &[u8]) -> Result<ServerFlight, FlightError> {
    let mut stream = Vec::new();
    let mut at = 0;
    let mut flight = ServerFlight {
        transcript: Vec::new(),
        server_random: [0; 32],
        key_exchange: None,
        certificate_request: false,
        consumed: 0,
    };
    let mut parsed = 0;
    loop {
        let Some((record, len)) = next_record(&received[at..]).map_err(FlightError::Record)? else {
            return Err(FlightError::Incomplete);
        };
        at += len;
        match record.content_type {
            HANDSHAKE => stream.extend_from_slice(record.body),
            ALERT => match record.body {
                [1, _] => continue,
                [_, d] => return Err(FlightError::Alert(*d)),
                _ => return Err(FlightError::Unexpected("malformed alert".into())),
            },
            t => {
                return Err(FlightError::Unexpected(format!(
                    "record type {t} in the first flight"
                )));
            }
        }
        if stream.len() > MAX_FLIGHT {
            return Err(FlightError::TooLong);
        }
        while let Some((typ, body, len)) = message(&stream[parsed..]) {
            let whole = &stream[parsed..parsed + len];
            parsed += len;
            if typ != HELLO_REQUEST {
                flight.transcript.extend_from_slice(whole);
            }
            match typ {
                SERVER_HELLO => {
                    let random = body.get(2..34).ok_or_else(|| bad("ServerHello"))?;
                    flight.server_random.copy_from_slice(random);
                }
                SERVER_KEY_EXCHANGE => flight.key_exchange = Some(body.to_vec()),
                CERTIFICATE_REQUEST => flight.certificate_request = true,
                SERVER_HELLO_DONE => {
                    flight.consumed = at;
                    return Ok(flight);
                }
                _ => {}
            }
        }
    }
}

fn bad(what: &str) -> FlightError {
    FlightError::Unexpected(format!("malformed {what}"))
}

/// The first complete handshake message of `stream`: (type, body, length with header).
fn message(stream: &[u8]) -> Option<(u8, &[u8], usize)> {
    let mut r = Reader::new(stream);
    let typ = r.u8()?;
    let body = r.vec_u24()?.rest();
    Some((typ, body, 4 + body.len()))
}

/// A handshake message: type, 24-bit length, body.
pub fn handshake_message(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// The client's flight before ChangeCipherSpec: an empty Certificate when the server
/// asked for one (RFC 2246 §7.4.6), then ClientKeyExchange with our ECDH point.
pub fn client_key_flight(public: &[u8], certificate_request: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if certificate_request {
        out.extend(handshake_message(CERTIFICATE, &[0, 0, 0]));
    }
    let mut body = vec![public.len().min(255) as u8];
    body.extend_from_slice(&public[..public.len().min(255)]);
    out.extend(handshake_message(CLIENT_KEY_EXCHANGE, &body));
    out
}

/// The named group and public point of an ECDHE ServerKeyExchange's parameters
/// (`ECParameters` with a named curve, then the point).
pub fn ecdh_share(params: &[u8]) -> Option<(NamedGroup, &[u8])> {
    let mut r = Reader::new(params);
    if r.u8()? != 3 {
        return None;
    }
    let group = NamedGroup(r.u16()?);
    let point = r.vec_u8()?.rest();
    Some((group, point))
}

/// The keys of both directions, from the premaster secret.
pub struct Keys {
    pub master: Vec<u8>,
    pub client: Protection,
    pub server: Protection,
}

impl Keys {
    /// `key_len`: 16 or 32 (AES-128 / AES-256).
    pub fn derive(
        version: u16,
        premaster: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        key_len: usize,
    ) -> Self {
        let master = master_secret(premaster, client_random, server_random);
        let block = key_block(
            &master,
            client_random,
            server_random,
            2 * (20 + key_len + 16),
        );
        let mut r = Reader::new(&block);
        // `key_block` returns exactly the length asked for: every take succeeds.
        let mut take = |n: usize| r.take(n).unwrap_or_default().to_vec();
        let (client_mac, server_mac) = (take(20), take(20));
        let (client_key, server_key) = (take(key_len), take(key_len));
        let iv = |v: Vec<u8>| <[u8; 16]>::try_from(v).unwrap_or_default();
        let (client_iv, server_iv) = (iv(take(16)), iv(take(16)));
        Self {
            client: Protection::new(version, &client_mac, &client_key, client_iv),
            server: Protection::new(version, &server_mac, &server_key, server_iv),
            master,
        }
    }

    /// The client's Finished message over `transcript`.
    pub fn client_finished(&self, transcript: &[u8]) -> Vec<u8> {
        handshake_message(
            FINISHED,
            &verify_data(&self.master, b"client finished", transcript),
        )
    }

    /// Checks the server's (decrypted) Finished message against `transcript`.
    pub fn check_server_finished(
        &self,
        message: &[u8],
        transcript: &[u8],
    ) -> Result<(), FlightError> {
        let expected = handshake_message(
            FINISHED,
            &verify_data(&self.master, b"server finished", transcript),
        );
        match message.first() {
            Some(&FINISHED) if message == expected => Ok(()),
            Some(&FINISHED) => Err(FlightError::Unexpected(
                "the server's Finished does not verify".into(),
            )),
            Some(t) => Err(FlightError::Unexpected(format!(
                "handshake message type {t} where the server's Finished belongs"
            ))),
            None => Err(bad("Finished")),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::wire::legacy::record::encode;

    fn flight(messages: &[Vec<u8>]) -> Vec<u8> {
        encode(HANDSHAKE, 0x0301, &messages.concat())
    }

    fn server_hello(random: u8) -> Vec<u8> {
        let mut body = vec![3, 1];
        body.extend([random; 32]);
        body.extend([0, 0xc0, 0x13, 0]);
        handshake_message(SERVER_HELLO, &body)
    }

    #[test]
    fn the_transcript_is_the_messages_as_sent() {
        let sh = server_hello(0x42);
        let ske = handshake_message(SERVER_KEY_EXCHANGE, &[3, 0, 29, 1, 9, 0, 0]);
        let done = handshake_message(SERVER_HELLO_DONE, &[]);
        let hello_request = handshake_message(HELLO_REQUEST, &[]);
        // Split across records, a HelloRequest and a warning alert in between.
        let mut bytes = flight(&[sh.clone(), hello_request]);
        bytes.extend(encode(ALERT, 0x0301, &[1, 112]));
        bytes.extend(flight(&[ske.clone(), done.clone()]));
        let f = server_flight(&bytes).unwrap();
        assert_eq!(f.transcript, [sh, ske.clone(), done].concat());
        assert_eq!(f.server_random, [0x42; 32]);
        assert_eq!(f.key_exchange.as_deref(), Some(&ske[4..]));
        assert!(!f.certificate_request);
        assert_eq!(f.consumed, bytes.len());
        for cut in 0..bytes.len() {
            assert_eq!(
                server_flight(&bytes[..cut]),
                Err(FlightError::Incomplete),
                "{cut}"
            );
        }
    }

    #[test]
    fn fatal_alerts_and_strangers_end_the_flight() {
        let bytes = encode(ALERT, 0x0301, &[2, 40]);
        assert_eq!(server_flight(&bytes), Err(FlightError::Alert(40)));
        let bytes = encode(23, 0x0301, &[0; 4]);
        assert!(matches!(
            server_flight(&bytes),
            Err(FlightError::Unexpected(_))
        ));
    }

    #[test]
    fn certificate_requests_get_an_empty_certificate() {
        let f = client_key_flight(&[4; 65], true);
        assert_eq!(&f[..7], &[CERTIFICATE, 0, 0, 3, 0, 0, 0]);
        assert_eq!(&f[7..12], &[CLIENT_KEY_EXCHANGE, 0, 0, 66, 65]);
        assert_eq!(client_key_flight(&[1; 32], false)[..5], [16, 0, 0, 33, 32]);
    }

    #[test]
    fn ecdh_shares_decode() {
        assert_eq!(
            ecdh_share(&[3, 0, 29, 2, 7, 8]),
            Some((NamedGroup::X25519, &[7u8, 8][..]))
        );
        assert_eq!(ecdh_share(&[1, 0, 29, 0]), None);
        assert_eq!(ecdh_share(&[3, 0, 29, 5, 1]), None);
    }

    #[test]
    fn finished_messages_check_both_ways() {
        let keys = Keys::derive(0x0301, &[1; 32], &[2; 32], &[3; 32], 16);
        let transcript = b"some handshake";
        let ours = keys.client_finished(transcript);
        assert_eq!(ours.len(), 16);
        let theirs = handshake_message(
            FINISHED,
            &verify_data(&keys.master, b"server finished", transcript),
        );
        assert!(keys.check_server_finished(&theirs, transcript).is_ok());
        assert!(keys.check_server_finished(&ours, transcript).is_err());
        assert!(keys.check_server_finished(&[], transcript).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_flights_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = server_flight(&bytes);
            let _ = ecdh_share(&bytes);
            let mut framed = encode(HANDSHAKE, 0x0301, &bytes);
            framed.extend(encode(HANDSHAKE, 0x0301, &handshake_message(SERVER_HELLO_DONE, &[])));
            let _ = server_flight(&framed);
        }
    }
}
