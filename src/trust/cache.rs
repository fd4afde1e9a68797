//! Memoised chain verification, so that a scan pays for each distinct chain once.
//!
//! A Microsoft 365 scan sees the same few chains on hundreds of addresses, and every
//! chain is checked twice (public and local roots). Verifying the leaf's signature by a
//! P-384 issuing CA dominated a whole scan's CPU time (issue 11: 52 % of it, with
//! ring), although the answer never changes. Two memos remove the repeats:
//!
//! - [`remembering`] wraps the provider's signature algorithms: each (algorithm, key,
//!   message, signature) is verified once per process and the answer reused by every
//!   store and every server name — the public and local stores share it, so a chain
//!   checked against both costs one set of signature checks;
//! - [`Memo`] holds whole verdicts per (chain, server name) in [`super::TrustStores`],
//!   which skips path building and name checks when one name is seen on several
//!   addresses.
//!
//! Keys are SHA-256 digests of every input, length-prefixed: an answer is reused only
//! for exactly the same bytes (a forged signature cannot borrow a genuine one's
//! verdict without a SHA-256 collision). Both memos are bounded and are cleared
//! wholesale when full: a scan's working set is a handful of chains, and a list with
//! more distinct chains than the bound costs at most one extra verification per chain
//! after each clearing, with memory flat however long the list.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

use ring::digest::{Context, SHA256};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::SignatureVerificationAlgorithm;
use rustls::pki_types::{AlgorithmIdentifier, FipsStatus, InvalidSignature};

/// A SHA-256 digest of length-prefixed parts.
pub type Key = [u8; 32];

/// Digests `parts`, each prefixed with its length so that parts cannot run into each
/// other.
pub fn key<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Key {
    let mut ctx = Context::new(&SHA256);
    for part in parts {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// A bounded map from digests to answers, shared between threads.
pub struct Memo<V> {
    map: Mutex<HashMap<Key, V>>,
    cap: usize,
}

impl<V: Clone> Memo<V> {
    pub fn new(cap: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            cap: cap.max(1),
        }
    }

    /// Every operation is a single get or insert, so a panic elsewhere while the lock
    /// was held cannot leave the map inconsistent: poisoning is ignored.
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, V>> {
        match self.map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn get(&self, key: &Key) -> Option<V> {
        self.lock().get(key).cloned()
    }

    pub fn insert(&self, key: Key, value: V) {
        let mut map = self.lock();
        if map.len() >= self.cap && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, value);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Signature answers kept at once (a key and a flag each: about 1.5 MiB when full).
const SIGNATURES: usize = 16 * 1024;

/// The process's signature memo: one per process because the algorithms handed to
/// webpki must be `'static`.
fn signature_memo() -> &'static Memo<bool> {
    static MEMO: OnceLock<Memo<bool>> = OnceLock::new();
    MEMO.get_or_init(|| Memo::new(SIGNATURES))
}

/// One of the provider's algorithms, answering repeated questions from the memo.
#[derive(Debug)]
struct Remembering {
    inner: &'static dyn SignatureVerificationAlgorithm,
    /// The algorithm's place in the provider's list: part of every key, so that two
    /// algorithms never share an answer.
    index: u8,
}

impl SignatureVerificationAlgorithm for Remembering {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let k = key([&[self.index][..], public_key, message, signature]);
        let memo = signature_memo();
        if let Some(valid) = memo.get(&k) {
            return if valid { Ok(()) } else { Err(InvalidSignature) };
        }
        let answer = self.inner.verify_signature(public_key, message, signature);
        memo.insert(k, answer.is_ok());
        answer
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.signature_alg_id()
    }

    fn fips_status(&self) -> FipsStatus {
        self.inner.fips_status()
    }

    fn fips(&self) -> bool {
        self.inner.fips()
    }
}

/// The crate provider's chain-verification algorithms, each answering from the
/// process-wide signature memo. Built once; the few wrappers live for the process.
pub fn remembering() -> WebPkiSupportedAlgorithms {
    static ALGS: OnceLock<WebPkiSupportedAlgorithms> = OnceLock::new();
    *ALGS.get_or_init(|| wrap(crate::crypto::provider().signature_verification_algorithms))
}

fn wrap(plain: WebPkiSupportedAlgorithms) -> WebPkiSupportedAlgorithms {
    let wrapped: Vec<&'static dyn SignatureVerificationAlgorithm> = plain
        .all
        .iter()
        .enumerate()
        .map(|(i, inner)| {
            let alg: &'static Remembering = Box::leak(Box::new(Remembering {
                inner: *inner,
                index: u8::try_from(i).unwrap_or(u8::MAX),
            }));
            alg as &'static dyn SignatureVerificationAlgorithm
        })
        .collect();
    // The TLS scheme mapping (used for handshake signatures, which never repeat) points
    // at the same wrappers, matched by identity with the plain list.
    let same = |a: &&'static dyn SignatureVerificationAlgorithm| {
        plain
            .all
            .iter()
            .position(|b| std::ptr::addr_eq(*a as *const _, *b as *const _))
            .map_or(*a, |i| wrapped[i])
    };
    let mapping: Vec<_> = plain
        .mapping
        .iter()
        .map(|(scheme, algs)| {
            let algs: Vec<_> = algs.iter().map(same).collect();
            (*scheme, &*Box::leak(algs.into_boxed_slice()))
        })
        .collect();
    WebPkiSupportedAlgorithms {
        all: Box::leak(wrapped.into_boxed_slice()),
        mapping: Box::leak(mapping.into_boxed_slice()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_parts() {
        assert_ne!(key([&b"ab"[..], b"c"]), key([&b"a"[..], b"bc"]));
        assert_eq!(key([&b"ab"[..], b"c"]), key([&b"ab"[..], b"c"]));
    }

    #[test]
    fn memo_is_bounded() {
        let memo = Memo::new(3);
        for i in 0u8..10 {
            memo.insert(key([&[i][..]]), i);
            assert!(memo.len() <= 3);
        }
        assert_eq!(memo.get(&key([&[9u8][..]])), Some(9));
    }

    #[test]
    fn wrappers_mirror_the_provider() {
        let plain = crate::crypto::provider().signature_verification_algorithms;
        let ours = remembering();
        assert_eq!(plain.all.len(), ours.all.len());
        assert_eq!(plain.supported_schemes(), ours.supported_schemes());
        for (a, b) in plain.all.iter().zip(ours.all) {
            assert_eq!(a.public_key_alg_id(), b.public_key_alg_id());
            assert_eq!(a.signature_alg_id(), b.signature_alg_id());
        }
    }
}
