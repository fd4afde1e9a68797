//! The legacy handshake: a complete TLS 1.0/1.1 handshake with the client of
//! `wire/legacy/`, over the same connection set-up as every probe (`dial.rs`), and on a
//! mail target the service's answer after it (`mail.rs`). It is to TLS 1.0/1.1 what the
//! pinned rustls handshake is to 1.2/1.3, and its result has the same type.
//!
//! The hello offers the requested version alone with the four ECDHE-AES-CBC-SHA suites
//! the client can finish; the first flight is read and judged by the raw probe's rules
//! (`wire/reply.rs`, `proof.rs`: the ServerKeyExchange signature must verify), then the
//! client sends its key share, ChangeCipherSpec and Finished, and checks the server's
//! Finished. A server that refuses this narrower hello, or picks a group the client has
//! no key for, is `incompatible` (the raw probe's verdict stands); one that breaks the
//! handshake after its ServerHello is `failed`.

use std::time::{Duration, Instant};

use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::dial::dial;
use super::mail::{Channel, answer};
use super::modern::{ModernHandshake, ModernOutcome, served};
use super::net::is_reset;
use super::outcome::{Outcome, Timing};
use super::proof::{Offer, Proof};
use super::raw::{ProbeTarget, fresh_randoms, judge};
use crate::version::TlsVersion;
use crate::wire::enums::{CipherSuite, KeyExchange, NamedGroup};
use crate::wire::hello::{HelloSpec, HelloVariant, client_hello_record, groups};
use crate::wire::legacy::handshake::{
    FlightError, Keys, MAX_FLIGHT, client_key_flight, ecdh_share, server_flight,
};
use crate::wire::legacy::record::{
    ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE, MAX_FRAGMENT, Protection, encode,
    next_record,
};
use crate::wire::legacy::{SUITES, key_len};
use crate::wire::reply::{Progress, ReplyParser};
use crate::wire::ske::read_server_key_exchange;

/// A handshake at `version` (1.0 or 1.1) and, on a mail target, the service's answer.
pub async fn handshake_at(
    target: ProbeTarget<'_>,
    timeout: Duration,
    version: TlsVersion,
) -> ModernHandshake {
    let start = Instant::now();
    let mut timing = Timing::default();
    let outcome = match connect(target, timeout, version, start, &mut timing).await {
        Err(outcome) => outcome,
        Ok(mut session) => {
            let (v, cipher, chain) = (version.wire(), session.cipher, session.chain.clone());
            match target.mail {
                None => ModernOutcome::Completed {
                    version: v,
                    cipher,
                    chain,
                    service: None,
                },
                Some(mail) => {
                    let local = session.tcp.local_addr().ok();
                    let heard = answer(&mut session, mail, local, timeout).await;
                    served(v, cipher, chain, heard)
                }
            }
        }
    };
    timing.total = start.elapsed();
    ModernHandshake {
        outcome,
        timing,
        pinned: Some(version),
    }
}

/// A TLS 1.0/1.1 session after a completed handshake: a [`Channel`] for application
/// data.
pub struct LegacySession {
    tcp: TcpStream,
    /// Bytes received and not yet framed into records.
    inbound: Vec<u8>,
    /// Plaintext received and not yet handed out.
    plain: Vec<u8>,
    client: Protection,
    server: Protection,
    pub cipher: CipherSuite,
    /// DER certificates the server presented, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The server sent close_notify.
    closed: bool,
}

/// Opens a connection to `target` (with its STARTTLS preamble) and completes a
/// handshake at `version` within `timeout`; the outcome says why not otherwise.
pub async fn connect(
    target: ProbeTarget<'_>,
    timeout: Duration,
    version: TlsVersion,
    start: Instant,
    timing: &mut Timing,
) -> Result<LegacySession, ModernOutcome> {
    if !version.is_legacy() {
        return Err(ModernOutcome::Incompatible(format!(
            "the legacy client speaks TLS 1.0 and 1.1, not {version}"
        )));
    }
    let (mut tcp, connect_time) = dial(target.route, target.mail, timeout)
        .await
        .map_err(ModernOutcome::Unreachable)?;
    timing.connect = Some(connect_time);
    let deadline = tokio::time::Instant::now() + timeout;
    let (random, _) = fresh_randoms();
    let hello = client_hello_record(&HelloSpec {
        version,
        variant: HelloVariant::Compact,
        server_name: target.host.server_name(),
        random,
        entropy: [0; 32],
        suites: Some(&SUITES),
    });
    let offer = Offer {
        versions: vec![version],
        suites: SUITES
            .iter()
            .copied()
            .chain([CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV])
            .collect(),
        groups: groups(HelloVariant::Compact).to_vec(),
        key_shares: Vec::new(),
        client_random: random,
    };
    if let Err(e) = tcp.write_all(&hello).await {
        return Err(ModernOutcome::Incompatible(e.to_string()));
    }
    let (accepted, received) = first_flight(&mut tcp, &offer, version, deadline).await?;
    let broken = |why: String| ModernOutcome::Failed(format!("after the ServerHello: {why}"));
    let flight = server_flight(&received).map_err(|e| broken(e.to_string()))?;
    let share = flight
        .key_exchange
        .as_deref()
        .and_then(|b| read_server_key_exchange(b, KeyExchange::Ecdhe, false))
        .and_then(|ske| ecdh_share(ske.params));
    let Some((group, point)) = share else {
        return Err(broken("no usable ECDHE ServerKeyExchange".into()));
    };
    let (public, premaster) = agree(group, point).map_err(broken)?;
    let key_len = key_len(accepted.cipher).ok_or_else(|| {
        broken(format!(
            "server chose {}, which was not offered",
            accepted.cipher
        ))
    })?;
    let wire_version = version.wire().0;
    let keys = Keys::derive(
        wire_version,
        &premaster,
        &random,
        &flight.server_random,
        key_len,
    );
    let mut transcript = hello.get(5..).unwrap_or_default().to_vec();
    transcript.extend_from_slice(&flight.transcript);
    let key_flight = client_key_flight(&public, flight.certificate_request);
    transcript.extend_from_slice(&key_flight);
    let finished = keys.client_finished(&transcript);
    transcript.extend_from_slice(&finished);
    let mut client = keys.client.clone();
    let mut out = encode(HANDSHAKE, wire_version, &key_flight);
    out.extend(encode(CHANGE_CIPHER_SPEC, wire_version, &[1]));
    out.extend(client.seal(HANDSHAKE, &finished, fresh_iv()));
    tcp.write_all(&out)
        .await
        .map_err(|e| broken(format!("sending the key exchange: {e}")))?;
    let mut session = LegacySession {
        tcp,
        inbound: received.get(flight.consumed..).unwrap_or_default().to_vec(),
        plain: Vec::new(),
        client,
        server: keys.server.clone(),
        cipher: accepted.cipher,
        chain: accepted.chain,
        closed: false,
    };
    let server_finished = session.server_finished(deadline).await.map_err(broken)?;
    keys.check_server_finished(&server_finished, &transcript)
        .map_err(|e| broken(e.to_string()))?;
    timing.handshake = Some(start.elapsed());
    Ok(session)
}

/// Reads and judges the server's first flight: the acceptance (with the chain), and
/// every byte received, for the transcript.
async fn first_flight(
    tcp: &mut TcpStream,
    offer: &Offer,
    version: TlsVersion,
    deadline: tokio::time::Instant,
) -> Result<(crate::probe::outcome::Accepted, Vec<u8>), ModernOutcome> {
    let mut parser = ReplyParser::new(version.wire());
    let mut received = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let reply = loop {
        if received.len() > MAX_FLIGHT {
            return Err(ModernOutcome::Failed(format!(
                "the first flight exceeds {MAX_FLIGHT} bytes"
            )));
        }
        let progress = match tokio::time::timeout_at(deadline, tcp.read(&mut chunk)).await {
            Err(_) => match parser.stalled() {
                Some(_) => return Err(ModernOutcome::Failed("stalled in the first flight".into())),
                None => return Err(ModernOutcome::Timeout),
            },
            Ok(Ok(0)) => parser.finish(),
            Ok(Ok(n)) => {
                received.extend_from_slice(&chunk[..n]);
                parser.feed(&chunk[..n])
            }
            Ok(Err(e)) if is_reset(&e) && received.is_empty() => {
                return Err(ModernOutcome::Incompatible("reset before an answer".into()));
            }
            Ok(Err(e)) => return Err(ModernOutcome::Failed(e.to_string())),
        };
        match progress {
            Progress::Done(reply) => break reply,
            Progress::Malformed(m) => return Err(ModernOutcome::Failed(m.to_string())),
            Progress::NeedMore if parser.is_finished() => {
                return Err(ModernOutcome::Incompatible(
                    "connection closed without an answer".into(),
                ));
            }
            Progress::NeedMore => {}
        }
    };
    match judge(reply, offer) {
        Outcome::Accepted(a) => match &a.proof {
            Proof::Failed(why) => Err(ModernOutcome::Failed(why.clone())),
            _ => Ok((a, received)),
        },
        Outcome::Rejected(r) => Err(ModernOutcome::Incompatible(format!(
            "the server refused a {version} hello offering only ECDHE with AES-CBC-SHA: {r}"
        ))),
        other => Err(ModernOutcome::Failed(other.to_string())),
    }
}

/// Our key share for `group` and the shared secret with the server's `point`.
fn agree(group: NamedGroup, point: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let alg = match group {
        NamedGroup::X25519 => &agreement::X25519,
        NamedGroup::SECP256R1 => &agreement::ECDH_P256,
        other => {
            return Err(format!(
                "the server chose group {other}, which was not offered"
            ));
        }
    };
    let rng = SystemRandom::new();
    let private =
        EphemeralPrivateKey::generate(alg, &rng).map_err(|_| "no key share".to_string())?;
    let public = private
        .compute_public_key()
        .map_err(|_| "no key share".to_string())?
        .as_ref()
        .to_vec();
    let secret =
        agreement::agree_ephemeral(private, &UnparsedPublicKey::new(alg, point), |k| k.to_vec())
            .map_err(|_| format!("the server's {group} share is not a valid point"))?;
    Ok((public, secret))
}

/// A random IV for a TLS 1.1 record.
fn fresh_iv() -> [u8; 16] {
    let mut iv = [0u8; 16];
    // An IV need not be secret, only unpredictable to an attacker; a failing OS RNG
    // still yields a well-formed record.
    let _ = SystemRandom::new().fill(&mut iv);
    iv
}

impl LegacySession {
    /// The next whole record from the server.
    async fn record(
        &mut self,
        deadline: tokio::time::Instant,
    ) -> Result<Option<(u8, Vec<u8>)>, String> {
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            if let Some((r, len)) = next_record(&self.inbound).map_err(|e| e.to_string())? {
                let out = (r.content_type, r.body.to_vec());
                self.inbound.drain(..len);
                return Ok(Some(out));
            }
            let n = match tokio::time::timeout_at(deadline, self.tcp.read(&mut chunk)).await {
                Err(_) => return Err("no answer in time".into()),
                Ok(Err(e)) => return Err(e.to_string()),
                Ok(Ok(n)) => n,
            };
            if n == 0 {
                return Ok(None);
            }
            self.inbound.extend_from_slice(&chunk[..n]);
        }
    }

    /// ChangeCipherSpec, then the server's Finished message (decrypted).
    async fn server_finished(&mut self, deadline: tokio::time::Instant) -> Result<Vec<u8>, String> {
        let mut changed = false;
        loop {
            let Some((typ, body)) = self.record(deadline).await? else {
                return Err("connection closed before the server's Finished".into());
            };
            match (typ, changed) {
                (CHANGE_CIPHER_SPEC, false) if body == [1] => changed = true,
                (ALERT, false) => {
                    let alert = FlightError::Alert(body.get(1).copied().unwrap_or(0));
                    return Err(format!("the server answered the key exchange with {alert}"));
                }
                (HANDSHAKE | ALERT, true) => {
                    let plain = self.server.open(typ, &body).map_err(|e| e.to_string())?;
                    if typ == ALERT {
                        let alert = FlightError::Alert(plain.get(1).copied().unwrap_or(0));
                        return Err(format!("the server answered the key exchange with {alert}"));
                    }
                    return Ok(plain);
                }
                (t, _) => return Err(format!("record type {t} before the server's Finished")),
            }
        }
    }
}

impl Channel for LegacySession {
    async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        for piece in bytes.chunks(MAX_FRAGMENT) {
            let record = self.client.seal(APPLICATION_DATA, piece, fresh_iv());
            self.tcp.write_all(&record).await?;
        }
        Ok(())
    }

    async fn recv(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        // The caller bounds the time; a record read here has no deadline of its own.
        let far = tokio::time::Instant::now() + Duration::from_secs(3600);
        while self.plain.is_empty() && !self.closed {
            let Some((typ, body)) = self.record(far).await.map_err(std::io::Error::other)? else {
                self.closed = true;
                break;
            };
            let plain = self
                .server
                .open(typ, &body)
                .map_err(|e| std::io::Error::other(format!("TLS: {e}")))?;
            match typ {
                APPLICATION_DATA => self.plain.extend(plain),
                ALERT if plain.get(1) == Some(&0) => self.closed = true,
                ALERT => {
                    let alert = FlightError::Alert(plain.get(1).copied().unwrap_or(0));
                    return Err(std::io::Error::other(format!("TLS: {alert}")));
                }
                // A HelloRequest (renegotiation) is declined by ignoring it (RFC 5246
                // §7.4.1.1 allows that); nothing else belongs here.
                HANDSHAKE => {}
                t => return Err(std::io::Error::other(format!("TLS: record type {t}"))),
            }
        }
        let n = self.plain.len().min(out.len());
        out[..n].copy_from_slice(&self.plain[..n]);
        self.plain.drain(..n);
        Ok(n)
    }
}
