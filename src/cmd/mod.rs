//! The commands: the top of the crate. Each subcommand of [`crate::cli::Command`] is one
//! module here that turns its arguments into a run of the library and returns its exit
//! code; shared types (exit codes, failures, report outputs, summaries) live below, in
//! [`crate::exit`] and [`crate::report`], so no module below reaches back up here.

pub mod clients;
pub mod completions;
pub mod endpoints;
pub mod man;
pub mod merge;
pub mod scan;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::exit;

/// Runs the parsed command line; the exit code is the CI contract of [`crate::exit`].
pub fn run(cli: Cli) -> ExitCode {
    exit::code(match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Endpoints(args) => endpoints::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Clients(args) => clients::run(&args),
        Command::Completions { shell } => completions::run(shell),
        Command::Man => man::run(),
    })
}
