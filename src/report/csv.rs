//! The CSV report: one row per (host, port, address), the columns of DESIGN.md.
//!
//! Version cells hold only the state word (`accepted`, `rejected`, `refused` (a mail
//! service that turned the session away after the handshake), `timeout`,
//! `unreachable`, `error`, `skipped`) so spreadsheets can filter on them; the reason
//! for every cell that is not a plain acceptance goes to `error` as
//! `tls1_0: alert protocol_version (70); …`, and findings with their evidence to
//! `findings`.
//!
//! Every cell and column name goes through [`crate::safe::csv_cell`]: control, bidi and
//! invisible characters become the terminal's visible escapes (`\x1b`, `\n`,
//! `\u{202e}`), so a record is one line and nothing hides in a spreadsheet, and a cell a
//! spreadsheet would evaluate as a formula is prefixed with `'`. The rest is kept as it
//! came (the csv crate quotes what needs quoting); the JSON report has the exact values.

use std::io::Write;

use super::Sink;
use super::summary::Summary;
use crate::record::Record;
use crate::safe::csv_cell;
use crate::version::TlsVersion;

pub const HEADER: [&str; 19] = [
    "host",
    "port",
    "address",
    "tls1_0",
    "tls1_1",
    "tls1_2",
    "tls1_3",
    "legacy_rejected",
    "best_version",
    "cipher",
    "cert_subject",
    "cert_issuer",
    "cert_not_after",
    "cert_sha256",
    "trusted_public",
    "trusted_local",
    "intercepted",
    "findings",
    "error",
];

pub struct CsvSink<W: Write> {
    out: csv::Writer<W>,
    /// The columns after [`HEADER`], filled by the checks (`checks::csv_columns`).
    extra: Vec<String>,
}

impl<W: Write> CsvSink<W> {
    /// A sink whose header is [`HEADER`] then `ctx`'s check columns: the suites per
    /// version (always, empty without `--ciphers`), then one per client profile.
    pub fn new(out: W, ctx: &super::ScanContext) -> std::io::Result<Self> {
        let mut out = csv::Writer::from_writer(out);
        let extra = ctx.check_columns();
        // The column names of checks come from profile names (checked where they are
        // read), and go through the same rule as every cell all the same.
        let header = HEADER
            .iter()
            .map(|h| h.to_string())
            .chain(extra.iter().map(|c| csv_cell(c).into_owned()));
        out.write_record(header).map_err(io_error)?;
        Ok(Self { out, extra })
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn record(&mut self, r: &Record) -> std::io::Result<()> {
        let mut cells = row(r);
        cells.extend(self.extra.iter().map(|col| {
            r.checks
                .iter()
                .find_map(|c| c.cell(col))
                .unwrap_or_default()
                .to_string()
        }));
        // Every cell, not only the ones from the network: the rule cannot be
        // forgotten when a column is added.
        for cell in &cells {
            self.out
                .write_field(csv_cell(cell).as_bytes())
                .map_err(io_error)?;
        }
        self.out.write_record(None::<&[u8]>).map_err(io_error)?;
        Ok(())
    }

    fn finish(&mut self, _: &Summary) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Keeps the I/O error (a closed pipe must stay recognisable as one).
fn io_error(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("CSV: {other:?}")),
    }
}

fn opt_bool(b: Option<bool>) -> String {
    b.map(|b| b.to_string()).unwrap_or_default()
}

pub fn row(r: &Record) -> Vec<String> {
    let leaf = r.chain.first();
    // A record-level error (dns, unreachable, proxy refusal) says it all: its cells
    // carry no reason of their own.
    let details: Vec<String> = match &r.error {
        Some(e) => vec![e.clone()],
        None => TlsVersion::ALL
            .iter()
            .filter(|v| !r.cell(**v).detail.is_empty())
            .map(|v| format!("{}: {}", v.key(), r.cell(*v).detail))
            .collect(),
    };
    let mut row = vec![r.host.clone(), r.port.to_string(), r.address.clone()];
    row.extend(
        TlsVersion::ALL
            .iter()
            .map(|v| r.cell(*v).state.as_str().to_string()),
    );
    row.extend([
        opt_bool(r.legacy_rejected()),
        r.best_version
            .map(|v| v.number().to_string())
            .unwrap_or_default(),
        r.cipher.map(|c| c.to_string()).unwrap_or_default(),
        leaf.map(|c| c.subject.clone()).unwrap_or_default(),
        leaf.map(|c| c.issuer.clone()).unwrap_or_default(),
        leaf.map(|c| c.not_after.clone()).unwrap_or_default(),
        leaf.map(|c| c.sha256.clone()).unwrap_or_default(),
        opt_bool(r.trusted_public),
        opt_bool(r.trusted_local),
        opt_bool(r.intercepted),
        r.findings
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        details.join("; "),
    ]);
    row
}
