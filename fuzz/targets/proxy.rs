//! Target `proxy`: proxy URLs (`--proxy`, `HTTPS_PROXY`: `http://`, `socks5://`,
//! `socks5h://`, credentials) and `NO_PROXY` lists. Input: the URL, then (after a NUL)
//! the `NO_PROXY` value.
//!
//! Oracles: a parsed proxy has a port of 1-65535; neither its display nor an error
//! message nor the redacted URL contains the credentials (everything between the scheme
//! and the last `@`, when that text occurs nowhere else in the URL); errors hold nothing
//! raw; `NO_PROXY` matching never panics.

use tlscompat::proxy::{NoProxy, Proxy, redact};
use tlscompat::target::Target;

use super::oracle::{fail, lossy, nothing_raw};

pub fn run(data: &[u8]) {
    let text = lossy(data);
    let (url, no_proxy) = text.split_once('\0').unwrap_or((&text, ""));
    if let Err(e) = check(url, no_proxy) {
        fail("proxy", e);
    }
}

pub fn check(url: &str, no_proxy: &str) -> Result<(), String> {
    let secret = credentials(url);
    let leaks = |s: &str| secret.as_deref().is_some_and(|c| s.contains(c));
    if leaks(&redact(url)) {
        return Err(format!("redact({url:?}) shows the credentials"));
    }
    match Proxy::parse(url) {
        Ok((p, _userinfo)) => {
            let shown = format!("{p} {p:?}");
            if p.port == 0 || leaks(&shown) || !nothing_raw(&shown) {
                return Err(format!("{url:?} parsed as {shown:?}"));
            }
        }
        Err(e) => {
            if leaks(&e) || !nothing_raw(&e) {
                return Err(format!("{url:?}: error {e:?}"));
            }
        }
    }
    let rules = NoProxy::parse(no_proxy);
    for t in ["a.example:443", "127.0.0.1:443", "[::1]:8443", "login.microsoftonline.com:443"] {
        if let Ok(t) = t.parse::<Target>() {
            let _ = rules.matches(&t);
        }
    }
    if let Ok(t) = url.parse::<Target>() {
        let _ = rules.matches(&t);
    }
    Ok(())
}

/// The userinfo of a URL (as `redact` finds it), when it is a secret worth looking
/// for: 4 characters or more, nowhere else in the URL, and holding a character the
/// messages never add themselves (`!$^&~|` or a letter beyond ASCII; not `*`, which
/// the mask `***` adds) — a "secret" like `:808` would be found in the default port
/// `:8080` the parser adds.
fn credentials(url: &str) -> Option<String> {
    let start = url.find("://").map_or(0, |s| s + 3);
    let at = url.rfind('@').filter(|at| *at >= start)?;
    let creds = &url[start..at];
    let elsewhere = url[..start].contains(creds) || url[at + 1..].contains(creds);
    let distinctive = creds
        .chars()
        .any(|c| "!$^&~|".contains(c) || (!c.is_ascii() && c.is_alphabetic()));
    (creds.chars().count() >= 4 && !elsewhere && distinctive).then(|| creds.to_string())
}
