//! Column text for the terminal sinks (the table and the client matrix): widths in
//! characters, padding, and cutting with a mark.

/// The width of `s` in characters (the table's symbols and names are single-width).
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` padded with spaces to `w` characters.
pub fn pad(s: &str, w: usize) -> String {
    format!("{s:<w$}")
}

/// Cuts to `w` characters, marking the cut with `…`.
pub fn abbreviate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}
