//! Neutralising network-derived text for each output (DESIGN.md "Output is read by
//! people and by machines"). Minimal version for the table and HTML work of issue 12;
//! issue 9 owns this module and its fuller version replaces this one.

use std::borrow::Cow;

/// Characters that must not reach a terminal raw: C0/C1 controls (escape sequences)
/// and bidi overrides/isolates (which reorder what the reader sees).
fn unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Text for the table and stderr: dangerous characters become `\u{..}` escapes.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_for_terminal) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match unsafe_for_terminal(c) {
                true => c.escape_unicode().to_string(),
                false => c.to_string(),
            })
            .collect(),
    )
}

/// A CSV cell that a spreadsheet will not run as a formula.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// XML/HTML text and attribute content: markup escaped, characters XML 1.0 forbids
/// replaced by U+FFFD.
pub fn xml_text(s: &str) -> Cow<'_, str> {
    let plain = |c: char| {
        !matches!(c, '&' | '<' | '>' | '"' | '\'') && (c >= ' ' || matches!(c, '\n' | '\t'))
    };
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
            '\n' | '\t' => out.push(c),
            c if c < ' ' || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises() {
        assert_eq!(terminal("ok"), "ok");
        assert_eq!(terminal("a\u{1b}[31mb\u{202e}"), "a\\u{1b}[31mb\\u{202e}");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(
            xml_text("<a href='x'>&\u{0}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;\u{fffd}"
        );
    }
}
