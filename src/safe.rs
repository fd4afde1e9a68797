//! Untrusted text made safe for each place it is shown.
//!
//! Certificate names, DNS names, proxy status lines and reply excerpts come from the
//! network — possibly from the very interceptor the scan is meant to expose. Each sink
//! passes every such piece of text through the one function for its medium:
//!
//! - [`terminal`] for the table and stderr: control characters (C0, DEL, C1 — ESC
//!   included, so no escape sequence survives), line breaks, and invisible or
//!   direction-changing format characters (bidi overrides and isolates, zero-width
//!   characters, BOM, tag characters) become visible `\x1b` / `\u{202e}` escapes, so
//!   a hostile name can neither move the cursor, forge a line, nor reorder what is shown.
//! - [`csv_cell`] for CSV: the same visible escapes as the terminal (a spreadsheet shows
//!   a bidi override as faithfully as a terminal does), and a cell a spreadsheet would
//!   run as a formula gets a leading `'`; quoting is the csv crate's job.
//! - [`xml_text`] for JUnit and HTML: markup escaped, characters XML 1.0 forbids (and
//!   the invisible ones) made visible, tab and line breaks kept as character references.
//! - [`toml_string`] and [`toml_comment`] for the TOML `endpoints import` writes: a
//!   basic string with TOML's own escapes (JSON's are not all TOML's: DEL must be
//!   escaped), a comment that cannot end early (no line break, no control character).
//! - JSON keeps the exact value, but not the raw character: [`json_to_writer`] writes
//!   every character [`unsafe_for_terminal`] as a `\uXXXX` escape, which every JSON
//!   reader decodes to exactly what the server sent, while `cat report.json` shows
//!   nothing a terminal interprets.
//!
//! Every text function returns its input borrowed when nothing needed changing.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Text for a terminal: one line, nothing that a terminal interprets.
///
/// Idempotent (`terminal(terminal(s)) == terminal(s)`): the backslash itself is left
/// alone, so text escaped once (e.g. a message that embeds an escaped name) is not
/// escaped twice.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_for_terminal) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_for_terminal(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A CSV cell that no spreadsheet evaluates and that shows what it holds: characters
/// [`unsafe_for_terminal`] become the terminal's visible escapes, and cells starting
/// with `=`, `+`, `-`, `@`, tab or carriage return (and their full-width forms, which
/// some spreadsheets fold) are prefixed with `'` (OWASP "CSV injection"). Everything
/// else is kept exactly (the JSON report has the exact value in any case).
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let shown = terminal(s);
    match shown.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{ff1d}' | '\u{ff0b}' | '\u{ff0d}' | '\u{ff20}',
        ) => Cow::Owned(format!("'{shown}")),
        _ => shown,
    }
}

/// A TOML basic string, quotes included, holding exactly `s`: `"` and `\` escaped,
/// line breaks and tab as `\n` `\r` `\t`, every other control character (DEL
/// included, which TOML forbids raw and JSON escaping leaves alone) and every
/// character [`unsafe_for_terminal`] as `\uXXXX` / `\UXXXXXXXX`, which TOML decodes
/// back to the same character.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || unsafe_for_terminal(c) => {
                let u = u32::from(c);
                let _ = match u {
                    0..=0xFFFF => write!(out, "\\u{u:04X}"),
                    _ => write!(out, "\\U{u:08X}"),
                };
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a TOML comment (after `# `): one line that cannot end the comment early —
/// TOML forbids line breaks and control characters there — with the terminal's
/// visible escapes, so an imported string can never become a TOML line of its own.
pub fn toml_comment(s: &str) -> Cow<'_, str> {
    terminal(s)
}

/// Writes `value` as compact JSON with every string character [`unsafe_for_terminal`]
/// escaped as `\uXXXX` (a surrogate pair above U+FFFF): the value read back is exact.
pub fn json_to_writer<W: std::io::Write, T: serde::Serialize + ?Sized>(
    out: W,
    value: &T,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, SafeJson);
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// [`json_to_writer`] into a string.
pub fn json_string<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    // Writing to a Vec fails only on a value serde_json cannot represent (a map with
    // non-string keys), which the reports never hold.
    let _ = json_to_writer(&mut out, value);
    String::from_utf8(out).unwrap_or_default()
}

/// serde_json's compact output, with hazardous characters escaped.
struct SafeJson;

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut plain = 0;
        for (at, c) in fragment.char_indices() {
            if !unsafe_for_terminal(c) {
                continue;
            }
            out.write_all(&fragment.as_bytes()[plain..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(out, "\\u{unit:04x}")?;
            }
            plain = at + c.len_utf8();
        }
        out.write_all(&fragment.as_bytes()[plain..])
    }
}

/// Text for XML 1.0 element content and attribute values alike.
///
/// `& < > " '` become entities (`&#39;` for the apostrophe, which HTML 4 has no name
/// for: the HTML report uses this too); tab, LF and CR become character references (so
/// attribute normalisation cannot eat them and the value survives exactly); characters
/// XML 1.0 forbids (other C0 controls, U+FFFE, U+FFFF) and the invisible or
/// direction-changing ones a dashboard would render become visible `\u{fffe}` escapes,
/// so one hostile name can neither break the report nor disguise itself in it.
pub fn xml_text(s: &str) -> Cow<'_, str> {
    let plain = |c: char| !matches!(c, '&' | '<' | '>' | '"' | '\'') && !unsafe_for_terminal(c);
    if s.chars().all(plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            c if unsafe_for_terminal(c) => push_escape(&mut out, c),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// True for every character a terminal (or a page showing text to people) must not get
/// raw: controls, every format character (Unicode category Cf: invisible, or changing
/// how the text around it is shown), spaces other than U+0020 and characters that
/// render blank or as a placeholder, and noncharacters.
pub fn unsafe_for_terminal(c: char) -> bool {
    let u = u32::from(c);
    c.is_control() // C0, DEL, C1
        || matches!(u,
            // Category Cf (Unicode 16), every one of them.
            0x00AD // soft hyphen
            | 0x0600..=0x0605 // Arabic number signs (prepended, may render nothing)
            | 0x061C // Arabic letter mark
            | 0x06DD | 0x070F | 0x0890 | 0x0891 | 0x08E2
            | 0x180E // Mongolian vowel separator
            | 0x200B..=0x200F // zero-width space/joiners, LRM, RLM
            | 0x202A..=0x202E // bidi embeddings and overrides
            | 0x2060..=0x2064 | 0x2066..=0x206F // word joiner, invisible operators, isolates
            | 0xFEFF // BOM / zero-width no-break space
            | 0xFFF9..=0xFFFB // interlinear annotation
            | 0x110BD | 0x110CD // Kaithi number signs
            | 0x13430..=0x1343F // Egyptian hieroglyph format controls
            | 0x1BCA0..=0x1BCA3 // shorthand format controls
            | 0x1D173..=0x1D17A // musical symbol format controls (beam, tie, slur, phrase)
            | 0xE0001 | 0xE0020..=0xE007F // tag characters
            // Invisible without being Cf: joiners, fillers, selectors.
            | 0x034F // combining grapheme joiner
            | 0x115F | 0x1160 | 0x3164 | 0xFFA0 // Hangul fillers (render blank)
            | 0x17B4 | 0x17B5 // Khmer inherent vowels
            | 0x180B..=0x180D | 0x180F // Mongolian free variation selectors
            | 0xFE00..=0xFE0F // variation selectors
            | 0xE0100..=0xE01EF // variation selectors supplement
            | 0x2800 // braille pattern blank
            | 0xFFF0..=0xFFF8 | 0xFFFC // specials, object replacement character
            | 0xE0000..=0xE0FFF // the rest of the tag block (unassigned)
            // Separators and spaces other than U+0020: a line break that is not one,
            // a space that looks like none or like a plain one.
            | 0x2028 | 0x2029
            | 0x00A0 | 0x1680 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000
        )
        || is_noncharacter(u)
}

/// Unicode noncharacters: U+FDD0..U+FDEF and the last two code points of every plane
/// (U+FFFE and U+FFFF are also forbidden by XML 1.0).
fn is_noncharacter(u: u32) -> bool {
    (0xFDD0..=0xFDEF).contains(&u) || (u & 0xFFFE) == 0xFFFE
}

fn push_escape(out: &mut String, c: char) {
    let _ = match c {
        '\n' => write!(out, "\\n"),
        '\r' => write!(out, "\\r"),
        '\t' => write!(out, "\\t"),
        c if u32::from(c) < 0x80 => write!(out, "\\x{:02x}", u32::from(c)),
        c => write!(out, "\\u{{{:x}}}", u32::from(c)),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hostile strings of issue 9, and then some.
    const HOSTILE: &[&str] = &[
        "\x1b[2J\x1b[H\x1b[31mALL GOOD",
        "\nFAIL fake.example:443: forged line\r\n",
        "403 \x1b[2K\x1b[1A",
        "evil\u{202e}moc.elgoog",
        "a\u{2066}b\u{2069}\u{200f}\u{61c}\u{feff}",
        "bell\x07 nul\0 del\x7f csi\u{9b}2J",
        "\u{fffe}\u{ffff}\u{e0041}",
        "line\u{2028}sep\u{2029}",
        // Issue 23: invisible characters that reached the table raw.
        "a\u{1d173}\u{1d17a}b\u{600}\u{13430}\u{2800}\u{3000}\u{fffc}c",
        "del\u{7f}\u{85}\u{a0}",
    ];

    #[test]
    fn terminal_output_holds_nothing_a_terminal_interprets() {
        for s in HOSTILE {
            let t = terminal(s);
            assert!(!t.chars().any(unsafe_for_terminal), "{s:?} -> {t:?}");
            assert_eq!(terminal(&t), t, "idempotent for {s:?}");
        }
        assert_eq!(
            terminal("\x1b[2J\x1b[H\x1b[31mALL GOOD"),
            "\\x1b[2J\\x1b[H\\x1b[31mALL GOOD"
        );
        assert_eq!(
            terminal("\nFAIL x:443: forged\r\n"),
            "\\nFAIL x:443: forged\\r\\n"
        );
        assert_eq!(terminal("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(terminal("\u{9b}"), "\\u{9b}");
    }

    #[test]
    fn the_invisible_characters_of_issue_23_are_escaped() {
        for c in [
            '\u{1d173}',
            '\u{1d17a}',
            '\u{600}',
            '\u{13430}',
            '\u{2800}',
            '\u{3000}',
            '\u{fffc}',
        ] {
            assert!(unsafe_for_terminal(c), "{c:?}");
            assert_eq!(
                terminal(&c.to_string()),
                format!("\\u{{{:x}}}", u32::from(c))
            );
        }
        for c in ['a', ' ', 'é', '日', '\u{1f600}', '…', '✔'] {
            assert!(!unsafe_for_terminal(c), "{c:?}");
        }
    }

    #[test]
    fn toml_strings_load_back_exactly() {
        for s in HOSTILE.iter().copied().chain([
            "plain",
            "quote \" backslash \\ tab\t",
            "a\nattacker.example:8443 inspection=bypass\n[[endpoint]]",
            "\u{10ffff}\u{e0041}",
        ]) {
            let doc = format!("v = {}\n", toml_string(s));
            assert!(!doc.trim_end().contains('\n'), "{doc:?}");
            assert!(!doc.chars().any(unsafe_for_terminal) || doc.ends_with('\n'));
            let back: toml::Table = toml::from_str(&doc).unwrap_or_else(|e| panic!("{doc:?}: {e}"));
            assert_eq!(back["v"].as_str(), Some(s), "{doc:?}");
            let comment = format!("# {}\nv = 1\n", toml_comment(s));
            let back: toml::Table = toml::from_str(&comment).expect(&comment);
            assert_eq!(back.len(), 1, "{comment:?}");
        }
    }

    #[test]
    fn json_is_exact_and_holds_nothing_raw() {
        for s in HOSTILE {
            let text = json_string(s);
            assert!(!text.chars().any(unsafe_for_terminal), "{text:?}");
            let back: String = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(&back, s);
        }
        assert_eq!(json_string("a\u{202e}b"), "\"a\\u202eb\"");
        assert_eq!(json_string("\u{e0041}"), "\"\\udb40\\udc41\"");
        assert_eq!(json_string(&serde_json::json!({"k": "é"})), "{\"k\":\"é\"}");
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for s in [
            "login.microsoftonline.com",
            "CN=Ünïcödé GmbH, O=日本",
            "a\\x1b",
        ] {
            assert!(matches!(terminal(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(xml_text(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(csv_cell(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn csv_formulas_are_defused() {
        for s in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\u{ff1d}1"] {
            assert_eq!(csv_cell(s), format!("'{s}"));
        }
        // A leading tab or CR is shown as an escape, which no spreadsheet evaluates.
        assert_eq!(csv_cell("\tx"), "\\tx");
        assert_eq!(csv_cell("\r=1"), "\\r=1");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("CN=a"), "CN=a");
        assert_eq!(csv_cell("a\u{202e}b\x1b"), "a\\u{202e}b\\x1b");
        assert_eq!(csv_cell("\x1b=1"), "\\x1b=1");
        assert_eq!(csv_cell("1.2"), "1.2");
    }

    #[test]
    fn xml_text_is_well_formed_and_exact_where_allowed() {
        assert_eq!(xml_text("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&#39;\\x01");
        assert_eq!(xml_text("CN=x\u{fffe}"), "CN=x\\u{fffe}");
        assert_eq!(xml_text("a\tb\nc\r"), "a&#9;b&#10;c&#13;");
        for s in HOSTILE {
            let x = xml_text(s);
            for c in x.chars() {
                let u = u32::from(c);
                let xml_char =
                    matches!(u, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..);
                assert!(xml_char && !matches!(c, '<' | '\n'), "{s:?} -> {x:?}");
            }
            for (i, _) in x.match_indices('&') {
                let entity = ["&amp;", "&lt;", "&gt;", "&quot;", "&#"];
                assert!(entity.iter().any(|e| x[i..].starts_with(e)), "{x:?}");
            }
        }
    }
}
