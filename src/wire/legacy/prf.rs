//! The TLS 1.0/1.1 pseudo-random function (RFC 2246 §5, RFC 4346 §5) and what is
//! derived from it: `PRF(secret, label, seed) = P_MD5(S1, label + seed) XOR
//! P_SHA1(S2, label + seed)`, S1 and S2 the two (overlapping) halves of the secret.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use ring::{digest, hmac as ring_hmac};

/// The most output one PRF call may produce here (a key block is 136 bytes at most).
pub const MAX_OUTPUT: usize = 256;

/// `PRF(secret, label, seed)` truncated to `len` bytes (at most [`MAX_OUTPUT`]).
pub fn prf(secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let len = len.min(MAX_OUTPUT);
    let half = secret.len().div_ceil(2);
    let (s1, s2) = (&secret[..half], &secret[secret.len() - half..]);
    let mut label_seed = label.to_vec();
    label_seed.extend_from_slice(seed);
    let md5 = p_hash(len, &label_seed, |parts| hmac_md5(s1, parts));
    let sha1 = p_hash(len, &label_seed, |parts| hmac_sha1(s2, parts));
    md5.iter().zip(&sha1).map(|(a, b)| a ^ b).collect()
}

/// `P_hash(secret, seed)`: A(0) = seed, A(i) = HMAC(A(i-1)); output HMAC(A(i) + seed)…
fn p_hash(len: usize, seed: &[u8], mac: impl Fn(&[&[u8]]) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 20);
    let mut a = mac(&[seed]);
    while out.len() < len {
        out.extend(mac(&[&a, seed]));
        a = mac(&[&a]);
    }
    out.truncate(len);
    out
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length: this cannot fail.
    let Ok(mut m) = Hmac::<Md5>::new_from_slice(key) else {
        return Vec::new();
    };
    parts.iter().for_each(|p| m.update(p));
    m.finalize().into_bytes().to_vec()
}

/// HMAC-SHA1, also the record MAC of the legacy suites.
pub fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let key = ring_hmac::Key::new(ring_hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let mut ctx = ring_hmac::Context::with_key(&key);
    parts.iter().for_each(|p| ctx.update(p));
    ctx.sign().as_ref().to_vec()
}

/// The 48-byte master secret from the premaster secret (RFC 2246 §8.1).
pub fn master_secret(
    premaster: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Vec<u8> {
    let mut seed = client_random.to_vec();
    seed.extend_from_slice(server_random);
    prf(premaster, b"master secret", &seed, 48)
}

/// The key block (RFC 2246 §6.3; note the server random comes first here).
pub fn key_block(
    master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    len: usize,
) -> Vec<u8> {
    let mut seed = server_random.to_vec();
    seed.extend_from_slice(client_random);
    prf(master, b"key expansion", &seed, len)
}

/// The 12-byte `verify_data` of a Finished message over `transcript` (every handshake
/// message so far, as sent): `label` is `client finished` or `server finished`.
pub fn verify_data(master: &[u8], label: &[u8], transcript: &[u8]) -> Vec<u8> {
    let mut hashes = Md5::digest(transcript).to_vec();
    hashes
        .extend_from_slice(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, transcript).as_ref());
    prf(master, label, &hashes, 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The published TLS 1.0/1.1 PRF test vector (secret 48 × 0xab, seed 64 × 0xcd,
    /// label "PRF Testvector"), as `openssl kdf -kdfopt digest:MD5-SHA1 … TLS1-PRF`
    /// computes it too.
    #[test]
    fn prf_matches_the_published_vector() {
        let out = prf(&[0xab; 48], b"PRF Testvector", &[0xcd; 64], 104);
        let want = unhex(
            "D3D4D1E349B5D515044666D51DE32BAB258CB521B6B053463E354832FD976754443BCF9A296519BC\
             289ABCBC1187E4EBD31E602353776C408AAFB74CBC85EFF69255F9788FAA184CBB957A9819D84A5D\
             7EB006EB459D3AE8DE9810454B8B2D8F1AFBC655A8C9A013",
        );
        assert_eq!(out, want);
    }

    /// An odd-length secret (the halves overlap by one byte), against OpenSSL:
    /// `openssl kdf -keylen 48 -kdfopt digest:MD5-SHA1 -kdfopt
    /// hexsecret:0102030405060708090a0b0c0d0e0f -kdfopt seed:"master secretABCDEFGHIJ"
    /// TLS1-PRF`.
    #[test]
    fn odd_secrets_share_their_middle_byte() {
        let secret = unhex("0102030405060708090a0b0c0d0e0f");
        let out = prf(&secret, b"master secret", b"ABCDEFGHIJ", 48);
        let want = unhex(
            "3BD07A37D538C76BA02DD441672B895ED00D563D794DEB94D82B166E7A8574F08A9FB65BC0A55EEE6577F45CBFF74E2B",
        );
        assert_eq!(out, want);
    }

    #[test]
    fn output_is_bounded_and_sized() {
        assert_eq!(prf(b"k", b"l", b"s", 12).len(), 12);
        assert_eq!(prf(b"", b"l", b"s", 10_000).len(), MAX_OUTPUT);
        assert_eq!(verify_data(&[1; 48], b"client finished", b"x").len(), 12);
    }
}
