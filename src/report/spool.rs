//! What a sink must hold until the end, out of memory.
//!
//! The table aligns its columns, JUnit writes its counts before its test cases, and the
//! HTML page groups findings by kind: each needs every record before it can write the
//! first line. Held as strings, 100,000 records (a merged sharded scan) take hundreds of
//! MB; a [`Spool`] keeps the first [`IN_MEMORY`] bytes in memory and the rest in an
//! anonymous temporary file (created in the temp directory, mode 0600, unlinked at
//! once: nothing is left behind, whatever ends the process), read back once at the end.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Cursor, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;

/// Bytes a spool keeps in memory before it moves to a file.
pub const IN_MEMORY: usize = 1 << 20;

/// An append-only buffer that spills to an unlinked temporary file.
#[derive(Default)]
pub struct Spool {
    memory: Vec<u8>,
    file: Option<BufWriter<File>>,
}

impl Spool {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.memory.is_empty() && self.file.is_none()
    }

    /// Everything written, from the start (consumes the spool).
    pub fn into_reader(self) -> io::Result<Box<dyn BufRead>> {
        match self.file {
            None => Ok(Box::new(Cursor::new(self.memory))),
            Some(w) => {
                let mut f = w.into_inner().map_err(|e| e.into_error())?;
                f.rewind()?;
                Ok(Box::new(BufReader::new(f)))
            }
        }
    }

    /// Copies everything written to `out`.
    pub fn copy_to(self, out: &mut dyn Write) -> io::Result<()> {
        let mut r = self.into_reader()?;
        io::copy(&mut r, out)?;
        Ok(())
    }

    fn spill(&mut self) -> io::Result<&mut BufWriter<File>> {
        if self.file.is_none() {
            let mut w = BufWriter::with_capacity(64 * 1024, anonymous_file()?);
            w.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(w);
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("spool file"))
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() && self.memory.len() + buf.len() <= IN_MEMORY {
            self.memory.extend_from_slice(buf);
            return Ok(buf.len());
        }
        self.spill()?.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

/// A read-write file no other process can find: created exclusively with a random name
/// in the temp directory, then unlinked.
fn anonymous_file() -> io::Result<File> {
    use ring::rand::{SecureRandom, SystemRandom};
    let dir = std::env::temp_dir();
    let mut last = io::Error::other("no temporary file");
    for _ in 0..8 {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| io::Error::other("no randomness for a temporary name"))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!(".tlscompat-spool-{hex}"));
        match OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => {
                std::fs::remove_file(&path)?;
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("temporary file in {}: {e}", dir.display()),
                ));
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_past_the_limit_and_reads_back_in_order() {
        let mut s = Spool::new();
        assert!(s.is_empty());
        let line = "x".repeat(999) + "\n";
        let n = 3 * IN_MEMORY / line.len();
        for _ in 0..n {
            s.write_all(line.as_bytes()).unwrap();
        }
        assert!(s.file.is_some() && s.memory.is_empty(), "spilled");
        let back: Vec<String> = s
            .into_reader()
            .unwrap()
            .lines()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back.len(), n);
        assert!(back.iter().all(|l| l.len() == 999));
        let mut small = Spool::new();
        small.write_all(b"a\nb\n").unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut small.into_reader().unwrap(), &mut text).unwrap();
        assert_eq!(text, "a\nb\n");
    }
}
