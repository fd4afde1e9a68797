//! `tlscompat completions SHELL`: a completion script generated from the one CLI
//! definition ([`crate::cli::Cli`]), so it never lags behind the flags. The Debian package
//! ships the bash, zsh and fish scripts (`pkg/completions/`, kept current by
//! `tests/package.rs`).

use std::io::{self, BufWriter, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::exit::{EXIT_OK, Failure};

/// The script for `shell`, as bytes.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tlscompat", &mut out);
    out
}

pub fn run(shell: Shell) -> Result<u8, Failure> {
    let mut out = BufWriter::new(io::stdout().lock());
    out.write_all(&script(shell))?;
    out.flush()?;
    Ok(EXIT_OK)
}
