//! Sinks: the same records rendered for people (table), admins (CSV), tools (JSON) and
//! CI dashboards (JUnit). Each format lives in its own module behind [`Sink`]; none of
//! them computes anything new. Records arrive in the scan's stable order, one at a
//! time: CSV and JSON stream them out, the table and JUnit keep only their own rows.

pub mod csv;
pub mod html;
pub mod json;
pub mod junit;
pub mod load;
pub mod matrix;
pub mod output;
pub mod schema;
pub mod sinks;
pub mod summary;
pub mod table;
pub mod text;
pub mod verdicts;

use std::io;

use crate::findings::FindingKind;
use crate::probe::outcome::CellState;
use crate::record::{Cell, Record};
use summary::Summary;

/// Everything a sink may need to know about the scan besides the records.
#[derive(Clone, Debug)]
pub struct ScanContext {
    pub versions: Vec<crate::version::TlsVersion>,
    pub fail_on: Vec<FindingKind>,
    /// The options the scan ran with, for the JSON report.
    pub options: serde_json::Value,
    /// The client profiles given to `--clients`, by name, in order.
    pub clients: Vec<String>,
}

impl ScanContext {
    /// The CSV columns after DESIGN.md's fixed ones: `suites_tls1_0` … `suites_tls1_3`,
    /// then `client_<profile>` per profile asked for.
    pub fn check_columns(&self) -> Vec<String> {
        let mut cols: Vec<String> = crate::version::TlsVersion::ALL
            .iter()
            .map(|v| format!("suites_{}", v.key()))
            .collect();
        cols.extend(
            self.clients
                .iter()
                .map(|c| crate::checks::clients::column(c)),
        );
        cols
    }

    pub fn fails(&self, r: &Record) -> bool {
        r.findings.iter().any(|f| self.fail_on.contains(&f.kind))
    }
}

pub trait Sink {
    fn record(&mut self, r: &Record) -> io::Result<()>;
    /// A record read back from a JSON report (`tlscompat merge`), with that JSON. Sinks
    /// that render from the record need not override this; the JSON sink writes `raw`.
    fn record_json(&mut self, r: &Record, _raw: &serde_json::Value) -> io::Result<()> {
        self.record(r)
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

/// A cell as the table shows it: the state word, with the reason when there is one.
pub fn cell_text(cell: &Cell) -> String {
    let unproven = matches!(cell.proof, Some(crate::probe::proof::Proof::Unproven(_)));
    match (cell.state, cell.detail.is_empty()) {
        (CellState::Skipped, _) => "-".into(),
        (CellState::Accepted, true) if unproven => "yes (unproven)".into(),
        (CellState::Accepted, true) => "yes".into(),
        (CellState::NoRoute, _) => "no route".into(),
        (CellState::Accepted, false) => format!("yes ({})", cell.detail),
        (CellState::Rejected, _) => format!("no: {}", cell.detail),
        (CellState::Refused, _) => format!("refused: {}", cell.detail),
        (CellState::Unreachable, _) => "unreachable".into(),
        (_, _) => cell.detail.clone(),
    }
}
