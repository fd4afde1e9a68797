//! `--client-hello NAME=FILE[#N]`: the ClientHello of the admin's own client, read
//! from a capture (pcap or pcapng) or a hex dump, to be replayed as one more client
//! profile (`checks/captured.rs`).
//!
//! A capture may hold many connections. Every TCP stream's first bytes are reassembled
//! ([`tcp`]) and each one that begins with a ClientHello is a candidate; `#N` picks
//! the N-th (1-based, in the order the connections began). Without `#N`, a file whose
//! hellos all have the same shape (they differ only in what changes per connection:
//! random, session id, key share values, SNI, padding, resumption state) gives that
//! hello; otherwise the hellos sent to a scanned name decide when they agree, and
//! else the choice is the user's: exit 2 listing them.
//!
//! Everything is bounded: the file ([`MAX_FILE`]), the frames read, the streams
//! followed, the bytes kept per stream, the hello
//! ([`crate::wire::client_hello::MAX_HELLO`]).

pub mod hex;
pub mod packets;
pub mod tcp;

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::version::TlsVersion;
use crate::wire::client_hello::{ClientHello, Extract, extract_from_records, is_grease};
use crate::wire::enums::ExtensionType;
use packets::Format;

/// The largest file read.
pub const MAX_FILE: u64 = 256 * 1024 * 1024;
/// Hellos listed from one file, at most.
const MAX_HELLOS: usize = 1000;

/// One `--client-hello` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The profile name (`client_NAME` in CSV).
    pub name: String,
    /// `@MIN`: the oldest version the client accepts, when the user says it.
    pub min: Option<TlsVersion>,
    pub path: PathBuf,
    /// `#N`: which hello of the file, 1-based.
    pub index: Option<usize>,
}

/// `NAME[@MIN]=FILE[#N]`. The name becomes a CSV column and a JSON key: `[a-z0-9-]`,
/// 1 to 32 characters, not starting with `-`. `@MIN` (1.0, 1.1, 1.2, 1.3) is the
/// oldest version the client accepts, which a hello does not say. A file whose name
/// itself ends in `#digits` is named with a trailing `#` (`x#2#`), which is stripped.
pub fn parse_spec(arg: &str) -> Result<Spec, String> {
    let Some((name, file)) = arg.split_once('=') else {
        return Err(format!(
            "'{arg}': expected NAME=FILE (e.g. mypc=hello.pcapng)"
        ));
    };
    let (name, min) = match name.split_once('@') {
        Some((n, v)) => {
            let v = v
                .parse::<TlsVersion>()
                .map_err(|e| format!("'{arg}': after '@': {e}"))?;
            (n, Some(v))
        }
        None => (name, None),
    };
    let valid = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-');
    if !valid {
        return Err(format!(
            "invalid name '{name}': use 1 to 32 of a-z, 0-9 and '-', not starting with '-' \
             (it becomes the CSV column client_NAME)"
        ));
    }
    if file.is_empty() {
        return Err(format!("'{arg}': no file after '='"));
    }
    let (path, index) = match file.rsplit_once('#') {
        Some((p, "")) => (p, None),
        Some((p, n)) if !p.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            match n.parse::<usize>() {
                Ok(i) if i >= 1 => (p, Some(i)),
                _ => return Err(format!("'{file}': #N counts hellos from 1")),
            }
        }
        _ => (file, None),
    };
    Ok(Spec {
        name: name.to_string(),
        min,
        path: PathBuf::from(path),
        index,
    })
}

/// A hello found in a file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub hello: ClientHello,
    /// "frames 4-5, 10.0.0.5:51234 -> 20.190.1.1:443", or "bytes 0-516" for hex.
    pub place: String,
}

/// A file's hellos, and why other candidates were not taken.
#[derive(Debug, Default)]
pub struct Contents {
    pub format: &'static str,
    pub hellos: Vec<Found>,
    /// Streams that began like a hello and are not one: where, and why.
    pub broken: Vec<String>,
    /// What else a user should know when nothing was found.
    pub notes: Vec<String>,
}

/// Reads `path` (bounded) and finds its hellos.
pub fn read_file(path: &Path) -> Result<Contents, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!(
            "larger than {} MiB: capture only the client's connection (e.g. tcpdump -c 50 'tcp port 443')",
            MAX_FILE >> 20
        ));
    }
    contents(&bytes)
}

/// The hellos of a file's bytes: a capture by its magic number, else a hex dump.
pub fn contents(bytes: &[u8]) -> Result<Contents, String> {
    if let Some(format) = Format::sniff(bytes) {
        return Ok(from_capture(bytes, format));
    }
    if let Some(what) = known_other(bytes) {
        return Err(what);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err("not a pcap, pcapng or hex dump (binary data of another format)".into());
    };
    let data = hex::parse(text).map_err(|e| format!("not a pcap, pcapng or hex dump: {e}"))?;
    from_hex(&data)
}

/// Formats people have that are not ours, named with what to do.
fn known_other(bytes: &[u8]) -> Option<String> {
    let what = match bytes.get(..4)? {
        [0x1f, 0x8b, ..] => "a gzip file: decompress it first (gunzip)",
        b"GMBU" => "a Network Monitor capture: save it as pcapng in Network Monitor or Wireshark",
        [0x00, 0x00, 0x00, 0x00] | b"PK\x03\x04" => return None,
        _ if bytes.len() >= 8 && &bytes[..8] == b"snoop\0\0\0" => {
            "a snoop capture: convert it with `editcap -F pcapng`"
        }
        _ => return None,
    };
    Some(what.to_string())
}

fn from_capture(bytes: &[u8], format: Format) -> Contents {
    let (segments, stats) = packets::segments(bytes, format);
    let streams = tcp::streams(&segments);
    let mut c = Contents {
        format: format.name(),
        ..Contents::default()
    };
    for s in &streams {
        let place = |len: usize| match s.frames(len) {
            (first, last) if first == last => format!("frame {first}, {} -> {}", s.src, s.dst),
            (first, last) => format!("frames {first}-{last}, {} -> {}", s.src, s.dst),
        };
        if !looks_like_hello(&s.bytes) || c.hellos.len() >= MAX_HELLOS {
            continue;
        }
        match extract_from_records(&s.bytes) {
            Extract::Hello(hello, used) => c.hellos.push(Found {
                hello: *hello,
                place: place(used),
            }),
            Extract::NeedMore(need) => {
                let why = match s.gap {
                    true => "a segment is missing from the capture",
                    false => "the capture ends before it does",
                };
                c.broken.push(format!(
                    "{}: truncated ClientHello, {} of at least {need} bytes captured ({why})",
                    place(s.bytes.len()),
                    s.bytes.len()
                ));
            }
            Extract::Not(e) => c.broken.push(format!("{}: {e}", place(s.bytes.len()))),
        }
    }
    c.notes.push(format!(
        "{} frames, {} TCP segments, {} TCP streams with data",
        stats.frames,
        stats.tcp,
        streams.len()
    ));
    if stats.snapped > 0 {
        c.notes.push(format!(
            "{} frames were cut short by the capture's snap length (capture whole packets: tcpdump -s 0, pktmon --pkt-size 0)",
            stats.snapped
        ));
    }
    if !stats.unknown_links.is_empty() {
        c.notes.push(format!(
            "link types not decoded: {:?} (supported: Ethernet, Linux cooked, raw IP, loopback)",
            stats.unknown_links
        ));
    }
    if let Some(at) = stats.cut_at {
        c.notes
            .push(format!("the file does not parse from {at} on"));
    }
    if stats.frame_limit {
        c.notes.push(format!(
            "only the first {} frames were read",
            packets::MAX_FRAMES
        ));
    }
    c
}

/// A handshake record whose first message is a ClientHello: 16 03 0x .. .. 01.
fn looks_like_hello(b: &[u8]) -> bool {
    b.len() >= 6 && b[0] == 0x16 && b[1] == 0x03 && b[5] == 0x01
}

fn from_hex(data: &[u8]) -> Result<Contents, String> {
    let mut c = Contents {
        format: "hex",
        ..Contents::default()
    };
    match data.first() {
        Some(0x16) => {
            let mut at = 0;
            while at < data.len() && c.hellos.len() < MAX_HELLOS {
                match extract_from_records(&data[at..]) {
                    Extract::Hello(hello, used) => {
                        c.hellos.push(Found {
                            hello: *hello,
                            place: format!("bytes {at}-{}", at + used - 1),
                        });
                        at += used;
                    }
                    // What follows the first hello is not another: the client's
                    // flight went on (a ChangeCipherSpec, early data); it is left.
                    _ if at > 0 => break,
                    Extract::NeedMore(need) => {
                        return Err(format!(
                            "truncated ClientHello: {} of at least {need} bytes in the dump",
                            data.len()
                        ));
                    }
                    Extract::Not(e) => return Err(e.to_string()),
                }
            }
        }
        Some(0x01) => {
            let hello = ClientHello::read_message(data).map_err(|e| e.to_string())?;
            c.hellos.push(Found {
                hello,
                place: "the handshake message".into(),
            });
        }
        Some(b) => {
            return Err(format!(
                "the hex dump begins with 0x{b:02x}: expected a TLS handshake record (16 03 ..) \
                 or a ClientHello message (01 ..)"
            ));
        }
        None => return Err("an empty hex dump".into()),
    }
    Ok(c)
}

/// What a hello is made of, without what changes per connection: two hellos with the
/// same shape are the same client configuration.
pub fn shape(h: &ClientHello) -> Vec<u8> {
    let mut copy = h.clone();
    copy.session_id.iter_mut().for_each(|b| *b = 0);
    copy.records.clear();
    if let Some(exts) = copy.extensions.as_mut() {
        for e in exts.iter_mut() {
            match e.typ {
                ExtensionType::KEY_SHARE => e.body = key_share_groups_only(&e.body),
                ExtensionType::SERVER_NAME
                | ExtensionType::PADDING
                | ExtensionType::PRE_SHARED_KEY
                | ExtensionType::SESSION_TICKET => e.body.clear(),
                _ => {}
            }
        }
        exts.retain(|e| e.typ != ExtensionType::EARLY_DATA && !is_grease(e.typ.0));
    }
    copy.suites.retain(|s| !is_grease(*s));
    copy.message(None, [0; 32])
}

fn key_share_groups_only(body: &[u8]) -> Vec<u8> {
    let mut r = crate::wire::codec::Reader::new(body);
    let mut out = Vec::new();
    if let Some(mut shares) = r.vec_u16() {
        while let (Some(g), Some(_)) = (shares.u16(), shares.vec_u16()) {
            out.extend_from_slice(&g.to_be_bytes());
        }
    }
    out
}

/// Picks the hello `spec` names among `found`, given the names being scanned.
pub fn choose(spec: &Spec, c: Contents, targets: &[String]) -> Result<Found, String> {
    let file = spec.path.display();
    if c.hellos.is_empty() {
        let mut msg = format!("no ClientHello in this {} file", c.format);
        for b in &c.broken {
            let _ = write!(msg, "; {b}");
        }
        if c.broken.is_empty() && !c.notes.is_empty() {
            let _ = write!(msg, " ({})", c.notes.join("; "));
        }
        return Err(msg);
    }
    let count = c.hellos.len();
    if let Some(n) = spec.index {
        return c
            .hellos
            .into_iter()
            .nth(n - 1)
            .ok_or_else(|| format!("#{n}: the file holds {count} ClientHello(s)"));
    }
    let shapes: Vec<Vec<u8>> = c.hellos.iter().map(|f| shape(&f.hello)).collect();
    if shapes.iter().all(|s| *s == shapes[0]) {
        return Ok(c.hellos.into_iter().next().ok_or("no hello")?);
    }
    let matching: Vec<usize> = (0..count)
        .filter(|i| {
            c.hellos[*i]
                .hello
                .server_name()
                .is_some_and(|n| targets.iter().any(|t| t.eq_ignore_ascii_case(&n)))
        })
        .collect();
    if let Some(first) = matching.first().copied()
        && matching.iter().all(|i| shapes[*i] == shapes[first])
    {
        return Ok(c.hellos.into_iter().nth(first).ok_or("no hello")?);
    }
    let mut msg = format!(
        "{count} different ClientHellos; choose one with {}={file}#N:",
        spec.name
    );
    for (i, f) in c.hellos.iter().enumerate().take(50) {
        let _ = write!(msg, "\n  #{}  {}", i + 1, summary(&f.hello));
        let _ = write!(msg, "  ({})", f.place);
    }
    if count > 50 {
        let _ = write!(msg, "\n  … and {} more", count - 50);
    }
    Err(msg)
}

/// One line: SNI, versions, suites.
pub fn summary(h: &ClientHello) -> String {
    let sni = h.server_name().unwrap_or_else(|| "(no SNI)".into());
    let versions: Vec<String> = h.offered_versions().iter().map(|v| v.to_string()).collect();
    let suites = h.suites.iter().filter(|s| !is_grease(**s)).count();
    format!(
        "SNI {}, {}, {suites} cipher suites",
        crate::safe::terminal(&sni),
        versions.join(" ")
    )
}

#[cfg(test)]
mod tests;
