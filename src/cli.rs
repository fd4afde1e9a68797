//! The command line: every flag defined and documented here, in one place.
//!
//! Parsing only checks syntax; [`ScanArgs::settings`] and friends turn flags into the
//! plain settings the pipeline takes, and report semantic errors as [`UsageError`]s,
//! which exit with code 2 before anything is scanned.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::exit::UsageError;
use crate::findings::FindingKind;
use crate::mail::StarttlsChoice;
use crate::proxy::ProxySettings;
use crate::resolve::{Family, ResolveSettings, parse_nameserver};
use crate::scan::ProbeSettings;
use crate::target::Target;
use crate::trust::TrustSettings;
use crate::version::{TlsVersion, VersionRange};

#[derive(Debug, Parser)]
#[command(
    name = "tlscompat",
    version,
    about = "Endpoint TLS compatibility scanner: which TLS versions each address of each host \
             accepts, how it refuses the others, and what certificate it shows."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe TLS 1.0-1.3 on every address of every target (default: the embedded
    /// Microsoft 365 activation endpoint list).
    Scan(Box<ScanArgs>),
    /// Print the effective endpoint list, or convert Microsoft's endpoint JSON into one.
    Endpoints(EndpointsArgs),
    /// Combine the JSON reports of sharded scans (`scan --shard K/N --json F`) into the
    /// reports and exit code one unsharded scan would have produced.
    Merge(MergeArgs),
    /// List the client profiles of `--clients`: the Windows builds each stands for, the
    /// exact ClientHello it sends, and where each part of it comes from.
    Clients(ClientsArgs),
    /// Print a shell completion script on stdout, e.g.
    /// `tlscompat completions bash > /etc/bash_completion.d/tlscompat`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout: `tlscompat man | man -l -`.
    Man,
}

#[derive(Debug, clap::Args)]
pub struct ClientsArgs {
    /// `table`: for people, unsure fields marked UNSURE; `json`: for tools.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Show the ClientHello `scan --client-hello NAME=FILE[#N]` would replay, field by
    /// field, instead of the built-in profiles (repeatable).
    #[arg(long = "client-hello", value_name = "NAME=FILE[#N]")]
    pub client_hello: Vec<String>,
}

/// The formats of a listing command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct EndpointsArgs {
    /// Endpoint list to print instead of the embedded one: a FILE, or `mail` for the
    /// embedded Exchange Online mail list (a file named mail: `./mail`).
    #[arg(long, visible_alias = "list", value_name = "FILE|mail")]
    pub endpoints: Option<PathBuf>,
    #[command(subcommand)]
    pub action: Option<EndpointsAction>,
}

#[derive(Debug, Subcommand)]
pub enum EndpointsAction {
    /// Convert the Microsoft 365 endpoint web service JSON (worldwide instance,
    /// `https://endpoints.office.com/endpoints/worldwide?clientrequestid=<GUID>`, saved
    /// by the admin) into the endpoints.toml schema, on stdout. Categories and set IDs
    /// are kept; wildcard names are left out (they cannot be scanned) and listed in a
    /// comment.
    Import {
        /// The saved JSON file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Write the TOML here instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `tlscompat merge`: the report flags of `scan`, applied to saved JSON reports.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// JSON reports written by `scan --shard K/N --json FILE`, one per shard, any order.
    /// Every shard of the same N must be given exactly once.
    #[arg(value_name = "REPORT.json", required = true)]
    pub reports: Vec<PathBuf>,
    /// Findings that make the exit code 1 (default: the `--fail-on` the shards ran with).
    #[arg(long, value_name = "LIST")]
    pub fail_on: Option<String>,
    /// Merge reports of a scan that was stopped before it finished (`"complete": false`,
    /// e.g. a shard cancelled by SIGTERM) instead of refusing them: every report then
    /// says INCOMPLETE and the exit code is never 0.
    #[arg(long)]
    pub allow_incomplete: bool,
    #[command(flatten)]
    pub output: ReportArgs,
    /// No summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Targets: HOST, HOST:PORT, IP, [IPv6]:PORT (port 443 by default). Without
    /// targets, every host of the endpoint list is scanned.
    #[arg(value_name = "HOST[:PORT]")]
    pub targets: Vec<String>,
    /// Endpoint list to use instead of the embedded one: a FILE, or `mail` for the
    /// embedded Exchange Online mail list (smtp.office365.com, smtp-legacy, IMAP/POP on
    /// outlook.office365.com; a file named mail: `./mail`).
    #[arg(long, value_name = "FILE|mail")]
    pub endpoints: Option<PathBuf>,
    /// The first label of your domain's MX host, for the mail list's template
    /// `{tenant}.mail.protection.outlook.com` (e.g. `contoso-com` for contoso.com);
    /// without it that entry is skipped.
    #[arg(long, value_name = "NAME", value_parser = parse_tenant)]
    pub tenant: Option<String>,
    /// Oldest TLS version to probe: 1.0, 1.1, 1.2 or 1.3.
    #[arg(long, value_name = "V", default_value = "1.0", value_parser = parse_version)]
    pub tls_min: TlsVersion,
    /// Newest TLS version to probe: 1.0, 1.1, 1.2 or 1.3.
    #[arg(long, value_name = "V", default_value = "1.3", value_parser = parse_version)]
    pub tls_max: TlsVersion,
    /// Nameserver to use instead of the system's, IP[:PORT] (repeatable).
    #[arg(long = "resolver", value_name = "IP[:PORT]", value_parser = parse_nameserver)]
    pub resolvers: Vec<std::net::SocketAddr>,
    /// Scan IPv4 addresses only.
    #[arg(long, conflicts_with = "ipv6")]
    pub ipv4: bool,
    /// Scan IPv6 addresses only.
    #[arg(long)]
    pub ipv6: bool,
    /// Replace the built-in public roots (webpki-roots) with the CAs in this PEM file:
    /// private PKI, air-gapped networks, labs (repeatable).
    #[arg(long, value_name = "PEM")]
    pub roots: Vec<PathBuf>,
    /// Extra locally trusted CA, like an enterprise CA in the system store (repeatable).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Vec<PathBuf>,
    /// Leave the operating system's trust store out of the local roots (implied by
    /// --roots).
    #[arg(long)]
    pub no_system_store: bool,
    /// Proxy for every probe, as curl takes it: [http://][user:pass@]host[:port] (HTTP
    /// CONNECT, port 8080 by default), socks5://host[:port] (names resolved here) or
    /// socks5h://host[:port] (by the proxy), port 1080 by default.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Proxy credentials (replace the URL's): DOMAIN\user:password, user@REALM:password;
    /// without :PASS the password comes from TLSCOMPAT_PROXY_PASSWORD; `:` alone
    /// means no user (Negotiate with the Kerberos ticket).
    #[arg(long, value_name = "USER[:PASS]")]
    pub proxy_user: Option<String>,
    /// How to answer a proxy's 407: basic, ntlm, negotiate (Kerberos ticket cache or
    /// keytab), or any (the strongest the proxy offers) [default: any]. Without
    /// credentials or this flag no authentication is attempted.
    #[arg(long, value_name = "SCHEME", value_parser = parse_proxy_auth)]
    pub proxy_auth: Option<crate::proxy::AuthChoice>,
    /// Ignore HTTPS_PROXY / https_proxy / NO_PROXY / no_proxy.
    #[arg(long)]
    pub no_env_proxy: bool,
    /// Through a proxy, also handshake directly and compare the leaf certificates.
    #[arg(long)]
    pub compare_direct: bool,
    /// Connect timeout and handshake timeout, each (e.g. 5s, 800ms).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Extra attempts after a timeout (closes and resets are always confirmed once).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=5))]
    pub retries: u32,
    /// Addresses scanned per name, at most: a name with more A/AAAA records (a CDN
    /// pool, a misconfigured zone) is scanned on the first N (IPv4 first, in address
    /// order) and its records carry a note saying how many were left out.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_addresses: u32,
    /// Client profiles to emulate: a comma-separated list of win7, win7-tls12, win81,
    /// win10-1607, win10, win11-21h2, win11, ws2008r2, ws2012, ws2012-tls12, ws2012r2,
    /// ws2016, ws2019, ws2022, or `all`. Each sends that client's exact ClientHello once
    /// per address and says whether it would connect, and why not (`tlscompat clients`
    /// shows the builds, the hellos and their sources).
    #[arg(long, value_name = "LIST|all")]
    pub clients: Option<String>,
    /// Replay a ClientHello captured on your own client as profile NAME (CSV column
    /// client_NAME): FILE is a pcap or pcapng (tcpdump, Wireshark, tshark, dumpcap,
    /// `pktmon etl2pcap`) or a hex dump of the hello; `FILE#N` picks its N-th hello.
    /// Sent as captured but for the SNI (repeatable; see README "Your own client").
    #[arg(long = "client-hello", value_name = "NAME=FILE[#N]")]
    pub client_hello: Vec<String>,
    /// Enumerate the cipher suites of every accepted version, in the server's
    /// preference order (about one probe per accepted suite, plus one).
    #[arg(long)]
    pub ciphers: bool,
    /// Mail protocol to speak before TLS: smtp (EHLO, STARTTLS), imap (a STARTTLS),
    /// pop3 (STLS), or none (TLS from the first byte, no mail dialogue). Default: by
    /// port: STARTTLS on 25, 587 (SMTP), 143 (IMAP), 110 (POP3); implicit TLS on 465,
    /// 993, 995. After a completed handshake the mail service's next answer is read: a
    /// refusal there (`421 4.7.66 ...`) makes the version `refused`, not accepted.
    #[arg(long, value_name = "smtp|imap|pop3|none", value_parser = parse_starttls)]
    pub starttls: Option<StarttlsChoice>,
    /// Connections in flight across the whole scan.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub concurrency: u32,
    /// Connections in flight to any one IP address, all ports together (through a
    /// proxy: per proxy route). The default is one address's probes (4 versions + 1
    /// handshake), so that a silent address costs one round of timeouts, not two.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub per_address: u32,
    /// Findings that make the exit code 1: comma-separated names, or `none`.
    #[arg(long, value_name = "LIST", default_value = DEFAULT_FAIL_ON)]
    pub fail_on: String,
    /// Scan only the K-th of N disjoint slices of the targets (1 <= K <= N), chosen by a
    /// stable hash of host:port, so N runners cover the list exactly once whatever its
    /// order. Combine their `--json` reports with `tlscompat merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Compare with an earlier JSON report: records whose verdicts, best version,
    /// certificate, trust or interception changed get the finding `drift` (not in the
    /// default --fail-on); appeared and disappeared records are listed.
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub output: ReportArgs,
    /// No progress bar and no summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// The report flags `scan` and `merge` share: what goes to stdout, and the files.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Format written to stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write the CSV report to FILE ('-': stdout, instead of --format).
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Also write the JSON report to FILE ('-': stdout, instead of --format).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write a JUnit XML report to FILE ('-': stdout, instead of --format).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the self-contained HTML report (inline CSS, no external resource) to
    /// FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Colour in the table: auto (a terminal without NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub use crate::shard::Shard;

fn parse_proxy_auth(s: &str) -> Result<crate::proxy::AuthChoice, String> {
    s.parse()
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

/// "Activation from here would fail or be inspected": the findings that fail a scan by
/// default.
pub const DEFAULT_FAIL_ON: &str = "dns,unreachable,no-modern-tls,cert-invalid,intercepted,\
     handshake-failed,client-incompatible,proxy-auth-required,proxy-denied,starttls";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

impl ScanArgs {
    pub fn probe_settings(&self) -> Result<ProbeSettings, UsageError> {
        let range = VersionRange::new(self.tls_min, self.tls_max).map_err(UsageError)?;
        Ok(ProbeSettings {
            range,
            timeout: self.timeout,
            concurrency: self.concurrency as usize,
            per_address: self.per_address as usize,
            retries: self.retries,
        })
    }

    pub fn resolve_settings(&self) -> ResolveSettings {
        let family = match (self.ipv4, self.ipv6) {
            (true, false) => Family::V4,
            (false, true) => Family::V6,
            _ => Family::Both,
        };
        ResolveSettings {
            nameservers: self.resolvers.clone(),
            family,
            timeout: self.timeout,
            retries: self.retries,
        }
    }

    /// With `--roots` the system store stays out of the local roots: it holds the
    /// public CAs, and every public chain would then look "trusted only locally".
    pub fn trust_settings(&self) -> TrustSettings {
        TrustSettings {
            roots: self.roots.clone(),
            ca_files: self.ca_file.clone(),
            system_store: !self.no_system_store && self.roots.is_empty(),
        }
    }

    pub fn proxy_settings(&self) -> Result<ProxySettings, UsageError> {
        let auth = crate::proxy::AuthArgs {
            user: self.proxy_user.clone(),
            auth: self.proxy_auth,
        };
        ProxySettings::resolve(self.proxy.as_deref(), !self.no_env_proxy, &auth).map_err(UsageError)
    }

    pub fn parsed_targets(&self) -> Result<Vec<Target>, UsageError> {
        self.targets
            .iter()
            .map(|t| t.parse::<Target>().map_err(UsageError))
            .collect()
    }

    /// The files the scan reads, by flag: no report may overwrite one of them.
    pub fn input_files(&self) -> Vec<crate::report::output::Request> {
        let one = |flag: &'static str, p: &PathBuf| crate::report::output::Request {
            flag,
            path: p.clone(),
        };
        let mut out: Vec<_> = self
            .endpoints
            .iter()
            .map(|p| one("--endpoints", p))
            .collect();
        out.extend(self.baseline.iter().map(|p| one("--baseline", p)));
        out.extend(self.roots.iter().map(|p| one("--roots", p)));
        out.extend(self.ca_file.iter().map(|p| one("--ca-file", p)));
        out.extend(
            self.client_hello
                .iter()
                .filter_map(|arg| crate::capture::parse_spec(arg).ok())
                .map(|spec| one("--client-hello", &spec.path)),
        );
        out
    }

    /// The checks asked for (`--ciphers`, `--clients`).
    /// `targets`: the host names scanned, which choose among a capture's different
    /// hellos by their SNI.
    pub fn check_options(
        &self,
        targets: &[String],
    ) -> Result<crate::checks::CheckOptions, UsageError> {
        let mut clients = match &self.clients {
            Some(list) => crate::checks::profiles::parse_list(list)
                .map_err(|e| UsageError(format!("--clients: {e}")))?,
            None => Vec::new(),
        };
        clients.extend(
            captured_profiles(&self.client_hello, targets)?
                .into_iter()
                .map(|c| std::sync::Arc::new(c.profile())),
        );
        Ok(crate::checks::CheckOptions {
            ciphers: self.ciphers,
            clients,
        })
    }

    pub fn fail_on(&self) -> Result<Vec<FindingKind>, UsageError> {
        parse_fail_on(&self.fail_on).map_err(|e| UsageError(format!("--fail-on: {e}")))
    }
}

/// Every `--client-hello`, read and checked (exit 2 naming the file on any problem).
pub fn captured_profiles(
    args: &[String],
    targets: &[String],
) -> Result<Vec<crate::checks::captured::CapturedHello>, UsageError> {
    let builtin: Vec<&str> = crate::checks::profiles::ALL
        .iter()
        .map(|p| p.name.as_ref())
        .collect();
    crate::checks::captured::load_all(args, &builtin, targets).map_err(UsageError)
}

/// A `--fail-on` list: finding names, or `none` alone (no finding fails the run).
/// `none` with names (`none,dns`) is refused: it says two opposite things.
pub fn parse_fail_on(s: &str) -> Result<Vec<FindingKind>, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts == ["none"] {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for part in parts {
        if part == "none" {
            return Err(format!(
                "'none' means that no finding fails the run; it cannot be combined with \
                 finding names ('{s}'): give `none` alone, or only the names"
            ));
        }
        let kind: FindingKind = part.parse()?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    Ok(out)
}

/// A DNS label: letters, digits and hyphens, 1 to 63, not starting or ending with `-`.
fn parse_tenant(s: &str) -> Result<String, String> {
    let t = s.trim().to_ascii_lowercase();
    let ok = (1..=63).contains(&t.len())
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !t.starts_with('-')
        && !t.ends_with('-');
    match ok {
        true => Ok(t),
        false => Err(format!(
            "'{s}' is not a DNS label (letters, digits, '-'; like contoso-com)"
        )),
    }
}

fn parse_starttls(s: &str) -> Result<StarttlsChoice, String> {
    s.parse()
}

fn parse_version(s: &str) -> Result<TlsVersion, String> {
    s.parse()
}

/// `5s`, `800ms`, `1.5s`, `1m30s`, `2 seconds`, `PT5S` (jiff's friendly and ISO 8601
/// duration formats, which allow a fraction on the smallest unit), or a bare number of
/// seconds (`2`, `0.5`). Zero is refused: a zero timeout would turn every probe into a
/// timeout; so is anything over an hour.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let d = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = s
            .parse()
            .map_err(|_| format!("invalid duration '{s}' (e.g. 5s, 800ms)"))?;
        // A positive float can still round to zero nanoseconds: checked below.
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO)
    } else {
        let signed: jiff::SignedDuration = s
            .parse()
            .map_err(|e| format!("invalid duration '{s}' (e.g. 5s, 800ms): {e}"))?;
        Duration::try_from(signed).map_err(|_| format!("duration '{s}' is negative"))?
    };
    if d < Duration::from_millis(1) || d > Duration::from_secs(3600) {
        return Err(format!("duration '{s}' out of range (1ms to 1h)"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("800ms"), Ok(Duration::from_millis(800)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("0.0000001ms").is_err());
        assert!(parse_duration("1e400").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("abc").is_err());
    }

    #[test]
    fn roots_leave_the_system_store_out() {
        use clap::Parser;
        let scan = |args: &[&str]| match Cli::parse_from(args).command {
            Command::Scan(a) => a.trust_settings(),
            _ => unreachable!(),
        };
        assert!(scan(&["tlscompat", "scan"]).system_store);
        assert!(!scan(&["tlscompat", "scan", "--no-system-store"]).system_store);
        let t = scan(&[
            "tlscompat",
            "scan",
            "--roots",
            "lab.pem",
            "--ca-file",
            "corp.pem",
        ]);
        assert!(
            !t.system_store,
            "public CAs in the system store would look local-only"
        );
        assert_eq!(t.ca_files, [std::path::PathBuf::from("corp.pem")]);
    }

    #[test]
    fn fail_on_lists() {
        assert_eq!(parse_fail_on("none"), Ok(vec![]));
        assert_eq!(
            parse_fail_on("dns,legacy-accepted,dns"),
            Ok(vec![FindingKind::Dns, FindingKind::LegacyAccepted])
        );
        assert!(
            parse_fail_on("dns,bogus")
                .unwrap_err()
                .contains("unknown finding 'bogus'")
        );
        assert_eq!(parse_fail_on(DEFAULT_FAIL_ON).map(|v| v.len()), Ok(10));
        assert_eq!(parse_fail_on(" none "), Ok(vec![]));
        let e = parse_fail_on("none,dns").unwrap_err();
        assert!(e.contains("cannot be combined"), "{e}");
        assert!(parse_fail_on("dns,none").is_err());
    }
}
