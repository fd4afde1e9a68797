//! Target: the reply parser, `wire::reply::parse_reply(buf, offered, eof)`.
//!
//! Oracles beyond "no panic" — the verdict on part of a flight never contradicts the
//! verdict on the whole (the probe acts on the first verdict it gets):
//!
//! 1. **Finality.** For prefixes P ⊂ Q of a flight F (every record-aligned prefix plus
//!    random cut points, and F itself), once `parse(P, eof=false)` is a verdict (Done or
//!    Malformed), `parse(Q, false)` and `parse(F, eof=true)` are the same verdict. Only
//!    `NotTls` excerpts may grow, the earlier one being a prefix of the later one.
//! 2. **An accepting ServerHello stands.** When `parse(P, false)` still needs bytes but
//!    `parse(P, eof=true)` is a ServerHello (the connection ending there), the whole
//!    flight's verdict is a ServerHello with the same version, suite, HRR and
//!    downgrade flags (the chain may differ: it had not arrived in P).
//! 3. **Fragmentation does not matter.** Re-cutting the leading run of complete
//!    handshake records at other record boundaries (TLS lets handshake messages span
//!    records arbitrarily) gives exactly the same verdict, with and without eof.
//! 4. **Segmentation does not matter.** The incremental `ReplyParser` (what the probe
//!    uses), fed the flight in random TCP-sized chunks, answers after each chunk what
//!    `parse_reply` answers on everything fed so far, and at the end (`finish`) what
//!    `parse_reply(flight, eof=true)` answers (a `NotTls` excerpt decided on fewer bytes
//!    may be shorter).

//!
//! Input: one byte choosing the offered version (TLS 1.0-1.3), one byte seeding the
//! choice of cut points and chunk sizes, then the server's bytes.

use tlscompat::wire::enums::ProtocolVersion;
use tlscompat::wire::reply::{Progress, Reply, ReplyParser, parse_reply};

use super::oracle::fail;
use super::rng::Rng;

pub fn run(data: &[u8]) {
    let [version, seed, flight @ ..] = data else {
        return;
    };
    let offered = ProtocolVersion(0x0301 + u16::from(version & 3));
    let mut rng = Rng::new(u64::from(*seed) ^ 0x5eed);
    if let Err(e) = check(&mut rng, flight, offered) {
        fail("reply", e);
    }
}

/// The records of a flight, as (start, end) offsets; the last may be cut short.
pub fn records(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 5 <= b.len() {
        let len = usize::from(u16::from_be_bytes([b[at + 3], b[at + 4]]));
        let end = (at + 5 + len).min(b.len());
        out.push((at, end));
        at = end;
    }
    out
}

/// Largest record body the parser accepts (its MAX_RECORD).
const MAX_BODY: usize = 16384;

/// Runs every oracle on one flight; `Err` says which one failed and how.
pub fn check(rng: &mut Rng, flight: &[u8], offered: ProtocolVersion) -> Result<(), String> {
    let whole = parse_reply(flight, offered, true);
    finality(rng, flight, offered, &whole)?;
    fragmentation(rng, flight, offered, &whole)?;
    segmentation(rng, flight, offered, &whole)
}

fn segmentation(
    rng: &mut Rng,
    flight: &[u8],
    offered: ProtocolVersion,
    whole: &Progress,
) -> Result<(), String> {
    let mut parser = ReplyParser::new(offered);
    let mut at = 0;
    while at < flight.len() {
        let most = *rng.pick(&[1, 7, 64, 1460, 16384]);
        let n = 1 + rng.below(most.min(flight.len() - at));
        let got = parser.feed(&flight[at..at + n]);
        at += n;
        let want = parse_reply(&flight[..at], offered, false);
        if !agrees(&got, &want) {
            return Err(format!(
                "segmentation: after {at} bytes fed in chunks {got:?}, at once {want:?}"
            ));
        }
    }
    let end = parser.finish();
    if flight.is_empty() || agrees(&end, whole) {
        return Ok(());
    }
    Err(format!(
        "segmentation: finish gave {end:?}, parse_reply at eof {whole:?}"
    ))
}

/// Same verdict, allowing a `NotTls` excerpt to grow.
fn agrees(earlier: &Progress, later: &Progress) -> bool {
    match (earlier, later) {
        (
            Progress::Done(Reply::NotTls { excerpt: a }),
            Progress::Done(Reply::NotTls { excerpt: b }),
        ) => b.starts_with(a.as_str()),
        (a, b) => a == b,
    }
}

/// The prefix lengths to try: every record boundary, some random cuts, the whole.
fn cuts(rng: &mut Rng, flight: &[u8]) -> Vec<usize> {
    let mut out: Vec<usize> = records(flight).iter().map(|r| r.1).collect();
    out.extend((0..6).map(|_| rng.below(flight.len() + 1)));
    out.extend(
        [1, 2, 3, 5, 6, 9]
            .into_iter()
            .filter(|n| *n <= flight.len()),
    );
    out.push(flight.len());
    out.sort_unstable();
    out.dedup();
    out
}

fn finality(
    rng: &mut Rng,
    flight: &[u8],
    offered: ProtocolVersion,
    whole: &Progress,
) -> Result<(), String> {
    let mut first: Option<(usize, Progress)> = None;
    for n in cuts(rng, flight) {
        let p = parse_reply(&flight[..n], offered, false);
        match (&first, &p) {
            (None, Progress::NeedMore) => hello_stands(&flight[..n], offered, whole)?,
            (None, _) => first = Some((n, p)),
            (Some((at, d)), _) if !agrees(d, &p) => {
                return Err(format!(
                    "finality: prefix {at} gave {d:?}, prefix {n} gave {p:?}"
                ));
            }
            _ => {}
        }
    }
    match first {
        Some((at, d)) if !agrees(&d, whole) => Err(format!(
            "finality: prefix {at} gave {d:?}, the whole flight at eof {whole:?}"
        )),
        _ => Ok(()),
    }
}

fn hello_stands(prefix: &[u8], offered: ProtocolVersion, whole: &Progress) -> Result<(), String> {
    let Progress::Done(Reply::Hello(h)) = parse_reply(prefix, offered, true) else {
        return Ok(());
    };
    match whole {
        Progress::Done(Reply::Hello(w))
            if (w.version, w.cipher, w.retry_request, w.downgrade_sentinel)
                == (h.version, h.cipher, h.retry_request, h.downgrade_sentinel) =>
        {
            Ok(())
        }
        other => Err(format!(
            "hello stands: eof after {} bytes gave {h:?}, the whole flight {other:?}",
            prefix.len()
        )),
    }
}

/// The flight with its leading complete handshake records re-cut at random sizes.
fn refragment(rng: &mut Rng, flight: &[u8]) -> Option<Vec<u8>> {
    let mut payload = Vec::new();
    let mut end = 0;
    for (s, e) in records(flight) {
        let len = usize::from(u16::from_be_bytes([flight[s + 3], flight[s + 4]]));
        let complete = e - s - 5 == len;
        if flight[s] != 22 || flight[s + 1] != 3 || !complete || len > MAX_BODY {
            break;
        }
        payload.extend_from_slice(&flight[s + 5..e]);
        end = e;
    }
    // A first record with minor version > 4 is judged "not TLS" on its header bytes,
    // which re-cutting would change.
    if payload.is_empty() || flight[2] > 4 {
        return None;
    }
    let (v0, v1) = (flight[1], flight[2]);
    let mut out = Vec::with_capacity(flight.len() + 64);
    let mut rest = &payload[..];
    while !rest.is_empty() {
        let most = if rng.chance(2) { 8 } else { MAX_BODY };
        let n = 1 + rng.below(rest.len().min(most));
        out.extend([22, v0, v1]);
        out.extend((n as u16).to_be_bytes());
        out.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
    }
    out.extend_from_slice(&flight[end..]);
    Some(out)
}

fn fragmentation(
    rng: &mut Rng,
    flight: &[u8],
    offered: ProtocolVersion,
    whole: &Progress,
) -> Result<(), String> {
    let Some(recut) = refragment(rng, flight) else {
        return Ok(());
    };
    let again = parse_reply(&recut, offered, true);
    if &again != whole {
        return Err(format!("fragmentation (eof): {whole:?} became {again:?}"));
    }
    let (a, b) = (
        parse_reply(flight, offered, false),
        parse_reply(&recut, offered, false),
    );
    if a != b {
        return Err(format!("fragmentation: {a:?} became {b:?}"));
    }
    Ok(())
}
