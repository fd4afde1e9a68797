//! TLS 1.0/1.1 records: framing, and the CBC + HMAC-SHA1 protection of the legacy
//! suites (RFC 2246 §6.2, RFC 4346 §6.2): MAC-then-encrypt, block padding, and the IV —
//! chained from the previous record's last ciphertext block in TLS 1.0, an explicit
//! random block in front of every record in TLS 1.1.

use std::fmt;

use aes::{Aes128, Aes256};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

use super::prf::hmac_sha1;

/// Largest record body accepted (2^14 plus the 2048 bytes of expansion RFC 2246
/// allows).
pub const MAX_RECORD: usize = 16384 + 2048;
/// Largest plaintext fragment one record carries.
pub const MAX_FRAGMENT: usize = 16384;
const BLOCK: usize = 16;
const MAC: usize = 20;

pub const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;

/// Why a record was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// Not a TLS record header.
    BadHeader { content_type: u8, version: u16 },
    /// A body longer than [`MAX_RECORD`].
    TooLong(usize),
    /// A protected record whose length cannot be CBC blocks with a MAC.
    BadLength(usize),
    /// The padding or the MAC does not check (`bad_record_mac`).
    BadMac,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadHeader {
                content_type,
                version,
            } => write!(
                f,
                "bad record header (type {content_type}, version 0x{version:04x})"
            ),
            Self::TooLong(n) => write!(f, "record of {n} bytes exceeds the limit"),
            Self::BadLength(n) => write!(f, "protected record of {n} bytes is not whole blocks"),
            Self::BadMac => f.write_str("record does not decrypt (bad padding or MAC)"),
        }
    }
}

/// A record's type, version and body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub content_type: u8,
    pub version: u16,
    pub body: &'a [u8],
}

/// The first complete record in `buf` and its length on the wire; `Ok(None)` when
/// `buf` ends inside it.
pub fn next_record(buf: &[u8]) -> Result<Option<(Record<'_>, usize)>, RecordError> {
    let [content_type, major, minor, hi, lo, ..] = *buf else {
        return Ok(None);
    };
    let version = u16::from_be_bytes([major, minor]);
    if !(20..=24).contains(&content_type) || major != 3 {
        return Err(RecordError::BadHeader {
            content_type,
            version,
        });
    }
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len > MAX_RECORD {
        return Err(RecordError::TooLong(len));
    }
    Ok(buf.get(5..5 + len).map(|body| {
        let record = Record {
            content_type,
            version,
            body,
        };
        (record, 5 + len)
    }))
}

/// A whole record: header and `body`.
pub fn encode(content_type: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + body.len());
    out.push(content_type);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// The keys of one direction of a connection, with its sequence number and, for TLS
/// 1.0, the running IV.
#[derive(Clone)]
pub struct Protection {
    version: u16,
    mac_key: Vec<u8>,
    key: Vec<u8>,
    iv: [u8; BLOCK],
    seq: u64,
}

impl fmt::Debug for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys stay out of debug output.
        write!(
            f,
            "Protection {{ version: {:#06x}, seq: {} }}",
            self.version, self.seq
        )
    }
}

impl Protection {
    /// `key` is 16 or 32 bytes (AES-128 / AES-256), `mac_key` 20, `iv` the key block's
    /// IV (used by TLS 1.0 only).
    pub fn new(version: u16, mac_key: &[u8], key: &[u8], iv: [u8; BLOCK]) -> Self {
        Self {
            version,
            mac_key: mac_key.to_vec(),
            key: key.to_vec(),
            iv,
            seq: 0,
        }
    }

    fn explicit_iv(&self) -> bool {
        self.version >= 0x0302
    }

    fn mac(&self, content_type: u8, fragment: &[u8]) -> Vec<u8> {
        let mut header = self.seq.to_be_bytes().to_vec();
        header.push(content_type);
        header.extend_from_slice(&self.version.to_be_bytes());
        header.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
        hmac_sha1(&self.mac_key, &[&header, fragment])
    }

    /// The protected record carrying `fragment` (at most [`MAX_FRAGMENT`] bytes; longer
    /// input is cut there). `fresh_iv` is the random IV a TLS 1.1 record carries.
    pub fn seal(&mut self, content_type: u8, fragment: &[u8], fresh_iv: [u8; BLOCK]) -> Vec<u8> {
        let fragment = &fragment[..fragment.len().min(MAX_FRAGMENT)];
        let mut plain = fragment.to_vec();
        plain.extend(self.mac(content_type, fragment));
        let pad = BLOCK - 1 - plain.len() % BLOCK;
        plain.extend(std::iter::repeat_n(pad as u8, pad + 1));
        let iv = match self.explicit_iv() {
            true => fresh_iv,
            false => self.iv,
        };
        let sealed = cbc_encrypt(&self.key, &iv, &plain);
        let mut body = Vec::with_capacity(BLOCK + sealed.len());
        if self.explicit_iv() {
            body.extend_from_slice(&iv);
        } else if let Some(last) = sealed.last_chunk::<BLOCK>() {
            self.iv = *last;
        }
        body.extend(sealed);
        self.seq = self.seq.wrapping_add(1);
        encode(content_type, self.version, &body)
    }

    /// The plaintext of a protected record body.
    pub fn open(&mut self, content_type: u8, body: &[u8]) -> Result<Vec<u8>, RecordError> {
        let head = if self.explicit_iv() { BLOCK } else { 0 };
        let min = head + (MAC + 1).next_multiple_of(BLOCK);
        if body.len() < min || !body.len().is_multiple_of(BLOCK) {
            return Err(RecordError::BadLength(body.len()));
        }
        let (iv, sealed) = match self.explicit_iv() {
            true => body.split_at(BLOCK),
            false => (&self.iv[..], body),
        };
        let iv: [u8; BLOCK] = iv
            .try_into()
            .map_err(|_| RecordError::BadLength(body.len()))?;
        let plain = cbc_decrypt(&self.key, &iv, sealed).ok_or(RecordError::BadMac)?;
        if !self.explicit_iv()
            && let Some(last) = sealed.last_chunk::<BLOCK>()
        {
            self.iv = *last;
        }
        let pad = usize::from(*plain.last().ok_or(RecordError::BadMac)?);
        let Some(fragment_len) = plain.len().checked_sub(pad + 1 + MAC) else {
            return Err(RecordError::BadMac);
        };
        let padding_ok = plain[plain.len() - pad - 1..]
            .iter()
            .all(|b| usize::from(*b) == pad);
        let (fragment, rest) = plain.split_at(fragment_len);
        let expected = self.mac(content_type, fragment);
        let mac_ok = rest.get(..MAC).is_some_and(|m| equal(m, &expected));
        if !(padding_ok && mac_ok) {
            return Err(RecordError::BadMac);
        }
        self.seq = self.seq.wrapping_add(1);
        Ok(fragment.to_vec())
    }
}

/// Compares in time independent of where the inputs differ.
fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cbc_encrypt(key: &[u8], iv: &[u8; BLOCK], plain: &[u8]) -> Vec<u8> {
    let out = match key.len() {
        32 => cbc::Encryptor::<Aes256>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec_mut::<NoPadding>(plain)),
        _ => cbc::Encryptor::<Aes128>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec_mut::<NoPadding>(plain)),
    };
    // Key lengths come from `key_len`; a wrong one yields an empty record, which the
    // peer refuses, never a panic.
    out.unwrap_or_default()
}

fn cbc_decrypt(key: &[u8], iv: &[u8; BLOCK], sealed: &[u8]) -> Option<Vec<u8>> {
    match key.len() {
        32 => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_vec_mut::<NoPadding>(sealed)
            .ok(),
        _ => cbc::Decryptor::<Aes128>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_vec_mut::<NoPadding>(sealed)
            .ok(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pair(version: u16, key_len: usize) -> (Protection, Protection) {
        let key = vec![7u8; key_len];
        let p = Protection::new(version, &[9; 20], &key, [3; 16]);
        (p.clone(), p)
    }

    #[test]
    fn sealed_records_open_in_order_for_both_versions() {
        for version in [0x0301, 0x0302] {
            for key_len in [16, 32] {
                let (mut tx, mut rx) = pair(version, key_len);
                for (i, msg) in [&b""[..], b"EHLO [127.0.0.1]\r\n", &[0x41; 300]]
                    .iter()
                    .enumerate()
                {
                    let rec = tx.seal(APPLICATION_DATA, msg, [i as u8; 16]);
                    let (r, used) = next_record(&rec).unwrap().unwrap();
                    assert_eq!(used, rec.len());
                    assert_eq!(r.version, version);
                    assert_eq!(r.body.len() % 16, 0);
                    assert_eq!(rx.open(APPLICATION_DATA, r.body).unwrap(), *msg);
                }
            }
        }
    }

    #[test]
    fn tls10_chains_ivs_and_tls11_sends_them() {
        let (mut a, _) = pair(0x0301, 16);
        let r1 = a.seal(APPLICATION_DATA, b"x", [0; 16]);
        let r2 = a.seal(APPLICATION_DATA, b"x", [0; 16]);
        // The same plaintext under a chained IV (and the next sequence number) differs.
        assert_ne!(r1[5..], r2[5..]);
        let (mut b, _) = pair(0x0302, 16);
        let r = b.seal(APPLICATION_DATA, b"x", [0xee; 16]);
        assert_eq!(&r[5..21], &[0xee; 16]);
    }

    #[test]
    fn tampering_is_bad_mac_and_order_matters() {
        for version in [0x0301, 0x0302] {
            let (mut tx, mut rx) = pair(version, 16);
            let mut rec = tx.seal(APPLICATION_DATA, b"hello", [1; 16]);
            let last = rec.len() - 1;
            rec[last - 20] ^= 1;
            assert_eq!(
                rx.open(APPLICATION_DATA, &rec[5..]),
                Err(RecordError::BadMac)
            );
            // The wrong content type fails the MAC too.
            let (mut tx, mut rx) = pair(version, 16);
            let rec = tx.seal(APPLICATION_DATA, b"hello", [1; 16]);
            assert_eq!(rx.open(HANDSHAKE, &rec[5..]), Err(RecordError::BadMac));
            // A replayed record has the wrong sequence number.
            let (mut tx, mut rx) = pair(version, 16);
            let rec = tx.seal(APPLICATION_DATA, b"hello", [1; 16]);
            assert!(rx.open(APPLICATION_DATA, &rec[5..]).is_ok());
            let replay = rx.open(APPLICATION_DATA, &rec[5..]);
            assert!(replay.is_err());
        }
    }

    #[test]
    fn framing_is_bounded() {
        assert_eq!(next_record(&[23, 3, 1, 0]), Ok(None));
        assert_eq!(next_record(&[23, 3, 1, 0, 5, 1, 2]), Ok(None));
        assert!(matches!(
            next_record(b"HTTP/1.1 200"),
            Err(RecordError::BadHeader { .. })
        ));
        assert_eq!(
            next_record(&[23, 3, 1, 0xff, 0xff]),
            Err(RecordError::TooLong(0xffff))
        );
        let (mut p, _) = pair(0x0302, 16);
        assert_eq!(
            p.open(APPLICATION_DATA, &[0; 32]),
            Err(RecordError::BadLength(32))
        );
        assert_eq!(
            p.open(APPLICATION_DATA, &[0; 50]),
            Err(RecordError::BadLength(50))
        );
    }

    proptest! {
        /// Any bytes as a record body: an error or a plaintext, never a panic.
        #[test]
        fn opening_arbitrary_bodies_never_panics(
            body in proptest::collection::vec(any::<u8>(), 0..200),
            version in prop_oneof![Just(0x0301u16), Just(0x0302u16)],
            key_len in prop_oneof![Just(16usize), Just(32usize)],
        ) {
            let (_, mut rx) = pair(version, key_len);
            let _ = rx.open(APPLICATION_DATA, &body);
            let _ = next_record(&body);
        }

        /// Whole blocks of random bytes almost never pass the MAC, and never panic.
        #[test]
        fn random_blocks_fail_cleanly(blocks in 2usize..8, fill in any::<u8>()) {
            let (_, mut rx) = pair(0x0301, 16);
            prop_assert!(rx.open(APPLICATION_DATA, &vec![fill; blocks * 16]).is_err());
        }
    }
}
