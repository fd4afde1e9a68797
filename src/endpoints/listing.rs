//! `tlscompat endpoints`: the effective list as a table for people.

use std::io::{self, Write};

use super::model::EndpointList;
use crate::mail::{StarttlsChoice, TlsStart, select};
use crate::safe::terminal;

/// Writes the list: a `# origin (n endpoints)` line, a header, one row per endpoint.
/// Names and purposes pass through [`terminal`]: a list file is user input.
pub fn write_listing(list: &EndpointList, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "# {} ({} endpoints)",
        terminal(&list.origin),
        list.endpoints.len()
    )?;
    writeln!(
        out,
        "{:<40} {:>5}  {:<13} {:<9} {:<19} {:<8} {:<14} PURPOSE",
        "HOST", "PORT", "ROLE", "CATEGORY", "INSPECTION", "LEGACY", "TLS"
    )?;
    for e in &list.endpoints {
        writeln!(
            out,
            "{:<40} {:>5}  {:<13} {:<9} {:<19} {:<8} {:<14} {}",
            terminal(&e.host),
            e.port,
            e.role.name(),
            e.category.name(),
            e.inspection.name(),
            e.legacy_tls.name(),
            how_tls_starts(e.port, e.starttls),
            terminal(&e.purpose)
        )?;
    }
    Ok(())
}

/// How a scan starts TLS on the entry (`mail::select` without `--starttls`): `direct`,
/// `smtp starttls`, `imap implicit`, …
fn how_tls_starts(port: u16, own: Option<StarttlsChoice>) -> String {
    match select(port, None, own) {
        None => "direct".into(),
        Some(m) if m.start == TlsStart::Starttls => format!("{} starttls", m.protocol.name()),
        Some(m) => format!("{} implicit", m.protocol.name()),
    }
}
