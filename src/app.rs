//! Glue: runs the pipeline for a parsed command line and decides the exit code.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use crate::cli::{Cli, Command, Format, ScanArgs, UsageError};
use crate::record::{Record, aggregate};
use crate::report::csv::CsvSink;
use crate::report::table::write_table;
use crate::resolve::resolve_system;
use crate::scan::Prober;

/// Scan done, nothing in the fail-on set.
pub const EXIT_OK: u8 = 0;
/// Scan done, at least one finding in the fail-on set.
pub const EXIT_FINDINGS: u8 = 1;
/// Invalid invocation or input; nothing scanned.
pub const EXIT_USAGE: u8 = 2;

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Scan(args) => match scan(&args) {
            Ok(code) => ExitCode::from(code),
            Err(Failure::Usage(UsageError(msg))) => {
                eprintln!("tlscompat: {msg}");
                ExitCode::from(EXIT_USAGE)
            }
            Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
            Err(Failure::Io(e)) => {
                eprintln!("tlscompat: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        },
    }
}

enum Failure {
    Usage(UsageError),
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

fn scan(args: &ScanArgs) -> Result<u8, Failure> {
    let settings = args.settings()?;
    let targets = args.parsed_targets()?;
    if targets.is_empty() {
        return Err(UsageError("no targets given".into()).into());
    }
    // Open output files before scanning: a bad path is a usage error, found early.
    let csv_file = match &args.csv {
        Some(p) => {
            Some(File::create(p).map_err(|e| UsageError(format!("--csv {}: {e}", p.display())))?)
        }
        None => None,
    };
    let range = settings.range;
    let prober = Prober::new(settings).map_err(UsageError)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let records = runtime.block_on(scan_targets(prober, targets));
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        Format::Table => write_table(&mut out, &records, range)?,
        Format::Csv => write_csv(&mut out, &records)?,
    }
    out.flush()?;
    if let Some(f) = csv_file {
        write_csv(BufWriter::new(f), &records)?;
    }
    Ok(EXIT_OK)
}

fn write_csv(out: impl Write, records: &[Record]) -> io::Result<()> {
    let mut sink = CsvSink::new(out)?;
    for r in records {
        sink.write(r)?;
    }
    sink.finish()
}

async fn scan_targets(prober: Prober, targets: Vec<crate::target::Target>) -> Vec<Record> {
    let probed: Vec<_> = prober.settings().range.iter().collect();
    let mut tasks = Vec::new();
    for target in targets {
        let prober = prober.clone();
        let probed = probed.clone();
        tasks.push(tokio::spawn(async move {
            let resolved = resolve_system(target).await;
            let t = resolved.target;
            match resolved.addrs {
                Err(e) => vec![Record::dns_failure(&t.host, t.port, e)],
                Ok(addrs) => {
                    let mut set = tokio::task::JoinSet::new();
                    for (i, ip) in addrs.into_iter().enumerate() {
                        let (prober, host) = (prober.clone(), t.host.clone());
                        let addr = std::net::SocketAddr::new(ip, t.port);
                        set.spawn(async move {
                            (i, prober.scan_address(host, addr.port(), addr).await)
                        });
                    }
                    let mut done: Vec<_> = set.join_all().await;
                    done.sort_by_key(|(i, _)| *i);
                    done.into_iter()
                        .map(|(_, s)| aggregate(s, &probed))
                        .collect()
                }
            }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        match t.await {
            Ok(records) => out.extend(records),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    out
}
