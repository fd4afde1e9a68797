//! A proxy's answer to CONNECT: the head parsed into what the tunnel needs (status,
//! authentication challenges, whether the connection stays open) and what a report
//! quotes (`Server`, `Location`); and [`Refusal`], why a proxy did not open a tunnel.
//!
//! Pure (bytes in, values out) and bounded: a head is at most [`MAX_HEAD`] bytes, at
//! most [`MAX_HEADERS`] header lines and [`MAX_CHALLENGES`] challenges are read, every
//! quoted value is cut to a fixed length, and no input panics. Text is kept exact
//! (lossily decoded when not UTF-8); the sinks escape it (`safe.rs`).

use std::fmt;

/// The most bytes of a CONNECT answer's head read before giving up. Large enough for
/// a Negotiate challenge with a Kerberos token.
pub const MAX_HEAD: usize = 16 * 1024;
/// Header lines read; more is an error.
pub const MAX_HEADERS: usize = 100;
/// Challenges kept from the `Proxy-Authenticate` headers.
pub const MAX_CHALLENGES: usize = 16;
/// Characters kept of the status line (after the version) and of `Server`.
pub const MAX_STATUS: usize = 80;
const MAX_SERVER: usize = 120;
const MAX_LOCATION: usize = 300;
/// Characters of a scheme name kept (a longer "scheme" is not one).
const MAX_SCHEME: usize = 32;

/// The parsed head of a CONNECT answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub code: u16,
    /// The status line after the version: `407 Proxy Authentication Required` (at most
    /// [`MAX_STATUS`] characters).
    pub status: String,
    /// Every challenge of every `Proxy-Authenticate` header, in order.
    pub challenges: Vec<Challenge>,
    pub server: Option<String>,
    pub location: Option<String>,
    /// `Content-Length`, when present, valid and unambiguous.
    pub content_length: Option<u64>,
    /// The connection can carry the next CONNECT once the body is read: HTTP/1.1
    /// without `Connection: close` (or HTTP/1.0 with keep-alive), and a body whose end
    /// is known from `Content-Length`.
    pub keep_alive: bool,
}

/// One challenge: `Basic realm="lab"` → scheme `Basic`, no token; `NTLM TlRMTVNT…` →
/// scheme `NTLM`, token `TlRMTVNT…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    /// The token68 after the scheme (base64 for NTLM and Negotiate), when there is one.
    pub token: Option<String>,
}

/// Why a head is not a usable CONNECT answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerError {
    /// Not `HTTP/1.x`: what came instead (the start of it).
    NotHttp {
        excerpt: String,
    },
    /// `HTTP/1.x` without a three-digit status code.
    BadStatus {
        line: String,
    },
    TooManyHeaders,
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotHttp { excerpt } => write!(f, "not an HTTP answer: \"{excerpt}\""),
            Self::BadStatus { line } => write!(f, "malformed status line \"{line}\""),
            Self::TooManyHeaders => write!(f, "more than {MAX_HEADERS} header lines"),
        }
    }
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// The token of the first challenge for `scheme` (case-insensitive).
    pub fn token(&self, scheme: &str) -> Option<&str> {
        self.challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case(scheme))
            .and_then(|c| c.token.as_deref())
    }

    /// The schemes offered, each once, in the order offered.
    pub fn schemes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.challenges {
            if !out.iter().any(|s| s.eq_ignore_ascii_case(&c.scheme)) {
                out.push(c.scheme.clone());
            }
        }
        out
    }
}

/// Parses a CONNECT answer's head (`head`: everything before the blank line; lines
/// end in CRLF or LF). Anything after [`MAX_HEAD`] bytes is ignored.
pub fn parse(head: &[u8]) -> Result<Answer, AnswerError> {
    let head = &head[..head.len().min(MAX_HEAD)];
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or("").trim();
    let Some(rest) = first.strip_prefix("HTTP/1.") else {
        return Err(AnswerError::NotHttp {
            excerpt: first.chars().take(40).collect(),
        });
    };
    let http10 = rest.starts_with('0');
    let after_version = rest.split_once(' ').map_or("", |(_, s)| s).trim();
    let digits: String = after_version.chars().take(3).collect();
    let code = match digits.parse::<u16>() {
        Ok(c) if digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()) => c,
        _ => {
            return Err(AnswerError::BadStatus {
                line: first.chars().take(MAX_STATUS).collect(),
            });
        }
    };
    let mut answer = Answer {
        code,
        status: after_version.chars().take(MAX_STATUS).collect(),
        challenges: Vec::new(),
        server: None,
        location: None,
        content_length: None,
        keep_alive: false,
    };
    let (mut close, mut keep, mut chunked, mut lengths) = (false, false, false, Vec::new());
    for (i, line) in lines.enumerate() {
        if i >= MAX_HEADERS {
            return Err(AnswerError::TooManyHeaders);
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("proxy-authenticate") {
            challenges(value, &mut answer.challenges);
        } else if is("server") && answer.server.is_none() {
            answer.server = Some(value.chars().take(MAX_SERVER).collect());
        } else if is("location") && answer.location.is_none() {
            answer.location = Some(value.chars().take(MAX_LOCATION).collect());
        } else if is("content-length") {
            lengths.push(value.parse::<u64>().ok());
        } else if is("transfer-encoding") {
            chunked = true;
        } else if is("connection") || is("proxy-connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep |= token.eq_ignore_ascii_case("keep-alive");
            }
        }
    }
    // One length, or several that agree (RFC 9112 §6.3); anything else is unknown.
    answer.content_length = match lengths.split_first() {
        Some((Some(n), rest)) if rest.iter().all(|l| *l == Some(*n)) && !chunked => Some(*n),
        _ => None,
    };
    answer.keep_alive = !close && (!http10 || keep) && answer.content_length.is_some();
    Ok(answer)
}

/// Reads the challenges of one `Proxy-Authenticate` value into `out`. A value may hold
/// several (`Basic realm="a, b", NTLM`): it is split at commas outside quoted strings;
/// a piece whose first word has no `=` starts a challenge, the others are parameters
/// of the one before (`realm="…"`) and are not needed.
fn challenges(value: &str, out: &mut Vec<Challenge>) {
    for piece in split_outside_quotes(value) {
        if out.len() >= MAX_CHALLENGES {
            return;
        }
        let piece = piece.trim();
        let (word, rest) = match piece.split_once([' ', '\t']) {
            Some((w, r)) => (w, r.trim()),
            None => (piece, ""),
        };
        let is_token = |s: &str| {
            !s.is_empty()
                && s.chars().count() <= MAX_SCHEME
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        };
        if !is_token(word) {
            continue;
        }
        let token68 = !rest.is_empty()
            && rest
                .trim_end_matches('=')
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
        out.push(Challenge {
            scheme: word.to_string(),
            token: token68.then(|| rest.to_string()),
        });
    }
}

/// Splits at commas that are not inside a quoted string (with `\"` escapes).
fn split_outside_quotes(value: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                pieces.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&value[start..]);
    pieces
}

/// What kind of "no" a proxy gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// 407, or a SOCKS5 proxy that wants a user/password: `proxy-auth-required`.
    AuthRequired,
    /// 403 and every other 4xx but 407: `proxy-denied` (a 5xx is no refusal).
    Denied,
    /// 3xx, typically to a login portal: `proxy-redirect`.
    Redirect,
}

/// Why a proxy did not open the tunnel: what it answered, and what was tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The proxy, `host:port`.
    pub proxy: String,
    pub kind: RefusalKind,
    /// The HTTP status code; `None` for SOCKS5.
    pub code: Option<u16>,
    /// `407 Proxy Authentication Required`, or the SOCKS5 answer in words.
    pub status: String,
    /// The schemes the proxy offered (`Proxy-Authenticate`), as it spelled them.
    pub offers: Vec<String>,
    pub server: Option<String>,
    pub location: Option<String>,
    /// What was tried and why it did not help ("the NTLM credentials given were
    /// refused"); `None` when no authentication was attempted.
    pub tried: Option<String>,
}

impl Refusal {
    /// The refusal an HTTP answer is, or `None` when the answer is not one: a success,
    /// or a 5xx — 502/503/504, the proxy could not reach the target (Squid's 503 for a
    /// refused upstream), or 500 and the rest, the proxy failed (Squid's 500 for a name
    /// it cannot resolve): the target's `unreachable`, with the proxy's status line,
    /// never a policy refusal (`proxy-denied`).
    pub fn from_answer(proxy: &str, answer: &Answer, tried: Option<String>) -> Option<Self> {
        let kind = match answer.code {
            200..=299 | 500..=599 => return None,
            407 => RefusalKind::AuthRequired,
            300..=399 => RefusalKind::Redirect,
            _ => RefusalKind::Denied,
        };
        Some(Self {
            proxy: proxy.to_string(),
            kind,
            code: Some(answer.code),
            status: answer.status.clone(),
            offers: answer.schemes(),
            server: answer.server.clone(),
            location: answer.location.clone(),
            tried,
        })
    }

    /// What the version cells say: `proxy 407`, `SOCKS5 proxy`.
    pub fn short(&self) -> String {
        match self.code {
            Some(c) => format!("proxy {c}"),
            None => "SOCKS5 proxy refusal".into(),
        }
    }
}

impl Refusal {
    /// What else the proxy said, and what was tried: ` (offers Basic; Server: squid/5.7)`,
    /// or nothing.
    pub fn extras(&self) -> String {
        let mut extra = Vec::new();
        if !self.offers.is_empty() {
            extra.push(format!("offers {}", self.offers.join(", ")));
        }
        if let Some(l) = &self.location {
            extra.push(format!("Location: {l}"));
        }
        if let Some(s) = &self.server {
            extra.push(format!("Server: {s}"));
        }
        if let Some(t) = &self.tried {
            extra.push(t.clone());
        }
        match extra.is_empty() {
            true => String::new(),
            false => format!(" ({})", extra.join("; ")),
        }
    }
}

impl fmt::Display for Refusal {
    /// `proxy 407 Proxy Authentication Required (offers Basic; Server: squid/5.7)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(_) => write!(f, "proxy {}{}", self.status, self.extras()),
            None => write!(
                f,
                "SOCKS5 proxy {}: {}{}",
                self.proxy,
                self.status,
                self.extras()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(head: &str) -> Answer {
        parse(head.as_bytes()).unwrap()
    }

    #[test]
    fn squid_407() {
        let a = ok(
            "HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/5.7\r\n\
                    Content-Length: 3033\r\nProxy-Authenticate: Negotiate\r\n\
                    Proxy-Authenticate: NTLM\r\nProxy-Authenticate: Basic realm=\"lab, x\"\r\n\
                    Connection: keep-alive",
        );
        assert_eq!(a.code, 407);
        assert_eq!(a.status, "407 Proxy Authentication Required");
        assert_eq!(a.schemes(), ["Negotiate", "NTLM", "Basic"]);
        assert_eq!(a.server.as_deref(), Some("squid/5.7"));
        assert_eq!(a.content_length, Some(3033));
        assert!(a.keep_alive);
        let r = Refusal::from_answer("p:3128", &a, None).unwrap();
        assert_eq!(r.kind, RefusalKind::AuthRequired);
        assert_eq!(
            r.to_string(),
            "proxy 407 Proxy Authentication Required (offers Negotiate, NTLM, Basic; Server: squid/5.7)"
        );
        assert_eq!(r.short(), "proxy 407");
    }

    #[test]
    fn challenges_in_one_header_and_tokens() {
        let a = ok(
            "HTTP/1.1 407 x\nProxy-Authenticate: Basic realm=\"a,b\", charset=\"UTF-8\", NTLM TlRMTVNTUAACAAAA==, Negotiate",
        );
        assert_eq!(a.schemes(), ["Basic", "NTLM", "Negotiate"]);
        assert_eq!(a.token("ntlm"), Some("TlRMTVNTUAACAAAA=="));
        assert_eq!(a.token("Basic"), None);
        assert!(!a.keep_alive, "no length: the body ends at close");
    }

    #[test]
    fn refusals_by_code() {
        let kind = |head: &str| Refusal::from_answer("p:1", &ok(head), None).map(|r| r.kind);
        assert_eq!(kind("HTTP/1.1 403 Forbidden"), Some(RefusalKind::Denied));
        assert_eq!(kind("HTTP/1.0 400 Bad Request"), Some(RefusalKind::Denied));
        assert_eq!(
            kind("HTTP/1.1 302 Found\r\nLocation: http://portal.example/"),
            Some(RefusalKind::Redirect)
        );
        assert_eq!(kind("HTTP/1.1 200 Connection established"), None);
        assert_eq!(
            kind("HTTP/1.1 503 Service Unavailable"),
            None,
            "the target's problem"
        );
        assert_eq!(
            kind("HTTP/1.1 500 Internal Server Error"),
            None,
            "the proxy failed"
        );
        let r = Refusal::from_answer(
            "p:1",
            &ok("HTTP/1.1 302 Found\r\nLocation: http://portal.example/\r\nServer: squid"),
            None,
        )
        .unwrap();
        assert_eq!(
            r.to_string(),
            "proxy 302 Found (Location: http://portal.example/; Server: squid)"
        );
    }

    #[test]
    fn keep_alive_rules() {
        assert!(!ok("HTTP/1.1 407 x\r\nContent-Length: 0\r\nConnection: close").keep_alive);
        assert!(!ok("HTTP/1.0 407 x\r\nContent-Length: 0").keep_alive);
        assert!(
            ok("HTTP/1.0 407 x\r\nContent-Length: 0\r\nProxy-Connection: Keep-Alive").keep_alive
        );
        assert!(!ok("HTTP/1.1 407 x\r\nContent-Length: 5\r\nContent-Length: 6").keep_alive);
        assert!(
            !ok("HTTP/1.1 407 x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked").keep_alive
        );
        assert!(ok("HTTP/1.1 407 x\r\nContent-Length: 5\r\nContent-Length: 5").keep_alive);
    }

    #[test]
    fn not_answers() {
        assert!(matches!(
            parse(b"SSH-2.0-OpenSSH_9.2"),
            Err(AnswerError::NotHttp { .. })
        ));
        assert!(matches!(parse(b""), Err(AnswerError::NotHttp { .. })));
        assert!(matches!(
            parse(b"HTTP/1.1 2x0 OK"),
            Err(AnswerError::BadStatus { .. })
        ));
        assert!(matches!(
            parse(b"HTTP/1.1 +20 OK"),
            Err(AnswerError::BadStatus { .. })
        ));
        let many = format!("HTTP/1.1 200 OK{}", "\r\nX: y".repeat(MAX_HEADERS + 1));
        assert_eq!(parse(many.as_bytes()), Err(AnswerError::TooManyHeaders));
        let long = format!("HTTP/1.1 403 {}", "é".repeat(500));
        assert_eq!(ok(&long).status.chars().count(), MAX_STATUS);
        assert_eq!(
            parse(b"HTTP/1.1 407 x\r\nProxy-Authenticate: \xff\xfe NTLM").map(|a| a.code),
            Ok(407)
        );
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any bytes: an answer or a named error, never a panic; every kept value
        /// bounded.
        #[test]
        fn arbitrary_heads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            if let Ok(a) = parse(&bytes) {
                prop_assert!(a.status.chars().count() <= MAX_STATUS);
                prop_assert!(a.challenges.len() <= MAX_CHALLENGES);
                prop_assert!(a.server.as_ref().is_none_or(|s| s.chars().count() <= MAX_SERVER));
                prop_assert!(a.location.as_ref().is_none_or(|s| s.chars().count() <= MAX_LOCATION));
                let _ = Refusal::from_answer("p:1", &a, None).map(|r| r.to_string());
            }
        }

        /// HTTP-shaped heads with arbitrary header lines and challenge values.
        #[test]
        fn http_shaped_heads_never_panic(
            code in 100u16..1000,
            lines in proptest::collection::vec("[ -~]{0,24}", 0..110),
            challenge in "[ -~\\t]{0,200}",
        ) {
            let mut head = format!("HTTP/1.1 {code} x\r\nProxy-Authenticate: {challenge}");
            for l in &lines {
                head.push_str("\r\n");
                head.push_str(l);
            }
            match parse(head.as_bytes()) {
                Ok(a) => prop_assert_eq!(a.code, code),
                Err(e) => prop_assert_eq!(e, AnswerError::TooManyHeaders),
            }
        }
    }
}
