//! Target `proxy`: proxy URLs (`--proxy`, `HTTPS_PROXY`: `http://`, `socks5://`,
//! `socks5h://`, credentials) and `NO_PROXY` lists. Input: the URL, then (after a NUL)
//! the `NO_PROXY` value.
//!
//! Oracles: a parsed proxy has a port of 1-65535; neither its display nor an error
//! message nor the redacted URL contains the password (when it is distinctive enough
//! to look for, see `credentials`); errors hold nothing raw; `NO_PROXY` matching never
//! panics.

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

/// The password of a URL (after the first `:` of what `redact` hides), when it is a
/// secret worth looking for: 4 characters or more, holding a character the messages
/// never add themselves (`!$^&~|` or a letter beyond ASCII; not `*`, the mask's), and
/// not to be found in what may be shown instead — the rest of the URL, the mask
/// `***@` before the host, the default ports `:8080` and `:1080` the parser adds.
fn credentials(url: &str) -> Option<String> {
    let start = url.find("://").map_or(0, |s| s + 3);
    let at = url.rfind('@').filter(|at| *at >= start)?;
    let (_, password) = url[start..at].split_once(':')?;
    let shown = format!("{}***@{}:8080:1080", &url[..start], &url[at + 1..]);
    let distinctive = password
        .chars()
        .any(|c| "!$^&~|".contains(c) || (!c.is_ascii() && c.is_alphabetic()));
    (password.chars().count() >= 4 && distinctive && !shown.contains(password))
        .then(|| password.to_string())
}
