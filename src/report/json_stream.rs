//! A JSON document read one top-level value at a time, in constant memory.
//!
//! A JSON report can hold hundreds of thousands of records (hundreds of MB); a `Value`
//! tree of it takes ~17× that. [`JsonStream`] walks the bytes of a document the way a
//! tokenizer does — strings, escapes, nesting — to find where each value starts and
//! ends, without building it: a value is either skipped (nothing kept but the byte
//! count) or copied into a caller's buffer, bounded by a limit, for serde_json to parse
//! on its own. Every error carries the byte offset in the document.
//!
//! The scan checks structure only (balanced brackets outside strings, nesting at most
//! [`MAX_DEPTH`] deep); whether a copied value is valid JSON is serde_json's call. A
//! skipped value is not validated beyond structure: the reader of a report validates
//! every record it uses when it reads it (see [`super::load`]).

use std::io::{self, BufRead};

/// Deepest nesting of arrays and objects accepted (serde_json's own limit is 128).
pub const MAX_DEPTH: usize = 128;

/// A place in the document: 1-based line and column (in bytes), 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub line: u64,
    pub column: u64,
    pub byte: u64,
}

impl Position {
    /// The start of a document.
    pub const START: Position = Position {
        line: 1,
        column: 1,
        byte: 0,
    };

    /// The position `line`:`column` (1-based, as serde_json counts) of a text that
    /// starts here, `byte` bytes into it.
    pub fn within(self, line: usize, column: usize, byte: usize) -> Position {
        let (line, column) = (line as u64, column.max(1) as u64);
        Position {
            line: self.line + line.saturating_sub(1),
            column: if line <= 1 {
                self.column + column - 1
            } else {
                column
            },
            byte: self.byte + byte as u64,
        }
    }
}

impl std::fmt::Display for Position {
    /// `3:17 (byte 1234)`, to follow a file name: `report.json:3:17 (byte 1234)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} (byte {})", self.line, self.column, self.byte)
    }
}

/// What went wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub at: Position,
    pub what: String,
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

/// A cursor over a JSON document.
pub struct JsonStream<R> {
    inner: R,
    /// Bytes consumed so far.
    offset: u64,
    line: u64,
    /// Offset of the current line's first byte.
    line_start: u64,
}

impl<R: BufRead> JsonStream<R> {
    /// A stream whose first byte is at `at` in the document (for messages).
    pub fn new(inner: R, at: Position) -> Self {
        Self {
            inner,
            offset: at.byte,
            line: at.line,
            line_start: at.byte + 1 - at.column.max(1).min(at.byte + 1),
        }
    }

    /// Where the next byte is.
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.offset - self.line_start + 1,
            byte: self.offset,
        }
    }

    /// Consumes `n` bytes of the buffer, counting lines.
    fn advance(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let seen = &buf[..n.min(buf.len())];
            if let Some(last) = seen.iter().rposition(|b| *b == b'\n') {
                self.line += seen.iter().filter(|b| **b == b'\n').count() as u64;
                self.line_start = self.offset + last as u64 + 1;
            }
        }
        self.inner.consume(n);
        self.offset += n as u64;
    }

    fn fail(&self, what: impl Into<String>) -> StreamError {
        StreamError {
            at: self.position(),
            what: what.into(),
        }
    }

    fn io(&self, e: io::Error) -> StreamError {
        self.fail(format!("read error: {e}"))
    }

    /// The next byte after whitespace, not consumed; `None` at the end.
    pub fn peek(&mut self) -> Result<Option<u8>, StreamError> {
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(e)),
            };
            if buf.is_empty() {
                return Ok(None);
            }
            let ws = buf
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                .count();
            let first = buf.get(ws).copied();
            self.advance(ws);
            if first.is_some() {
                return Ok(first);
            }
        }
    }

    /// Consumes `want` (after whitespace), or fails saying what was expected.
    pub fn expect(&mut self, want: u8, what: &str) -> Result<(), StreamError> {
        match self.peek()? {
            Some(b) if b == want => {
                self.advance(1);
                Ok(())
            }
            Some(b) => Err(self.fail(format!("expected {what}, found {}", shown(b)))),
            None => Err(self.fail(format!("expected {what}, found the end of the file"))),
        }
    }

    /// After whitespace: consumes `,` and returns true, or finds `close` (consumed)
    /// and returns false.
    pub fn next_or_close(&mut self, close: u8) -> Result<bool, StreamError> {
        match self.peek()? {
            Some(b',') => {
                self.advance(1);
                Ok(true)
            }
            Some(b) if b == close => {
                self.advance(1);
                Ok(false)
            }
            Some(b) => Err(self.fail(format!(
                "expected ',' or '{}', found {}",
                char::from(close),
                shown(b)
            ))),
            None => Err(self.fail("the file ends inside the document")),
        }
    }

    /// Skips one value (after whitespace), keeping nothing.
    pub fn skip_value(&mut self) -> Result<(), StreamError> {
        self.value(None, u64::MAX)
    }

    /// Copies one value (after whitespace) into `out` (cleared first); a value longer
    /// than `limit` bytes is an error. Returns where the value starts.
    pub fn copy_value(&mut self, out: &mut Vec<u8>, limit: u64) -> Result<Position, StreamError> {
        out.clear();
        self.peek()?;
        let at = self.position();
        self.value(Some(out), limit)?;
        Ok(at)
    }

    /// Walks one value: a string, an array or object (to its matching close), or a
    /// scalar (to the next delimiter).
    fn value(&mut self, mut out: Option<&mut Vec<u8>>, limit: u64) -> Result<(), StreamError> {
        let start = self.offset;
        let first = match self.peek()? {
            Some(b) => b,
            None => return Err(self.fail("expected a value, found the end of the file")),
        };
        if matches!(first, b',' | b':' | b']' | b'}') {
            return Err(self.fail(format!("expected a value, found {}", shown(first))));
        }
        let scalar = !matches!(first, b'"' | b'[' | b'{');
        let mut closers: Vec<u8> = Vec::new();
        let (mut in_string, mut escaped, mut started) = (false, false, false);
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io(e)),
            };
            if buf.is_empty() {
                if scalar && started {
                    return Ok(());
                }
                return Err(self.fail("the file ends inside a value"));
            }
            let mut used = 0;
            let mut done = false;
            let mut problem: Option<String> = None;
            for &b in buf {
                if scalar {
                    if matches!(b, b',' | b']' | b'}' | b':' | b' ' | b'\t' | b'\n' | b'\r')
                        && started
                    {
                        done = true;
                        break;
                    }
                    if matches!(b, b'"' | b'[' | b'{') {
                        problem = Some(format!("unexpected {} in a value", shown(b)));
                        break;
                    }
                    started = true;
                    used += 1;
                    continue;
                }
                used += 1;
                if in_string {
                    match (escaped, b) {
                        (true, _) => escaped = false,
                        (false, b'\\') => escaped = true,
                        (false, b'"') => {
                            in_string = false;
                            if closers.is_empty() {
                                done = true;
                                break;
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'[' | b'{' => {
                        if closers.len() >= MAX_DEPTH {
                            problem = Some(format!("nested more than {MAX_DEPTH} deep"));
                            break;
                        }
                        closers.push(if b == b'[' { b']' } else { b'}' });
                    }
                    b']' | b'}' => {
                        if closers.pop() != Some(b) {
                            problem = Some(format!("unbalanced {}", shown(b)));
                            break;
                        }
                        if closers.is_empty() {
                            done = true;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let taken = (self.offset - start).saturating_add(used as u64);
            if taken > limit {
                return Err(self.fail(format!("a value longer than {limit} bytes")));
            }
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(&buf[..used]);
            }
            self.advance(used);
            if let Some(p) = problem {
                return Err(self.fail(p));
            }
            if done {
                return Ok(());
            }
        }
    }
}

/// A byte as messages show it.
fn shown(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", char::from(b))
    } else {
        format!("byte 0x{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(doc: &str) -> Result<Vec<String>, StreamError> {
        let mut s = JsonStream::new(doc.as_bytes(), Position::START);
        s.expect(b'[', "'['")?;
        let mut out = Vec::new();
        if s.peek()? == Some(b']') {
            return Ok(out);
        }
        loop {
            let mut buf = Vec::new();
            s.copy_value(&mut buf, 1 << 20)?;
            out.push(String::from_utf8(buf).unwrap());
            if !s.next_or_close(b']')? {
                break;
            }
        }
        Ok(out)
    }

    #[test]
    fn splits_values_exactly() {
        let v = values(r#"[ {"a":"]}\"["} , [1,[2]],"x\\",12.5e3 ,true,null]"#).unwrap();
        assert_eq!(
            v,
            [
                r#"{"a":"]}\"["}"#,
                "[1,[2]]",
                r#""x\\""#,
                "12.5e3",
                "true",
                "null"
            ]
        );
        assert_eq!(values("[]").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn errors_say_where() {
        let e = values("[1,]").unwrap_err();
        assert_eq!(e.to_string(), "1:4 (byte 3): expected a value, found ']'");
        let e = values("[1,\n  2,\n  }").unwrap_err();
        assert_eq!(e.to_string(), "3:3 (byte 11): expected a value, found '}'");
        let e = values("[{\"a\":1]").unwrap_err();
        assert!(e.what.contains("unbalanced"), "{e}");
        let e = values("[\"abc").unwrap_err();
        assert!(e.what.contains("ends inside"), "{e}");
        let deep = format!("[{}{}]", "[".repeat(200), "]".repeat(200));
        assert!(values(&deep).unwrap_err().what.contains("nested"));
        let mut s = JsonStream::new(&b"\"0123456789\""[..], Position::START);
        let e = s.copy_value(&mut Vec::new(), 4).unwrap_err();
        assert!(e.what.contains("longer than 4 bytes"), "{e}");
    }
}
