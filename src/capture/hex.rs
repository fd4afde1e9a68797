//! Hex dumps of a ClientHello, as people copy them:
//!
//! - plain hex: `16 03 01 02 00 01 00 01 fc …`, `16:03:01:…`, `0x16, 0x03, …`,
//!   `\x16\x03…`, or one long run (Wireshark's "Copy → …as a Hex Stream"), over any
//!   number of lines;
//! - offset dumps, whose lines start with the offset of their first byte: Wireshark's
//!   "Copy → …as Hex Dump", `xxd`, `hexdump -C`, `od -A x -t x1`. They are told apart
//!   by a first token of zeros (`0000`, `00000000:`); each line's offset must be the
//!   number of bytes so far, and at most 16 bytes are read per line, which leaves the
//!   ASCII column out.
//!
//! Lines starting with `#` are comments. Pure code: text in, bytes out.

/// Where and why a hex dump does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HexError {
    /// 1-based line.
    pub line: usize,
    pub what: String,
}

impl std::fmt::Display for HexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// The bytes a hex dump holds.
pub fn parse(text: &str) -> Result<Vec<u8>, HexError> {
    let lines = || {
        text.lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
    };
    let first = lines()
        .next()
        .and_then(|(_, l)| l.split_whitespace().next());
    let offset_dump = first.is_some_and(|t| {
        (4..=9).contains(&t.len()) && t.trim_end_matches(':').bytes().all(|b| b == b'0')
    });
    let mut out = Vec::new();
    for (n, line) in lines() {
        match offset_dump {
            true => offset_line(line, n, &mut out)?,
            false => plain_line(line, n, &mut out)?,
        }
    }
    Ok(out)
}

fn plain_line(line: &str, n: usize, out: &mut Vec<u8>) -> Result<(), HexError> {
    let cleaned = line
        .replace("0x", " ")
        .replace("0X", " ")
        .replace("\\x", " ");
    let mut pending: Option<u8> = None;
    for (col, c) in cleaned.chars().enumerate() {
        if c.is_whitespace() || matches!(c, ':' | ',' | ';' | '"' | '-') {
            if pending.is_some() {
                return Err(odd(n));
            }
            continue;
        }
        let Some(digit) = c.to_digit(16) else {
            return Err(HexError {
                line: n,
                what: format!(
                    "'{}' (column {}) is not a hex digit",
                    c.escape_debug(),
                    col + 1
                ),
            });
        };
        let digit = digit as u8;
        match pending.take() {
            Some(high) => out.push(high << 4 | digit),
            None => pending = Some(digit),
        }
    }
    match pending {
        Some(_) => Err(odd(n)),
        None => Ok(()),
    }
}

fn odd(line: usize) -> HexError {
    HexError {
        line,
        what: "an odd number of hex digits in a byte".into(),
    }
}

fn offset_line(line: &str, n: usize, out: &mut Vec<u8>) -> Result<(), HexError> {
    let mut tokens = line.split_whitespace();
    let offset_text = tokens.next().unwrap_or("").trim_end_matches(':');
    let offset = usize::from_str_radix(offset_text, 16).map_err(|_| HexError {
        line: n,
        what: format!("'{offset_text}' is not an offset (the dump's lines start with one)"),
    })?;
    if offset != out.len() {
        return Err(HexError {
            line: n,
            what: format!(
                "offset 0x{offset:x}, but the lines before hold 0x{:x} bytes",
                out.len()
            ),
        });
    }
    let mut taken = 0;
    for token in tokens {
        let hex = token.len() % 2 == 0
            && token.len() <= 8
            && token.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex || taken + token.len() / 2 > 16 {
            break;
        }
        for pair in token.as_bytes().chunks(2) {
            let text = std::str::from_utf8(pair).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(text, 16) {
                out.push(b);
                taken += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BYTES: [u8; 20] = [
        0x16, 0x03, 0x01, 0x00, 0xf4, 0x01, 0x00, 0x00, 0xf0, 0x03, 0x03, 0xab, 0xcd, 0xef, 0x00,
        0x11, 0x22, 0x33, 0x44, 0x55,
    ];

    #[test]
    fn every_copied_form_reads_the_same_bytes() {
        let forms = [
            "16030100f4010000f00303abcdef001122334455",
            "16 03 01 00 f4 01 00 00 f0 03 03\nab cd ef 00 11 22 33 44 55\n",
            "# a comment\n16:03:01:00:f4:01:00:00:f0:03:03:ab:cd:ef:00:11:22:33:44:55",
            "0x16, 0x03, 0x01, 0x00, 0xf4, 0x01, 0x00, 0x00, 0xf0, 0x03, 0x03, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55",
            "\"\\x16\\x03\\x01\\x00\\xf4\\x01\\x00\\x00\\xf0\\x03\\x03\\xab\\xcd\\xef\\x00\\x11\\x22\\x33\\x44\\x55\"",
            // Wireshark "Copy as Hex Dump"
            "0000   16 03 01 00 f4 01 00 00 f0 03 03 ab cd ef 00 11   ................\n\
             0010   22 33 44 55                                       \"3DU\n",
            // xxd
            "00000000: 1603 0100 f401 0000 f003 03ab cdef 0011  ................\n\
             00000010: 2233 4455                                \"3DU\n",
            // hexdump -C
            "00000000  16 03 01 00 f4 01 00 00  f0 03 03 ab cd ef 00 11  |................|\n\
             00000010  22 33 44 55                                       |\"3DU|\n\
             00000014\n",
        ];
        for f in forms {
            assert_eq!(parse(f).as_deref(), Ok(&BYTES[..]), "{f}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("16 03 01\n00 zz").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.to_string().contains("'z' (column 4) is not a hex digit"),
            "{e}"
        );
        assert!(parse("16 0").unwrap_err().what.contains("odd number"));
        let e = parse("0000  16 03\n0020  01").unwrap_err();
        assert!(e.to_string().contains("line 2: offset 0x20"), "{e}");
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn plain_hex_round_trips(bytes in proptest::collection::vec(any::<u8>(), 1..200)) {
            let text: String = bytes.iter().map(|b| format!("{b:02x} ")).collect();
            prop_assert_eq!(parse(&text), Ok(bytes));
        }
    }
}
