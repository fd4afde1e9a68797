//! Target `connect`: `probe::net::check_status`, the verdict on a proxy's answer to
//! CONNECT. Input: the answer head, then (after a NUL, if any) bytes for the header
//! lines that follow the status line.

use tlscompat::probe::net::check_status;
use tlscompat::probe::outcome::ConnectFailure;

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

/// `probe::net::check_status` on an arbitrary CONNECT answer head. Oracles: `Ok` only
/// for an `HTTP/1.x 2xx` first line; lines after the first never change the verdict;
/// a refusal quotes at most 80 characters of the status line, keeps the proxy label
/// and passes the sink rules.
pub fn connect_answer(head: &[u8], junk: &[u8]) -> Result<(), String> {
    const LABEL: &str = "proxy.lab:3128";
    let verdict = check_status(head, LABEL);
    let text = String::from_utf8_lossy(head);
    let first = text.lines().next().unwrap_or("").trim();
    match &verdict {
        Ok(()) => {
            let mut parts = first.split(' ');
            let (v, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if !v.starts_with("HTTP/1.") || code.len() != 3 || !code.starts_with('2') {
                return Err(format!("accepted {first:?}"));
            }
        }
        Err(ConnectFailure::ProxyStatus(msg, label)) => {
            if label != LABEL || !msg.starts_with("proxy ") || msg.chars().count() > 86 {
                return Err(format!("refusal {msg:?} / {label:?}"));
            }
            sinks_safe("proxy status", msg)?;
        }
        Err(other) => return Err(format!("unexpected {other:?}")),
    }
    // Later header lines (here: the first line plus junk) must not change the verdict.
    let line_end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
    let mut more = head[..line_end].to_vec();
    more.extend_from_slice(b"\r\n");
    more.extend_from_slice(junk);
    if check_status(&more, LABEL) != verdict {
        return Err(format!("headers after {first:?} changed the verdict"));
    }
    Ok(())
}
