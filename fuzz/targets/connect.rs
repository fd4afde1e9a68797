//! Target `connect`: a proxy's answer to CONNECT, through `proxy::answer::parse` and the
//! refusal it becomes (the finding's text). Input: the answer head, then (after a NUL,
//! if any) bytes for header lines that follow the status line.
//!
//! Oracles: `Ok` only for an `HTTP/1.x` first line with a three-digit code; lines after
//! the first never change the code or status; every quoted value is bounded; the
//! refusal's text keeps the proxy label and passes the sink rules.

use tlscompat::proxy::answer::{self, Refusal};

use super::oracle::{fail, sinks_safe};

pub fn run(data: &[u8]) {
    let (head, junk) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    if let Err(e) = connect_answer(head, junk) {
        fail("connect", e);
    }
}

pub fn connect_answer(head: &[u8], junk: &[u8]) -> Result<(), String> {
    const LABEL: &str = "proxy.lab:3128";
    let parsed = answer::parse(head);
    let text = String::from_utf8_lossy(head);
    let first = text.split('\n').next().unwrap_or("").trim();
    let a = match &parsed {
        Err(_) => return Ok(()),
        Ok(a) => a,
    };
    if !first.starts_with("HTTP/1.") {
        return Err(format!("accepted {first:?}"));
    }
    if a.status.chars().count() > answer::MAX_STATUS
        || a.challenges.len() > answer::MAX_CHALLENGES
        || a.server.as_ref().is_some_and(|s| s.chars().count() > 120)
        || a.location.as_ref().is_some_and(|s| s.chars().count() > 300)
    {
        return Err(format!("unbounded value in {a:?}"));
    }
    for scheme in a.schemes() {
        sinks_safe("scheme", &scheme)?;
        let _ = a.token(&scheme);
    }
    if let Some(r) = Refusal::from_answer(LABEL, a, None) {
        let shown = r.to_string();
        if !shown.starts_with("proxy ") {
            return Err(format!("refusal {shown:?}"));
        }
        sinks_safe("proxy refusal", &shown)?;
        sinks_safe("proxy refusal short", &r.short())?;
        let _ = r.extras();
    }
    // Later header lines (here: the first line plus junk) must not change the status.
    let line_end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
    let mut more = head[..line_end].to_vec();
    more.extend_from_slice(b"\r\n");
    more.extend_from_slice(junk);
    if let Ok(b) = answer::parse(&more)
        && (b.code, &b.status) != (a.code, &a.status)
    {
        return Err(format!("headers after {first:?} changed the status"));
    }
    Ok(())
}
