//! Target `dns`: DNS messages (decoded by hickory-proto, as the resolver does) and the
//! names the scan shows from them (CNAME chains).

use hickory_resolver::proto::op::Message;
use hickory_resolver::proto::rr::{Name, RData};

use super::oracle::{fail, sinks_safe};

pub fn run(data: &[u8]) {
    if let Err(e) = dns_message(data) {
        fail("dns", e);
    }
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
