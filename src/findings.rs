//! Findings: the named problems a record can carry, which `--fail-on` selects.
//!
//! Each finding is computed from a record's probe data by its own small rule here, so
//! adding a finding kind does not touch the probes or the reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
    /// A mail server's plain-text dialogue before TLS failed: it refused STARTTLS, does
    /// not offer it, is not the protocol it was told, or said nothing in time (see
    /// `mail.rs`). No TLS starts there, so no version was probed.
    Starttls,
}

impl FindingKind {
    pub const ALL: [FindingKind; 11] = [
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
