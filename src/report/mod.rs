//! Sinks: the same records rendered for people (table), admins (CSV) and machines.
//! Each format lives in its own module; none of them computes anything new.

pub mod csv;
pub mod table;

use crate::probe::outcome::CellState;
use crate::record::Cell;

/// A cell as the table shows it: the state word, with the reason when there is one.
pub fn cell_text(cell: &Cell) -> String {
    match (cell.state, cell.detail.is_empty()) {
        (CellState::Skipped, _) => "-".into(),
        (CellState::Accepted, true) => "yes".into(),
        (CellState::Accepted, false) => format!("yes ({})", cell.detail),
        (CellState::Rejected, _) => format!("no: {}", cell.detail),
        (CellState::Unreachable, _) => "unreachable".into(),
        (_, _) => cell.detail.clone(),
    }
}
