//! HTTP CONNECT proxy configuration: `--proxy URL`, `HTTPS_PROXY`/`https_proxy` and
//! `NO_PROXY`/`no_proxy`, as plain data. The tunnel itself is opened in `probe::net`.
//!
//! Through a proxy the proxy resolves names, so a proxied target has one "address":
//! the proxy (`via host:port` in reports).

use std::fmt;
use std::net::IpAddr;

use crate::target::{Host, Target};

/// An HTTP proxy that tunnels with CONNECT.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Proxy {
    pub host: Host,
    pub port: u16,
    /// `Basic` credentials (base64 of `user:pass`), when the URL carries them.
    pub basic_auth: Option<String>,
}

impl fmt::Display for Proxy {
    /// `host:port`, without credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            h => write!(f, "{h}:{}", self.port),
        }
    }
}

impl Proxy {
    /// Parses `http://[user:pass@]host[:port]` (port 8080 when absent). Only plain-HTTP
    /// proxies are supported: the CONNECT request itself is not encrypted.
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("proxy URL '{}': {why}", redact(url));
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("expected http://[user:pass@]host:port"))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') || rest.contains('?') {
            return Err(bad("no path or query allowed"));
        }
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let basic_auth = match userinfo {
            None => None,
            Some(u) => {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                let creds = format!(
                    "{}:{}",
                    percent_decode(user).map_err(|e| bad(&e))?,
                    percent_decode(pass).map_err(|e| bad(&e))?
                );
                Some(base64(creds.as_bytes()))
            }
        };
        let target = if hostport.ends_with(']') || !hostport.contains(':') {
            format!("{hostport}:8080")
        } else {
            hostport.to_string()
        };
        let t: Target = target.parse().map_err(|e: String| bad(&e))?;
        Ok(Self {
            host: t.host,
            port: t.port,
            basic_auth,
        })
    }
}

/// Hides the password of a proxy URL in messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***@{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or("truncated %-escape")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "bad %-escape")?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "credentials are not UTF-8".to_string())
}

/// Standard base64 with padding (RFC 4648), for the Proxy-Authorization header.
pub fn base64(input: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `NO_PROXY`: comma-separated host names (matching the name and its subdomains; a
/// leading `.` or `*.` is allowed), IP addresses, or `*` for everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<String>,
}

impl NoProxy {
    pub fn parse(s: &str) -> Self {
        let entries = s
            .split(',')
            .map(|e| {
                e.trim()
                    .trim_start_matches("*.")
                    .trim_start_matches('.')
                    .to_ascii_lowercase()
            })
            .map(|e| e.trim_start_matches('[').trim_end_matches(']').to_string())
            .filter(|e| !e.is_empty())
            .collect();
        Self { entries }
    }

    pub fn matches(&self, host: &Host) -> bool {
        let name = match host {
            Host::Name(n) => n.clone(),
            Host::Ip(ip) => ip.to_string(),
        };
        self.entries.iter().any(|e| {
            e == "*"
                || name == *e
                || (matches!(host, Host::Name(_)) && name.ends_with(&format!(".{e}")))
        })
    }
}

/// Which proxy, if any, each target goes through.
#[derive(Clone, Debug, Default)]
pub struct ProxySettings {
    pub proxy: Option<Proxy>,
    pub no_proxy: NoProxy,
}

impl ProxySettings {
    /// `--proxy` wins; otherwise `https_proxy`/`HTTPS_PROXY` when `use_env`.
    /// `NO_PROXY` applies to either.
    pub fn resolve(flag: Option<&str>, use_env: bool) -> Result<Self, String> {
        let env = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        let url = match flag {
            Some(u) => Some(u.to_string()),
            None if use_env => env(&["https_proxy", "HTTPS_PROXY"]),
            None => None,
        };
        let proxy = url.as_deref().map(Proxy::parse).transpose()?;
        let no_proxy = if use_env {
            NoProxy::parse(&env(&["no_proxy", "NO_PROXY"]).unwrap_or_default())
        } else {
            NoProxy::default()
        };
        Ok(Self { proxy, no_proxy })
    }

    pub fn for_target(&self, t: &Target) -> Option<&Proxy> {
        self.proxy
            .as_ref()
            .filter(|_| !self.no_proxy.matches(&t.host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proxy_urls() {
        let p = Proxy::parse("http://user:p%40ss@proxy.corp:3128").unwrap();
        assert_eq!(p.to_string(), "proxy.corp:3128");
        assert_eq!(p.basic_auth.as_deref(), Some(base64(b"user:p@ss").as_str()));
        assert_eq!(
            Proxy::parse("http://10.0.0.1/").unwrap().to_string(),
            "10.0.0.1:8080"
        );
        assert_eq!(
            Proxy::parse("http://[::1]:3128").unwrap().to_string(),
            "[::1]:3128"
        );
        for bad in [
            "proxy:3128",
            "https://p:1",
            "http://",
            "http://p:0",
            "http://p:1/path",
            "http://a b:1",
            "socks5://p:1",
        ] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
        let e = Proxy::parse("ftp://u:secret@h:1").unwrap_err();
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn base64_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn no_proxy_rules() {
        let n = NoProxy::parse(" .corp.example, login.microsoftonline.com,127.0.0.1,*.lab ");
        let h = |s: &str| Host::parse(s).unwrap();
        assert!(n.matches(&h("a.corp.example")));
        assert!(n.matches(&h("corp.example")));
        assert!(n.matches(&h("login.microsoftonline.com")));
        assert!(!n.matches(&h("device.login.microsoftonline.com.evil")));
        assert!(n.matches(&h("x.lab")));
        assert!(n.matches(&h("127.0.0.1")));
        assert!(!n.matches(&h("127.0.0.2")));
        assert!(NoProxy::parse("*").matches(&h("anything.example")));
        assert!(!NoProxy::parse("").matches(&h("anything.example")));
    }
}
