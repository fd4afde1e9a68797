//! Byte-level helpers shared by the wire types: a bounds-checked read cursor and
//! length-prefixed writers.
//!
//! Everything that reads server bytes goes through [`Reader`], which returns `None`
//! instead of panicking when input runs out, so malformed or hostile replies can only
//! ever produce a parse error.

/// A cursor over untrusted bytes. Every accessor is total: reading past the end yields
/// `None` and leaves the cursor where it was.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes not yet consumed.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2]))
    }

    /// A sub-reader over a `u8`-length-prefixed vector.
    pub fn vec_u8(&mut self) -> Option<Reader<'a>> {
        let n = usize::from(self.u8()?);
        self.take(n).map(Reader::new)
    }

    /// A sub-reader over a `u16`-length-prefixed vector.
    pub fn vec_u16(&mut self) -> Option<Reader<'a>> {
        let n = usize::from(self.u16()?);
        self.take(n).map(Reader::new)
    }

    /// A sub-reader over a `u24`-length-prefixed vector.
    pub fn vec_u24(&mut self) -> Option<Reader<'a>> {
        let n = self.u24()?;
        self.take(n).map(Reader::new)
    }
}

pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_u24(out: &mut Vec<u8>, v: usize) {
    let b = (v as u32).to_be_bytes();
    out.extend_from_slice(&b[1..]);
}

/// Writes `body` into `out` behind a big-endian length prefix of `width` bytes (1, 2
/// or 3). The prefix is reserved first and patched afterwards, so nested vectors need
/// no intermediate buffers.
pub fn put_prefixed(out: &mut Vec<u8>, width: usize, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.resize(at + width, 0);
    body(out);
    let len = out.len() - at - width;
    let bytes = (len as u32).to_be_bytes();
    out[at..at + width].copy_from_slice(&bytes[4 - width..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_is_total() {
        let mut r = Reader::new(&[0x01, 0x02, 0x03]);
        assert_eq!(r.u16(), Some(0x0102));
        assert_eq!(r.u16(), None);
        assert_eq!(r.u8(), Some(0x03));
        assert!(r.is_empty());
        assert_eq!(r.u8(), None);
        let mut r = Reader::new(&[0x05, 0x01]);
        assert!(r.vec_u8().is_none(), "length beyond input");
    }

    #[test]
    fn prefixed_vectors_patch_lengths() {
        let mut out = Vec::new();
        put_prefixed(&mut out, 2, |o| {
            o.push(7);
            put_prefixed(o, 1, |o| o.extend_from_slice(&[1, 2, 3]));
        });
        assert_eq!(out, [0x00, 0x05, 7, 3, 1, 2, 3]);
        let mut r = Reader::new(&out);
        let mut inner = r.vec_u16().unwrap();
        assert_eq!(inner.u8(), Some(7));
        assert_eq!(inner.vec_u8().unwrap().rest(), &[1, 2, 3]);
    }
}
