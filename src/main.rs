//! The `tlscompat` binary: parse arguments, hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    tlscompat::cmd::run(tlscompat::cli::Cli::parse())
}
