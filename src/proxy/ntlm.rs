//! NTLM for proxy authentication (MS-NLMP): the three messages, and the NTLMv2
//! response. Pure code: the codec reads and writes bytes, the response is computed
//! from the challenge, the credentials, a client challenge and a time given by the
//! caller, so every step is testable against the specification's own vectors.
//!
//! Only NTLMv2 is answered (NTLMv1 is removed from current Windows); no session key is
//! exchanged and nothing is signed or sealed — the tunnel carries TLS, which has its
//! own. The hash functions come from RustCrypto (`md4`, `md-5`, `hmac`); the message
//! layout is small and ours, so the challenge parser can be bounded and fuzzed like
//! the rest of the wire code.

use std::fmt;

use hmac::{Hmac, Mac};
use md4::{Digest, Md4};
use md5::Md5;

const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// The longest CHALLENGE_MESSAGE read (real ones are a few hundred bytes).
pub const MAX_CHALLENGE: usize = 4096;
/// AV pairs read from a challenge's target information.
pub const MAX_AV_PAIRS: usize = 64;

/// Negotiate flags (MS-NLMP 2.2.2.5) this client uses.
pub mod flags {
    pub const UNICODE: u32 = 0x0000_0001;
    pub const OEM: u32 = 0x0000_0002;
    pub const REQUEST_TARGET: u32 = 0x0000_0004;
    pub const NTLM: u32 = 0x0000_0200;
    pub const ALWAYS_SIGN: u32 = 0x0000_8000;
    pub const EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
    pub const TARGET_INFO: u32 = 0x0080_0000;
    pub const KEY_128: u32 = 0x2000_0000;
    pub const KEY_56: u32 = 0x8000_0000;
}

/// What the client asks for in its NEGOTIATE_MESSAGE (and keeps of the server's answer).
const OFFERED: u32 = flags::UNICODE
    | flags::OEM
    | flags::REQUEST_TARGET
    | flags::NTLM
    | flags::ALWAYS_SIGN
    | flags::EXTENDED_SESSIONSECURITY
    | flags::KEY_128
    | flags::KEY_56;

/// MsvAvTimestamp (MS-NLMP 2.2.2.1): the server's time, which the response must use.
const AV_TIMESTAMP: u16 = 7;
const AV_EOL: u16 = 0;

/// Why a CHALLENGE_MESSAGE could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NtlmError {
    TooShort {
        len: usize,
    },
    TooLong {
        len: usize,
    },
    BadSignature,
    NotAChallenge {
        message_type: u32,
    },
    /// A field's offset and length point outside the message.
    FieldOutOfBounds {
        field: &'static str,
    },
    BadTargetInfo(&'static str),
}

impl fmt::Display for NtlmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => write!(f, "NTLM challenge of {len} bytes is too short"),
            Self::TooLong { len } => {
                write!(f, "NTLM challenge of {len} bytes exceeds {MAX_CHALLENGE}")
            }
            Self::BadSignature => f.write_str("not an NTLMSSP message"),
            Self::NotAChallenge { message_type } => {
                write!(
                    f,
                    "NTLM message type {message_type}, expected a challenge (2)"
                )
            }
            Self::FieldOutOfBounds { field } => {
                write!(f, "NTLM challenge: {field} lies outside the message")
            }
            Self::BadTargetInfo(why) => write!(f, "NTLM challenge target information: {why}"),
        }
    }
}

/// The parts of a CHALLENGE_MESSAGE the response needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub flags: u32,
    pub server_challenge: [u8; 8],
    /// The target information (AV pairs), as sent: the NTLMv2 response embeds it.
    pub target_info: Vec<u8>,
    /// MsvAvTimestamp, when the server sent one.
    pub timestamp: Option<u64>,
}

/// The NEGOTIATE_MESSAGE: flags only, no domain or workstation supplied.
pub fn negotiate() -> Vec<u8> {
    let mut m = Vec::with_capacity(32);
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&1u32.to_le_bytes());
    m.extend_from_slice(&OFFERED.to_le_bytes());
    m.extend_from_slice(&[0; 16]); // DomainNameFields, WorkstationFields: empty
    m
}

/// A little-endian reader over a message that never panics.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        let b = self.0.get(at..at + 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let b = self.0.get(at..at + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The bytes a security buffer (len u16, max u16, offset u32) at `at` points to.
    fn field(&self, at: usize, name: &'static str) -> Result<&[u8], NtlmError> {
        let out = || NtlmError::FieldOutOfBounds { field: name };
        let len = usize::from(self.u16(at).ok_or_else(out)?);
        let offset = self.u32(at + 4).ok_or_else(out)? as usize;
        if len == 0 {
            return Ok(&[]);
        }
        let end = offset.checked_add(len).ok_or_else(out)?;
        self.0.get(offset..end).ok_or_else(out)
    }
}

impl Challenge {
    /// Reads a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2). Bounded: at most
    /// [`MAX_CHALLENGE`] bytes and [`MAX_AV_PAIRS`] AV pairs; never panics.
    pub fn parse(msg: &[u8]) -> Result<Self, NtlmError> {
        if msg.len() > MAX_CHALLENGE {
            return Err(NtlmError::TooLong { len: msg.len() });
        }
        // Signature, type, TargetNameFields, flags, challenge: 32 bytes at least.
        if msg.len() < 32 {
            return Err(NtlmError::TooShort { len: msg.len() });
        }
        if &msg[..8] != SIGNATURE {
            return Err(NtlmError::BadSignature);
        }
        let r = Reader(msg);
        let message_type = r.u32(8).unwrap_or(0);
        if message_type != 2 {
            return Err(NtlmError::NotAChallenge { message_type });
        }
        let flags = r.u32(20).unwrap_or(0);
        let mut server_challenge = [0u8; 8];
        server_challenge.copy_from_slice(&msg[24..32]);
        // The fields are meaningful only with NTLMSSP_NEGOTIATE_TARGET_INFO (old servers
        // send 32-byte challenges without them, and Squid's ntlm_fake_auth puts its
        // domain name where they would be).
        let target_info = if flags & flags::TARGET_INFO != 0 {
            r.field(40, "target information")?.to_vec()
        } else {
            Vec::new()
        };
        let timestamp = av_timestamp(&target_info)?;
        Ok(Self {
            flags,
            server_challenge,
            target_info,
            timestamp,
        })
    }
}

/// Walks the AV pairs (id u16, len u16, value) to MsvAvEOL and returns MsvAvTimestamp.
fn av_timestamp(info: &[u8]) -> Result<Option<u64>, NtlmError> {
    let r = Reader(info);
    let (mut at, mut found) = (0usize, None);
    for _ in 0..MAX_AV_PAIRS {
        if at == info.len() {
            return Ok(found);
        }
        let (Some(id), Some(len)) = (r.u16(at), r.u16(at + 2)) else {
            return Err(NtlmError::BadTargetInfo("truncated AV pair"));
        };
        let value = info
            .get(at + 4..at + 4 + usize::from(len))
            .ok_or(NtlmError::BadTargetInfo("AV pair longer than the field"))?;
        match id {
            AV_EOL => return Ok(found),
            AV_TIMESTAMP => {
                let b: [u8; 8] = value
                    .try_into()
                    .map_err(|_| NtlmError::BadTargetInfo("timestamp is not 8 bytes"))?;
                found = Some(u64::from_le_bytes(b));
            }
            _ => {}
        }
        at += 4 + usize::from(len);
    }
    Err(NtlmError::BadTargetInfo("too many AV pairs"))
}

/// Who answers: `domain` may be empty (a user name alone, or a UPN `user@realm`).
pub struct Identity<'a> {
    pub domain: &'a str,
    pub user: &'a str,
    pub password: &'a str,
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let Ok(mut mac) = <Hmac<Md5> as Mac>::new_from_slice(key) else {
        return [0; 16];
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// NTOWFv2 (MS-NLMP 3.3.2): HMAC-MD5 keyed with MD4(UTF-16LE(password)) over
/// UTF-16LE(UPPERCASE(user) ‖ domain).
pub fn ntowf_v2(id: &Identity<'_>) -> [u8; 16] {
    let nt_hash: [u8; 16] = Md4::digest(utf16le(id.password)).into();
    let who = utf16le(&format!("{}{}", id.user.to_uppercase(), id.domain));
    hmac_md5(&nt_hash, &[&who])
}

/// The two NTLMv2 responses (MS-NLMP 3.3.2): (LmChallengeResponse,
/// NtChallengeResponse). `time` is in 100 ns ticks since 1601; the server's
/// MsvAvTimestamp wins over it, and then the LM response is zeros (as the
/// specification asks).
pub fn responses(
    c: &Challenge,
    id: &Identity<'_>,
    client_challenge: [u8; 8],
    time: u64,
) -> (Vec<u8>, Vec<u8>) {
    let key = ntowf_v2(id);
    let mut temp = vec![1, 1, 0, 0, 0, 0, 0, 0];
    temp.extend_from_slice(&c.timestamp.unwrap_or(time).to_le_bytes());
    temp.extend_from_slice(&client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(&c.target_info);
    temp.extend_from_slice(&[0; 4]);
    let proof = hmac_md5(&key, &[&c.server_challenge, &temp]);
    let mut nt = proof.to_vec();
    nt.extend_from_slice(&temp);
    let lm = match c.timestamp {
        Some(_) => vec![0; 24],
        None => {
            let mut lm = hmac_md5(&key, &[&c.server_challenge, &client_challenge]).to_vec();
            lm.extend_from_slice(&client_challenge);
            lm
        }
    };
    (lm, nt)
}

/// The AUTHENTICATE_MESSAGE (MS-NLMP 2.2.1.3) answering `c`, without a MIC, a
/// version or a session key. Names are UTF-16LE when the server agreed to Unicode,
/// else 8-bit (non-ASCII characters as `?`).
pub fn authenticate(
    c: &Challenge,
    id: &Identity<'_>,
    workstation: &str,
    client_challenge: [u8; 8],
    time: u64,
) -> Vec<u8> {
    let (lm, nt) = responses(c, id, client_challenge, time);
    let unicode = c.flags & flags::UNICODE != 0;
    let text = |s: &str| match unicode {
        true => utf16le(s),
        false => s
            .chars()
            .map(|ch| u8::try_from(ch).ok().filter(u8::is_ascii).unwrap_or(b'?'))
            .collect(),
    };
    let charset = if unicode { flags::UNICODE } else { flags::OEM };
    let flags = (c.flags & OFFERED & !(flags::UNICODE | flags::OEM)) | charset;
    let payload = [
        lm,
        nt,
        text(id.domain),
        text(id.user),
        text(workstation),
        Vec::new(), // EncryptedRandomSessionKey: none
    ];
    const HEADER: usize = 64;
    let mut m = Vec::with_capacity(HEADER + payload.iter().map(Vec::len).sum::<usize>());
    m.extend_from_slice(SIGNATURE);
    m.extend_from_slice(&3u32.to_le_bytes());
    let mut offset = HEADER;
    for field in &payload {
        // Each field is bounded by the credential limits (255 bytes) or the challenge
        // (MAX_CHALLENGE): all fit a u16.
        let len = u16::try_from(field.len()).unwrap_or(u16::MAX);
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&len.to_le_bytes());
        m.extend_from_slice(&(offset as u32).to_le_bytes());
        offset += field.len();
    }
    m.extend_from_slice(&flags.to_le_bytes());
    for field in &payload {
        m.extend_from_slice(field);
    }
    m
}

/// The current time in NTLM's unit: 100 ns ticks since 1601-01-01.
pub fn now() -> u64 {
    const EPOCH_DIFF: u64 = 11_644_473_600;
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (unix.as_secs() + EPOCH_DIFF) * 10_000_000 + u64::from(unix.subsec_nanos() / 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// MS-NLMP 4.2.4: the NTLMv2 example (User/Domain/Password, server "Server").
    const CHALLENGE_4_2_4: &str = "4e544c4d53535000 02000000 0c000c00 38000000 33828ae2 \
        0123456789abcdef 0000000000000000 24002400 44000000 060070170000000f \
        530065007200760065007200 \
        02000c00 44006f006d00610069006e00 01000c00 530065007200760065007200 00000000";

    fn vector() -> (Challenge, Identity<'static>) {
        let msg = hex(CHALLENGE_4_2_4);
        let c = Challenge::parse(&msg).expect("the specification's challenge");
        let id = Identity {
            domain: "Domain",
            user: "User",
            password: "Password",
        };
        (c, id)
    }

    #[test]
    fn specification_vectors() {
        let (c, id) = vector();
        assert_eq!(
            c.server_challenge,
            [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
        );
        assert_eq!(c.flags, 0xe28a_8233);
        assert_eq!(c.timestamp, None);
        assert_eq!(
            c.target_info,
            hex("02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000")
        );
        assert_eq!(
            ntowf_v2(&id).to_vec(),
            hex("0c868a403bfd7a93a3001ef22ef02e3f")
        );
        let (lm, nt) = responses(&c, &id, [0xaa; 8], 0);
        assert_eq!(lm, hex("86c35097ac9cec102554764a57cccc19 aaaaaaaaaaaaaaaa"));
        assert_eq!(nt[..16].to_vec(), hex("68cd0ab851e51c96aabc927bebef6a1c"));
    }

    #[test]
    fn authenticate_message_layout() {
        let (c, id) = vector();
        let m = authenticate(&c, &id, "COMPUTER", [0xaa; 8], 0);
        assert_eq!(&m[..12], b"NTLMSSP\0\x03\0\0\0");
        let r = Reader(&m);
        assert_eq!(r.field(28, "domain").unwrap(), utf16le("Domain"));
        assert_eq!(r.field(36, "user").unwrap(), utf16le("User"));
        assert_eq!(r.field(44, "workstation").unwrap(), utf16le("COMPUTER"));
        assert_eq!(
            r.field(20, "nt").unwrap().len(),
            16 + 28 + c.target_info.len() + 4
        );
        let f = r.u32(60).unwrap();
        assert_eq!(f & flags::UNICODE, flags::UNICODE);
        assert_eq!(f & 0x4000_0000, 0, "no key exchange asked");
    }

    #[test]
    fn negotiate_message() {
        let m = negotiate();
        assert_eq!(m.len(), 32);
        assert_eq!(&m[..12], b"NTLMSSP\0\x01\0\0\0");
    }

    #[test]
    fn server_timestamp_is_used() {
        let (mut c, id) = vector();
        c.target_info = hex("0700 0800 0102030405060708 0000 0000");
        c.timestamp = av_timestamp(&c.target_info).unwrap();
        assert_eq!(c.timestamp, Some(0x0807_0605_0403_0201));
        let (lm, nt) = responses(&c, &id, [0xaa; 8], 42);
        assert_eq!(lm, vec![0; 24]);
        assert_eq!(nt[24..32], 0x0807_0605_0403_0201u64.to_le_bytes());
    }

    #[test]
    fn hostile_challenges_are_named() {
        let good = hex(CHALLENGE_4_2_4);
        assert_eq!(
            Challenge::parse(&good[..20]),
            Err(NtlmError::TooShort { len: 20 })
        );
        let mut bad = good.clone();
        bad[0] = b'X';
        assert_eq!(Challenge::parse(&bad), Err(NtlmError::BadSignature));
        let mut t1 = good.clone();
        t1[8] = 1;
        assert_eq!(
            Challenge::parse(&t1),
            Err(NtlmError::NotAChallenge { message_type: 1 })
        );
        let mut far = good.clone();
        far[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            Challenge::parse(&far),
            Err(NtlmError::FieldOutOfBounds {
                field: "target information"
            })
        );
        let mut av = good.clone();
        let n = av.len();
        av[n - 2] = 9; // the EOL pair claims 9 bytes
        assert!(matches!(
            Challenge::parse(&av),
            Err(NtlmError::BadTargetInfo(_))
        ));
        assert!(matches!(
            Challenge::parse(&vec![0; MAX_CHALLENGE + 1]),
            Err(NtlmError::TooLong { .. })
        ));
        // A 32-byte challenge without target information is still answered.
        let mut short = good[..32].to_vec();
        short[22] &= !0x80; // no NTLMSSP_NEGOTIATE_TARGET_INFO
        assert!(Challenge::parse(&short).unwrap().target_info.is_empty());
        // With the flag, the fields must be there.
        assert!(matches!(
            Challenge::parse(&good[..32]),
            Err(NtlmError::FieldOutOfBounds { .. })
        ));
    }

    /// What Squid's `ntlm_fake_auth` sends: no TARGET_INFO flag, its domain name right
    /// after the challenge where the target information fields would be.
    #[test]
    fn squid_fake_challenge() {
        let msg = crate::proxy::base64_decode(
            "TlRMTVNTUAACAAAACQAJAK6qqqoHggiIBI57/MVNdcIAAAAAAAA6AFdPUktHUk9VUA==",
        )
        .unwrap();
        let c = Challenge::parse(&msg).unwrap();
        assert!(c.target_info.is_empty());
        assert_eq!(
            c.server_challenge,
            [0x04, 0x8e, 0x7b, 0xfc, 0xc5, 0x4d, 0x75, 0xc2]
        );
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Any bytes: a challenge or a named error, never a panic.
        #[test]
        fn arbitrary_challenges_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Challenge::parse(&bytes);
        }

        /// A valid header with arbitrary fields and payload: bounded, never a panic, and
        /// an answer can always be built from what parses.
        #[test]
        fn challenge_shaped_bytes_never_panic(
            flags: u32,
            info_len: u16,
            info_offset: u32,
            payload in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let mut m = SIGNATURE.to_vec();
            m.extend_from_slice(&2u32.to_le_bytes());
            m.extend_from_slice(&[0; 8]);
            m.extend_from_slice(&flags.to_le_bytes());
            m.extend_from_slice(&[7; 8]);
            m.extend_from_slice(&[0; 8]);
            m.extend_from_slice(&info_len.to_le_bytes());
            m.extend_from_slice(&info_len.to_le_bytes());
            m.extend_from_slice(&info_offset.to_le_bytes());
            m.extend_from_slice(&payload);
            if let Ok(c) = Challenge::parse(&m) {
                prop_assert!(c.target_info.len() <= MAX_CHALLENGE);
                let id = Identity { domain: "D", user: "u", password: "p" };
                let out = authenticate(&c, &id, "", [1; 8], 0);
                prop_assert!(out.len() < 2 * MAX_CHALLENGE);
            }
        }
    }
}
