//! The trust stage: verifies a captured chain against the public roots and against the
//! locally trusted roots, and says exactly why when it does not verify.
//!
//! Two verdicts per chain, because interception shows up as the difference between
//! them: an inspection proxy's CA is installed in the system store (or handed over with
//! `--ca-file`), so its chains verify locally but not publicly.
//!
//! - *public*: webpki-roots compiled in, or the `--roots` files instead (private PKI,
//!   air-gapped networks, labs);
//! - *local*: the system store plus every `--ca-file`.
//!
//! Verification is memoised (see [`cache`]): each distinct (chain, server name) is
//! verified once per scan, and each signature once per process, shared by both stores.

pub mod cache;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, RootCertStore};

use crate::cert::CertSummary;
use crate::target::Host;

/// Why a chain does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustError {
    Expired,
    NotYetValid,
    NameMismatch,
    /// The top of the chain sent is issued by a CA the store does not hold.
    UnknownIssuer {
        issuer: String,
    },
    /// Only the leaf was sent and its issuer is not a trusted root: the server omits
    /// its intermediate (clients without AIA fetching fail).
    IncompleteChain {
        issuer: String,
    },
    SelfSigned,
    BadSignature,
    NoCertificate,
    Other(String),
}

impl TrustError {
    /// The chain reached a trusted root and the certificate failed on its own terms
    /// (its name, its validity period): with `--ca-file` this is the admin's own CA
    /// saying what is wrong, which a report shows rather than the public store's
    /// "unknown issuer".
    pub fn reached_anchor(&self) -> bool {
        matches!(self, Self::Expired | Self::NotYetValid | Self::NameMismatch)
    }
}

/// Why a record's certificate is untrusted, from its two verdicts as reports keep them
/// (`trust_public_detail`, `trust_local_detail`): the local store's reason when its
/// chain reached a local root (`--ca-file`, the system store) and failed on the
/// certificate itself, else the public store's.
pub fn untrusted_reason<'a>(public: Option<&'a str>, local: Option<&'a str>) -> Option<&'a str> {
    let anchored = [
        TrustError::Expired,
        TrustError::NotYetValid,
        TrustError::NameMismatch,
    ];
    match local {
        Some(l) if anchored.iter().any(|e| e.to_string() == l) => Some(l),
        _ => public,
    }
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expired => f.write_str("expired"),
            Self::NotYetValid => f.write_str("not yet valid"),
            Self::NameMismatch => f.write_str("name mismatch"),
            Self::UnknownIssuer { issuer } => write!(f, "unknown issuer '{issuer}'"),
            Self::IncompleteChain { issuer } => {
                write!(
                    f,
                    "incomplete chain or unknown issuer: '{issuer}' neither sent nor trusted"
                )
            }
            Self::SelfSigned => f.write_str("self-signed"),
            Self::BadSignature => f.write_str("bad signature"),
            Self::NoCertificate => f.write_str("no certificate"),
            Self::Other(e) => f.write_str(e),
        }
    }
}

/// Where roots come from: plain data from the command line.
#[derive(Clone, Debug, Default)]
pub struct TrustSettings {
    /// Replace webpki-roots with these PEM files.
    pub roots: Vec<PathBuf>,
    /// Extra locally trusted CAs, PEM.
    pub ca_files: Vec<PathBuf>,
    /// Include the operating system's store in the local roots.
    pub system_store: bool,
}

/// Both verdicts on one chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustVerdict {
    pub public: Result<(), TrustError>,
    /// `None` when there are no local roots at all (no system store, no `--ca-file`).
    pub local: Option<Result<(), TrustError>>,
    /// The leaf was issued under the public anchors in use (webpki-roots, or `--roots`):
    /// its issuer chain verifies there, whatever is wrong with the leaf itself (its
    /// validity period, its name). True whenever `public` is `Ok`. An issuing CA that
    /// passes this is genuine for the anchors in use, whatever its thumbprint
    /// (DESIGN.md "Interception"): an expired or wrong-name leaf below it is a
    /// certificate problem, not an interception.
    pub issued_publicly: bool,
}

/// Whole verdicts kept at once. A name's addresses are scanned together, so the memo
/// only needs to span the targets in flight (the pipeline's window is 256); a verdict
/// is a few short strings, so 1,024 of them stay around 200 KiB, and a longer list
/// keeps memory flat (see [`cache`]).
const VERDICTS: usize = 1024;

/// Verifiers built once per scan.
#[derive(Clone)]
pub struct TrustStores {
    public: Arc<WebPkiServerVerifier>,
    /// The public anchors again, for [`issued_under`]: the verifier keeps its own copy
    /// private.
    public_roots: Arc<RootCertStore>,
    /// `None` when no local root exists at all (no system store, no `--ca-file`).
    local: Option<Arc<WebPkiServerVerifier>>,
    /// Verdicts by (chain, server name); `None` when built [`Self::without_cache`].
    verdicts: Option<Arc<cache::Memo<TrustVerdict>>>,
}

impl TrustStores {
    /// Stores that remember: every verdict and every signature is computed once.
    pub fn new(settings: &TrustSettings) -> Result<Self, String> {
        Self::build(settings, true)
    }

    /// Stores that verify everything every time: the reference the memoised stores are
    /// tested against, and what the benches measure as the uncached cost.
    pub fn without_cache(settings: &TrustSettings) -> Result<Self, String> {
        Self::build(settings, false)
    }

    fn build(settings: &TrustSettings, remember: bool) -> Result<Self, String> {
        let mut public = RootCertStore::empty();
        if settings.roots.is_empty() {
            public.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for path in &settings.roots {
            add_pem(&mut public, path, "--roots")?;
        }
        let mut local = RootCertStore::empty();
        if settings.system_store {
            // An unreadable system store leaves local trust to --ca-file; the system
            // store is context, not a requirement.
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = local.add(cert);
            }
        }
        for path in &settings.ca_files {
            add_pem(&mut local, path, "--ca-file")?;
        }
        let local = if local.is_empty() {
            None
        } else {
            Some(verifier(local, remember)?)
        };
        let public_roots = Arc::new(public.clone());
        Ok(Self {
            public: verifier(public, remember)?,
            public_roots,
            local,
            verdicts: remember.then(|| Arc::new(cache::Memo::new(VERDICTS))),
        })
    }

    /// Verifies `chain` (DER, leaf first) for `host`.
    pub fn verify(
        &self,
        chain: &[Vec<u8>],
        summaries: &[CertSummary],
        host: &Host,
    ) -> TrustVerdict {
        let Some(memo) = &self.verdicts else {
            return self.verify_now(chain, summaries, host);
        };
        // The summaries are parsed from `chain`, so chain and name determine the verdict.
        let name = match host {
            Host::Name(n) => format!("name {n}"),
            Host::Ip(ip) => format!("ip {ip}"),
        };
        let parts = std::iter::once(name.as_bytes()).chain(chain.iter().map(Vec::as_slice));
        let key = cache::key(parts);
        if let Some(verdict) = memo.get(&key) {
            return verdict;
        }
        let verdict = self.verify_now(chain, summaries, host);
        memo.insert(key, verdict.clone());
        verdict
    }

    fn verify_now(
        &self,
        chain: &[Vec<u8>],
        summaries: &[CertSummary],
        host: &Host,
    ) -> TrustVerdict {
        let public = check(&self.public, chain, summaries, host);
        let local = self
            .local
            .as_ref()
            .map(|v| check(v, chain, summaries, host));
        let issued_publicly = match &public {
            Ok(()) => true,
            // Only a problem of the leaf itself leaves its issuer in question; any other
            // failure (unknown issuer, bad signature, …) is a failure of the chain.
            Err(TrustError::Expired | TrustError::NotYetValid | TrustError::NameMismatch) => {
                issued_under(&self.public_roots, chain, summaries)
            }
            Err(_) => false,
        };
        TrustVerdict {
            public,
            local,
            issued_publicly,
        }
    }
}

/// A verifier for `roots`; with `remember`, its signature checks go through the
/// process-wide signature memo.
fn verifier(roots: RootCertStore, remember: bool) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut provider = crate::crypto::provider();
    if remember {
        provider.signature_verification_algorithms = cache::remembering();
    }
    let provider = Arc::new(provider);
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("root store unusable: {e}"))
}

/// True when the leaf's issuer chain verifies against `roots` at a moment inside the
/// leaf's own validity period (now, when the leaf is valid now), without regard to the
/// server name: what is left is whether a CA under these anchors issued the leaf.
fn issued_under(roots: &RootCertStore, chain: &[Vec<u8>], summaries: &[CertSummary]) -> bool {
    let Some((leaf, rest)) = chain.split_first() else {
        return false;
    };
    let leaf = CertificateDer::from(leaf.as_slice());
    let Ok(parsed) = rustls::server::ParsedCertificate::try_from(&leaf) else {
        return false;
    };
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let now = UnixTime::now().as_secs();
    let at = match summaries.first() {
        Some(s) => {
            let (from, until) = (
                u64::try_from(s.not_before_unix).unwrap_or(0),
                u64::try_from(s.not_after_unix).unwrap_or(0),
            );
            now.clamp(from.min(until), until.max(from))
        }
        None => now,
    };
    let algs = crate::crypto::provider()
        .signature_verification_algorithms
        .all;
    rustls::client::verify_server_cert_signed_by_trust_anchor(
        &parsed,
        roots,
        &intermediates,
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(at)),
        algs,
    )
    .is_ok()
}

/// Largest PEM file read for `--roots` / `--ca-file` (a full public root store is
/// about 250 KB).
const MAX_PEM: u64 = 16 << 20;

fn add_pem(store: &mut RootCertStore, path: &PathBuf, flag: &str) -> Result<(), String> {
    let label = format!("{flag} {}", path.display());
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{label}: {e}"))?
        .len();
    if size > MAX_PEM {
        return Err(format!(
            "{label}: {size} bytes, more than a PEM file of CAs holds"
        ));
    }
    let pem = std::fs::read(path).map_err(|e| format!("{label}: {e}"))?;
    for (n, cert) in pem_certificates(&pem, &label)?.into_iter().enumerate() {
        store
            .add(cert)
            .map_err(|e| format!("{label}: certificate {}: {e}", n + 1))?;
    }
    Ok(())
}

/// The certificates of a PEM file (`label` names it in errors); at least one.
pub fn pem_certificates(pem: &[u8], label: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{label}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{label}: no PEM certificate found"));
    }
    Ok(certs)
}

fn check(
    verifier: &WebPkiServerVerifier,
    chain: &[Vec<u8>],
    summaries: &[CertSummary],
    host: &Host,
) -> Result<(), TrustError> {
    let Some((leaf, rest)) = chain.split_first() else {
        return Err(TrustError::NoCertificate);
    };
    let name = match host {
        Host::Name(n) => ServerName::try_from(n.clone())
            .map_err(|e| TrustError::Other(format!("invalid name: {e}")))?,
        Host::Ip(ip) => ServerName::IpAddress((*ip).into()),
    };
    let leaf = CertificateDer::from(leaf.as_slice());
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    match verifier.verify_server_cert(&leaf, &intermediates, &name, &[], UnixTime::now()) {
        Ok(_) => Ok(()),
        Err(rustls::Error::InvalidCertificate(e)) => Err(classify(e, summaries)),
        Err(e) => Err(TrustError::Other(e.to_string())),
    }
}

fn classify(e: CertificateError, summaries: &[CertSummary]) -> TrustError {
    // A lone self-issued certificate that is not a trusted root: whatever webpki's
    // path building tripped over first (unknown issuer, or "CA used as end entity"
    // for the usual `openssl req -x509` output), the problem is that it is self-signed.
    let lone_self_issued = matches!(summaries, [leaf] if leaf.self_issued);
    match e {
        CertificateError::UnknownIssuer | CertificateError::Other(_) if lone_self_issued => {
            TrustError::SelfSigned
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => TrustError::Expired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            TrustError::NotYetValid
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            TrustError::NameMismatch
        }
        CertificateError::BadSignature => TrustError::BadSignature,
        CertificateError::UnknownIssuer => unknown_issuer(summaries),
        other => TrustError::Other(webpki_words(&format!("{other:?}"))),
    }
}

/// Plain words for the webpki errors a scan meets that have no variant of their own.
fn webpki_words(debug: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        (
            "CaUsedAsEndEntity",
            "a CA certificate is used as the server certificate",
        ),
        ("EndEntityUsedAsCa", "a server certificate is used as a CA"),
        ("Revoked", "revoked"),
        (
            "UnsupportedSignatureAlgorithm",
            "unsupported signature algorithm",
        ),
        ("UnhandledCriticalExtension", "unhandled critical extension"),
        ("BadEncoding", "malformed certificate"),
    ];
    WORDS
        .iter()
        .find(|(key, _)| debug.contains(key))
        .map_or_else(|| debug.to_string(), |(_, words)| words.to_string())
}

/// Tells apart a self-signed leaf, a server that sent only its leaf (incomplete chain:
/// public CAs never issue leaves straight from a root, so a lone leaf whose issuer is
/// not trusted is almost always a missing intermediate), and an untrusted CA.
fn unknown_issuer(summaries: &[CertSummary]) -> TrustError {
    let issuer_of = |c: &CertSummary| c.issuer_cn.clone().unwrap_or_else(|| c.issuer.clone());
    match summaries {
        [leaf] if leaf.self_issued => TrustError::SelfSigned,
        [leaf] => TrustError::IncompleteChain {
            issuer: issuer_of(leaf),
        },
        [.., top] => TrustError::UnknownIssuer {
            issuer: issuer_of(top),
        },
        [] => TrustError::NoCertificate,
    }
}
