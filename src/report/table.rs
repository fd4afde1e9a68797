//! The human table on stdout: one row per address, a column per version with the
//! reason for each refusal, then the findings.

use std::io::{self, Write};

use super::cell_text;
use crate::record::Record;
use crate::version::{TlsVersion, VersionRange};

pub fn write_table(
    out: &mut impl Write,
    records: &[Record],
    range: VersionRange,
) -> io::Result<()> {
    let versions: Vec<TlsVersion> = range.iter().collect();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(records.len() + 1);
    let mut header = vec!["HOST".to_string(), "PORT".into(), "ADDRESS".into()];
    header.extend(versions.iter().map(|v| v.to_string().to_uppercase()));
    header.extend(["BEST".into(), "CIPHER".into(), "CERT".into()]);
    rows.push(header);
    for r in records {
        let mut row = vec![
            r.host.clone(),
            r.port.to_string(),
            if r.address.is_empty() {
                "-".into()
            } else {
                r.address.clone()
            },
        ];
        row.extend(versions.iter().map(|v| cell_text(r.cell(*v))));
        row.push(
            r.best_version
                .map_or("-".into(), |v| v.number().to_string()),
        );
        row.push(r.cipher.map_or("-".into(), |c| c.to_string()));
        row.push(cert_text(r));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "yes = version accepted; no: why the server refused; timeout = no answer in time; - = not probed"
    )?;
    for r in records.iter().filter(|r| !r.findings.is_empty()) {
        let at = if r.address.is_empty() {
            String::new()
        } else {
            format!(" [{}]", r.address)
        };
        for f in &r.findings {
            writeln!(out, "! {}:{}{at}: {f}", r.host, r.port)?;
        }
    }
    Ok(())
}

fn cert_text(r: &Record) -> String {
    let Some(leaf) = r.chain.first() else {
        return "-".into();
    };
    let issuer = leaf.issuer_cn.as_deref().unwrap_or(&leaf.issuer);
    let trust = match r.trusted_public {
        Some(true) => "publicly trusted",
        Some(false) => "not publicly trusted",
        None => "trust not checked",
    };
    format!(
        "{} by {issuer}, {trust}",
        leaf.sans
            .first()
            .map_or(leaf.subject.as_str(), |s| s.trim_start_matches("DNS:"))
    )
}
