//! What every target checks besides "no panic": the output-safety rules of
//! `tlscompat::safe` on any text a parser hands to the sinks, and where the seeds are.

use std::path::PathBuf;

use tlscompat::safe::{csv_cell, json_string, terminal, unsafe_for_terminal, xml_text};

/// Fails the input: libFuzzer records a crash, the corpus test names the oracle.
pub fn fail(target: &str, why: impl std::fmt::Display) -> ! {
    panic!("{target}: oracle failed: {why}")
}

/// The sinks' rules hold for `s`: the terminal and CSV forms have nothing a terminal
/// interprets (and the CSV form no formula start), the XML form only characters XML 1.0
/// allows and no raw markup, the JSON form nothing raw and the exact value back.
pub fn sinks_safe(what: &str, s: &str) -> Result<(), String> {
    let t = terminal(s);
    if t.chars().any(unsafe_for_terminal) {
        return Err(format!("{what}: terminal form {t:?} of {s:?}"));
    }
    let x = xml_text(s);
    let xml_ok = x.chars().all(|c| {
        matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..)
            && !matches!(c, '<' | '>' | '"' | '\'' | '\n' | '\r' | '\t')
    });
    if !xml_ok {
        return Err(format!("{what}: XML form {x:?} of {s:?}"));
    }
    let c = csv_cell(s);
    if c.starts_with(['=', '+', '-', '@', '\t', '\r']) || c.chars().any(unsafe_for_terminal) {
        return Err(format!("{what}: CSV form {c:?}"));
    }
    let j = json_string(s);
    if j.chars().any(unsafe_for_terminal)
        || serde_json::from_str::<String>(&j).ok().as_deref() != Some(s)
    {
        return Err(format!("{what}: JSON form {j:?} of {s:?}"));
    }
    Ok(())
}

/// True when `s` holds nothing raw that a terminal interprets or hides (line breaks
/// allowed: `s` is a whole file).
pub fn nothing_raw(s: &str) -> bool {
    !s.chars().any(|c| c != '\n' && unsafe_for_terminal(c))
}

/// The repository's `tests/fuzz-seeds` (real first flights of real TLS stacks), from
/// the fuzz crate or the main one.
pub fn flight_seed_dir() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let main = here.join("tests/fuzz-seeds");
    if main.is_dir() {
        main
    } else {
        here.join("../tests/fuzz-seeds")
    }
}

/// The version index (0-3 for TLS 1.0-1.3) a flight seed file answers, from its name.
pub fn seed_version(name: &str) -> Option<usize> {
    let key = name.strip_suffix(".bin")?.rsplit('-').next()?;
    ["tls1_0", "tls1_1", "tls1_2", "tls1_3"]
        .iter()
        .position(|k| *k == key)
}

/// Text from bytes, lossily: the targets of text parsers take any bytes.
pub fn lossy(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
