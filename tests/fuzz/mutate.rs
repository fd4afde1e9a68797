//! Structure-aware mutations. Random bytes rarely get past a TLS record header or a DER
//! tag, so most mutations work on the structure the parser walks: records (split,
//! merge, duplicate, drop, insert alerts and CCS, edit headers and length fields),
//! handshake headers, DER TLVs (lengths, tags, string contents), DNS name labels and
//! compression pointers, HTTP status lines. Byte-level noise, truncation and splicing
//! with another seed are mixed in.

use super::rng::Rng;

/// Bytes a parser treats specially: record types, versions, length extremes.
const INTERESTING: &[u8] = &[
    0, 1, 2, 3, 4, 0x7f, 0x80, 0xfe, 0xff, 20, 21, 22, 23, 24, 0x2b,
];

/// Hostile text for string contents: escapes, bidi, XML-forbidden, invalid UTF-8.
pub const HOSTILE: &[&[u8]] = &[
    b"\x1b[2J\x1b[H\x1b[31mALL GOOD",
    b"\nFAIL fake.example:443: forged line\r\n",
    "\u{202e}gro.elpmaxe".as_bytes(),
    "\u{fffe}\u{ffff}".as_bytes(),
    b"\xff\xfe\xc0\x80",
    b"\x00\x07\x7f\xc2\x9b2J",
    b"=HYPERLINK(\"http://x\")",
    b"&<>\"'",
];

pub fn bit_flip(rng: &mut Rng, b: &mut [u8]) {
    if !b.is_empty() {
        let i = rng.below(b.len());
        b[i] ^= 1 << rng.below(8);
    }
}

pub fn interesting_byte(rng: &mut Rng, b: &mut [u8]) {
    if !b.is_empty() {
        let i = rng.below(b.len());
        b[i] = *rng.pick(INTERESTING);
    }
}

pub fn truncate(rng: &mut Rng, b: &mut Vec<u8>) {
    let n = rng.below(b.len() + 1);
    b.truncate(n);
}

pub fn insert_bytes(rng: &mut Rng, b: &mut Vec<u8>) {
    let at = rng.below(b.len() + 1);
    let n = 1 + rng.below(16);
    let bytes: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
    b.splice(at..at, bytes);
}

pub fn delete_bytes(rng: &mut Rng, b: &mut Vec<u8>) {
    if !b.is_empty() {
        let at = rng.below(b.len());
        let n = 1 + rng.below((b.len() - at).min(32));
        b.drain(at..at + n);
    }
}

/// `a[..i] + b[j..]` at random points.
pub fn splice(rng: &mut Rng, a: &mut Vec<u8>, other: &[u8]) {
    let i = rng.below(a.len() + 1);
    let j = rng.below(other.len() + 1);
    a.truncate(i);
    a.extend_from_slice(&other[j..]);
}

/// Overwrites a u16 or u24 big-endian length at `at` with an edge value.
fn edit_length(rng: &mut Rng, b: &mut [u8], at: usize, width: usize, actual: usize) {
    if at + width > b.len() {
        return;
    }
    let max = (1usize << (8 * width)) - 1;
    let old = b[at..at + width]
        .iter()
        .fold(0usize, |v, x| v << 8 | usize::from(*x));
    let new = match rng.below(7) {
        0 => 0,
        1 => old.saturating_add(1),
        2 => old.saturating_sub(1),
        3 => max,
        4 => actual,
        5 => rng.below(max + 1),
        _ => old.saturating_add(1 + rng.below(64)),
    }
    .min(max);
    for k in 0..width {
        b[at + k] = (new >> (8 * (width - 1 - k))) as u8;
    }
}

// ---------------------------------------------------------------- TLS records

/// `(start, end)` of each record header+body, walking headers as written (the last may
/// run past the end of the buffer, clipped).
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

fn record(typ: u8, version: [u8; 2], body: &[u8]) -> Vec<u8> {
    let mut r = vec![typ, version[0], version[1]];
    r.extend((body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// One mutation of a TLS flight, chosen at random.
pub fn tls(rng: &mut Rng, b: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let recs = records(b);
    let version = if b.len() >= 3 { [b[1], b[2]] } else { [3, 3] };
    match rng.below(16) {
        0 => bit_flip(rng, b),
        1 => interesting_byte(rng, b),
        2 => truncate(rng, b),
        3 | 4 if !recs.is_empty() => {
            // Split a record's body in two records with the same header.
            let (s, e) = *rng.pick(&recs);
            let body = b[s + 5..e].to_vec();
            let k = rng.below(body.len() + 1);
            let mut two = record(b[s], [b[s + 1], b[s + 2]], &body[..k]);
            two.extend(record(b[s], [b[s + 1], b[s + 2]], &body[k..]));
            b.splice(s..e, two);
        }
        5 if recs.len() >= 2 => {
            // Merge two adjacent records under the first header.
            let i = rng.below(recs.len() - 1);
            let ((s, e), (s2, e2)) = (recs[i], recs[i + 1]);
            let mut body = b[s + 5..e].to_vec();
            body.extend_from_slice(&b[s2 + 5..e2]);
            let merged = record(b[s], [b[s + 1], b[s + 2]], &body);
            b.splice(s..e2, merged);
        }
        6 if !recs.is_empty() => {
            // A record or handshake length field.
            let (s, e) = *rng.pick(&recs);
            if rng.chance(2) {
                edit_length(rng, b, s + 3, 2, e - s - 5);
            } else {
                edit_length(rng, b, s + 6, 3, e.saturating_sub(s + 9));
            }
        }
        7 => {
            // Any u16 inside: vector and extension lengths.
            if b.len() > 2 {
                let at = rng.below(b.len() - 1);
                let actual = b.len() - at - 2;
                edit_length(rng, b, at, 2, actual);
            }
        }
        8 if !seeds.is_empty() => {
            // Splice with another flight, at record boundaries when possible.
            let other = rng.pick(seeds);
            let cut_a = recs.get(rng.below(recs.len() + 1)).map_or(b.len(), |r| r.0);
            let other_recs = records(other);
            let cut_b = other_recs
                .get(rng.below(other_recs.len() + 1))
                .map_or(other.len(), |r| r.0);
            b.truncate(cut_a);
            b.extend_from_slice(&other[cut_b..]);
        }
        9 => {
            // Insert an alert, CCS, application data, empty or HelloRequest record.
            let at = recs.get(rng.below(recs.len() + 1)).map_or(b.len(), |r| r.0);
            let ins = match rng.below(5) {
                0 => record(21, version, &[1 + rng.below(2) as u8, rng.byte()]),
                1 => record(20, version, &[1]),
                2 => record(23, version, &[rng.byte(); 24]),
                3 => record(22, version, &[]),
                _ => record(22, version, &[0, 0, 0, 0]),
            };
            b.splice(at..at, ins);
        }
        10 if !recs.is_empty() => {
            let (s, e) = *rng.pick(&recs);
            let copy = b[s..e].to_vec();
            b.splice(e..e, copy);
        }
        11 if !recs.is_empty() => {
            let (s, e) = *rng.pick(&recs);
            b.drain(s..e);
        }
        12 if !recs.is_empty() => {
            // Record header: type or version.
            let (s, _) = *rng.pick(&recs);
            let i = s + rng.below(3);
            b[i] = if i == s {
                20 + rng.below(6) as u8
            } else {
                *rng.pick(INTERESTING)
            };
        }
        13 if !recs.is_empty() => {
            // Handshake message type.
            let (s, e) = *rng.pick(&recs);
            if e > s + 5 {
                b[s + 5] = *rng.pick(&[0u8, 1, 2, 4, 8, 11, 12, 13, 14, 15, 20, 24, 255]);
            }
        }
        14 => {
            // supported_versions in a ServerHello: claim another version.
            if let Some(p) = b.windows(4).position(|w| w == [0x00, 0x2b, 0x00, 0x02]) {
                let v: [u8; 2] =
                    *rng.pick(&[[3, 0], [3, 1], [3, 2], [3, 3], [3, 4], [3, 5], [0x7f, 0x1c]]);
                if p + 6 <= b.len() {
                    b[p + 4..p + 6].copy_from_slice(&v);
                }
            } else {
                insert_bytes(rng, b);
            }
        }
        _ => {
            if rng.chance(2) {
                insert_bytes(rng, b)
            } else {
                delete_bytes(rng, b)
            }
        }
    }
}

// ---------------------------------------------------------------- DER

/// Offsets of every TLV header, walking constructed values recursively.
pub fn tlvs(b: &[u8]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    walk(b, 0, b.len(), &mut out, 0);
    out
}

/// `(tag offset, content offset, content end)` for each TLV in `b[start..end]`.
fn walk(b: &[u8], mut at: usize, end: usize, out: &mut Vec<(usize, usize, usize)>, depth: usize) {
    while at + 2 <= end && depth < 16 && out.len() < 4096 {
        let tag = b[at];
        let first = b[at + 1];
        let (len, hdr) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 3 || at + 2 + n > end {
                return;
            }
            let len = b[at + 2..at + 2 + n]
                .iter()
                .fold(0usize, |v, x| v << 8 | usize::from(*x));
            (len, 2 + n)
        };
        let content = at + hdr;
        let stop = content + len;
        if stop > end {
            return;
        }
        out.push((at, content, stop));
        if tag & 0x20 != 0 {
            walk(b, content, stop, out, depth + 1);
        }
        at = stop;
    }
}

/// String tags a certificate name may use.
const STRING_TAGS: &[u8] = &[
    0x0c, 0x13, 0x16, 0x14, 0x1e, 0x1c, 0x1a, 0x12, 0x04, 0x05, 0x06,
];

/// One mutation of a DER certificate.
pub fn der(rng: &mut Rng, b: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let t = tlvs(b);
    if t.is_empty() || rng.chance(8) {
        return match rng.below(4) {
            0 => bit_flip(rng, b),
            1 => truncate(rng, b),
            2 => interesting_byte(rng, b),
            _ => delete_bytes(rng, b),
        };
    }
    let (tag_at, content, stop) = *rng.pick(&t);
    match rng.below(7) {
        0 => {
            // Length byte(s): short form edges, indefinite, long form.
            let len_at = tag_at + 1;
            let new: Vec<u8> = match rng.below(5) {
                0 => vec![0],
                1 => vec![0x80],
                2 => vec![0x81, rng.byte()],
                3 => vec![0x84, 0xff, 0xff, 0xff, 0xff],
                _ => vec![(stop - content).wrapping_add(1) as u8 & 0x7f],
            };
            b.splice(len_at..content, new);
        }
        1 => b[tag_at] = *rng.pick(STRING_TAGS),
        2 => {
            // Replace a string's content (and fix its length) with hostile text.
            if b[tag_at] & 0x20 == 0 && stop - content < 0x80 {
                let text = rng.pick(HOSTILE);
                let mut tlv = vec![b[tag_at], text.len() as u8];
                tlv.extend_from_slice(text);
                b.splice(tag_at..stop, tlv);
            }
        }
        3 => {
            let copy = b[tag_at..stop].to_vec();
            b.splice(stop..stop, copy);
        }
        4 if !seeds.is_empty() => {
            // A TLV from another certificate in place of this one.
            let other = rng.pick(seeds);
            let ot = tlvs(other);
            if !ot.is_empty() {
                let (s, _, e) = *rng.pick(&ot);
                b.splice(tag_at..stop, other[s..e].to_vec());
            }
        }
        5 => {
            b.drain(tag_at..stop);
        }
        _ => {
            if content < stop {
                let i = content + rng.below(stop - content);
                b[i] = *rng.pick(INTERESTING);
            }
        }
    }
}

// ---------------------------------------------------------------- DNS, HTTP

/// One mutation of a DNS message: compression pointers, label lengths, counts.
pub fn dns(rng: &mut Rng, b: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    match rng.below(8) {
        0 => {
            // A compression pointer to anywhere (loops, forward references).
            if b.len() > 12 {
                let at = 12 + rng.below(b.len() - 12);
                let target = rng.below(b.len() + 8) as u16;
                let p = (0xc000 | (target & 0x3fff)).to_be_bytes();
                b.splice(at..at, p);
            }
        }
        1 => {
            // A label length byte.
            if b.len() > 12 {
                let i = 12 + rng.below(b.len() - 12);
                b[i] = *rng.pick(&[0, 1, 63, 64, 0x40, 0x80, 0xc0, 0xff]);
            }
        }
        2 => {
            // Section counts in the header.
            if b.len() >= 12 {
                let at = 4 + 2 * rng.below(4);
                edit_length(rng, b, at, 2, 1);
            }
        }
        3 => {
            // Hostile bytes inside a label.
            if b.len() > 13 {
                let i = 13 + rng.below(b.len() - 13);
                let text = rng.pick(HOSTILE);
                let n = text.len().min(b.len() - i);
                b[i..i + n].copy_from_slice(&text[..n]);
            }
        }
        4 if !seeds.is_empty() => {
            let other = rng.pick(seeds).clone();
            splice(rng, b, &other)
        }
        5 => truncate(rng, b),
        6 => bit_flip(rng, b),
        _ => interesting_byte(rng, b),
    }
}

/// One mutation of an HTTP CONNECT answer head.
pub fn http(rng: &mut Rng, b: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    match rng.below(8) {
        0 => {
            let at = rng.below(b.len() + 1);
            let text = rng.pick(HOSTILE);
            b.splice(at..at, text.iter().copied());
        }
        1 => {
            // The status code's digits.
            if let Some(p) = b.iter().position(|c| *c == b' ') {
                for k in 1..=3 {
                    if let Some(d) = b.get_mut(p + k) {
                        *d = b'0' + rng.below(10) as u8;
                    }
                }
            }
        }
        2 => {
            const VERSIONS: &[&[u8]] = &[
                b"HTTP/1.1",
                b"HTTP/1.0",
                b"HTTP/2",
                b"http/1.1",
                b" HTTP/1.1",
                b"",
            ];
            let v = *rng.pick(VERSIONS);
            let end = b.iter().position(|c| *c == b' ').unwrap_or(0);
            b.splice(..end, v.iter().copied());
        }
        3 => {
            let at = rng.below(b.len() + 1);
            const SEPARATORS: &[&[u8]] = &[b"\r\n", b"\n", b"\r", b" ", b"\t", b"\x00"];
            let sep = *rng.pick(SEPARATORS);
            b.splice(at..at, sep.iter().copied());
        }
        4 if !seeds.is_empty() => {
            let other = rng.pick(seeds).clone();
            splice(rng, b, &other)
        }
        5 => b.extend(std::iter::repeat_n(b'A', rng.below(300))),
        6 => truncate(rng, b),
        _ => bit_flip(rng, b),
    }
}
