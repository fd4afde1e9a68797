//! Interception signals and the verdict drawn from them.
//!
//! An endpoint is intercepted when the chain it presents is not the one the real
//! service would present. Each signal carries its evidence (issuer, fingerprints):
//!
//! 1. `locally-trusted-only`: the chain verifies against the local roots (system store,
//!    `--ca-file`) but not the public ones — a locally installed inspection CA.
//! 2. `unexpected-issuer`: the leaf's issuer matches none of the endpoint's expected
//!    issuer patterns from the endpoint list.
//! 3. `proxy-resigns`: through `--proxy`, the leaf differs from every leaf seen directly
//!    (`--compare-direct`).
//! 4. `legacy-where-refused`: a host documented to refuse TLS 1.0/1.1 accepts it: TLS is
//!    terminated by something else. A signal only.
//! 5. `impersonates-issuer`: the issuing CA sent carries an expected name but is not
//!    one of the documented certificates (`issuer_thumbprints`), and the public roots
//!    in use (webpki-roots, or `--roots`) do not vouch for it — a proxy CA named after
//!    Microsoft's. Pins yield to verification: an issuing CA that verifies against
//!    the public anchors is genuine whatever its thumbprint, and an expired or
//!    wrong-name leaf below it is `cert-invalid` only
//!    ([`crate::trust::TrustVerdict::issued_publicly`]).
//!
//! And one that argues against interception: `root-store-difference`, a chain that
//! verifies only locally but whose issuing CA *is* a documented certificate (a root
//! Mozilla distrusts and the OS still trusts, such as DigiCert Global Root CA after
//! April 2026). It replaces (1) and is reported as a note.
//!
//! Verdict: intercepted when (1), (3) or (5) holds, or (2) holds for a CA-issued chain
//! whose issuer the public roots do not vouch for — what an inspection proxy
//! re-signing with its own CA shows.
//! An unexpected issuer under the public roots (the chain verifies, or only the leaf
//! itself is expired or misnamed) is a signal without a verdict (the service may have
//! changed CAs), and so is a self-signed leaf (a misconfigured server
//! or a captive portal; reported as `cert-invalid: self-signed`).

use serde::{Deserialize, Serialize};

use crate::cert::CertSummary;
use crate::endpoints::{Endpoint, Inspection, LegacyTls, glob_match};
use crate::trust::TrustVerdict;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalKind {
    LocallyTrustedOnly,
    UnexpectedIssuer,
    ProxyResigns,
    LegacyWhereRefused,
    ImpersonatesIssuer,
    RootStoreDifference,
}

impl SignalKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::LocallyTrustedOnly => "locally-trusted-only",
            Self::UnexpectedIssuer => "unexpected-issuer",
            Self::ProxyResigns => "proxy-resigns",
            Self::LegacyWhereRefused => "legacy-where-refused",
            Self::ImpersonatesIssuer => "impersonates-issuer",
            Self::RootStoreDifference => "root-store-difference",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub detail: String,
    pub issuer_cn: Option<String>,
    /// SHA-256 of the leaf seen, then (for `proxy-resigns`) of the leaves seen directly.
    pub fingerprints: Vec<String>,
}

/// What the signals are computed from.
pub struct Evidence<'a> {
    pub chain: &'a [CertSummary],
    pub trust: Option<&'a TrustVerdict>,
    pub endpoint: Option<&'a Endpoint>,
    pub legacy_accepted: bool,
    /// Leaf fingerprints seen on the direct path, when it was scanned for comparison.
    pub direct_leaves: Option<&'a [String]>,
}

pub fn signals(e: &Evidence<'_>) -> Vec<Signal> {
    let mut out = Vec::new();
    let leaf = e.chain.first();
    let issuer = leaf.map(|l| l.issuer_cn.clone().unwrap_or_else(|| l.issuer.clone()));
    let fp: Vec<String> = leaf.map(|l| vec![l.sha256.clone()]).unwrap_or_default();
    let signal = |kind, detail: String, fingerprints: Vec<String>| Signal {
        kind,
        detail,
        issuer_cn: issuer.clone(),
        fingerprints,
    };
    let thumbprints: &[String] = e.endpoint.map_or(&[], |ep| &ep.issuer_thumbprints[..]);
    // The issuing CA as sent: the certificate after the leaf, when it is the leaf's issuer.
    let issuing = leaf.and_then(|l| e.chain.get(1).filter(|c| c.subject == l.issuer));
    let documented = issuing.filter(|c| thumbprints.contains(&c.sha1));
    // Issued under the public anchors in use, whatever is wrong with the leaf itself.
    let issued_publicly = e.trust.is_some_and(|t| t.issued_publicly);
    if let Some(t) = e.trust
        && t.public.is_err()
        && matches!(t.local, Some(Ok(())))
    {
        let who = issuer.clone().unwrap_or_default();
        out.push(match documented {
            Some(ca) => signal(
                SignalKind::RootStoreDifference,
                format!(
                    "chain by '{who}', a documented issuing CA (SHA-1 {}), is trusted by the local \
                     roots but not the public ones: a root store difference, not interception",
                    ca.sha1
                ),
                fp.clone(),
            ),
            None => signal(
                SignalKind::LocallyTrustedOnly,
                format!("chain by '{who}' is trusted only by local roots, not public ones"),
                fp.clone(),
            ),
        });
    }
    if let (Some(ep), Some(ca), Some(who)) = (e.endpoint, issuing, &issuer)
        && !thumbprints.is_empty()
        && documented.is_none()
        && !issued_publicly
        && ep.expected_issuers.iter().any(|p| glob_match(p, who))
    {
        out.push(signal(
            SignalKind::ImpersonatesIssuer,
            format!(
                "impersonates {who}: the issuing CA sent carries that name but is another \
                 certificate (SHA-1 {})",
                ca.sha1
            ),
            fp.clone(),
        ));
    }
    if let (Some(ep), Some(who)) = (e.endpoint, &issuer)
        && !ep.expected_issuers.is_empty()
        && !ep.expected_issuers.iter().any(|p| glob_match(p, who))
    {
        out.push(signal(
            SignalKind::UnexpectedIssuer,
            format!(
                "issuer '{who}' is not among the expected issuers of {}",
                ep.host
            ),
            fp.clone(),
        ));
    }
    if let (Some(direct), Some(l)) = (e.direct_leaves, leaf)
        && !direct.is_empty()
        && !direct.contains(&l.sha256)
    {
        let mut all = fp.clone();
        all.extend(direct.iter().cloned());
        out.push(signal(
            SignalKind::ProxyResigns,
            "the leaf seen through the proxy differs from the one seen directly".into(),
            all,
        ));
    }
    if e.legacy_accepted
        && e.endpoint
            .is_some_and(|ep| ep.legacy_tls == LegacyTls::Refused)
    {
        out.push(signal(
            SignalKind::LegacyWhereRefused,
            "TLS 1.0/1.1 accepted by a host documented to refuse them: TLS is terminated on the way"
                .into(),
            fp,
        ));
    }
    out
}

/// The verdict; see the module doc.
pub fn is_intercepted(
    signals: &[Signal],
    trust: Option<&TrustVerdict>,
    chain: &[CertSummary],
) -> bool {
    let issued_publicly = trust.is_some_and(|t| t.issued_publicly);
    let self_signed = matches!(chain, [leaf] if leaf.self_issued);
    signals.iter().any(|s| match s.kind {
        SignalKind::LocallyTrustedOnly
        | SignalKind::ProxyResigns
        | SignalKind::ImpersonatesIssuer => true,
        SignalKind::UnexpectedIssuer => !issued_publicly && !self_signed,
        SignalKind::LegacyWhereRefused | SignalKind::RootStoreDifference => false,
    })
}

/// What interception of this endpoint means, by the inspection policy in the list.
pub fn policy_note(endpoint: Option<&Endpoint>) -> &'static str {
    if endpoint
        .is_some_and(|e| e.category == crate::endpoints::Category::Unlisted && e.sources.is_empty())
    {
        return "not in the endpoint list but under a Microsoft domain: no inspection guidance is documented for it";
    }
    match endpoint.map(|e| e.inspection) {
        Some(Inspection::Never) => {
            "breaks device authentication: Microsoft requires this host to bypass TLS inspection"
        }
        Some(Inspection::TenantRestrictions) => {
            "may be deliberate (Entra tenant restrictions); otherwise Microsoft asks to bypass inspection"
        }
        Some(Inspection::Bypass) => {
            "Microsoft asks Optimize/Allow endpoints to bypass TLS inspection"
        }
        Some(Inspection::Allowed) => "Default-category endpoint: inspection is tolerated",
        None => "endpoint not in the list: no inspection policy known",
    }
}
