//! Glue: turns a parsed command line into a pipeline run and decides the exit code.
//!
//! Exit codes are a contract for CI: [`EXIT_OK`], [`EXIT_FINDINGS`], [`EXIT_USAGE`],
//! [`EXIT_IO`], and 128 + signal number when Ctrl-C/SIGTERM stopped the scan
//! (see [`crate::interrupt`]).

use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use crate::checks::registry;
use crate::cli::{
    Cli, Command, EndpointsAction, EndpointsArgs, Format, ReportArgs, ScanArgs, UsageError,
};
use crate::diag;
use crate::endpoints::{Endpoint, EndpointList};
use crate::interrupt::Interrupt;
use crate::pipeline::{Pipeline, ProxyPlan, ScanItem};
use crate::progress::{self, Progress};
use crate::proxy::ProxySettings;
use crate::report::csv::CsvSink;
use crate::report::html::HtmlSink;
use crate::report::json::JsonSink;
use crate::report::junit::JunitSink;
use crate::report::output;
use crate::report::output::{Labeled, Opened, Request, plan};
use crate::report::table::{TableSink, TableStyle};
use crate::report::{ScanContext, Sink};
use crate::resolve::NameResolver;
use crate::safe::terminal;
use crate::scan::{Observer, Prober, Silent};
use crate::target::{Host, Target};
use crate::trust::TrustStores;

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

pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Endpoints(args) => endpoints(&args),
        Command::Merge(args) => crate::merge::run(&args),
        Command::Clients(args) => clients(&args),
    };
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
    let mut out = Labeled::new("stdout", BufWriter::new(io::stdout().lock()));
    writeln!(
        out,
        "# {} ({} endpoints)",
        terminal(&list.origin),
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
            terminal(&e.host),
            e.port,
            category.as_str().unwrap_or("?"),
            inspection.as_str().unwrap_or("?"),
            legacy.as_str().unwrap_or("?"),
            terminal(&e.purpose)
        )?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// `tlscompat clients`: every profile, the builds it stands for, the hello it sends
/// and where each part comes from.
fn clients(args: &crate::cli::ClientsArgs) -> Result<u8, Failure> {
    use crate::checks::profiles;
    if !args.client_hello.is_empty() {
        return captured_clients(args);
    }
    let mut out = Labeled::new("stdout", BufWriter::new(io::stdout().lock()));
    match args.format {
        crate::cli::ListFormat::Table => out.write_all(profiles::describe_all().as_bytes())?,
        crate::cli::ListFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &profiles::all_json())
                .map_err(io::Error::from)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// `tlscompat clients --client-hello NAME=FILE…`: the hellos a scan would replay.
fn captured_clients(args: &crate::cli::ClientsArgs) -> Result<u8, Failure> {
    let captured = crate::cli::captured_profiles(&args.client_hello, &[])?;
    let mut out = Labeled::new("stdout", BufWriter::new(io::stdout().lock()));
    match args.format {
        crate::cli::ListFormat::Table => {
            let text: Vec<String> = captured.iter().map(|c| c.describe()).collect();
            out.write_all(text.join("\n").as_bytes())?;
        }
        crate::cli::ListFormat::Json => {
            let all: Vec<_> = captured.iter().map(|c| c.to_json()).collect();
            serde_json::to_writer_pretty(&mut out, &all).map_err(io::Error::from)?;
            writeln!(out)?;
        }
    }
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

/// A file written atomically by the rules of [`crate::report::output`], for writers
/// other than the scan's sinks (`endpoints import --output`).
pub(crate) struct PendingFile(Opened);

impl PendingFile {
    pub(crate) fn create(
        path: &Path,
        flag: &'static str,
    ) -> Result<(Self, Labeled<Box<dyn Write>>), UsageError> {
        let request = Request {
            flag,
            path: path.to_path_buf(),
        };
        let planned = plan(std::slice::from_ref(&request)).map_err(UsageError)?;
        let Some(p) = planned.into_iter().next() else {
            return Err(UsageError(format!("{}: nowhere to write", request.label())));
        };
        let mut opened = Opened::open(&request, p).map_err(UsageError)?;
        let writer = opened.writer();
        Ok((Self(opened), writer))
    }

    pub(crate) fn commit(self) -> io::Result<()> {
        self.0.commit()
    }

    pub(crate) fn abandon(self) {
        self.0.abandon()
    }
}

/// Every sink of a scan, and the report destinations to put in place when it ends.
/// Rules for report paths: [`crate::report::output`].
pub(crate) struct Outputs {
    pub sinks: Vec<Box<dyn Sink>>,
    files: Vec<Opened>,
}

#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Csv,
    Json,
    Junit,
    Html,
}

/// The planned report destinations.
pub(crate) type Plans = Vec<(Kind, Request, output::Plan)>;

/// The report paths of the command line, checked together (same file twice, a
/// directory, stdout named twice) before anything is opened.
pub(crate) fn report_plans(flags: &ReportArgs) -> Result<Plans, UsageError> {
    let requests: Vec<(Kind, Request)> = [
        (Kind::Csv, "--csv", &flags.csv),
        (Kind::Json, "--json", &flags.json),
        (Kind::Junit, "--junit", &flags.junit),
        (Kind::Html, "--html", &flags.html),
    ]
    .into_iter()
    .filter_map(|(kind, flag, path)| {
        let path = path.clone()?;
        Some((kind, Request { flag, path }))
    })
    .collect();
    let only: Vec<Request> = requests.iter().map(|(_, r)| r.clone()).collect();
    let plans = plan(&only).map_err(UsageError)?;
    Ok(requests
        .into_iter()
        .zip(plans)
        .map(|((k, r), p)| (k, r, p))
        .collect())
}

fn sink(kind: Kind, w: Labeled<Box<dyn Write>>, ctx: &ScanContext) -> io::Result<Box<dyn Sink>> {
    Ok(match kind {
        Kind::Csv => Box::new(CsvSink::new(w, ctx)?),
        Kind::Json => Box::new(JsonSink::new(w, ctx)?),
        Kind::Junit => Box::new(JunitSink::new(w, ctx.clone())),
        Kind::Html => Box::new(HtmlSink::new(w, ctx.clone())),
    })
}

impl Outputs {
    /// Plans and opens every report destination, then the sinks (for `merge`).
    pub(crate) fn open(flags: &ReportArgs, ctx: &ScanContext) -> Result<Self, Failure> {
        let plans = report_plans(flags)?;
        Self::open_planned(flags, plans, ctx)
    }

    /// Opens every planned destination (exit 2 naming the path when one cannot be),
    /// then the sinks. A report sent to stdout (`-`) takes the place of `--format`.
    pub(crate) fn open_planned(
        flags: &ReportArgs,
        plans: Plans,
        ctx: &ScanContext,
    ) -> Result<Self, Failure> {
        let mut out = Self {
            sinks: Vec::new(),
            files: Vec::new(),
        };
        let mut kinds = Vec::new();
        for (kind, request, plan) in plans {
            match Opened::open(&request, plan) {
                Ok(o) => {
                    out.files.push(o);
                    kinds.push(kind);
                }
                Err(e) => {
                    out.abandon();
                    return Err(UsageError(e).into());
                }
            }
        }
        let stdout_taken = out.files.iter().any(Opened::is_stdout);
        if !stdout_taken {
            let w = Labeled::new("stdout", BufWriter::new(io::stdout()));
            let main: Box<dyn Sink> = match flags.format {
                Format::Table => Box::new(
                    TableSink::new(w, ctx.clone()).styled(TableStyle::for_stdout(flags.color)),
                ),
                Format::Csv => Box::new(CsvSink::new(w, ctx)?),
                Format::Json => Box::new(JsonSink::new(w, ctx)?),
            };
            out.sinks.push(main);
        }
        for (i, kind) in kinds.into_iter().enumerate() {
            let w = out.files[i].writer();
            match sink(kind, w, ctx) {
                Ok(s) => out.sinks.push(s),
                Err(e) => {
                    out.abandon();
                    return Err(e.into());
                }
            }
        }
        Ok(out)
    }

    /// Puts the finished reports in place.
    pub(crate) fn commit(self) -> io::Result<()> {
        self.commit_except(&[])
    }

    /// Puts the finished reports in place, except those whose sink failed (`failed`
    /// holds sink indices): a half-written report never replaces an earlier one. The
    /// first failure to commit is returned; the other reports are still committed.
    pub(crate) fn commit_except(self, failed: &[usize]) -> io::Result<()> {
        let offset = self.sinks.len() - self.files.len();
        drop(self.sinks);
        let mut first = Ok(());
        for (i, f) in self.files.into_iter().enumerate() {
            if failed.contains(&(i + offset)) {
                f.abandon();
                continue;
            }
            if let Err(e) = f.commit()
                && first.is_ok()
            {
                first = Err(e);
            }
        }
        first
    }

    pub(crate) fn abandon(self) {
        drop(self.sinks);
        self.files.into_iter().for_each(Opened::abandon);
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
    let names: Vec<String> = items.iter().map(|i| i.target.host.to_string()).collect();
    let checks = args.check_options(&names)?;
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
            "clients": checks.clients.iter().map(|p| p.name.as_ref()).collect::<Vec<_>>(),
            "ciphers": checks.ciphers,
        }),
        clients: checks.clients.iter().map(|p| p.name.to_string()).collect(),
    };
    let plans = report_plans(&args.output)?;
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
    let result = runtime.block_on(async {
        // Everything that can refuse the invocation happens before any output opens.
        let resolver = NameResolver::new(&args.resolve_settings()).map_err(UsageError)?;
        let prober = Prober::with_checks(settings, observer.clone(), registry(&checks))
            .map_err(UsageError)?;
        let proxy = proxy_plan(proxy_settings, args.compare_direct).await;
        let interrupt = Interrupt::install()?;
        let mut outputs = Outputs::open_planned(&args.output, plans, &ctx)?;
        interrupt.scanning();
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
        let stop = interrupt.stopped();
        let run = pipeline.run_until(items, &mut outputs.sinks, stop).await;
        let failed: Vec<usize> = run.failed.iter().map(|(s, _)| *s).collect();
        let committed = outputs.commit_except(&failed);
        match run.failed.into_iter().next() {
            Some((_, e)) => Err(Failure::Io(e)),
            None => committed
                .map(|()| (run.summary, interrupt))
                .map_err(Failure::Io),
        }
    });
    // The bar goes before any message, whatever the outcome.
    if let Some(b) = bar {
        b.finish();
    }
    let (summary, interrupt) = result?;
    if !args.quiet && args.output.format != Format::Table {
        diag::line(&summary.line());
    }
    if let Some(code) = interrupt.exit_code() {
        diag::error("interrupted; the reports hold the records finished before the signal");
        return Ok(code);
    }
    Ok(if summary.failing_records > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}
