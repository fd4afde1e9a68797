//! Exit codes and the failures that decide them.
//!
//! Exit codes are a contract for CI: [`EXIT_OK`], [`EXIT_FINDINGS`], [`EXIT_USAGE`],
//! [`EXIT_IO`], and 128 + signal number when Ctrl-C/SIGTERM stopped the scan
//! (see [`crate::interrupt`]). Every command returns `Result<u8, Failure>`; [`code`]
//! turns that into the process's exit code and its one message. This module sits below
//! every command and every helper that can refuse an invocation, so none of them has to
//! reach up into the command layer for these types.

use std::io;
use std::process::ExitCode;

use crate::diag;

/// Scan done, nothing in the `--fail-on` set.
pub const EXIT_OK: u8 = 0;
/// Scan done, at least one finding in the `--fail-on` set.
pub const EXIT_FINDINGS: u8 = 1;
/// Invalid invocation or input (including a report path that cannot be written);
/// nothing scanned.
pub const EXIT_USAGE: u8 = 2;
/// The scan ran but a report could not be written (disk full, stdout unwritable, the
/// rename into place failed); the message names the file or `stdout`.
pub const EXIT_IO: u8 = 3;

/// A semantic error in the invocation or its input; exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

/// Why a command did not finish with a verdict.
#[derive(Debug)]
pub enum Failure {
    /// Exit 2: the invocation or its input was refused, nothing scanned.
    Usage(UsageError),
    /// Exit 3: a report or stdout could not be written.
    Io(io::Error),
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Self::Usage(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// The process exit code for a command's result, with its message on stderr.
pub fn code(result: Result<u8, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(UsageError(msg))) => {
            diag::error(&msg);
            ExitCode::from(EXIT_USAGE)
        }
        // A closed pipe (`tlscompat scan | head`) is not an error worth a message.
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(Failure::Io(e)) => {
            diag::error(&e.to_string());
            ExitCode::from(EXIT_IO)
        }
    }
}

/// `EXIT_FINDINGS` when any record had a finding in the `--fail-on` set, else `EXIT_OK`.
pub fn verdict(failing_records: usize) -> u8 {
    if failing_records > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
