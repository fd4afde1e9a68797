//! The command line: every flag defined and documented here, in one place.
//!
//! Parsing only checks syntax; [`ScanArgs::settings`] turns flags into the plain
//! settings the pipeline takes, and reports semantic errors (bad range, bad target)
//! as [`UsageError`]s, which exit with code 2 before anything is scanned.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::scan::ProbeSettings;
use crate::target::Target;
use crate::version::{TlsVersion, VersionRange};

#[derive(Debug, Parser)]
#[command(
    name = "tlscompat",
    version,
    about = "Endpoint TLS compatibility scanner: which TLS versions each address of each host accepts, and how it refuses the others."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe TLS 1.0-1.3 on every address of every target.
    Scan(ScanArgs),
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Targets: HOST, HOST:PORT, IP, [IPv6]:PORT (port defaults to 443).
    #[arg(value_name = "HOST[:PORT]")]
    pub targets: Vec<String>,
    /// Oldest TLS version to probe: 1.0, 1.1, 1.2 or 1.3.
    #[arg(long, value_name = "V", default_value = "1.0", value_parser = parse_version)]
    pub tls_min: TlsVersion,
    /// Newest TLS version to probe: 1.0, 1.1, 1.2 or 1.3.
    #[arg(long, value_name = "V", default_value = "1.3", value_parser = parse_version)]
    pub tls_max: TlsVersion,
    /// Connect timeout and handshake timeout, each (e.g. 5s, 800ms).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Connections in flight across the whole scan.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub concurrency: u32,
    /// Format written to stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write the CSV report to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
}

/// A semantic error in the invocation; exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl ScanArgs {
    pub fn settings(&self) -> Result<ProbeSettings, UsageError> {
        let range = VersionRange::new(self.tls_min, self.tls_max).map_err(UsageError)?;
        Ok(ProbeSettings {
            range,
            timeout: self.timeout,
            concurrency: self.concurrency as usize,
        })
    }

    pub fn parsed_targets(&self) -> Result<Vec<Target>, UsageError> {
        self.targets
            .iter()
            .map(|t| t.parse::<Target>().map_err(UsageError))
            .collect()
    }
}

fn parse_version(s: &str) -> Result<TlsVersion, String> {
    s.parse()
}

/// `5s`, `800ms`, `1m`, or a bare number of seconds. Zero is refused: a zero timeout
/// would turn every probe into a timeout.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration '{s}' (e.g. 5s, 800ms)"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        _ => return Err(format!("invalid duration unit in '{s}' (use ms, s or m)")),
    };
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err(format!(
            "duration '{s}' out of range (more than 0, at most 1h)"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("800ms"), Ok(Duration::from_millis(800)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("abc").is_err());
    }
}
