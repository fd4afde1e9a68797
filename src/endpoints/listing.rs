//! `tlscompat endpoints`: the effective list as a table for people.

use std::io::{self, Write};

use super::model::EndpointList;
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
        "{:<40} {:>5}  {:<13} {:<9} {:<19} {:<8} PURPOSE",
        "HOST", "PORT", "ROLE", "CATEGORY", "INSPECTION", "LEGACY"
    )?;
    for e in &list.endpoints {
        writeln!(
            out,
            "{:<40} {:>5}  {:<13} {:<9} {:<19} {:<8} {}",
            terminal(&e.host),
            e.port,
            e.role.name(),
            e.category.name(),
            e.inspection.name(),
            e.legacy_tls.name(),
            terminal(&e.purpose)
        )?;
    }
    Ok(())
}
