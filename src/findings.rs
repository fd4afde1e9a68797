//! Findings: the named problems a record can carry, which `--fail-on` selects.
//!
//! Each finding is computed from a record's probe data by its own small rule here, so
//! adding a finding kind does not touch the probes or the reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::proxy::answer::{Refusal, RefusalKind};

/// The finding kinds of DESIGN.md, by their CLI/JSON names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// The name did not resolve.
    Dns,
    /// No TCP connection to the address.
    Unreachable,
    /// Neither TLS 1.2 nor TLS 1.3 accepted.
    NoModernTls,
    /// TLS 1.0 or 1.1 accepted.
    LegacyAccepted,
    /// The chain does not verify against any trusted root: expired, not yet valid,
    /// wrong name, self-signed, incomplete chain, unknown issuer, bad signature.
    CertInvalid,
    /// The chain is not the one the real service presents (see `intercept.rs`).
    Intercepted,
    /// A version was claimed (a ServerHello) but no handshake at it completes, or the
    /// claim is inconsistent or disproven (see `probe/proof.rs`).
    HandshakeFailed,
    /// This machine has no route to the address's family (most often IPv6); not a
    /// failure of the endpoint unless every address of the host is like this.
    NoRoute,
    /// Changed since the `--baseline` report (see `baseline.rs`); not in the default
    /// `--fail-on`.
    Drift,
    /// A client profile given to `--clients` cannot connect (see `checks/clients.rs`).
    ClientIncompatible,
    /// The proxy demands authentication (407, or a SOCKS5 proxy that wants a
    /// password): Office licensing, running as SYSTEM, cannot answer it.
    ProxyAuthRequired,
    /// The proxy refused the tunnel (403 and every other 4xx but 407; a 5xx is the proxy failing).
    ProxyDenied,
    /// The proxy redirected the tunnel (3xx), typically to a login portal.
    ProxyRedirect,
    /// A mail server's plain-text dialogue before TLS failed: it refused STARTTLS, does
    /// not offer it, is not the protocol it was told, or said nothing in time (see
    /// `mail.rs`). No TLS starts there, so no version was probed.
    Starttls,
}

impl FindingKind {
    pub const ALL: [FindingKind; 14] = [
        Self::Dns,
        Self::Unreachable,
        Self::NoModernTls,
        Self::LegacyAccepted,
        Self::CertInvalid,
        Self::Intercepted,
        Self::HandshakeFailed,
        Self::NoRoute,
        Self::Drift,
        Self::ClientIncompatible,
        Self::ProxyAuthRequired,
        Self::ProxyDenied,
        Self::ProxyRedirect,
        Self::Starttls,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Unreachable => "unreachable",
            Self::NoModernTls => "no-modern-tls",
            Self::LegacyAccepted => "legacy-accepted",
            Self::CertInvalid => "cert-invalid",
            Self::Intercepted => "intercepted",
            Self::HandshakeFailed => "handshake-failed",
            Self::NoRoute => "no-route",
            Self::Drift => "drift",
            Self::ClientIncompatible => "client-incompatible",
            Self::ProxyAuthRequired => "proxy-auth-required",
            Self::ProxyDenied => "proxy-denied",
            Self::ProxyRedirect => "proxy-redirect",
            Self::Starttls => "starttls",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FindingKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == s.trim())
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown finding '{s}' (expected one of: {}, or none)",
                    names.join(", ")
                )
            })
    }
}

/// The finding a proxy's refusal is, with its evidence (status line, offered schemes,
/// `Server`, `Location`, kept exact: sinks escape them) and what it means for Office.
pub fn proxy_refusal(r: &Refusal) -> Finding {
    let (kind, advice) = match r.kind {
        RefusalKind::AuthRequired => (
            FindingKind::ProxyAuthRequired,
            "Office licensing runs as SYSTEM through WinHTTP's machine proxy and cannot answer \
             a proxy challenge: let this host pass the proxy unauthenticated, or bypass the proxy",
        ),
        RefusalKind::Redirect => (
            FindingKind::ProxyRedirect,
            "a redirect (a login portal) cannot be followed by Office licensing, which runs as \
             SYSTEM: exempt this host from the portal, or bypass the proxy",
        ),
        RefusalKind::Denied => (
            FindingKind::ProxyDenied,
            "the proxy's policy blocks this host: Microsoft 365 activation fails here",
        ),
    };
    // WinHTTP, which Office licensing uses, speaks no SOCKS at all.
    let advice = match r.code {
        Some(_) => advice,
        None => {
            "WinHTTP (Office licensing, as SYSTEM) cannot use a SOCKS proxy at all: this \
                 says only whether this path is open"
        }
    };
    let detail = match r.code {
        Some(_) => format!(
            "proxy {} answered CONNECT with {}{}",
            r.proxy,
            r.status,
            r.extras()
        ),
        None => r.to_string(),
    };
    Finding {
        kind,
        detail: format!("{detail}: {advice}"),
    }
}

/// One finding with the evidence for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{} ({})", self.kind, self.detail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in FindingKind::ALL {
            assert_eq!(k.name().parse::<FindingKind>(), Ok(k));
        }
        assert!("intercept".parse::<FindingKind>().is_err());
    }
}
