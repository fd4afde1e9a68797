//! `tlscompat clients`: every profile, the Windows builds it stands for, the hello it
//! sends and where each part of it comes from (`--format json` for tools).

use std::io::{self, BufWriter, Write};

use crate::checks::profiles::{all_json, describe_all};
use crate::cli::{ClientsArgs, ListFormat};
use crate::exit::{EXIT_OK, Failure};
use crate::report::output::Labeled;

pub fn run(args: &ClientsArgs) -> Result<u8, Failure> {
    let mut out = Labeled::new("stdout", BufWriter::new(io::stdout().lock()));
    match args.format {
        ListFormat::Table => out.write_all(describe_all().as_bytes())?,
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &all_json()).map_err(io::Error::from)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}
