//! `tlscompat scan`: the targets of the command line or the endpoint list, through the
//! pipeline (resolve, probe, classify, trust, aggregate) into the sinks; the exit code
//! says whether a finding of the `--fail-on` set was seen.

use std::sync::Arc;

use serde_json::json;

use crate::baseline::Baseline;
use crate::checks::registry;
use crate::cli::{Format, ScanArgs};
use crate::diag;
use crate::endpoints::{Endpoint, EndpointList};
use crate::exit::{Failure, UsageError, verdict};
use crate::interrupt::Interrupt;
use crate::pipeline::{Pipeline, ProxyPlan, ScanItem};
use crate::progress::{self, Progress};
use crate::proxy::ProxySettings;
use crate::report::ScanContext;
use crate::report::sinks::{Outputs, report_plans};
use crate::resolve::NameResolver;
use crate::scan::{Observer, Prober, Silent};
use crate::target::{Host, Target};
use crate::trust::TrustStores;

pub fn run(args: &ScanArgs) -> Result<u8, Failure> {
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
        Some(p) => Some(Baseline::load(p, args.shard).map_err(UsageError)?),
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
            "proxy_url": proxy_settings.proxy.as_ref().map(|p| p.url()),
            "proxy_user": proxy_settings.proxy.as_ref().and_then(|p| p.credentials.as_ref()).map(|c| c.user.clone()),
            "proxy_auth": args.proxy_auth.map(|a| a.to_string()),
            "compare_direct": args.compare_direct,
            "clients": checks.clients.iter().map(|p| p.name.as_ref()).collect::<Vec<_>>(),
            "ciphers": checks.ciphers,
            "starttls": args.starttls.map(|c| c.name()),
            "tenant": args.tenant,
        }),
        clients: checks.clients.iter().map(|p| p.name.to_string()).collect(),
    };
    let plans = report_plans(&args.output, &args.input_files())?;
    // The sinks and the signal handler run apart from the probes (see [`ProbeThread`]).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let probing = ProbeThread::start()?;
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
            spawner: probing.handle.clone(),
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
    // The reports are written: a signature check still running on a blocking thread
    // (one that outlived its probe's deadline) must not hold the exit.
    runtime.shutdown_background();
    probing.stop();
    // The bar goes before any message, whatever the outcome.
    if let Some(b) = bar {
        b.finish();
    }
    let (summary, interrupt) = result?;
    if !args.quiet && args.output.format != Format::Table {
        diag::line(&summary.line());
        // The answer per client too, as the table would end with it.
        summary.clients.lines().iter().for_each(|l| diag::line(l));
    }
    if let Some(code) = interrupt.exit_code() {
        diag::error("interrupted; the reports hold the records finished before the signal");
        return Ok(code);
    }
    Ok(verdict(summary.failing_records))
}

/// What to scan: the command line's targets (with their endpoint-list entry when the
/// list has the same host and port, so expectations still apply), or the whole list.
fn items(args: &ScanArgs) -> Result<Vec<ScanItem>, UsageError> {
    let from_cli = args.parsed_targets()?;
    let mut list = EndpointList::from_flag(args.endpoints.as_deref())
        .map_err(|e| UsageError(e.to_string()))?;
    // Template entries need --tenant; the note matters only when the list is scanned.
    let skipped = list.fill_templates(args.tenant.as_deref());
    if from_cli.is_empty() {
        skipped.iter().for_each(|n| crate::diag::line(n));
    }
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
                mail: crate::mail::select(target.port, args.starttls, e.starttls),
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
            let own = endpoint.as_ref().and_then(|e| e.starttls);
            ScanItem {
                index,
                mail: crate::mail::select(target.port, args.starttls, own),
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
    ProxyPlan::new(settings, proxy_addr, compare_direct)
}

/// The thread every probe runs on: one current-thread tokio runtime for the whole
/// scan's network work (DNS, connections, handshakes).
///
/// One thread, because a scan waits on the network and its CPU (about a millisecond an
/// address) is the handshakes' own: a work-stealing runtime adds wake-ups and
/// cross-thread hand-offs on every socket event, and on the issue-18 bench it cost
/// 17-28 % more client CPU for the same wall time. Checks that cost more than a probe
/// (RSA keys past 4096 bits, Kerberos) go to this runtime's blocking pool.
///
/// Apart from the sinks, because a report written to a pipe nobody reads (or a slow
/// terminal) blocks its writer: on the probes' thread that would stall every
/// connection in flight and turn their deadlines into false timeouts. The pipeline
/// spawns each target's work here and hands the records to the sinks on the caller's
/// runtime.
struct ProbeThread {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProbeThread {
    fn start() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("probes".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                // A signature check still running on a blocking thread (one that
                // outlived its probe's deadline) must not hold the exit.
                runtime.shutdown_background();
            })?;
        Ok(Self {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Ends the runtime (the scan is over: nothing of it is still awaited).
    fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
