//! Glue: turns a parsed command line into a pipeline run and decides the exit code.
//!
//! Exit codes are a contract for CI: [`EXIT_OK`], [`EXIT_FINDINGS`], [`EXIT_USAGE`].

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use crate::checks::registry;
use crate::cli::{
    Cli, ColorChoice, Command, EndpointsAction, EndpointsArgs, Format, ScanArgs, UsageError,
};
use crate::endpoints::{Endpoint, EndpointList};
use crate::pipeline::{Pipeline, ProxyPlan, ScanItem};
use crate::progress::{self, Progress};
use crate::proxy::ProxySettings;
use crate::report::csv::CsvSink;
use crate::report::html::HtmlSink;
use crate::report::json::JsonSink;
use crate::report::junit::JunitSink;
use crate::report::table::{TableSink, TableStyle};
use crate::report::{ScanContext, Sink};
use crate::resolve::NameResolver;
use crate::scan::{Observer, Prober, Silent};
use crate::target::{Host, Target};
use crate::trust::TrustStores;

/// Scan done, nothing in the `--fail-on` set.
pub const EXIT_OK: u8 = 0;
/// Scan done, at least one finding in the `--fail-on` set.
pub const EXIT_FINDINGS: u8 = 1;
/// Invalid invocation or input; nothing scanned.
pub const EXIT_USAGE: u8 = 2;

pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Endpoints(args) => endpoints(&args),
        Command::Merge(args) => crate::merge::run(&args),
        Command::Clients => clients().map_err(Failure::from),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(UsageError(msg))) => {
            eprintln!("tlscompat: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
        // A closed pipe (`tlscompat scan | head`) is not an error worth a message.
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(Failure::Io(e)) => {
            eprintln!("tlscompat: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

pub(crate) enum Failure {
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

fn load_endpoints(path: Option<&Path>) -> Result<EndpointList, UsageError> {
    let list = match path {
        Some(p) => EndpointList::load(p),
        None => EndpointList::embedded(),
    };
    list.map_err(|e| UsageError(e.to_string()))
}

fn endpoints(args: &EndpointsArgs) -> Result<u8, Failure> {
    if let Some(EndpointsAction::Import { file, output }) = &args.action {
        return crate::endpoints_import::run(file, output.as_deref());
    }
    let list = load_endpoints(args.endpoints.as_deref())?;
    let mut out = BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "# {} ({} endpoints)",
        list.origin,
        list.endpoints.len()
    )?;
    writeln!(
        out,
        "{:<40} {:>5}  {:<9} {:<19} {:<8} PURPOSE",
        "HOST", "PORT", "CATEGORY", "INSPECTION", "LEGACY"
    )?;
    for e in &list.endpoints {
        let category = json!(e.category);
        let inspection = json!(e.inspection);
        let legacy = json!(e.legacy_tls);
        writeln!(
            out,
            "{:<40} {:>5}  {:<9} {:<19} {:<8} {}",
            e.host,
            e.port,
            category.as_str().unwrap_or("?"),
            inspection.as_str().unwrap_or("?"),
            legacy.as_str().unwrap_or("?"),
            e.purpose
        )?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// `tlscompat clients`: every profile and the hello it sends.
fn clients() -> io::Result<u8> {
    let mut out = BufWriter::new(io::stdout().lock());
    out.write_all(crate::checks::profiles::describe_all().as_bytes())?;
    out.flush()?;
    Ok(EXIT_OK)
}

/// What to scan: the command line's targets (with their endpoint-list entry when the
/// list has the same host and port, so expectations still apply), or the whole list.
fn items(args: &ScanArgs) -> Result<Vec<ScanItem>, UsageError> {
    let from_cli = args.parsed_targets()?;
    let mut list = load_endpoints(args.endpoints.as_deref())?;
    let origin = list.origin.clone();
    let entries: Vec<(Target, Arc<Endpoint>)> = std::mem::take(&mut list.endpoints)
        .into_iter()
        .map(|e| {
            let host = Host::parse(&e.host).map_err(|m| UsageError(format!("{origin}: {m}")))?;
            Ok((Target { host, port: e.port }, Arc::new(e)))
        })
        .collect::<Result<_, UsageError>>()?;
    if from_cli.is_empty() {
        return Ok(entries
            .into_iter()
            .enumerate()
            .map(|(index, (target, e))| ScanItem {
                index,
                target,
                endpoint: Some(e),
            })
            .collect());
    }
    Ok(dedup(from_cli)
        .into_iter()
        .enumerate()
        .map(|(index, target)| {
            let endpoint = entries
                .iter()
                .find(|(t, _)| *t == target)
                .map(|(_, e)| e.clone())
                .or_else(|| match &target.host {
                    Host::Name(n) => list.inherited(n, target.port).map(Arc::new),
                    Host::Ip(_) => None,
                });
            ScanItem {
                index,
                target,
                endpoint,
            }
        })
        .collect())
}

/// The command line's targets with repeats dropped (first one kept, names compared
/// without case): `scan a.example A.example:443` scans one endpoint once.
fn dedup(targets: Vec<Target>) -> Vec<Target> {
    let mut seen = std::collections::HashSet::new();
    targets
        .into_iter()
        .filter(|t| seen.insert(t.to_string().to_ascii_lowercase()))
        .collect()
}

/// Resolves the proxy's own address once, before the scan. A proxy name that does
/// not resolve is reported per endpoint, like a proxy that is down.
async fn proxy_plan(settings: ProxySettings, compare_direct: bool) -> ProxyPlan {
    let proxy_addr = match &settings.proxy {
        None => None,
        Some(p) => {
            let host = p.host.to_string();
            let found = tokio::net::lookup_host((host.as_str(), p.port)).await;
            Some(match found.map(|mut a| a.next()) {
                Ok(Some(addr)) => Ok(addr),
                Ok(None) => Err(format!("proxy {p}: no address")),
                Err(e) => Err(format!("proxy {p}: {e}")),
            })
        }
    };
    ProxyPlan {
        settings,
        proxy_addr,
        compare_direct,
    }
}

/// Report files are written under a temporary name beside the target and renamed
/// into place when the scan completes: a report is whole or absent, and an invocation
/// that fails leaves earlier reports untouched.
pub(crate) struct PendingFile {
    tmp: PathBuf,
    path: PathBuf,
}

impl PendingFile {
    pub(crate) fn create(path: &Path, flag: &str) -> Result<(Self, BufWriter<File>), UsageError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tlscompat-{}", std::process::id()));
        let file = File::create(&tmp)
            .map_err(|e| UsageError(format!("{flag} {}: {e}", path.display())))?;
        Ok((
            Self {
                tmp,
                path: path.to_path_buf(),
            },
            BufWriter::new(file),
        ))
    }

    pub(crate) fn commit(self) -> io::Result<()> {
        std::fs::rename(&self.tmp, &self.path)
    }

    pub(crate) fn abandon(self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// The report flags `scan` and `merge` share.
pub(crate) struct ReportFlags<'a> {
    pub format: Format,
    pub csv: &'a Option<PathBuf>,
    pub json: &'a Option<PathBuf>,
    pub junit: &'a Option<PathBuf>,
    pub html: &'a Option<PathBuf>,
    pub color: ColorChoice,
}

impl<'a> ReportFlags<'a> {
    fn of_scan(args: &'a ScanArgs) -> Self {
        Self {
            format: args.format,
            csv: &args.csv,
            json: &args.json,
            junit: &args.junit,
            html: &args.html,
            color: args.color,
        }
    }
}

/// Every sink of a scan, and the report files to put in place when it completes.
pub(crate) struct Outputs {
    pub sinks: Vec<Box<dyn Sink>>,
    files: Vec<PendingFile>,
}

impl Outputs {
    /// Opens the report files, then the stdout sink: nothing reaches stdout unless
    /// every file opened.
    pub(crate) fn open(args: &ReportFlags<'_>, ctx: &ScanContext) -> Result<Self, Failure> {
        let mut out = Self {
            sinks: Vec::new(),
            files: Vec::new(),
        };
        if let Err(e) = out.open_files(args, ctx) {
            out.abandon();
            return Err(e);
        }
        let stdout = BufWriter::new(io::stdout());
        let main: Box<dyn Sink> = match args.format {
            Format::Table => Box::new(
                TableSink::new(stdout, ctx.clone()).styled(TableStyle::for_stdout(args.color)),
            ),
            Format::Csv => Box::new(CsvSink::new(stdout, ctx)?),
            Format::Json => Box::new(JsonSink::new(stdout, ctx)?),
        };
        out.sinks.insert(0, main);
        Ok(out)
    }

    fn open_files(&mut self, args: &ReportFlags<'_>, ctx: &ScanContext) -> Result<(), Failure> {
        if let Some(w) = self.file(args.csv, "--csv")? {
            self.sinks.push(Box::new(CsvSink::new(w, ctx)?));
        }
        if let Some(w) = self.file(args.json, "--json")? {
            self.sinks.push(Box::new(JsonSink::new(w, ctx)?));
        }
        if let Some(w) = self.file(args.junit, "--junit")? {
            self.sinks.push(Box::new(JunitSink::new(w, ctx.clone())));
        }
        if let Some(w) = self.file(args.html, "--html")? {
            self.sinks.push(Box::new(HtmlSink::new(w, ctx.clone())));
        }
        Ok(())
    }

    fn file(
        &mut self,
        path: &Option<PathBuf>,
        flag: &str,
    ) -> Result<Option<BufWriter<File>>, UsageError> {
        let Some(p) = path else { return Ok(None) };
        let (pending, writer) = PendingFile::create(p, flag)?;
        self.files.push(pending);
        Ok(Some(writer))
    }

    /// Puts the finished reports in place.
    pub(crate) fn commit(self) -> io::Result<()> {
        drop(self.sinks);
        self.files.into_iter().try_for_each(PendingFile::commit)
    }

    pub(crate) fn abandon(self) {
        drop(self.sinks);
        self.files.into_iter().for_each(PendingFile::abandon);
    }
}

fn scan(args: &ScanArgs) -> Result<u8, Failure> {
    let settings = args.probe_settings()?;
    let fail_on = args.fail_on()?;
    let items = items(args)?;
    let target_count = items.len();
    // Sharding keeps each item's index in the full list, for `merge`.
    let items: Vec<ScanItem> = match args.shard {
        Some(s) => items
            .into_iter()
            .filter(|i| s.contains(&i.target.host.to_string(), i.target.port))
            .collect(),
        None => items,
    };
    let baseline = match &args.baseline {
        Some(p) => Some(crate::baseline::Baseline::load(p, args.shard).map_err(UsageError)?),
        None => None,
    };
    let trust_settings = args.trust_settings();
    let trust = TrustStores::new(&trust_settings).map_err(UsageError)?;
    let checks = args.check_options()?;
    let proxy_settings = args.proxy_settings()?;
    let ctx = ScanContext {
        versions: settings.range.iter().collect(),
        fail_on: fail_on.clone(),
        options: json!({
            "tls_min": settings.range.min().number(),
            "tls_max": settings.range.max().number(),
            "timeout_ms": settings.timeout.as_millis() as u64,
            "retries": settings.retries,
            "concurrency": settings.concurrency,
            "per_address": settings.per_address,
            "resolvers": args.resolvers.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "ipv4_only": args.ipv4,
            "ipv6_only": args.ipv6,
            "fail_on": fail_on.iter().map(|k| k.name()).collect::<Vec<_>>(),
            "endpoints": args.endpoints.as_ref().map(|p| p.display().to_string()),
            "target_count": target_count,
            "shard": args.shard.map(|s| json!({"index": s.index, "count": s.count})),
            "baseline": args.baseline.as_ref().map(|p| p.display().to_string()),
            "roots": args.roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "ca_files": args.ca_file.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "system_store": trust_settings.system_store,
            "proxy": proxy_settings.proxy.as_ref().map(|p| p.to_string()),
            "compare_direct": args.compare_direct,
            "clients": checks.clients.iter().map(|p| p.name).collect::<Vec<_>>(),
            "ciphers": checks.ciphers,
        }),
        clients: checks.clients.iter().map(|p| p.name.to_string()).collect(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let bar = progress::wanted(args.quiet, args.no_progress).then(|| {
        Arc::new(Progress::new(
            settings.timeout,
            settings.retries,
            settings.per_address as u64,
        ))
    });
    let observer: Arc<dyn Observer> = match &bar {
        Some(b) => b.clone(),
        None => Arc::new(Silent),
    };
    let summary = runtime.block_on(async {
        // Everything that can refuse the invocation happens before any output opens.
        let resolver = NameResolver::new(&args.resolve_settings()).map_err(UsageError)?;
        let prober = Prober::with_checks(settings, observer.clone(), registry(&checks))
            .map_err(UsageError)?;
        let proxy = proxy_plan(proxy_settings, args.compare_direct).await;
        let mut outputs = Outputs::open(&ReportFlags::of_scan(args), &ctx)?;
        let pipeline = Arc::new(Pipeline {
            resolver,
            max_addresses: args.max_addresses as usize,
            prober,
            trust,
            proxy,
            observer,
            ctx,
            baseline,
        });
        match pipeline.run(items, &mut outputs.sinks).await {
            Ok(summary) => {
                outputs.commit()?;
                Ok::<_, Failure>(summary)
            }
            Err(e) => {
                outputs.abandon();
                Err(e.into())
            }
        }
    })?;
    if let Some(b) = bar {
        b.finish();
    }
    if !args.quiet && args.format != Format::Table {
        eprintln!("{}", summary.line());
    }
    Ok(if summary.failing_records > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}
