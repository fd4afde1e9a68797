//! The human table: one row per address, a column per version with the reason for
//! each refusal, a legend, the findings, and the summary line. Rows are kept until the
//! end so columns can be aligned (the table is for people; lists are short).

use std::io::{self, Write};

use super::summary::Summary;
use super::{ScanContext, Sink, cell_text};
use crate::record::Record;

pub struct TableSink<W: Write> {
    out: W,
    ctx: ScanContext,
    rows: Vec<Vec<String>>,
    findings: Vec<String>,
}

/// How the table is drawn.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableStyle {
    pub color: bool,
    pub width: Option<usize>,
}

impl TableStyle {
    pub fn for_stdout(_c: crate::cli::ColorChoice) -> Self {
        Self::default()
    }
}

impl<W: Write> TableSink<W> {
    pub fn styled(self, _style: TableStyle) -> Self {
        self
    }

    pub fn new(out: W, ctx: ScanContext) -> Self {
        let mut header = vec!["HOST".to_string(), "PORT".into(), "ADDRESS".into()];
        header.extend(ctx.versions.iter().map(|v| v.to_string().to_uppercase()));
        header.extend(["BEST".into(), "CIPHER".into(), "CERT".into()]);
        Self {
            out,
            ctx,
            rows: vec![header],
            findings: Vec::new(),
        }
    }
}

impl<W: Write> Sink for TableSink<W> {
    fn record(&mut self, r: &Record) -> io::Result<()> {
        let address = if r.address.is_empty() {
            "-".into()
        } else {
            r.address.clone()
        };
        let mut row = vec![r.host.clone(), r.port.to_string(), address];
        row.extend(self.ctx.versions.iter().map(|v| cell_text(r.cell(*v))));
        row.push(
            r.best_version
                .map_or("-".into(), |v| v.number().to_string()),
        );
        row.push(r.cipher.map_or("-".into(), |c| c.to_string()));
        row.push(cert_text(r));
        self.rows.push(row);
        let at = if r.address.is_empty() {
            String::new()
        } else {
            format!(" [{}]", r.address)
        };
        for f in &r.findings {
            let mark = if self.ctx.fail_on.contains(&f.kind) {
                "FAIL"
            } else {
                "note"
            };
            self.findings
                .push(format!("{mark} {}:{}{at}: {f}", r.host, r.port));
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let widths: Vec<usize> = (0..self.rows[0].len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|row| row[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            writeln!(self.out, "{}", cells.join("  ").trim_end())?;
        }
        writeln!(self.out)?;
        writeln!(
            self.out,
            "yes = accepted; no: how the server refused; timeout = no answer in time; - = not probed"
        )?;
        if !self.findings.is_empty() {
            writeln!(self.out)?;
            for line in &self.findings {
                writeln!(self.out, "{line}")?;
            }
        }
        writeln!(self.out)?;
        writeln!(self.out, "{}", summary.line())?;
        self.out.flush()
    }
}

fn cert_text(r: &Record) -> String {
    let Some(leaf) = r.chain.first() else {
        return "-".into();
    };
    let issuer = leaf.issuer_cn.as_deref().unwrap_or(&leaf.issuer);
    let trust = match (r.trusted_public, r.trusted_local) {
        (Some(true), _) => "trusted".to_string(),
        (_, Some(true)) => "trusted locally only".to_string(),
        _ => format!(
            "untrusted: {}",
            r.trust_public_detail.as_deref().unwrap_or("?")
        ),
    };
    let verdict = if r.intercepted == Some(true) {
        "; INTERCEPTED"
    } else {
        ""
    };
    format!("by {issuer} ({trust}{verdict})")
}
