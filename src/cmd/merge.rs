//! `tlscompat merge`: the reports of a sharded scan, put back together.
//!
//! Each shard's JSON report carries its options (with `shard: {index, count}`) and each
//! record its `target_index` in the full target list. Merging checks that the reports
//! belong together — same tool version, same schema, same options apart from the shard,
//! every shard of the same N exactly once — then replays the records in target order
//! through the very sinks a scan uses, so the CSV, JSON, JUnit, HTML and exit code are
//! those one unsharded scan would have produced. A single unsharded report is accepted
//! too: `tlscompat merge scan.json --html scan.html` renders a saved report again.

use std::io;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::{MergeArgs, parse_fail_on};
use crate::exit::{Failure, UsageError, verdict};
use crate::findings::FindingKind;
use crate::report::ScanContext;
use crate::report::load::{LoadedRecord, LoadedReport, load};
use crate::report::sinks::Outputs;
use crate::report::summary::{BaselineSummary, Summary};
use crate::version::{TlsVersion, VersionRange};

/// Options that may differ between the shards of one scan.
const PER_SHARD_OPTIONS: [&str; 2] = ["shard", "fail_on"];

pub fn run(args: &MergeArgs) -> Result<u8, Failure> {
    let reports = args
        .reports
        .iter()
        .map(|p| load(p).map_err(UsageError))
        .collect::<Result<Vec<_>, _>>()?;
    check_together(&reports)?;
    let fail_on = match &args.fail_on {
        Some(list) => parse_fail_on(list).map_err(|e| UsageError(format!("--fail-on: {e}")))?,
        None => recorded_fail_on(&reports[0])?,
    };
    let ctx = context(&reports[0], &fail_on)?;
    let mut summary = Summary {
        elapsed: reports
            .iter()
            .map(LoadedReport::elapsed)
            .max()
            .unwrap_or(Duration::ZERO),
        started_at: reports.iter().filter_map(LoadedReport::started_at).min(),
        ..Summary::default()
    };
    let mut baseline: Option<BaselineSummary> = None;
    for r in &reports {
        if let Some(b) = r.summary.get("baseline").filter(|b| !b.is_null()) {
            baseline
                .get_or_insert_with(BaselineSummary::default)
                .absorb(b);
        }
    }
    summary.baseline = baseline.map(std::sync::Arc::new);
    check_targets(&reports)?;
    let mut records: Vec<LoadedRecord> = reports.into_iter().flat_map(|r| r.records).collect();
    // Stable: the addresses of one target keep the order their shard wrote them in.
    records.sort_by_key(|r| r.record.target_index);
    let mut outputs = Outputs::open(&args.output, &ctx)?;
    match replay(&records, &ctx, &mut outputs, &mut summary) {
        Ok(()) => outputs.commit()?,
        Err(e) => {
            outputs.abandon();
            return Err(e.into());
        }
    }
    if !args.quiet && args.output.format != crate::cli::Format::Table {
        crate::diag::line(&summary.line());
        // The answer per client too, as the table would end with it.
        summary
            .clients
            .lines()
            .iter()
            .for_each(|l| crate::diag::line(l));
    }
    Ok(verdict(summary.failing_records))
}

fn replay(
    records: &[LoadedRecord],
    ctx: &ScanContext,
    outputs: &mut Outputs,
    summary: &mut Summary,
) -> io::Result<()> {
    let mut previous: Option<usize> = None;
    for r in records {
        let rec = &r.record;
        summary.add(rec, previous != Some(rec.target_index), ctx.fails(rec));
        previous = Some(rec.target_index);
        for sink in &mut outputs.sinks {
            ignore_closed_pipe(sink.record_json(rec, &r.raw))?;
        }
    }
    for sink in &mut outputs.sinks {
        ignore_closed_pipe(sink.finish(summary))?;
    }
    Ok(())
}

fn ignore_closed_pipe(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn without_per_shard(r: &LoadedReport) -> serde_json::Map<String, Value> {
    let mut o = r.options.clone();
    for k in PER_SHARD_OPTIONS {
        o.remove(k);
    }
    o
}

/// Refuses reports that are not the shards of one scan.
fn check_together(reports: &[LoadedReport]) -> Result<(), UsageError> {
    let first = &reports[0];
    let first_opts = without_per_shard(first);
    for r in &reports[1..] {
        if r.tool_version != first.tool_version {
            return Err(UsageError(format!(
                "{} was written by tlscompat {}, {} by tlscompat {}: merge reports of one version",
                first.origin, first.tool_version, r.origin, r.tool_version
            )));
        }
        let opts = without_per_shard(r);
        if opts != first_opts {
            let mut keys: Vec<&String> = first_opts.keys().chain(opts.keys()).collect();
            keys.sort();
            keys.dedup();
            let differing: Vec<String> = keys
                .into_iter()
                .filter(|k| first_opts.get(*k) != opts.get(*k))
                .map(|k| {
                    let show =
                        |v: Option<&Value>| v.map_or("(absent)".to_string(), Value::to_string);
                    format!("{k} {} vs {}", show(first_opts.get(k)), show(opts.get(k)))
                })
                .collect();
            return Err(UsageError(format!(
                "{} and {} were scanned with different options ({}): they are not shards of one scan",
                first.origin,
                r.origin,
                differing.join(", ")
            )));
        }
    }
    let shards: Vec<Option<(u64, u64)>> = reports.iter().map(shard_of).collect::<Result<_, _>>()?;
    if shards.iter().all(Option::is_none) {
        if reports.len() > 1 {
            return Err(UsageError(format!(
                "{} and {} are not shards (scan with --shard K/N): merging them would repeat targets",
                reports[0].origin, reports[1].origin
            )));
        }
        return Ok(());
    }
    let mut seen: Vec<Option<&str>> = Vec::new();
    let mut count = None;
    for (r, s) in reports.iter().zip(&shards) {
        let Some((k, n)) = *s else {
            return Err(UsageError(format!(
                "{}: not a shard, unlike {}",
                r.origin, first.origin
            )));
        };
        if *count.get_or_insert(n) != n {
            return Err(UsageError(format!(
                "{}: shard {k}/{n}, but the other reports are of {} shards",
                r.origin,
                count.unwrap_or(n)
            )));
        }
        seen.resize(n as usize, None);
        let slot = &mut seen[(k - 1) as usize];
        if let Some(other) = slot {
            return Err(UsageError(format!(
                "shard {k}/{n} given twice: {other} and {}",
                r.origin
            )));
        }
        *slot = Some(&r.origin);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{}/{}", i + 1, seen.len()))
        .collect();
    if !missing.is_empty() {
        return Err(UsageError(format!(
            "missing shard {}: a merge without every shard would not be the whole scan",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Every record must say where its target was, and a target must come from one report
/// only: otherwise the shards did not scan the same list.
fn check_targets(reports: &[LoadedReport]) -> Result<(), UsageError> {
    let mut owner: std::collections::HashMap<usize, (&str, &str, u16)> = Default::default();
    for r in reports {
        for (i, rec) in r.records.iter().enumerate() {
            if !rec.indexed() {
                return Err(UsageError(format!(
                    "{}: records[{i}].target_index: missing (written by a tlscompat that could not merge)",
                    r.origin
                )));
            }
            let t = &rec.record;
            match owner.get(&t.target_index) {
                Some((origin, host, port))
                    if *origin != r.origin || *host != t.host || *port != t.port =>
                {
                    return Err(UsageError(format!(
                        "target #{} is {host}:{port} in {origin} but {}:{} in {}: the shards scanned different target lists",
                        t.target_index, t.host, t.port, r.origin
                    )));
                }
                Some(_) => {}
                None => {
                    owner.insert(t.target_index, (&r.origin, &t.host, t.port));
                }
            }
        }
    }
    Ok(())
}

fn shard_of(r: &LoadedReport) -> Result<Option<(u64, u64)>, UsageError> {
    let Some(s) = r.options.get("shard").filter(|s| !s.is_null()) else {
        return Ok(None);
    };
    let k = s.get("index").and_then(Value::as_u64);
    let n = s.get("count").and_then(Value::as_u64);
    match (k, n) {
        (Some(k), Some(n)) if k >= 1 && k <= n => Ok(Some((k, n))),
        _ => Err(UsageError(format!(
            "{}: options.shard: expected {{index, count}} with 1 <= index <= count, got {s}",
            r.origin
        ))),
    }
}

fn recorded_fail_on(r: &LoadedReport) -> Result<Vec<FindingKind>, UsageError> {
    let Some(list) = r.options.get("fail_on").and_then(Value::as_array) else {
        return Ok(parse_fail_on(crate::cli::DEFAULT_FAIL_ON).unwrap_or_default());
    };
    list.iter()
        .map(|v| {
            v.as_str()
                .unwrap_or("")
                .parse::<FindingKind>()
                .map_err(|e| UsageError(format!("{}: options.fail_on: {e}", r.origin)))
        })
        .collect()
}

/// The context the sinks get: the versions probed and the options, as the shards had
/// them minus the shard itself, with the merge's `--fail-on`.
fn context(r: &LoadedReport, fail_on: &[FindingKind]) -> Result<ScanContext, UsageError> {
    let version = |k: &str| -> Result<TlsVersion, UsageError> {
        r.options
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| UsageError(format!("{}: options.{k}: missing", r.origin)))?
            .parse()
            .map_err(|e| UsageError(format!("{}: options.{k}: {e}", r.origin)))
    };
    let range = VersionRange::new(version("tls_min")?, version("tls_max")?)
        .map_err(|e| UsageError(format!("{}: options: {e}", r.origin)))?;
    let mut options = r.options.clone();
    options.insert("shard".into(), Value::Null);
    options.insert(
        "fail_on".into(),
        json!(fail_on.iter().map(|k| k.name()).collect::<Vec<_>>()),
    );
    let clients = options
        .get("clients")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(ScanContext {
        versions: range.iter().collect(),
        fail_on: fail_on.to_vec(),
        options: Value::Object(options),
        clients,
    })
}
