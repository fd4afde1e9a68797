//! The TLS versions a user can ask about, and ranges of them.

use std::fmt;
use std::str::FromStr;

use crate::wire::enums::ProtocolVersion;

/// A TLS version the scanner probes. Ordered oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 4] = [Self::Tls10, Self::Tls11, Self::Tls12, Self::Tls13];

    /// The version a ServerHello names, when it is one of these.
    pub fn from_wire(v: ProtocolVersion) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.wire() == v)
    }

    /// The code point a hello offering exactly this version carries.
    pub fn wire(self) -> ProtocolVersion {
        match self {
            Self::Tls10 => ProtocolVersion::TLS10,
            Self::Tls11 => ProtocolVersion::TLS11,
            Self::Tls12 => ProtocolVersion::TLS12,
            Self::Tls13 => ProtocolVersion::TLS13,
        }
    }

    /// "1.0" … "1.3", the spelling of `--tls-min` / `--tls-max`.
    pub fn number(self) -> &'static str {
        match self {
            Self::Tls10 => "1.0",
            Self::Tls11 => "1.1",
            Self::Tls12 => "1.2",
            Self::Tls13 => "1.3",
        }
    }

    /// Column / key name in CSV and JSON: `tls1_0` … `tls1_3`.
    pub fn key(self) -> &'static str {
        match self {
            Self::Tls10 => "tls1_0",
            Self::Tls11 => "tls1_1",
            Self::Tls12 => "tls1_2",
            Self::Tls13 => "tls1_3",
        }
    }

    /// TLS 1.0 and 1.1: the versions Microsoft 365 retired.
    pub fn is_legacy(self) -> bool {
        self < Self::Tls12
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TLS {}", self.number())
    }
}

impl FromStr for TlsVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        let t = t
            .strip_prefix("tls")
            .unwrap_or(&t)
            .trim_start_matches([' ', 'v']);
        match t {
            "1.0" | "1" | "10" | "1_0" => Ok(Self::Tls10),
            "1.1" | "11" | "1_1" => Ok(Self::Tls11),
            "1.2" | "12" | "1_2" => Ok(Self::Tls12),
            "1.3" | "13" | "1_3" => Ok(Self::Tls13),
            _ => Err(format!(
                "unknown TLS version '{s}' (expected one of 1.0, 1.1, 1.2, 1.3)"
            )),
        }
    }
}

/// An inclusive range of versions, never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionRange {
    min: TlsVersion,
    max: TlsVersion,
}

impl VersionRange {
    pub fn new(min: TlsVersion, max: TlsVersion) -> Result<Self, String> {
        if min > max {
            return Err(format!(
                "--tls-min {} is above --tls-max {}",
                min.number(),
                max.number()
            ));
        }
        Ok(Self { min, max })
    }

    pub fn all() -> Self {
        Self {
            min: TlsVersion::Tls10,
            max: TlsVersion::Tls13,
        }
    }

    pub fn contains(self, v: TlsVersion) -> bool {
        self.min <= v && v <= self.max
    }

    pub fn iter(self) -> impl Iterator<Item = TlsVersion> {
        TlsVersion::ALL
            .into_iter()
            .filter(move |v| self.contains(*v))
    }

    pub fn min(self) -> TlsVersion {
        self.min
    }

    pub fn max(self) -> TlsVersion {
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spellings() {
        assert_eq!("1.0".parse::<TlsVersion>(), Ok(TlsVersion::Tls10));
        assert_eq!("TLS1.3".parse::<TlsVersion>(), Ok(TlsVersion::Tls13));
        assert_eq!("tlsv1.2".parse::<TlsVersion>(), Ok(TlsVersion::Tls12));
        assert!("1.4".parse::<TlsVersion>().is_err());
        assert!("".parse::<TlsVersion>().is_err());
    }

    #[test]
    fn range_rejects_inverted() {
        assert!(VersionRange::new(TlsVersion::Tls13, TlsVersion::Tls12).is_err());
        let r = VersionRange::new(TlsVersion::Tls11, TlsVersion::Tls12).unwrap();
        assert_eq!(
            r.iter().collect::<Vec<_>>(),
            [TlsVersion::Tls11, TlsVersion::Tls12]
        );
    }
}
