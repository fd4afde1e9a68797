//! Targets whose output is text for people: certificate summaries, CONNECT answers,
//! DNS-derived names. Each is checked against the output-safety rules of
//! `tlscompat::safe` as well as for panics.

use std::sync::atomic::{AtomicU64, Ordering};

use hickory_resolver::proto::op::Message;
use hickory_resolver::proto::rr::{Name, RData};
use tlscompat::proxy::answer::{self, Refusal};
use tlscompat::safe::{csv_cell, terminal, unsafe_for_terminal, xml_text};

/// Inputs that got past the parser (a summary, a decoded DNS message), to show how
/// deep the mutations reach.
pub static PARSED: AtomicU64 = AtomicU64::new(0);

/// The sinks' rules hold for `s`: the terminal form has nothing a terminal interprets,
/// the XML form only characters XML 1.0 allows and no raw markup, the CSV form no
/// formula start.
pub fn sinks_safe(what: &str, s: &str) -> Result<(), String> {
    let t = terminal(s);
    if t.chars().any(unsafe_for_terminal) {
        return Err(format!("{what}: terminal form {t:?} of {s:?}"));
    }
    let x = xml_text(s);
    let xml_ok = x.chars().all(|c| {
        matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..)
            && !matches!(c, '<' | '>' | '"' | '\'' | '\n' | '\r' | '\t')
    });
    if !xml_ok {
        return Err(format!("{what}: XML form {x:?} of {s:?}"));
    }
    let c = csv_cell(s);
    if c.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        return Err(format!("{what}: CSV form {c:?}"));
    }
    Ok(())
}

/// `cert::summarize` on arbitrary DER: an error or a summary whose every text field
/// passes the sink rules, deterministic (checked one time in `recheck`).
pub fn certificate(der: &[u8], recheck: bool) -> Result<(), String> {
    let Ok(s) = tlscompat::cert::summarize(der) else {
        return Ok(());
    };
    PARSED.fetch_add(1, Ordering::Relaxed);
    sinks_safe("subject", &s.subject)?;
    sinks_safe("issuer", &s.issuer)?;
    if let Some(cn) = &s.issuer_cn {
        sinks_safe("issuer_cn", cn)?;
    }
    for san in &s.sans {
        sinks_safe("san", san)?;
    }
    if s.sha256.len() != 64 {
        return Err(format!("sha256 {:?}", s.sha256));
    }
    if recheck && tlscompat::cert::summarize(der).as_ref() != Ok(&s) {
        return Err("summarize is not deterministic".into());
    }
    Ok(())
}

/// `proxy::answer::parse` on an arbitrary CONNECT answer head, and the refusal it
/// becomes. Oracles: `Ok` only for an `HTTP/1.x` first line with a three-digit code;
/// lines after the first never change the code or status; every quoted value is
/// bounded; the refusal's text keeps the proxy label and passes the sink rules.
pub fn connect_answer(head: &[u8], junk: &[u8]) -> Result<(), String> {
    const LABEL: &str = "proxy.lab:3128";
    let parsed = answer::parse(head);
    let text = String::from_utf8_lossy(head);
    let first = text.split('\n').next().unwrap_or("").trim();
    let a = match &parsed {
        Err(_) => return Ok(()),
        Ok(a) => a,
    };
    PARSED.fetch_add(1, Ordering::Relaxed);
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
    if let Some(r) = Refusal::from_answer(LABEL, a, None) {
        let shown = r.to_string();
        if !shown.starts_with("proxy ") {
            return Err(format!("refusal {shown:?}"));
        }
        sinks_safe("proxy refusal", &shown)?;
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

/// A DNS message as the resolver would decode it, and the CNAME links the scan shows
/// (`name -> target`, as `resolve.rs` formats them). Oracles: every shown name is
/// printable ASCII and passes the sink rules, and is unambiguous: when the shown text
/// reads back as a name, it is the same name. (Some shown names do not read back at
/// all — hickory escapes `[` as `\[`, which its own parser refuses — that is not a
/// safety problem, so it is counted, not failed.)
pub fn dns_message(bytes: &[u8]) -> Result<(), String> {
    let Ok(msg) = Message::from_vec(bytes) else {
        return Ok(());
    };
    PARSED.fetch_add(1, Ordering::Relaxed);
    for r in &msg.answers {
        shown_name(&r.name)?;
        if let RData::CNAME(c) = &r.data {
            shown_name(&c.0)?;
            let link = format!("{} -> {}", trim(&r.name.to_ascii()), trim(&c.0.to_ascii()));
            sinks_safe("cname link", &link)?;
        }
    }
    Ok(())
}

fn trim(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

fn shown_name(name: &Name) -> Result<(), String> {
    let shown = name.to_ascii();
    sinks_safe("dns name", &shown)?;
    if !shown.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(format!("dns name {shown:?} is not printable ASCII"));
    }
    match Name::from_ascii(&shown) {
        Ok(back) if back != *name => Err(format!("dns name {shown:?} reads back as {back:?}")),
        _ => Ok(()),
    }
}
