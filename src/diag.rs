//! Messages for people on stderr that can never take the scan down.
//!
//! `eprintln!` panics when stderr cannot be written (`2>/dev/full`, a closed pipe), which
//! would turn a finished scan into exit 101. Here a failed write is dropped: the exit
//! code and the reports carry the result, stderr is only commentary. Every message goes
//! through [`crate::safe::terminal`], since messages quote user input and network text.

use std::io::Write;

use crate::safe::terminal;

/// `tlscompat: <message>` on stderr, escaped. A message of several lines (a list to
/// choose from) keeps them, each escaped on its own.
pub fn error(message: &str) {
    for (i, text) in message.split('\n').enumerate() {
        match i {
            0 => line(&format!("tlscompat: {text}")),
            _ => line(text),
        }
    }
}

/// One line on stderr, escaped; write errors are ignored.
pub fn line(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", terminal(text));
    let _ = err.flush();
}
