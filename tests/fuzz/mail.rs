//! The `mail` target: the STARTTLS and answer dialogues of `wire::mail`, and the TLS
//! 1.0/1.1 first-flight and record decoders of `wire::legacy`, on mutated replies of
//! real shapes (Exchange Online's SMTP/IMAP/POP3 answers, a protected record). Oracles:
//! no panic; the buffers stay within the documented bounds; every verdict's words pass
//! the sinks' rules once escaped; a dialogue fed the same bytes in other slices reaches
//! the same verdict.

use tlscompat::mail::{Mail, MailProtocol};
use tlscompat::wire::legacy::handshake::server_flight;
use tlscompat::wire::legacy::record::{APPLICATION_DATA, Protection, next_record};
use tlscompat::wire::mail::{Dialogue, MAX_QUOTE, Step, Verdict};

use super::mutate;
use super::rng::Rng;
use super::text::sinks_safe;

/// Server sides of real dialogues: what each protocol's server says, in order.
pub const SEEDS: &[(MailProtocol, &[u8])] = &[
    (
        MailProtocol::Smtp,
        b"220 smtp.office365.com Microsoft ESMTP MAIL Service ready\r\n250-smtp.office365.com Hello [192.0.2.1]\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n220 2.0.0 SMTP server ready\r\n",
    ),
    (
        MailProtocol::Smtp,
        b"421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.\r\n",
    ),
    (
        MailProtocol::Imap,
        b"* OK The Microsoft Exchange IMAP4 service is ready.\r\n* CAPABILITY IMAP4 IMAP4rev1 STARTTLS\r\na OK Begin TLS negotiation now.\r\n",
    ),
    (MailProtocol::Imap, b"* BYE TLS 1.0 and 1.1 are not supported.\r\n"),
    (
        MailProtocol::Pop3,
        b"+OK The Microsoft Exchange POP3 service is ready.\r\n+OK Begin TLS negotiation.\r\n",
    ),
    (MailProtocol::Pop3, b"-ERR TLS 1.0 and 1.1 are not supported.\r\n"),
];

/// Feeds `bytes` to a fresh dialogue in slices of `cuts`, answering every command;
/// the verdict at the end of the bytes (or when it came).
fn drive(mut d: Dialogue, bytes: &[u8], cuts: &[usize]) -> Result<Verdict, String> {
    let mut step = d.start();
    let mut at = 0;
    let mut cut = cuts.iter().cycle();
    for _ in 0..10_000 {
        step = match step {
            Step::Done(v) => return Ok(v),
            Step::Send(_) => d.feed(&[]),
            Step::NeedMore if at >= bytes.len() => return Ok(d.finish()),
            Step::NeedMore => {
                let n = (*cut.next().unwrap_or(&1)).clamp(1, bytes.len() - at);
                let piece = &bytes[at..at + n];
                at += n;
                d.feed(piece)
            }
        };
    }
    Err("the dialogue did not end".into())
}

pub fn one(rng: &mut Rng) -> (Vec<u8>, Result<(), String>) {
    let seeds: Vec<Vec<u8>> = SEEDS.iter().map(|(_, s)| s.to_vec()).collect();
    let (protocol, seed) = *rng.pick(SEEDS);
    let mut bytes = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        mutate::http(rng, &mut bytes, &seeds);
    }
    if rng.chance(8) {
        // An endless banner: the same line many times.
        let line = bytes.split(|b| *b == b'\n').next().unwrap_or(b"").to_vec();
        for _ in 0..rng.below(2000) {
            bytes.extend_from_slice(&line);
            bytes.push(b'\n');
        }
    }
    let verdict = check(protocol, &bytes, rng).and_then(|()| legacy(&bytes));
    (bytes, verdict)
}

fn check(protocol: MailProtocol, bytes: &[u8], rng: &mut Rng) -> Result<(), String> {
    let make = |preamble: bool| match preamble {
        true => Dialogue::preamble(protocol, "[192.0.2.1]"),
        false => Dialogue::answer(Mail::starttls(protocol), "[192.0.2.1]"),
    };
    let preamble = rng.chance(2);
    let cuts: Vec<usize> = (0..4).map(|_| 1 + rng.below(64)).collect();
    let whole = drive(make(preamble), bytes, &[bytes.len().max(1)])?;
    let sliced = drive(make(preamble), bytes, &cuts)?;
    // Bytes after the STARTTLS answer are seen only as far as they came with it.
    let injection = matches!(
        (&whole, &sliced),
        (
            Verdict::Injected { .. },
            Verdict::Ready(_) | Verdict::Injected { .. }
        )
    );
    if whole != sliced && !injection {
        return Err(format!(
            "slicing changed the verdict: {whole:?} / {sliced:?}"
        ));
    }
    if matches!(whole, Verdict::Ready(_)) {
        super::text::PARSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let words = whole.describe(protocol);
    // A quote is bounded (with the words around it and a few escapes).
    if words.chars().count() > 4 * MAX_QUOTE + 400 {
        return Err(format!("verdict of {} characters", words.chars().count()));
    }
    sinks_safe("mail verdict", &words)
}

/// The same bytes as a legacy server's first flight and as protected records.
fn legacy(bytes: &[u8]) -> Result<(), String> {
    let _ = server_flight(bytes);
    let mut rx = Protection::new(0x0301, &[1; 20], &[2; 16], [3; 16]);
    let mut rest = bytes;
    while let Ok(Some((record, used))) = next_record(rest) {
        let _ = rx.open(APPLICATION_DATA, record.body);
        rest = &rest[used..];
    }
    Ok(())
}
