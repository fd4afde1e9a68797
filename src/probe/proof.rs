//! Proof of acceptance (DESIGN.md): a ServerHello is a claim, not a handshake.
//!
//! [`judge_claim`] checks that the claim is consistent with the hello we sent (the
//! offered version, an offered suite, null compression, a TLS 1.3 suite and key share
//! for TLS 1.3) and, for TLS ≤ 1.2 with (EC)DHE, that the ServerKeyExchange signature
//! verifies with the leaf's key over *our* client random — which also proves that the
//! chain shown belongs to the server (a box replaying someone else's flight cannot
//! sign our random). What cannot be proven here (static RSA, TLS 1.3, whose proof is a
//! completed rustls handshake) is `Unproven`, with the reason. A flight that stops
//! short (closed, stalled past the deadline, too long, broken) is `Failed`: the server
//! proved nothing and a real client fails there too; so is a leaf key larger than any
//! client accepts (`cert::CLIENT_MAX_RSA_BITS`).

use std::fmt;

use md5::{Digest, Md5};
use ring::digest;
use serde::{Deserialize, Serialize};
use x509_parser::public_key::PublicKey;

use crate::version::TlsVersion;
use crate::wire::enums::{Authentication, CipherSuite, KeyExchange, NamedGroup, ProtocolVersion};
use crate::wire::hello::{HelloVariant, cipher_suites, groups};
use crate::wire::reply::{FlightEnd, ServerHello};
use crate::wire::ske::read_server_key_exchange;

/// How far an acceptance is proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "detail", rename_all = "kebab-case")]
pub enum Proof {
    /// Proven, and how ("ServerKeyExchange signature (ecdsa_sha1) verified").
    Verified(String),
    /// Consistent, but nothing the server sent can prove it, and why.
    Unproven(String),
    /// The claim is inconsistent or disproven, and why: not an acceptance.
    Failed(String),
}

impl Proof {
    pub fn state(&self) -> &'static str {
        match self {
            Self::Verified(_) => "verified",
            Self::Unproven(_) => "unproven",
            Self::Failed(_) => "failed",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Self::Verified(d) | Self::Unproven(d) | Self::Failed(d) => d,
        }
    }
}

impl fmt::Display for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.state(), self.detail())
    }
}

/// What our hello offered.
#[derive(Clone, Debug)]
pub struct Offer {
    /// The versions offered: one for a version probe, a range for a client profile.
    pub versions: Vec<TlsVersion>,
    pub suites: Vec<CipherSuite>,
    pub groups: Vec<NamedGroup>,
    /// The groups of the key shares sent (TLS 1.3): one for our probes, any number
    /// for a captured client's hello.
    pub key_shares: Vec<NamedGroup>,
    pub client_random: [u8; 32],
}

impl Offer {
    /// What a raw version probe's hello offers.
    pub fn for_probe(version: TlsVersion, variant: HelloVariant, client_random: [u8; 32]) -> Self {
        Self {
            versions: vec![version],
            suites: cipher_suites(version, variant).collect(),
            groups: groups(variant).to_vec(),
            key_shares: match version {
                TlsVersion::Tls13 => vec![NamedGroup::X25519],
                _ => Vec::new(),
            },
            client_random,
        }
    }

    /// The offered version the server's choice names, if it is one.
    pub fn offered(&self, chosen: ProtocolVersion) -> Option<TlsVersion> {
        self.versions.iter().copied().find(|v| v.wire() == chosen)
    }
}

/// Judges a ServerHello that names one of the offered versions.
pub fn judge_claim(hello: &ServerHello, offer: &Offer) -> Proof {
    let Some(version) = offer.offered(hello.version) else {
        return Proof::Failed(format!(
            "server chose {}, which was not offered",
            hello.version
        ));
    };
    if let Err(why) = consistent(hello, offer, version) {
        return Proof::Failed(why);
    }
    if version == TlsVersion::Tls13 {
        let what = match hello.retry_request {
            true => "HelloRetryRequest",
            false => "TLS 1.3 ServerHello",
        };
        return Proof::Unproven(format!(
            "{what}: the rest of a TLS 1.3 handshake is encrypted, only a completed handshake proves it"
        ));
    }
    prove_flight(hello, offer, version)
}

fn consistent(hello: &ServerHello, offer: &Offer, version: TlsVersion) -> Result<(), String> {
    let cs = hello.cipher;
    if !offer.suites.contains(&cs) || cs == CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV {
        return Err(format!(
            "server chose cipher suite {cs}, which was not offered"
        ));
    }
    if hello.compression != 0 {
        return Err(format!(
            "server chose compression method {}, only null was offered",
            hello.compression
        ));
    }
    let is13 = version == TlsVersion::Tls13;
    if cs.is_tls13() != is13 {
        return Err(format!(
            "{} suite {cs} in a {version} ServerHello",
            suite_era(cs)
        ));
    }
    if is13 {
        match (hello.retry_request, hello.key_share) {
            (_, None) => return Err("TLS 1.3 ServerHello without a key share".into()),
            (true, Some(g)) if !offer.groups.contains(&g) => {
                return Err(format!(
                    "HelloRetryRequest asks for group {g}, which was not offered"
                ));
            }
            (false, Some(g)) if !offer.key_shares.contains(&g) => {
                let sent: Vec<String> = offer.key_shares.iter().map(|k| k.to_string()).collect();
                let sent = match sent.is_empty() {
                    true => "no share was sent".to_string(),
                    false => format!("shares were sent for {} only", sent.join(", ")),
                };
                return Err(format!("key share for group {g}, but {sent}"));
            }
            _ => {}
        }
    }
    Ok(())
}

fn suite_era(cs: CipherSuite) -> &'static str {
    match cs.is_tls13() {
        true => "TLS 1.3",
        false => "pre-1.3",
    }
}

/// TLS ≤ 1.2: the flight after the hello, and the ServerKeyExchange signature.
fn prove_flight(hello: &ServerHello, offer: &Offer, version: TlsVersion) -> Proof {
    let (kx, auth) = hello.cipher.kind();
    // A flight that stops short proves nothing, and a real client stops right there
    // too: a stalled flight is a failed claim, not an unproven one (a slow but genuine
    // server at 1.2 is still found by the rustls handshake, which outranks this).
    let cut_short = |what: &str| match &hello.flight {
        FlightEnd::Stalled => Proof::Failed(format!(
            "ServerHello claimed {version}, then the flight stalled before {what}: \
             no client can finish this handshake"
        )),
        end => Proof::Failed(format!("ServerHello claimed {version}, then {end}")),
    };
    // A key no client accepts: whatever the signature, no client connects.
    if let Some(bits) = hello
        .certificates
        .first()
        .and_then(|c| crate::cert::oversized_rsa_key(c))
    {
        return Proof::Failed(crate::cert::oversized_key_words(bits));
    }
    match kx {
        KeyExchange::Ecdhe | KeyExchange::Dhe => {}
        KeyExchange::Rsa
            if hello.flight == FlightEnd::Complete && !hello.certificates.is_empty() =>
        {
            return Proof::Unproven(
                "static RSA key exchange: the server signs nothing a probe can check".into(),
            );
        }
        KeyExchange::Rsa if hello.flight == FlightEnd::Complete => {
            return Proof::Failed("static RSA suite without a Certificate".into());
        }
        _ => return cut_short("the certificate"),
    }
    let (Some(ske), Some(leaf)) = (&hello.key_exchange, hello.certificates.first()) else {
        return match (&hello.flight, hello.certificates.is_empty()) {
            (FlightEnd::Complete, true) => {
                Proof::Failed("no Certificate for a signed key exchange".into())
            }
            (FlightEnd::Complete, false) => {
                Proof::Failed("no ServerKeyExchange for an (EC)DHE suite".into())
            }
            _ => cut_short("the key exchange"),
        };
    };
    let with_scheme = version == TlsVersion::Tls12;
    let Some(ske) = read_server_key_exchange(ske, kx, with_scheme) else {
        return Proof::Failed("malformed ServerKeyExchange".into());
    };
    let mut signed = Vec::with_capacity(64 + ske.params.len());
    signed.extend_from_slice(&offer.client_random);
    signed.extend_from_slice(&hello.random);
    signed.extend_from_slice(ske.params);
    match verify(leaf, auth, ske.scheme, &signed, ske.signature) {
        Ok(scheme) => Proof::Verified(format!(
            "ServerKeyExchange signature ({scheme}) verified with the leaf's key"
        )),
        Err(SigError::Bad) => Proof::Failed(
            "ServerKeyExchange signature does not verify with the leaf's key: the server does not \
             hold the key of the certificate it shows (a replayed or forged flight)"
                .into(),
        ),
        Err(SigError::Mismatch(why)) => Proof::Failed(why),
        Err(SigError::Unsupported(why)) => {
            Proof::Unproven(format!("cannot check the signature: {why}"))
        }
    }
}

/// Why a signature was not verified.
#[derive(Debug, PartialEq, Eq)]
pub enum SigError {
    /// Checked, and wrong.
    Bad,
    /// The key or scheme contradicts the suite or the certificate.
    Mismatch(String),
    /// A key or scheme this code does not check.
    Unsupported(String),
}

/// The leaf's public key, as the verifiers need it.
enum Key {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
        der: Vec<u8>,
    },
    Ec {
        curve: NamedGroup,
        point: Vec<u8>,
    },
    Ed25519(Vec<u8>),
}

const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_ED25519: &str = "1.3.101.112";
/// id-RSASSA-PSS (RFC 4055): an RSA key restricted to PSS signatures, which TLS 1.2 and
/// 1.3 servers sign with rsa_pss_pss_sha256/384/512 (0x0809–0x080b).
const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";

/// The RSA public key of an rsassaPss SPKI: the subject public key is the same
/// RSAPublicKey (n, e) as under rsaEncryption (RFC 4055 §1.2); only the algorithm
/// identifier (and its optional parameters, which the TLS schemes fix) differ.
fn rsassa_pss_key(raw: &[u8]) -> Result<Key, SigError> {
    use x509_parser::prelude::FromDer;
    let (_, k) = x509_parser::public_key::RSAPublicKey::from_der(raw)
        .map_err(|_| SigError::Unsupported("malformed RSASSA-PSS public key".into()))?;
    Ok(Key::Rsa {
        n: k.modulus.to_vec(),
        e: k.exponent.to_vec(),
        der: raw.to_vec(),
    })
}

fn leaf_key(leaf: &[u8]) -> Result<Key, SigError> {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf)
        .map_err(|_| SigError::Unsupported("the leaf certificate does not parse".into()))?;
    let spki = cert.public_key();
    let raw = spki.subject_public_key.data.to_vec();
    if spki.algorithm.algorithm.to_id_string() == OID_ED25519 {
        return Ok(Key::Ed25519(raw));
    }
    if spki.algorithm.algorithm.to_id_string() == OID_RSASSA_PSS {
        return rsassa_pss_key(&raw);
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(k)) => Ok(Key::Rsa {
            n: k.modulus.to_vec(),
            e: k.exponent.to_vec(),
            der: raw,
        }),
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            let curve = match curve.as_deref() {
                Some(OID_P256) => NamedGroup::SECP256R1,
                Some(OID_P384) => NamedGroup::SECP384R1,
                other => {
                    return Err(SigError::Unsupported(format!(
                        "EC key on curve {}",
                        other.unwrap_or("?")
                    )));
                }
            };
            Ok(Key::Ec { curve, point: raw })
        }
        _ => Err(SigError::Unsupported("leaf key type".into())),
    }
}

#[derive(Clone, Copy, Debug)]
enum Hash {
    Md5Sha1,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        let ring_alg = match self {
            Self::Md5Sha1 => {
                let mut out = Md5::digest(data).to_vec();
                out.extend_from_slice(Self::Sha1.digest(data).as_slice());
                return out;
            }
            Self::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        };
        digest::digest(ring_alg, data).as_ref().to_vec()
    }
}

/// The signature algorithms a ServerKeyExchange may use.
enum Scheme {
    RsaPkcs1(Hash),
    RsaPss(Hash),
    Ecdsa(Hash),
    Ed25519,
}

/// Verifies `sig` over `signed` with the leaf's key; returns the scheme's name.
pub fn verify(
    leaf: &[u8],
    auth: Authentication,
    scheme: Option<u16>,
    signed: &[u8],
    sig: &[u8],
) -> Result<String, SigError> {
    let key = leaf_key(leaf)?;
    let (scheme, name) = match scheme {
        // TLS 1.0/1.1: the key type decides.
        None => match &key {
            Key::Rsa { .. } => (Scheme::RsaPkcs1(Hash::Md5Sha1), "rsa_md5_sha1".to_string()),
            Key::Ec { .. } => (Scheme::Ecdsa(Hash::Sha1), "ecdsa_sha1".to_string()),
            Key::Ed25519(_) => return Err(SigError::Unsupported("Ed25519 before TLS 1.2".into())),
        },
        Some(code) => (scheme_of(code)?, scheme_name(code)),
    };
    let key_kind = match (&key, &scheme) {
        (Key::Rsa { .. }, Scheme::RsaPkcs1(_) | Scheme::RsaPss(_)) => Authentication::Rsa,
        (Key::Ec { .. }, Scheme::Ecdsa(_)) | (Key::Ed25519(_), Scheme::Ed25519) => {
            Authentication::Ecdsa
        }
        _ => {
            return Err(SigError::Mismatch(format!(
                "ServerKeyExchange signed with {name}, which does not fit the leaf's key"
            )));
        }
    };
    if auth != Authentication::Any && auth != key_kind {
        return Err(SigError::Mismatch(format!(
            "the suite needs a {auth:?} certificate, the leaf has another key type"
        )));
    }
    let ok = match (&key, scheme) {
        (Key::Rsa { n, e, der }, Scheme::RsaPkcs1(h)) => rsa_pkcs1(n, e, der, h, signed, sig)?,
        (Key::Rsa { der, .. }, Scheme::RsaPss(h)) => {
            let alg: &dyn ring::signature::VerificationAlgorithm = match h {
                Hash::Sha256 => &ring::signature::RSA_PSS_2048_8192_SHA256,
                Hash::Sha384 => &ring::signature::RSA_PSS_2048_8192_SHA384,
                _ => &ring::signature::RSA_PSS_2048_8192_SHA512,
            };
            ring::signature::UnparsedPublicKey::new(alg, der)
                .verify(signed, sig)
                .is_ok()
        }
        (Key::Ec { curve, point }, Scheme::Ecdsa(h)) => match ring_ecdsa(*curve, h) {
            // ring where it has the (curve, hash) pair: it is the faster verifier.
            Some(alg) => ring::signature::UnparsedPublicKey::new(alg, point)
                .verify(signed, sig)
                .is_ok(),
            None => ecdsa(*curve, h, point, signed, sig)?,
        },
        (Key::Ed25519(k), Scheme::Ed25519) => {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, k)
                .verify(signed, sig)
                .is_ok()
        }
        _ => false,
    };
    match ok {
        true => Ok(name),
        false => Err(SigError::Bad),
    }
}

fn scheme_of(code: u16) -> Result<Scheme, SigError> {
    Ok(match code {
        0x0201 => Scheme::RsaPkcs1(Hash::Sha1),
        0x0401 => Scheme::RsaPkcs1(Hash::Sha256),
        0x0501 => Scheme::RsaPkcs1(Hash::Sha384),
        0x0601 => Scheme::RsaPkcs1(Hash::Sha512),
        0x0804 => Scheme::RsaPss(Hash::Sha256),
        0x0805 => Scheme::RsaPss(Hash::Sha384),
        0x0806 => Scheme::RsaPss(Hash::Sha512),
        // rsa_pss_pss_*: the same signature, by an rsassaPss key.
        0x0809 => Scheme::RsaPss(Hash::Sha256),
        0x080a => Scheme::RsaPss(Hash::Sha384),
        0x080b => Scheme::RsaPss(Hash::Sha512),
        0x0203 => Scheme::Ecdsa(Hash::Sha1),
        0x0403 => Scheme::Ecdsa(Hash::Sha256),
        0x0503 => Scheme::Ecdsa(Hash::Sha384),
        0x0603 => Scheme::Ecdsa(Hash::Sha512),
        0x0807 => Scheme::Ed25519,
        other => {
            return Err(SigError::Unsupported(format!(
                "signature scheme 0x{other:04x}"
            )));
        }
    })
}

fn scheme_name(code: u16) -> String {
    let name = match code {
        0x0201 => "rsa_pkcs1_sha1",
        0x0401 => "rsa_pkcs1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x0203 => "ecdsa_sha1",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0807 => "ed25519",
        other => return format!("0x{other:04x}"),
    };
    name.to_string()
}

/// Largest RSA modulus verified. Verification costs grow with the modulus and the
/// exponent, and a hostile server chooses both (a 4 KiB modulus and exponent cost 22 s a
/// probe with a generic modpow): keys beyond these bounds are not computed on.
const RSA_MAX_BITS: usize = 16_384;
/// Largest public exponent verified. Real keys use 65537 (3 at the very oldest).
const RSA_MAX_EXPONENT: u64 = 1 << 32;
/// Smallest modulus verified, in bytes (512 bits): below it a signature proves nothing.
const RSA_MIN_BYTES: usize = 64;

/// RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2). ring where it has the (size,
/// hash) pair — 2048 to 8192 bits with a DigestInfo, TLS 1.2's schemes: it is the
/// fastest (`benches/signatures.rs`). The rest — the bare MD5+SHA-1 concatenation TLS
/// 1.0/1.1 sign without a DigestInfo, which ring does not verify, and keys outside
/// ring's sizes — goes to RustCrypto `rsa` (0.10: 75 µs for RSA-2048 MD5+SHA-1, key
/// set-up included, where 0.9 took 185 µs; two per address that accepts TLS 1.0 and
/// 1.1 with an RSA certificate). No RSA arithmetic is written here.
///
/// A key over [`RSA_MAX_BITS`] or with an exponent over [`RSA_MAX_EXPONENT`] cannot be
/// checked (`Unsupported`, so the proof is `unproven`, never `verified`), and nothing is
/// computed on it. A malformed key (even modulus or exponent, exponent not below the
/// modulus) or a modulus under 512 bits cannot carry a genuine signature: `Ok(false)`,
/// the proof `failed`, as any bad signature.
fn rsa_pkcs1(
    n: &[u8],
    e: &[u8],
    der: &[u8],
    h: Hash,
    signed: &[u8],
    sig: &[u8],
) -> Result<bool, SigError> {
    let (n, bits) = modulus_bits(n);
    let (e, exponent) = exponent_value(e);
    if bits > RSA_MAX_BITS {
        return Err(SigError::Unsupported(format!(
            "RSA modulus of {bits} bits, over the {RSA_MAX_BITS}-bit limit"
        )));
    }
    if exponent > RSA_MAX_EXPONENT {
        return Err(SigError::Unsupported(
            "RSA public exponent over 2^32".into(),
        ));
    }
    // A real key's exponent is odd and at least 3 (e = 1 would make any message its
    // own signature), its modulus odd and of at least 512 bits.
    if n.len() < RSA_MIN_BYTES || sig.len() != n.len() || exponent < 3 || exponent % 2 == 0 {
        return Ok(false);
    }
    if let Some(alg) = ring_rsa_pkcs1(h, bits) {
        let key = ring::signature::UnparsedPublicKey::new(alg, der);
        return Ok(key.verify(signed, sig).is_ok());
    }
    // Sizes are bounded above; `rsa` refuses an even modulus or an exponent not below it.
    let Ok(key) = rsa::PublicKey::new_with_size_limits(
        rsa::BoxedUint::from_be_slice_vartime(n),
        rsa::BoxedUint::from_be_slice_vartime(e),
        1..=RSA_MAX_BITS,
    ) else {
        return Ok(false);
    };
    Ok(key
        .verify(pkcs1v15_scheme(h), &h.digest(signed), sig)
        .is_ok())
}

/// A modulus without its leading zero bytes, and its size in bits.
fn modulus_bits(n: &[u8]) -> (&[u8], usize) {
    let n = &n[n.iter().position(|b| *b != 0).unwrap_or(n.len())..];
    let bits = (n.len() * 8).saturating_sub(n.first().map_or(0, |b| b.leading_zeros() as usize));
    (n, bits)
}

/// An exponent without its leading zero bytes, and its value (`u64::MAX` when longer
/// than 8 bytes).
fn exponent_value(e: &[u8]) -> (&[u8], u64) {
    let e = &e[e.iter().position(|b| *b != 0).unwrap_or(e.len())..];
    let value = match e.len() {
        0..=8 => e.iter().fold(0u64, |v, b| v << 8 | u64::from(*b)),
        _ => u64::MAX,
    };
    (e, value)
}

/// Largest RSA key checked on the caller's thread by [`cheap_to_verify`]: RSA-4096 with
/// e = 65537 costs well under a millisecond (169 µs with ring on a busy machine).
const INLINE_RSA_BITS: usize = 4096;
const INLINE_RSA_EXPONENT: u64 = 65_537;

/// Whether the ServerKeyExchange signature by `leaf`'s key is cheap enough to check on
/// an async worker: EC and Ed25519 keys (fixed cost), RSA up to [`INLINE_RSA_BITS`]
/// with an exponent up to 65537, and keys nothing is computed on (unparsable,
/// unsupported). The rest — keys a hostile server sizes up to the bounds of
/// [`rsa_pkcs1`] — go to a blocking thread under the probe's deadline (`raw.rs`).
pub fn cheap_to_verify(leaf: &[u8]) -> bool {
    match leaf_key(leaf) {
        Ok(Key::Rsa { n, e, .. }) => {
            modulus_bits(&n).1 <= INLINE_RSA_BITS && exponent_value(&e).1 <= INLINE_RSA_EXPONENT
        }
        Ok(Key::Ec { .. } | Key::Ed25519(_)) | Err(_) => true,
    }
}

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2) for `h`: with the DigestInfo of the hash, except
/// TLS 1.0/1.1's MD5+SHA-1, which is signed bare.
fn pkcs1v15_scheme(h: Hash) -> rsa::Pkcs1v15Sign {
    use rsa::Pkcs1v15Sign;
    match h {
        Hash::Md5Sha1 => Pkcs1v15Sign::new_unprefixed(),
        Hash::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        Hash::Sha256 => Pkcs1v15Sign::new::<rsa::sha2::Sha256>(),
        Hash::Sha384 => Pkcs1v15Sign::new::<rsa::sha2::Sha384>(),
        Hash::Sha512 => Pkcs1v15Sign::new::<rsa::sha2::Sha512>(),
    }
}

/// ring's PKCS#1 v1.5 verifier for `h` at a `bits`-bit modulus, where it has one.
fn ring_rsa_pkcs1(h: Hash, bits: usize) -> Option<&'static ring::signature::RsaParameters> {
    use ring::signature as sig;
    if !(2048..=8192).contains(&bits) {
        return None;
    }
    match h {
        Hash::Md5Sha1 => None,
        Hash::Sha1 => Some(&sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
        Hash::Sha256 => Some(&sig::RSA_PKCS1_2048_8192_SHA256),
        Hash::Sha384 => Some(&sig::RSA_PKCS1_2048_8192_SHA384),
        Hash::Sha512 => Some(&sig::RSA_PKCS1_2048_8192_SHA512),
    }
}

fn ring_ecdsa(
    curve: NamedGroup,
    h: Hash,
) -> Option<&'static ring::signature::EcdsaVerificationAlgorithm> {
    use ring::signature as sig;
    match (curve, h) {
        (NamedGroup::SECP256R1, Hash::Sha256) => Some(&sig::ECDSA_P256_SHA256_ASN1),
        (NamedGroup::SECP256R1, Hash::Sha384) => Some(&sig::ECDSA_P256_SHA384_ASN1),
        (NamedGroup::SECP384R1, Hash::Sha256) => Some(&sig::ECDSA_P384_SHA256_ASN1),
        (NamedGroup::SECP384R1, Hash::Sha384) => Some(&sig::ECDSA_P384_SHA384_ASN1),
        _ => None,
    }
}

/// ECDSA where ring has no verifier for the (curve, hash) pair — TLS 1.0/1.1 and
/// ecdsa_sha1 sign SHA-1, and a server may pair a curve with SHA-512: aws-lc-rs, which
/// verifies P-256 over SHA-1 6.5× faster than RustCrypto `p256` (59 µs against 385 µs,
/// the largest piece of a scan's CPU before). aws-lc-rs has no P-384 + SHA-1 verifier:
/// that hash is given as a SHA-256 digest, left-padded with zeros to 32 bytes — the
/// same integer, which ECDSA uses whole when it is shorter than the curve's order.
fn ecdsa(
    curve: NamedGroup,
    h: Hash,
    point: &[u8],
    signed: &[u8],
    sig: &[u8],
) -> Result<bool, SigError> {
    use aws_lc_rs::signature as aws;
    let (alg, prehash): (&'static aws::EcdsaVerificationAlgorithm, bool) = match (curve, h) {
        (NamedGroup::SECP256R1, Hash::Sha1) => (&aws::ECDSA_P256_SHA1_ASN1, false),
        (NamedGroup::SECP256R1, Hash::Sha256) => (&aws::ECDSA_P256_SHA256_ASN1, false),
        (NamedGroup::SECP256R1, Hash::Sha384) => (&aws::ECDSA_P256_SHA384_ASN1, false),
        (NamedGroup::SECP256R1, Hash::Sha512) => (&aws::ECDSA_P256_SHA512_ASN1, false),
        (NamedGroup::SECP384R1, Hash::Sha1) => (&aws::ECDSA_P384_SHA256_ASN1, true),
        (NamedGroup::SECP384R1, Hash::Sha256) => (&aws::ECDSA_P384_SHA256_ASN1, false),
        (NamedGroup::SECP384R1, Hash::Sha384) => (&aws::ECDSA_P384_SHA384_ASN1, false),
        (NamedGroup::SECP384R1, Hash::Sha512) => (&aws::ECDSA_P384_SHA512_ASN1, false),
        (other, _) => {
            return Err(SigError::Unsupported(format!(
                "ECDSA on {other} with {h:?}"
            )));
        }
    };
    let Ok(key) = aws::UnparsedPublicKey::new(alg, point).parse() else {
        return Err(SigError::Unsupported(format!("malformed {curve} key")));
    };
    if !prehash {
        return Ok(key.verify_sig(signed, sig).is_ok());
    }
    let mut padded = [0u8; 32];
    let hash = h.digest(signed);
    padded[32 - hash.len()..].copy_from_slice(&hash);
    let Ok(digest) =
        aws_lc_rs::digest::Digest::import_less_safe(&padded, &aws_lc_rs::digest::SHA256)
    else {
        return Ok(false);
    };
    Ok(key.verify_digest_sig(&digest, sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::enums::CipherSuite as CS;

    fn hello(cipher: CS) -> ServerHello {
        ServerHello {
            version: ProtocolVersion::TLS12,
            cipher,
            compression: 0,
            random: [2; 32],
            retry_request: false,
            downgrade_sentinel: false,
            key_share: None,
            certificates: Vec::new(),
            key_exchange: None,
            flight: FlightEnd::Complete,
        }
    }

    fn offer(version: TlsVersion) -> Offer {
        Offer::for_probe(version, HelloVariant::Full, [1; 32])
    }

    fn failed(p: Proof) -> String {
        match p {
            Proof::Failed(why) => why,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn inconsistent_claims_fail_with_the_reason() {
        let o = offer(TlsVersion::Tls12);
        assert!(
            failed(judge_claim(&hello(CS(0x1337)), &o)).contains("0x1337, which was not offered")
        );
        let mut h = hello(CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
        h.compression = 1;
        assert!(failed(judge_claim(&h, &o)).contains("compression method 1"));
        let scsv = hello(CS::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        assert!(failed(judge_claim(&scsv, &o)).contains("not offered"));
        let o13 = offer(TlsVersion::Tls13);
        let hello13 = |cs| ServerHello {
            version: ProtocolVersion::TLS13,
            ..hello(cs)
        };
        assert!(
            failed(judge_claim(&hello(CS::TLS13_AES_128_GCM_SHA256), &o13))
                .contains("TLS 1.2, which was not offered")
        );
        let mut h = hello13(CS::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
        h.key_share = Some(NamedGroup::X25519);
        assert!(failed(judge_claim(&h, &o13)).contains("in a TLS 1.3 ServerHello"));
        let h = hello13(CS::TLS13_AES_128_GCM_SHA256);
        assert!(failed(judge_claim(&h, &o13)).contains("without a key share"));
        let mut hrr = hello13(CS::TLS13_AES_128_GCM_SHA256);
        hrr.retry_request = true;
        hrr.key_share = Some(NamedGroup(0x0042));
        assert!(failed(judge_claim(&hrr, &o13)).contains("which was not offered"));
        hrr.key_share = Some(NamedGroup::FFDHE2048);
        assert!(matches!(judge_claim(&hrr, &o13), Proof::Unproven(_)));
    }

    #[test]
    fn a_captured_hello_may_send_several_key_shares() {
        let mut o = offer(TlsVersion::Tls13);
        o.key_shares = vec![NamedGroup::X25519, NamedGroup::SECP256R1];
        let mut h = ServerHello {
            version: ProtocolVersion::TLS13,
            key_share: Some(NamedGroup::SECP256R1),
            ..hello(CS::TLS13_AES_128_GCM_SHA256)
        };
        assert!(matches!(judge_claim(&h, &o), Proof::Unproven(_)));
        h.key_share = Some(NamedGroup::X448);
        assert_eq!(
            failed(judge_claim(&h, &o)),
            "key share for group x448, but shares were sent for x25519, secp256r1 only"
        );
    }

    #[test]
    fn flight_ends_decide_what_cannot_be_proven() {
        let o = offer(TlsVersion::Tls12);
        let mut rsa = hello(CS::TLS_RSA_WITH_AES_128_CBC_SHA);
        rsa.certificates = vec![b"leaf".to_vec()];
        assert!(matches!(judge_claim(&rsa, &o), Proof::Unproven(w) if w.contains("static RSA")));
        let mut ecdhe = hello(CS::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        ecdhe.certificates = vec![b"leaf".to_vec()];
        assert!(failed(judge_claim(&ecdhe, &o)).contains("no ServerKeyExchange"));
        ecdhe.flight = FlightEnd::Closed;
        assert!(failed(judge_claim(&ecdhe, &o)).contains("then connection closed"));
        ecdhe.flight = FlightEnd::Stalled;
        assert!(failed(judge_claim(&ecdhe, &o)).contains("stalled before the key exchange"));
        ecdhe.flight = FlightEnd::TooLong(131_072);
        assert!(failed(judge_claim(&ecdhe, &o)).contains("131072 bytes"));
    }

    #[test]
    fn rsa_pkcs1_signatures_verify_by_hand() {
        let pem = include_str!("../../benches/data/rsa2048.pkcs8.pem");
        let key = rcgen::KeyPair::from_pem(pem).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.example".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let ring_key = ring::signature::RsaKeyPair::from_pkcs8(&key.serialize_der()).unwrap();
        let msg = b"client random, server random, params";
        let mut sig = vec![0; ring_key.public().modulus_len()];
        let rng = ring::rand::SystemRandom::new();
        ring_key
            .sign(&ring::signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
            .unwrap();
        let ok = verify(cert.der(), Authentication::Rsa, Some(0x0401), msg, &sig);
        assert_eq!(ok, Ok("rsa_pkcs1_sha256".to_string()));
        assert_eq!(
            verify(
                cert.der(),
                Authentication::Rsa,
                Some(0x0401),
                b"another message",
                &sig
            ),
            Err(SigError::Bad)
        );
        // An RSA key cannot carry an ECDSA suite.
        assert!(matches!(
            verify(cert.der(), Authentication::Ecdsa, Some(0x0401), msg, &sig),
            Err(SigError::Mismatch(_))
        ));
    }

    /// Issue 23: a server choosing a huge modulus or exponent gets `unproven` at once,
    /// never a modpow on them (a 40 KiB modulus and exponent took minutes).
    #[test]
    fn oversized_rsa_keys_are_unverifiable_and_fast() {
        let start = std::time::Instant::now();
        let huge = vec![0xff; 40 * 1024];
        let over = vec![0xff; RSA_MAX_BITS / 8 + 1];
        let just_over = {
            let mut n = vec![0u8; RSA_MAX_BITS / 8 + 1];
            n[0] = 1; // 16,385 bits
            n
        };
        let e65537 = [1, 0, 1];
        for (n, e, why) in [
            (&huge, &huge[..], "modulus"),
            (&over, &e65537[..], "modulus"),
            (&just_over, &e65537[..], "16385 bits"),
            (&vec![0xff; 256], &huge[..], "exponent"),
            (&vec![0xff; 256], &[1, 0, 0, 0, 1][..], "exponent"),
        ] {
            let sig = vec![0x01; n.len()];
            match rsa_pkcs1(n, e, n, Hash::Md5Sha1, b"params", &sig) {
                Err(SigError::Unsupported(m)) => assert!(m.contains(why), "{m}"),
                other => panic!("{why}: expected unsupported, got {other:?}"),
            }
        }
        // At the bounds the key is computed on, and still fast: a 16,384-bit modulus with
        // the exponent 2^32 - 1 is checked (and this made-up signature fails).
        let n = vec![0xff; RSA_MAX_BITS / 8];
        let sig = vec![0x01; n.len()];
        let e = [0xff; 4];
        assert_eq!(
            rsa_pkcs1(&n, &e, &n, Hash::Md5Sha1, b"params", &sig),
            Ok(false)
        );
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn small_and_malformed_rsa_keys_fail_as_before() {
        let check = |n: &[u8], sig: &[u8]| rsa_pkcs1(n, &[3], n, Hash::Sha256, b"params", sig);
        // Under 512 bits; an even modulus; a signature of the wrong length.
        assert_eq!(check(&[0xff; 63], &[1; 63]), Ok(false));
        let mut even = vec![0xff; 128];
        even[127] = 0xfe;
        assert_eq!(check(&even, &[1; 128]), Ok(false));
        assert_eq!(check(&[0xff; 128], &[1; 127]), Ok(false));
    }

    /// The path ring does not take: TLS 1.0/1.1's MD5+SHA-1 without a DigestInfo, and
    /// DigestInfos at a size ring does not take (1024 bits), signed by the `rsa` crate
    /// and checked through `rsa_pkcs1`'s bounds and scheme choice.
    #[test]
    fn rsa_pkcs1_unprefixed_and_small_keys_verify() {
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::traits::PublicKeyParts;
        let msg = b"client random, server random, params";
        for pem in [
            include_str!("../../benches/data/rsa1024.pkcs8.pem"),
            include_str!("../../benches/data/rsa2048.pkcs8.pem"),
        ] {
            let key = rsa::PrivateKey::from_pkcs8_pem(pem).unwrap();
            let n = key.n().as_ref().to_be_bytes_trimmed_vartime();
            let e = key.e().to_be_bytes_trimmed_vartime();
            let schemes = [
                (Hash::Md5Sha1, rsa::Pkcs1v15Sign::new_unprefixed()),
                (Hash::Sha1, rsa::Pkcs1v15Sign::new::<sha1::Sha1>()),
                (Hash::Sha256, rsa::Pkcs1v15Sign::new::<rsa::sha2::Sha256>()),
                (Hash::Sha384, rsa::Pkcs1v15Sign::new::<rsa::sha2::Sha384>()),
                (Hash::Sha512, rsa::Pkcs1v15Sign::new::<rsa::sha2::Sha512>()),
            ];
            for (h, scheme) in schemes {
                let sig = key.sign(scheme, &h.digest(msg)).unwrap();
                // The 2048-bit key goes to ring except for MD5+SHA-1; the DER is not
                // needed on the `rsa` path.
                let der = &[][..];
                if n.len() == 128 || matches!(h, Hash::Md5Sha1) {
                    assert_eq!(rsa_pkcs1(&n, &e, der, h, msg, &sig), Ok(true), "{h:?}");
                    assert_eq!(rsa_pkcs1(&n, &e, der, h, b"other", &sig), Ok(false));
                    let mut flipped = sig.clone();
                    flipped[40] ^= 1;
                    assert_eq!(rsa_pkcs1(&n, &e, der, h, msg, &flipped), Ok(false));
                }
            }
            // Signed without the DigestInfo, checked with one: not the same signature.
            let bare = key
                .sign(
                    rsa::Pkcs1v15Sign::new_unprefixed(),
                    &Hash::Sha256.digest(msg),
                )
                .unwrap();
            let h = match n.len() {
                128 => Hash::Sha256,
                _ => Hash::Md5Sha1,
            };
            assert_eq!(rsa_pkcs1(&n, &e, &[], h, msg, &bare), Ok(false));
        }
    }

    /// e = 1 makes every encoded message its own signature, and an even exponent is no
    /// RSA key: neither proves anything.
    #[test]
    fn degenerate_rsa_exponents_prove_nothing() {
        let n = {
            let mut n = vec![0xc5u8; 256];
            n[255] = 0x01;
            n
        };
        let msg = b"params";
        let mut em = vec![0x00, 0x01];
        em.resize(256 - 36 - 1, 0xff);
        em.push(0x00);
        em.extend_from_slice(&Hash::Md5Sha1.digest(msg));
        assert_eq!(rsa_pkcs1(&n, &[1], &[], Hash::Md5Sha1, msg, &em), Ok(false));
        assert_eq!(rsa_pkcs1(&n, &[4], &[], Hash::Md5Sha1, msg, &em), Ok(false));
        // A signature not below the modulus is out of range.
        assert_eq!(rsa_pkcs1(&n, &[3], &[], Hash::Md5Sha1, msg, &n), Ok(false));
    }

    /// A leaf whose RSAPublicKey is `n`, `e` (made up: nothing is signed by it), issued
    /// by a throwaway P-256 CA.
    fn leaf_with_rsa_key(n: &[u8], e: &[u8]) -> Vec<u8> {
        struct Raw(Vec<u8>);
        impl rcgen::PublicKeyData for Raw {
            fn der_bytes(&self) -> &[u8] {
                &self.0
            }
            fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
                &rcgen::PKCS_RSA_SHA256
            }
        }
        // DER: a length under 128 in one byte, else 0x82 and two bytes.
        let tlv = |tag: u8, body: &[u8]| {
            let mut out = vec![tag];
            match body.len() {
                len @ 0..128 => out.push(len as u8),
                len => {
                    out.push(0x82);
                    out.extend_from_slice(&(len as u16).to_be_bytes());
                }
            }
            out.extend_from_slice(body);
            out
        };
        let unsigned = |v: &[u8]| {
            let mut body = if v[0] & 0x80 != 0 { vec![0] } else { vec![] };
            body.extend_from_slice(v);
            tlv(0x02, &body)
        };
        let mut seq = unsigned(n);
        seq.extend(unsigned(e));
        let key = tlv(0x30, &seq);
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let ca = rcgen::Issuer::new(rcgen::CertificateParams::default(), ca_key);
        rcgen::CertificateParams::new(vec!["a.example".into()])
            .unwrap()
            .signed_by(&Raw(key), &ca)
            .unwrap()
            .der()
            .to_vec()
    }

    /// Checks that may cost more than a millisecond (RSA over 4096 bits or with a large
    /// exponent) leave the async worker; the usual keys are checked in place.
    #[test]
    fn only_costly_keys_are_checked_off_the_worker() {
        let ec = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let ec_leaf = rcgen::CertificateParams::new(vec!["a.example".into()])
            .unwrap()
            .self_signed(&ec)
            .unwrap();
        assert!(cheap_to_verify(ec_leaf.der()));
        let f4 = [1, 0, 1];
        assert!(cheap_to_verify(&leaf_with_rsa_key(&[0xc1; 256], &f4)));
        assert!(cheap_to_verify(&leaf_with_rsa_key(&[0xc1; 512], &f4)));
        assert!(!cheap_to_verify(&leaf_with_rsa_key(&[0xc1; 513], &f4)));
        assert!(!cheap_to_verify(&leaf_with_rsa_key(&[0xc1; 1024], &f4)));
        assert!(!cheap_to_verify(&leaf_with_rsa_key(
            &[0xc1; 256],
            &[1, 0, 0, 1]
        )));
        // Nothing is computed on what does not parse.
        assert!(cheap_to_verify(b"not a certificate"));
    }

    /// ECDSA pairs ring does not verify (SHA-1 before TLS 1.2, SHA-512 on P-256,
    /// SHA-1 on P-384 through the zero-padded SHA-256 digest), signed over the prehash
    /// by RustCrypto (an independent implementation) and checked by aws-lc-rs.
    #[test]
    fn ecdsa_pairs_ring_lacks_verify() {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let msg = b"tls 1.0 key exchange";
        let p256_key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let p256_point = p256_key.verifying_key().to_encoded_point(false);
        let p384_key = p384::ecdsa::SigningKey::from_slice(&[9u8; 48]).unwrap();
        let p384_point = p384_key.verifying_key().to_encoded_point(false);
        for h in [Hash::Sha1, Hash::Sha512] {
            let hash = h.digest(msg);
            // RustCrypto wants a prehash at least half the field: pad as the verifier does.
            let pad = |size: usize| {
                let mut v = vec![0u8; size.saturating_sub(hash.len())];
                v.extend(&hash);
                v
            };
            let sig: p256::ecdsa::Signature = p256_key.sign_prehash(&pad(32)).unwrap();
            let der = sig.to_der();
            let point = p256_point.as_bytes();
            let check = |m: &[u8]| ecdsa(NamedGroup::SECP256R1, h, point, m, der.as_bytes());
            assert_eq!(check(msg), Ok(true), "P-256 {h:?}");
            assert_eq!(check(b"other"), Ok(false));
            let sig: p384::ecdsa::Signature = p384_key.sign_prehash(&pad(48)).unwrap();
            let der = sig.to_der();
            let point = p384_point.as_bytes();
            let check = |m: &[u8]| ecdsa(NamedGroup::SECP384R1, h, point, m, der.as_bytes());
            assert_eq!(check(msg), Ok(true), "P-384 {h:?}");
            assert_eq!(check(b"other"), Ok(false));
        }
        let malformed = ecdsa(NamedGroup::SECP256R1, Hash::Sha1, &[4; 65], msg, &[0x30, 0]);
        assert!(
            matches!(malformed, Err(SigError::Unsupported(_))),
            "{malformed:?}"
        );
    }
}
