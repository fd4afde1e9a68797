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
//! - [`csv_cell`] for CSV: a cell a spreadsheet would run as a formula gets a leading
//!   `'`; quoting is the csv crate's job.
//! - [`xml_text`] for JUnit: markup escaped, characters XML 1.0 forbids (and the
//!   invisible ones) made visible, tab and line breaks kept as character references.
//! - JSON keeps the exact value: serde_json escapes what JSON needs, and tools should
//!   see what the server sent.
//!
//! Every function returns its input borrowed when nothing needed changing.

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

/// A CSV cell that no spreadsheet evaluates: cells starting with `=`, `+`, `-`, `@`,
/// tab or carriage return (and their full-width forms, which some spreadsheets fold)
/// are prefixed with `'` (OWASP "CSV injection"). Everything else is kept exactly.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{ff1d}' | '\u{ff0b}' | '\u{ff0d}' | '\u{ff20}',
        ) => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
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
/// raw: controls, and characters that are invisible or change text direction.
pub fn unsafe_for_terminal(c: char) -> bool {
    let u = u32::from(c);
    c.is_control() // C0, DEL, C1
        || matches!(u,
            0x00AD // soft hyphen
            | 0x034F // combining grapheme joiner
            | 0x061C // Arabic letter mark
            | 0x115F | 0x1160 | 0x3164 | 0xFFA0 // Hangul fillers (render blank)
            | 0x17B4 | 0x17B5
            | 0x180B..=0x180F // Mongolian free variation selectors, vowel separator
            | 0x200B..=0x200F // zero-width space/joiners, LRM, RLM
            | 0x2028..=0x202E // line/paragraph separators, bidi embeddings and overrides
            | 0x2060..=0x206F // word joiner, invisible operators, bidi isolates, deprecated
            | 0xFE00..=0xFE0F // variation selectors
            | 0xFEFF // BOM / zero-width no-break space
            | 0xFFF9..=0xFFFB // interlinear annotation
            | 0xE0000..=0xE0FFF // tag characters, variation selectors supplement
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
        for s in [
            "=HYPERLINK(\"x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "\u{ff1d}1",
        ] {
            assert_eq!(csv_cell(s), format!("'{s}"));
        }
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("CN=a"), "CN=a");
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
