//! HTTP CONNECT proxy configuration: `--proxy URL`, `HTTPS_PROXY`/`https_proxy` and
//! `NO_PROXY`/`no_proxy`, as plain data. The tunnel itself is opened in `probe::net`.
//!
//! Through a proxy the proxy resolves names, so a proxied target has one "address":
//! the proxy (`via host:port` in reports).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::safe::terminal;
use crate::target::{Host, Target};

/// An HTTP proxy that tunnels with CONNECT. `Debug` leaves the credentials out.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Proxy {
    pub host: Host,
    pub port: u16,
    /// `Basic` credentials (base64 of `user:pass`), when the URL carries them.
    pub basic_auth: Option<String>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("basic_auth", &self.basic_auth.as_ref().map(|_| "***"))
            .finish()
    }
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
    /// Parses a proxy as curl takes it: `[http://][user:pass@]host[:port]`, the scheme
    /// in any case (`HTTP://`), port 8080 when absent (curl uses 1080, but HTTP proxies
    /// listen on 8080/3128 far more often; say the port to be sure). Only plain-HTTP
    /// proxies are supported: the CONNECT request itself is not encrypted.
    ///
    /// Errors never contain the credentials, and quote the URL escaped.
    pub fn parse(url: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("proxy URL '{}': {why}", terminal(&redact(url)));
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some(_) => return Err(bad("expected http://[user:pass@]host:port")),
            None => url,
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        // A '/' or '?' anywhere (credentials included: they must be %-encoded).
        if rest.contains('/') || rest.contains('?') {
            return Err(bad("no path or query allowed"));
        }
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
        let t: Target = target.parse().map_err(|e: String| bad(&terminal(&e)))?;
        Ok(Self {
            host: t.host,
            port: t.port,
            basic_auth,
        })
    }
}

/// Hides the credentials of a proxy URL in every spelling: with or without a scheme,
/// any case, `@` in the password left unencoded. Everything between the scheme (or the
/// start) and the last `@` is replaced.
pub fn redact(url: &str) -> String {
    let start = url.find("://").map_or(0, |s| s + 3);
    match url.rfind('@') {
        Some(at) if at >= start => format!("{}***@{}", &url[..start], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Decodes `%XX` escapes (percent-encoding crate); a `%` not followed by two hex digits
/// is an error rather than a literal, so a mistyped password is refused, not sent.
fn percent_decode(s: &str) -> Result<String, String> {
    for (i, _) in s.match_indices('%') {
        let hex = s.get(i + 1..i + 3).ok_or("truncated %-escape")?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("bad %-escape".into());
        }
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "credentials are not UTF-8".to_string())
}

/// Standard base64 with padding (RFC 4648), for the Proxy-Authorization header.
pub fn base64(input: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(input)
}

/// `NO_PROXY`: comma-separated entries, as curl and Go read them:
/// - `*`: every target;
/// - a host name (`corp.example`, `.corp.example`, `*.corp.example`): the name and its
///   subdomains;
/// - an IP address (`10.0.0.1`, `::1`, `[::1]`): that literal target;
/// - a CIDR range (`10.0.0.0/8`, `fd00::/8`): literal IP targets inside it (names are
///   not resolved to be compared, as in curl);
/// - any of these with `:PORT` (`[::1]:8443`, `corp.example:443`): only on that port.
///
/// Entries that are none of these are kept in `invalid`, for a warning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoProxy {
    entries: Vec<(Rule, Option<u16>)>,
    pub invalid: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rule {
    Any,
    Domain(String),
    Ip(IpAddr),
    Cidr(IpNet),
}

impl NoProxy {
    pub fn parse(s: &str) -> Self {
        let mut out = Self::default();
        for raw in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match parse_entry(raw) {
                Some(e) => out.entries.push(e),
                None => out.invalid.push(raw.to_string()),
            }
        }
        out
    }

    pub fn matches(&self, t: &Target) -> bool {
        self.entries.iter().any(|(rule, port)| {
            port.is_none_or(|p| p == t.port)
                && match (rule, &t.host) {
                    (Rule::Any, _) => true,
                    (Rule::Domain(d), Host::Name(n)) => {
                        n == d || n.strip_suffix(d.as_str()).is_some_and(|p| p.ends_with('.'))
                    }
                    (Rule::Ip(ip), Host::Ip(h)) => ip == h,
                    (Rule::Cidr(net), Host::Ip(h)) => net.contains(h),
                    _ => false,
                }
        })
    }
}

/// One `NO_PROXY` entry: the rule and the port it is limited to.
fn parse_entry(raw: &str) -> Option<(Rule, Option<u16>)> {
    if raw == "*" {
        return Some((Rule::Any, None));
    }
    if let Some((net, bits)) = raw.split_once('/') {
        let net: IpAddr = net.trim_matches(|c| c == '[' || c == ']').parse().ok()?;
        let net = IpNet::new(net, bits.parse().ok()?).ok()?;
        return Some((Rule::Cidr(net), None));
    }
    if let Ok(ip) = raw.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
        return Some((Rule::Ip(ip), None));
    }
    let (host, port) = match raw.rsplit_once(':') {
        Some((h, p)) => (h, Some(p.parse::<u16>().ok().filter(|p| *p != 0)?)),
        None => (raw, None),
    };
    if let Ok(ip) = host
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
    {
        return Some((Rule::Ip(ip), port));
    }
    let name = host.trim_start_matches("*.").trim_start_matches('.');
    let name = crate::target::validate_name(name).ok()?;
    Some((Rule::Domain(name), port))
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
        for e in &no_proxy.invalid {
            crate::diag::error(&format!(
                "NO_PROXY entry '{e}' ignored: not a name, IP or CIDR range"
            ));
        }
        Ok(Self { proxy, no_proxy })
    }

    pub fn for_target(&self, t: &Target) -> Option<&Proxy> {
        self.proxy.as_ref().filter(|_| !self.no_proxy.matches(t))
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
        // As curl takes them: no scheme, scheme in capitals.
        assert_eq!(
            Proxy::parse("proxy:3128").unwrap().to_string(),
            "proxy:3128"
        );
        assert_eq!(
            Proxy::parse("HTTP://Proxy:1").unwrap().to_string(),
            "proxy:1"
        );
        let p = Proxy::parse("user:S3CRET@host:3128").unwrap();
        assert_eq!(
            p.basic_auth.as_deref(),
            Some(base64(b"user:S3CRET").as_str())
        );
        for bad in [
            "https://p:1",
            "http://",
            "http://p:0",
            "http://p:1/path",
            "http://a b:1",
            "socks5://p:1",
            "",
        ] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_never_appear_in_errors() {
        for url in [
            "ftp://u:S3CRETPW@h:1",
            "u:S3CRETPW@h:0",
            "HTTP://u:S3CRETPW@h:0",
            "http://u:S3C@RETPW@h:99999",
            "u:S3CRETPW@bad host:1",
            "http://u:S3CRETPW@h:1/x@y",
        ] {
            let e = Proxy::parse(url).unwrap_err();
            assert!(!e.contains("S3C"), "{url} -> {e}");
            assert!(e.contains("***@"), "{url} -> {e}");
        }
        assert_eq!(redact("user:pw@host:1"), "***@host:1");
        assert_eq!(redact("HTTP://user:pw@host:1"), "HTTP://***@host:1");
        assert_eq!(redact("http://host:1"), "http://host:1");
    }

    #[test]
    fn echoed_urls_are_escaped() {
        let e = Proxy::parse("http://h:1/\r\nX-Forged: 1\x1b[2J").unwrap_err();
        assert!(
            !e.contains('\r') && !e.contains('\n') && !e.contains('\x1b'),
            "{e:?}"
        );
        assert!(e.contains("\\r\\n"), "{e}");
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
        let t = |s: &str| s.parse::<Target>().unwrap();
        assert!(n.matches(&t("a.corp.example")));
        assert!(n.matches(&t("corp.example")));
        assert!(n.matches(&t("login.microsoftonline.com")));
        assert!(!n.matches(&t("device.login.microsoftonline.com.evil")));
        assert!(!n.matches(&t("xcorp.example")));
        assert!(n.matches(&t("x.lab")));
        assert!(n.matches(&t("127.0.0.1")));
        assert!(!n.matches(&t("127.0.0.2")));
        assert!(NoProxy::parse("*").matches(&t("anything.example")));
        assert!(!NoProxy::parse("").matches(&t("anything.example")));
    }

    #[test]
    fn no_proxy_cidr_and_ports() {
        let n = NoProxy::parse(
            "10.0.0.0/8, 192.168.1.0/25, fd00::/8, corp.example:8443, [::1]:443, 127.0.0.1:4433",
        );
        let t = |s: &str| s.parse::<Target>().unwrap();
        assert!(n.matches(&t("10.200.3.4")));
        assert!(!n.matches(&t("11.0.0.1")));
        assert!(n.matches(&t("192.168.1.127")));
        assert!(!n.matches(&t("192.168.1.128")));
        assert!(n.matches(&t("[fd12::1]:443")));
        assert!(!n.matches(&t("[fe80::1]:443")));
        assert!(n.matches(&t("corp.example:8443")));
        assert!(n.matches(&t("a.corp.example:8443")));
        assert!(!n.matches(&t("corp.example:443")));
        assert!(n.matches(&t("[::1]:443")));
        assert!(!n.matches(&t("[::1]:8443")));
        assert!(n.matches(&t("127.0.0.1:4433")));
        assert!(!n.matches(&t("127.0.0.1:443")));
        assert!(n.invalid.is_empty(), "{:?}", n.invalid);
        let bad = NoProxy::parse("10.0.0.0/33,host:99999,bad host");
        assert_eq!(bad.invalid.len(), 3, "{:?}", bad.invalid);
        assert!(NoProxy::parse("0.0.0.0/0").matches(&t("1.2.3.4")));
    }
}
