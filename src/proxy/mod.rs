//! Proxy configuration as plain data: `--proxy URL` (or `HTTPS_PROXY`/`https_proxy`),
//! `--proxy-user`, `--proxy-auth`, and `NO_PROXY`/`no_proxy`; and the pure codecs the
//! tunnels need ([`answer`]: a CONNECT answer's head, [`ntlm`]: NTLM messages). The
//! tunnels themselves are opened in `probe::tunnel` and `probe::socks`.
//!
//! Through an HTTP proxy or `socks5h://` the proxy resolves names, so a proxied target
//! has one "address": the proxy (`via host:port` in reports). Through `socks5://` names
//! are resolved here and every address gets its record, as when scanning directly.

pub mod answer;
#[cfg(feature = "negotiate")]
pub mod negotiate;
pub mod ntlm;

use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;

use base64::Engine;
use ipnet::IpNet;

use crate::safe::terminal;
use crate::target::{Host, Target};

/// The environment variable a password is read from when a proxy user is given
/// without one (`--proxy-user USER`, `http://USER@proxy`): a scan in CI cannot prompt,
/// and a password on the command line shows in `ps`.
pub const PASSWORD_ENV: &str = "TLSCOMPAT_PROXY_PASSWORD";

/// What kind of proxy, from the URL's scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyKind {
    /// `http://`: HTTP CONNECT; the proxy resolves names.
    Http,
    /// `socks5://`: SOCKS5 to an address resolved here.
    Socks5,
    /// `socks5h://`: SOCKS5 with the name; the proxy resolves it.
    Socks5h,
}

impl ProxyKind {
    pub fn scheme(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Socks5 => "socks5",
            Self::Socks5h => "socks5h",
        }
    }

    /// True when the proxy resolves the target's name (one record, `via <proxy>`).
    pub fn resolves_names(self) -> bool {
        self != Self::Socks5
    }
}

/// An HTTP proxy authentication scheme, weakest first: `any` picks the strongest the
/// proxy offers, as curl's `--proxy-anyauth` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuthScheme {
    Basic,
    Ntlm,
    Negotiate,
}

impl AuthScheme {
    /// The scheme's token in `Proxy-Authenticate` / `Proxy-Authorization`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Basic => "Basic",
            Self::Ntlm => "NTLM",
            Self::Negotiate => "Negotiate",
        }
    }

    /// The scheme a challenge names (case-insensitive, RFC 9110), when it is one of ours.
    pub fn from_token(token: &str) -> Option<Self> {
        [Self::Basic, Self::Ntlm, Self::Negotiate]
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(token))
    }
}

/// `--proxy-auth`: which scheme to answer a 407 with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum AuthChoice {
    /// The strongest scheme the 407 offers that can be answered (Negotiate > NTLM >
    /// Basic).
    #[default]
    Any,
    Only(AuthScheme),
}

impl std::str::FromStr for AuthChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "any" => Ok(Self::Any),
            "basic" => Ok(Self::Only(AuthScheme::Basic)),
            "ntlm" => Ok(Self::Only(AuthScheme::Ntlm)),
            "negotiate" | "kerberos" => Ok(Self::Only(AuthScheme::Negotiate)),
            _ => Err(format!(
                "'{}': expected basic, ntlm, negotiate or any",
                terminal(s)
            )),
        }
    }
}

impl fmt::Display for AuthChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::Only(s) => f.write_str(&s.name().to_ascii_lowercase()),
        }
    }
}

/// A proxy user and password. Neither `Debug` nor anything else prints the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// As given: `user`, `DOMAIN\user` or `user@REALM`.
    pub user: String,
    password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

impl Credentials {
    pub fn new(user: String, password: String) -> Self {
        Self { user, password }
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// `DOMAIN\user` split for NTLM; a user without a backslash has no domain
    /// (`user@REALM` is sent whole, as Windows does with a UPN).
    pub fn domain_and_user(&self) -> (&str, &str) {
        self.user.split_once('\\').unwrap_or(("", &self.user))
    }

    /// A user name to answer Basic and NTLM with (`--proxy-user :` has none: it asks
    /// for Negotiate with the Kerberos ticket alone, as in curl).
    pub fn has_user(&self) -> bool {
        !self.user.is_empty()
    }
}

/// A proxy: where it is, what it speaks, and how to authenticate to it. `Debug` and
/// `Display` leave the password out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    pub kind: ProxyKind,
    pub host: Host,
    pub port: u16,
    pub credentials: Option<Credentials>,
    pub auth: AuthChoice,
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

/// A user and maybe a password, as the URL or `--proxy-user` gave them.
type UserInfo = (String, Option<String>);

impl Proxy {
    /// Parses a proxy as curl takes it: `[scheme://][user[:pass]@]host[:port]`, the
    /// scheme `http` (the default), `socks5` or `socks5h`, in any case (`HTTP://`);
    /// user and password %-encoded (`LAB%5Cscanner`). Without a port: 8080 for HTTP
    /// (curl uses 1080, but HTTP proxies listen on 8080/3128 far more often; say the
    /// port to be sure), 1080 for SOCKS. Only plain-HTTP proxies are supported: the
    /// CONNECT request itself is not encrypted.
    ///
    /// A user without a password is completed by [`ProxySettings::resolve`]. Errors
    /// never contain the credentials, and quote the URL escaped.
    pub fn parse(url: &str) -> Result<(Self, Option<UserInfo>), String> {
        let bad = |why: &str| format!("proxy URL '{}': {why}", terminal(&redact(url)));
        let url = url.trim();
        let (kind, rest) = match url.split_once("://") {
            Some((scheme, rest)) => {
                let kind = match scheme.to_ascii_lowercase().as_str() {
                    "http" => ProxyKind::Http,
                    "socks5" => ProxyKind::Socks5,
                    "socks5h" => ProxyKind::Socks5h,
                    _ => {
                        return Err(bad(
                            "expected http://, socks5:// or socks5h:// [user:pass@]host:port",
                        ));
                    }
                };
                (kind, rest)
            }
            None => (ProxyKind::Http, url),
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
        let user = match userinfo {
            None => None,
            Some(u) => {
                let (user, pass) = match u.split_once(':') {
                    Some((user, pass)) => (user, Some(pass)),
                    None => (u, None),
                };
                let user = percent_decode(user).map_err(|e| bad(&e))?;
                let pass = pass.map(percent_decode).transpose().map_err(|e| bad(&e))?;
                Some((user, pass))
            }
        };
        let default_port = match kind {
            ProxyKind::Http => 8080,
            ProxyKind::Socks5 | ProxyKind::Socks5h => 1080,
        };
        let target = if hostport.ends_with(']') || !hostport.contains(':') {
            format!("{hostport}:{default_port}")
        } else {
            hostport.to_string()
        };
        let t: Target = target.parse().map_err(|e: String| bad(&terminal(&e)))?;
        let proxy = Self {
            kind,
            host: t.host,
            port: t.port,
            credentials: None,
            auth: AuthChoice::Any,
        };
        Ok((proxy, user))
    }

    /// The proxy as a URL without credentials (`socks5h://proxy:1080`), for reports.
    pub fn url(&self) -> String {
        format!("{}://{self}", self.kind.scheme())
    }

    /// The host name the proxy was given by: the Kerberos service is `HTTP@<this>`.
    pub fn host_name(&self) -> String {
        match &self.host {
            Host::Ip(ip) => ip.to_string(),
            h => h.to_string(),
        }
    }
}

/// How to authenticate to one proxy, shared by every tunnel of a scan: the
/// credentials, the choice, and the scheme that worked last (sent straight away on the
/// next tunnel, which saves a round trip per connection).
#[derive(Debug)]
pub struct ProxyAuth {
    pub credentials: Option<Credentials>,
    pub choice: AuthChoice,
    /// The proxy's host name, for the Kerberos service name `HTTP@host`.
    pub host: String,
    learned: Mutex<Option<AuthScheme>>,
}

impl ProxyAuth {
    pub fn new(proxy: &Proxy) -> Self {
        Self {
            credentials: proxy.credentials.clone(),
            choice: proxy.auth,
            host: proxy.host_name(),
            learned: Mutex::new(None),
        }
    }

    /// Authentication is attempted only when asked for: credentials given, or a
    /// scheme named with `--proxy-auth`. Without either the scan goes through the proxy
    /// as Office's licensing service does (as SYSTEM, no challenge answered), and a
    /// 407 is the finding.
    pub fn enabled(&self) -> bool {
        self.credentials.is_some() || self.choice != AuthChoice::Any
    }

    /// Can `scheme` be answered with what we have? Basic and NTLM need a user name;
    /// Negotiate needs a build with GSSAPI (the Kerberos ticket is checked when the
    /// token is made).
    pub fn can_answer(&self, scheme: AuthScheme) -> bool {
        let user = self.credentials.as_ref().is_some_and(Credentials::has_user);
        let allowed = match self.choice {
            AuthChoice::Any => true,
            AuthChoice::Only(s) => s == scheme,
        };
        allowed
            && match scheme {
                AuthScheme::Basic | AuthScheme::Ntlm => user,
                AuthScheme::Negotiate => cfg!(feature = "negotiate"),
            }
    }

    /// The schemes to try against a 407 offering `offered`, strongest first.
    pub fn candidates(&self, offered: &[AuthScheme]) -> Vec<AuthScheme> {
        let mut out: Vec<AuthScheme> = offered
            .iter()
            .copied()
            .filter(|s| self.can_answer(*s))
            .collect();
        out.sort_unstable_by(|a, b| b.cmp(a));
        out.dedup();
        out
    }

    /// The scheme to open a tunnel with before any 407: the one that worked last, or
    /// the one `--proxy-auth` names.
    pub fn first(&self) -> Option<AuthScheme> {
        if !self.enabled() {
            return None;
        }
        let learned = *self.learned.lock().unwrap_or_else(|p| p.into_inner());
        match (learned, self.choice) {
            (Some(s), _) => Some(s),
            (None, AuthChoice::Only(s)) if self.can_answer(s) => Some(s),
            _ => None,
        }
    }

    /// Remembers the scheme a tunnel was opened with.
    pub fn learn(&self, scheme: AuthScheme) {
        *self.learned.lock().unwrap_or_else(|p| p.into_inner()) = Some(scheme);
    }

    /// `Basic <base64(user:password)>`.
    pub fn basic(&self) -> Option<String> {
        let c = self.credentials.as_ref()?;
        let raw = format!("{}:{}", c.user, c.password);
        Some(format!("Basic {}", base64_encode(raw.as_bytes())))
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
    let b = s.as_bytes();
    for (i, _) in s.match_indices('%') {
        let hex = b.get(i + 1..i + 3).ok_or("truncated %-escape")?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err("bad %-escape".into());
        }
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "credentials are not UTF-8".to_string())
}

/// Standard base64 with padding (RFC 4648), for Proxy-Authorization headers.
pub fn base64_encode(input: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(input)
}

/// Decodes a token from a `Proxy-Authenticate` header (padding optional).
pub fn base64_decode(input: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(input)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(input))
        .ok()
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

/// What the command line says about proxy authentication.
#[derive(Clone, Debug, Default)]
pub struct AuthArgs {
    /// `--proxy-user USER[:PASS]`: replaces the URL's credentials.
    pub user: Option<String>,
    /// `--proxy-auth`; `None` = not given (`any`).
    pub auth: Option<AuthChoice>,
}

impl ProxySettings {
    /// `--proxy` wins; otherwise `https_proxy`/`HTTPS_PROXY` when `use_env`.
    /// `NO_PROXY` applies to either. Credentials: `--proxy-user`, else the URL's; a
    /// user without a password takes it from [`PASSWORD_ENV`], and without that is
    /// refused (there is no prompt) unless only Negotiate is asked for, which uses the
    /// Kerberos ticket instead.
    pub fn resolve(flag: Option<&str>, use_env: bool, args: &AuthArgs) -> Result<Self, String> {
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
        let proxy = match url.as_deref().map(Proxy::parse).transpose()? {
            None if args.user.is_some() || args.auth.is_some() => {
                return Err(
                    "--proxy-user and --proxy-auth need a proxy (--proxy or HTTPS_PROXY)".into(),
                );
            }
            None => None,
            Some((proxy, from_url)) => Some(with_auth(
                proxy,
                from_url,
                args,
                std::env::var(PASSWORD_ENV).ok(),
            )?),
        };
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

/// The proxy with its authentication: `--proxy-auth`, and the credentials of
/// `--proxy-user` (else the URL's), completed by [`complete`].
fn with_auth(
    mut proxy: Proxy,
    from_url: Option<UserInfo>,
    args: &AuthArgs,
    env_password: Option<String>,
) -> Result<Proxy, String> {
    proxy.auth = args.auth.unwrap_or_default();
    let given = match &args.user {
        Some(u) => Some(match u.split_once(':') {
            Some((user, pass)) => (user.to_string(), Some(pass.to_string())),
            None => (u.clone(), None),
        }),
        None => from_url,
    };
    proxy.credentials = given
        .map(|(user, pass)| complete(user, pass, proxy.auth, env_password))
        .transpose()?;
    Ok(proxy)
}

/// A user's password: as given, else from the environment; none at all is an error
/// unless the password cannot be used (Negotiate only). The message names the user,
/// never a password.
fn complete(
    user: String,
    pass: Option<String>,
    auth: AuthChoice,
    from_env: Option<String>,
) -> Result<Credentials, String> {
    // RFC 1929's limit, and far beyond any real account: bounds every message that
    // carries them (NTLM fields, Basic tokens).
    let pass = pass.or(from_env);
    if user.len() > 255 || pass.as_ref().is_some_and(|p| p.len() > 255) {
        return Err(format!(
            "proxy user '{}': user name and password are limited to 255 bytes each",
            terminal(&user.chars().take(40).collect::<String>())
        ));
    }
    match pass {
        Some(p) => Ok(Credentials::new(user, p)),
        None if auth == AuthChoice::Only(AuthScheme::Negotiate) || user.is_empty() => {
            Ok(Credentials::new(user, String::new()))
        }
        None => Err(format!(
            "proxy user '{}' has no password: give USER:PASS, or set {PASSWORD_ENV} \
             (there is no prompt)",
            terminal(&user)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Proxy {
        Proxy::parse(url).unwrap().0
    }

    fn creds(url: &str, args: &AuthArgs) -> Result<Option<Credentials>, String> {
        let (p, user) = Proxy::parse(url)?;
        Ok(with_auth(p, user, args, None)?.credentials)
    }

    #[test]
    fn parses_proxy_urls() {
        let (p, user) = Proxy::parse("http://user:p%40ss@proxy.corp:3128").unwrap();
        assert_eq!(p.to_string(), "proxy.corp:3128");
        assert_eq!(user, Some(("user".into(), Some("p@ss".into()))));
        assert_eq!(parse("http://10.0.0.1/").to_string(), "10.0.0.1:8080");
        assert_eq!(parse("http://[::1]:3128").to_string(), "[::1]:3128");
        // As curl takes them: no scheme, scheme in capitals.
        assert_eq!(parse("proxy:3128").to_string(), "proxy:3128");
        assert_eq!(parse("HTTP://Proxy:1").to_string(), "proxy:1");
        let (_, user) = Proxy::parse("user:S3CRET@host:3128").unwrap();
        assert_eq!(user, Some(("user".into(), Some("S3CRET".into()))));
        // SOCKS, with its own default port; the URL without credentials for reports.
        let p = parse("socks5h://u:p@Proxy");
        assert_eq!(
            (p.kind, p.to_string()),
            (ProxyKind::Socks5h, "proxy:1080".into())
        );
        assert_eq!(p.url(), "socks5h://proxy:1080");
        assert_eq!(parse("SOCKS5://10.0.0.1:9050").kind, ProxyKind::Socks5);
        for bad in [
            "https://p:1",
            "http://",
            "http://p:0",
            "http://p:1/path",
            "http://a b:1",
            "socks4://p:1",
            "http://u:%zz@p:1",
            "http://u:%4@p:1",
            "",
        ] {
            assert!(Proxy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_from_the_url_or_the_flag() {
        let none = AuthArgs::default();
        // %-decoded: DOMAIN%5Cuser is DOMAIN\user.
        let c = creds("http://LAB%5Cscanner:s%3Acret@h:1", &none)
            .unwrap()
            .unwrap();
        assert_eq!(c.user, "LAB\\scanner");
        assert_eq!(c.password(), "s:cret");
        assert_eq!(c.domain_and_user(), ("LAB", "scanner"));
        assert_eq!(
            Credentials::new("a@REALM".into(), String::new()).domain_and_user(),
            ("", "a@REALM")
        );
        // --proxy-user replaces the URL's.
        let flag = AuthArgs {
            user: Some("other:pw".into()),
            auth: None,
        };
        let c = creds("http://u:p@h:1", &flag).unwrap().unwrap();
        assert_eq!((c.user.as_str(), c.password()), ("other", "pw"));
        // No password and no environment: refused, except for Negotiate alone.
        let e = creds("http://alice@h:1", &none).unwrap_err();
        assert!(
            e.contains("'alice' has no password") && e.contains(PASSWORD_ENV),
            "{e}"
        );
        let nego = AuthArgs {
            user: Some("alice".into()),
            auth: Some(AuthChoice::Only(AuthScheme::Negotiate)),
        };
        assert!(creds("http://h:1", &nego).unwrap().is_some());
        // `--proxy-user :`: no user, the Kerberos ticket alone.
        let colon = AuthArgs {
            user: Some(":".into()),
            auth: None,
        };
        let c = creds("http://h:1", &colon).unwrap().unwrap();
        assert!(!c.has_user());
        assert_eq!(
            complete("bob".into(), None, AuthChoice::Any, Some("envpw".into()))
                .unwrap()
                .password(),
            "envpw"
        );
        let long = "x".repeat(256);
        assert!(complete("u".into(), Some(long.clone()), AuthChoice::Any, None).is_err());
        assert!(complete(long, Some("p".into()), AuthChoice::Any, None).is_err());
        let shown = format!("{:?}", Credentials::new("u".into(), "S3CRET".into()));
        assert!(!shown.contains("S3CRET"), "{shown}");
    }

    #[test]
    fn auth_choice_and_candidates() {
        assert_eq!("NTLM".parse(), Ok(AuthChoice::Only(AuthScheme::Ntlm)));
        assert_eq!("any".parse(), Ok(AuthChoice::Any));
        assert!("digest".parse::<AuthChoice>().is_err());
        let mut p = parse("http://u:p@h:1");
        p.credentials = Some(Credentials::new("u".into(), "p".into()));
        let auth = ProxyAuth::new(&p);
        let offered = [AuthScheme::Basic, AuthScheme::Negotiate, AuthScheme::Ntlm];
        let mut want = vec![AuthScheme::Ntlm, AuthScheme::Basic];
        if cfg!(feature = "negotiate") {
            want.insert(0, AuthScheme::Negotiate);
        }
        assert_eq!(auth.candidates(&offered), want, "strongest first");
        assert_eq!(auth.first(), None, "nothing learned yet");
        auth.learn(AuthScheme::Ntlm);
        assert_eq!(auth.first(), Some(AuthScheme::Ntlm));
        assert_eq!(auth.basic().as_deref(), Some("Basic dTpw"));
        // Without credentials or --proxy-auth: no authentication at all.
        let bare = ProxyAuth::new(&parse("http://h:1"));
        assert!(!bare.enabled());
        p.auth = AuthChoice::Only(AuthScheme::Basic);
        let only = ProxyAuth::new(&p);
        assert_eq!(only.candidates(&offered), [AuthScheme::Basic]);
        assert_eq!(only.first(), Some(AuthScheme::Basic), "sent before any 407");
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
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(
            base64_encode(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(base64_decode("Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64_decode("Zm8=").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64_decode("!!"), None);
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
