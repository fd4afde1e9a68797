//! Scan targets as the user writes them: `HOST`, `HOST:PORT`, `IP`, `[IPv6]:PORT`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

pub const DEFAULT_PORT: u16 = 443;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// A DNS name, lowercase, without trailing dot. Sent as SNI.
    Name(String),
    /// An IP literal: connected to directly, no SNI (RFC 6066 §3).
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(n) => f.write_str(n),
            Self::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

impl Host {
    pub fn server_name(&self) -> Option<&str> {
        match self {
            Self::Name(n) => Some(n),
            Self::Ip(_) => None,
        }
    }

    /// Parses a host name or IP literal (IPv6 without brackets).
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        validate_name(s).map(Self::Name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub host: Host,
    pub port: u16,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            h => write!(f, "{h}:{}", self.port),
        }
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty target".into());
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (ip, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("target '{s}': missing ']' after IPv6 address"))?;
            let ip: std::net::Ipv6Addr = ip
                .parse()
                .map_err(|_| format!("target '{s}': '{ip}' is not an IPv6 address"))?;
            let port = match after {
                "" => DEFAULT_PORT,
                p => parse_port(
                    s,
                    p.strip_prefix(':')
                        .ok_or_else(|| format!("target '{s}': expected ':PORT' after ']'"))?,
                )?,
            };
            return Ok(Self {
                host: Host::Ip(IpAddr::V6(ip)),
                port,
            });
        }
        // More than one colon and no brackets: a bare IPv6 literal.
        if s.matches(':').count() > 1 {
            let ip = s.parse::<IpAddr>().map_err(|_| {
                format!("target '{s}': not an IPv6 address (write [IPv6]:PORT to give a port)")
            })?;
            return Ok(Self {
                host: Host::Ip(ip),
                port: DEFAULT_PORT,
            });
        }
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) => (h, parse_port(s, p)?),
            None => (s, DEFAULT_PORT),
        };
        let host = Host::parse(host).map_err(|e| format!("target '{s}': {e}"))?;
        Ok(Self { host, port })
    }
}

fn parse_port(target: &str, p: &str) -> Result<u16, String> {
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!(
            "target '{target}': invalid port '{p}' (expected 1-65535)"
        )),
        Ok(n) => Ok(n),
    }
}

/// Checks RFC 1123 host name syntax (underscores tolerated, as real DNS has them) and
/// returns the lowercase name without a trailing dot.
pub fn validate_name(s: &str) -> Result<String, String> {
    let name = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
    if name.is_empty() {
        return Err("empty host name".into());
    }
    if name.len() > 253 {
        return Err(format!("host name longer than 253 characters: '{s}'"));
    }
    for label in name.split('.') {
        let ok_chars = label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if label.is_empty()
            || label.len() > 63
            || !ok_chars
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!("invalid host name '{s}'"));
        }
    }
    refuse_numeric(s, &name)?;
    Ok(name)
}

/// Refuses names whose last label is a number (`127.1`, `0x7f000001`, `2130706482`,
/// `0177.0.0.1`, `1.2.3.04`): no top-level domain is numeric, and C libraries, browsers
/// and proxies read such strings as IPv4 addresses in shorthand, octal or hex
/// (`inet_aton`), so the scan would silently reach a different host than DNS would. The
/// error says which address other software would take it for.
fn refuse_numeric(given: &str, name: &str) -> Result<(), String> {
    let last = name.rsplit('.').next().unwrap_or(name);
    let hex = last
        .strip_prefix("0x")
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    if !(hex || last.bytes().all(|b| b.is_ascii_digit())) {
        return Ok(());
    }
    let hint = match inet_aton(name) {
        Some(ip) => format!("other software reads it as {ip}; write {ip} to scan that address"),
        None => "write IPv4 addresses as four decimal numbers (a.b.c.d)".to_string(),
    };
    Err(format!(
        "host '{given}' looks like a numeric address, not a name: {hint}"
    ))
}

/// The IPv4 address `inet_aton(3)` makes of `s`: 1 to 4 parts, each decimal, octal
/// (leading `0`) or hex (`0x`); the last part fills the remaining bytes.
pub fn inet_aton(s: &str) -> Option<std::net::Ipv4Addr> {
    let parts: Vec<u64> = s
        .split('.')
        .map(|p| {
            let (digits, radix) = match p.strip_prefix("0x").or(p.strip_prefix("0X")) {
                Some(h) => (h, 16),
                None if p.len() > 1 && p.starts_with('0') => (&p[1..], 8),
                None => (p, 10),
            };
            match digits {
                "" if radix == 16 => Some(0),
                d => u64::from_str_radix(d, radix).ok(),
            }
        })
        .collect::<Option<_>>()?;
    let (last, head) = parts.split_last()?;
    if parts.len() > 4 || head.iter().any(|p| *p > 255) {
        return None;
    }
    let room = 8 * (4 - head.len() as u32);
    if room < 64 && *last >= 1u64 << room {
        return None;
    }
    let value = head
        .iter()
        .enumerate()
        .fold(*last, |v, (i, p)| v | p << (24 - 8 * i as u32));
    u32::try_from(value).ok().map(std::net::Ipv4Addr::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        s.parse().unwrap()
    }

    #[test]
    fn parses_forms() {
        assert_eq!(
            t("Login.Example.com"),
            Target {
                host: Host::Name("login.example.com".into()),
                port: 443
            }
        );
        assert_eq!(t("a.example:8443").port, 8443);
        assert_eq!(
            t("127.0.0.1:4433").host,
            Host::Ip("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            t("[::1]:4433"),
            Target {
                host: Host::Ip("::1".parse().unwrap()),
                port: 4433
            }
        );
        assert_eq!(t("::1").port, 443);
        assert_eq!(t("[::1]").to_string(), "[::1]:443");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "host:",
            "host:0",
            "host:99999",
            "bad host",
            "-a.example",
            "[::1",
            "[zz]:1",
            "[::1]x",
            "a..b",
            "1:2:3",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn numeric_looking_names_are_refused_with_a_hint() {
        for (name, ip) in [
            ("127.1", "127.0.0.1"),
            ("0x7f000001", "127.0.0.1"),
            ("2130706482", "127.0.0.50"),
            ("0177.0.0.1", "127.0.0.1"),
            ("1.2.3.04", "1.2.3.4"),
            ("10.0x10.1:8443", "10.16.0.1"),
        ] {
            let e = name.parse::<Target>().unwrap_err();
            assert!(e.contains(&format!("reads it as {ip}")), "{name}: {e}");
        }
        let e = "host.999999999999".parse::<Target>().unwrap_err();
        assert!(e.contains("looks like a numeric address"), "{e}");
        for good in [
            "a1.example",
            "1password.com",
            "x.0xz",
            "123.example",
            "0x.io",
        ] {
            assert!(good.parse::<Target>().is_ok(), "{good}");
        }
    }
}
