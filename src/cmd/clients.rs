//! `tlscompat clients`: every profile, the builds it stands for, the hello it sends and
//! where each part comes from; with `--client-hello`, the captured hellos a scan would
//! replay, field by field.

use std::io::{self, BufWriter, Write};

use crate::checks::profiles;
use crate::cli::{ClientsArgs, ListFormat};
use crate::exit::{EXIT_OK, Failure};
use crate::report::output::Labeled;

pub fn run(args: &ClientsArgs) -> Result<u8, Failure> {
    if !args.client_hello.is_empty() {
        return captured(args);
    }
    let mut out = Labeled::new("stdout", BufWriter::new(io::stdout().lock()));
    match args.format {
        ListFormat::Table => out.write_all(profiles::describe_all().as_bytes())?,
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &profiles::all_json())
                .map_err(io::Error::from)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// `tlscompat clients --client-hello NAME=FILE…`: the hellos a scan would replay.
fn captured(args: &ClientsArgs) -> Result<u8, Failure> {
    let captured = crate::cli::captured_profiles(&args.client_hello, &[])?;
    let mut out = Labeled::new("stdout", BufWriter::new(io::stdout().lock()));
    match args.format {
        ListFormat::Table => {
            let text: Vec<String> = captured.iter().map(|c| c.describe()).collect();
            out.write_all(text.join("\n").as_bytes())?;
        }
        ListFormat::Json => {
            let all: Vec<_> = captured.iter().map(|c| c.to_json()).collect();
            serde_json::to_writer_pretty(&mut out, &all).map_err(io::Error::from)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}
