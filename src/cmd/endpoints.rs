//! `tlscompat endpoints`: print the effective endpoint list; `endpoints import FILE`:
//! convert Microsoft's endpoint web service JSON to an endpoints.toml.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::cli::{EndpointsAction, EndpointsArgs};
use crate::endpoints::EndpointList;
use crate::endpoints::import::convert;
use crate::endpoints::listing::write_listing;
use crate::exit::{EXIT_OK, Failure, UsageError};
use crate::report::output::{Labeled, Opened};

pub fn run(args: &EndpointsArgs) -> Result<u8, Failure> {
    if let Some(EndpointsAction::Import { file, output }) = &args.action {
        return import(file, output.as_deref());
    }
    let list = EndpointList::from_flag(args.endpoints.as_deref())
        .map_err(|e| UsageError(e.to_string()))?;
    let mut out = Labeled::new("stdout", BufWriter::new(io::stdout().lock()));
    write_listing(&list, &mut out)?;
    out.flush()?;
    Ok(EXIT_OK)
}

/// Converts `file`; the result goes to `output` (written atomically) or stdout.
fn import(file: &Path, output: Option<&Path>) -> Result<u8, Failure> {
    let origin = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| UsageError(format!("{origin}: {e}")))?;
    let toml = convert(&text, &origin).map_err(UsageError)?;
    match output {
        Some(p) => {
            let mut pending = Opened::single(p, "--output").map_err(UsageError)?;
            let mut w = pending.writer();
            match w.write_all(toml.as_bytes()).and_then(|_| w.flush()) {
                Ok(()) => {
                    drop(w);
                    pending.commit()?
                }
                Err(e) => {
                    pending.abandon();
                    return Err(e.into());
                }
            }
        }
        None => {
            let mut out = io::stdout().lock();
            out.write_all(toml.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(EXIT_OK)
}
