//! `tlscompat clients`: every profile and the hello it sends.

use std::io::{self, BufWriter, Write};

use crate::checks::profiles::describe_all;
use crate::exit::{EXIT_OK, Failure};

pub fn run() -> Result<u8, Failure> {
    let mut out = BufWriter::new(io::stdout().lock());
    out.write_all(describe_all().as_bytes())?;
    out.flush()?;
    Ok(EXIT_OK)
}
