//! `tlscompat merge`: the reports of a sharded scan, put back together.
//!
//! Each shard's JSON report carries its options (with `shard: {index, count}`) and each
//! record its `target_index` in the full target list. Merging checks that the reports
//! belong together, then replays the records in target order through the very sinks a
//! scan uses, so the CSV, JSON, JUnit, HTML and exit code are those one unsharded scan
//! would have produced. A single unsharded report is accepted too: `tlscompat merge
//! scan.json --html scan.html` renders a saved report again.
//!
//! In bounded memory, whatever the reports' size, in three passes over the files:
//! 1. the heads ([`crate::report::load::open`]: the records are skipped): same tool
//!    version and options apart from the shard, every shard of the same N exactly once,
//!    and every report complete — an interrupted shard (`"complete": false`) is refused
//!    (exit 2) unless `--allow-incomplete`, which merges it marked INCOMPLETE in every
//!    sink with an exit code that is never 0;
//! 2. every record, read and checked one at a time (fields, ranges, the target order a
//!    scan writes, no address twice, each target in one shard only and the right one),
//!    so a bad record is refused before any report is opened;
//! 3. the replay: the shards' record streams merged by target index, one record of each
//!    in memory at a time.

use std::collections::HashMap;
use std::io;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::{MergeArgs, parse_fail_on};
use crate::exit::{EXIT_FINDINGS, Failure, UsageError, verdict};
use crate::findings::FindingKind;
use crate::report::load::{LoadedRecord, ReportHead, open};
use crate::report::output::Request;
use crate::report::sinks::Outputs;
use crate::report::summary::{BaselineSummary, Summary};
use crate::report::{ScanContext, Sink};
use crate::shard::Shard;

/// Options that may differ between the shards of one scan.
const PER_SHARD_OPTIONS: [&str; 2] = ["shard", "fail_on"];

pub fn run(args: &MergeArgs) -> Result<u8, Failure> {
    let heads = args
        .reports
        .iter()
        .map(|p| open(p).map_err(UsageError))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = prepare(heads, args.fail_on.as_deref(), args.allow_incomplete)?;
    let inputs: Vec<Request> = args
        .reports
        .iter()
        .map(|p| Request {
            flag: "merge",
            path: p.clone(),
        })
        .collect();
    let mut outputs = Outputs::open(&args.output, &inputs, &plan.ctx)?;
    let mut summary = plan.summary.clone();
    match replay(&plan, &mut outputs.sinks, &mut summary) {
        Ok(()) => outputs.commit()?,
        Err(e) => {
            outputs.abandon();
            return Err(e);
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
    if let Some(why) = &summary.incomplete {
        crate::diag::error(&format!("incomplete: {why}"));
    }
    Ok(exit_code(&summary))
}

/// A merge ready to replay: its reports, the sinks' context, the summary so far.
pub struct Plan {
    pub heads: Vec<ReportHead>,
    pub ctx: ScanContext,
    pub summary: Summary,
}

/// The exit code of a merge: never 0 when incomplete.
pub fn exit_code(summary: &Summary) -> u8 {
    match summary.incomplete {
        Some(_) => EXIT_FINDINGS,
        None => verdict(summary.failing_records),
    }
}

/// Passes 1 and 2: the reports' heads checked together, then every record; the context
/// the sinks get (`fail_on`: `--fail-on`, else the shards' own).
pub fn prepare(
    heads: Vec<ReportHead>,
    fail_on: Option<&str>,
    allow_incomplete: bool,
) -> Result<Plan, UsageError> {
    if heads.is_empty() {
        return Err(UsageError("no report to merge".into()));
    }
    let shards = check_together(&heads)?;
    let incomplete: Vec<String> = heads.iter().filter_map(ReportHead::incomplete).collect();
    if !incomplete.is_empty() && !allow_incomplete {
        return Err(UsageError(format!(
            "{}: a merge of it would not be the whole scan; rerun that shard, or pass \
             --allow-incomplete to merge what it holds (marked INCOMPLETE, exit code never 0)",
            incomplete.join("; ")
        )));
    }
    let fail_on = match fail_on {
        Some(list) => parse_fail_on(list).map_err(|e| UsageError(format!("--fail-on: {e}")))?,
        None => recorded_fail_on(&heads[0])?,
    };
    let ctx = context(&heads[0], &fail_on)?;
    check_records(&heads, &shards)?;
    let mut summary = Summary {
        elapsed: heads
            .iter()
            .map(ReportHead::elapsed)
            .max()
            .unwrap_or(Duration::ZERO),
        started_at: heads.iter().filter_map(ReportHead::started_at).min(),
        incomplete: (!incomplete.is_empty()).then(|| incomplete.join("; ")),
        ..Summary::default()
    };
    let mut baseline: Option<BaselineSummary> = None;
    for h in &heads {
        if let Some(b) = h.summary.get("baseline").filter(|b| !b.is_null()) {
            let drifted = b.get("drifted").and_then(Value::as_u64).unwrap_or(0);
            if drifted > h.record_count {
                return Err(UsageError(format!(
                    "{}: summary.baseline.drifted: {drifted} is out of range (the report has {} records)",
                    h.origin, h.record_count
                )));
            }
            baseline
                .get_or_insert_with(BaselineSummary::default)
                .absorb(b);
        }
    }
    summary.baseline = baseline.map(std::sync::Arc::new);
    Ok(Plan {
        heads,
        ctx,
        summary,
    })
}

/// Pass 3: the records of every report, in target order (a stable merge of the shards'
/// streams, each already in that order), through the sinks; `summary` counts them.
pub fn replay<'s>(
    plan: &Plan,
    sinks: &mut [Box<dyn Sink + 's>],
    summary: &mut Summary,
) -> Result<(), Failure> {
    let ctx = &plan.ctx;
    let mut streams = Vec::new();
    for h in &plan.heads {
        streams.push(h.records().map_err(UsageError)?.peekable());
    }
    let mut previous: Option<usize> = None;
    loop {
        // The stream whose next record has the lowest target index.
        let mut best: Option<(usize, usize)> = None;
        for (i, s) in streams.iter_mut().enumerate() {
            match s.peek() {
                Some(Ok(r)) if best.is_none_or(|(_, t)| r.record.target_index < t) => {
                    best = Some((i, r.record.target_index));
                }
                Some(Err(_)) => return Err(next_error(s)),
                _ => {}
            }
        }
        let Some((i, target)) = best else { break };
        while let Some(next) = streams[i].next_if(|r| match r {
            Ok(r) => r.record.target_index == target,
            Err(_) => true,
        }) {
            let r = next.map_err(UsageError)?;
            let rec = &r.record;
            summary.add(rec, previous != Some(target), ctx.fails(rec));
            previous = Some(target);
            for sink in sinks.iter_mut() {
                ignore_closed_pipe(sink.record_json(rec, &r.raw))?;
            }
        }
    }
    for sink in sinks.iter_mut() {
        ignore_closed_pipe(sink.finish(summary))?;
    }
    Ok(())
}

fn next_error(
    s: &mut std::iter::Peekable<crate::report::load::Records<impl io::BufRead>>,
) -> Failure {
    match s.next() {
        Some(Err(e)) => UsageError(e).into(),
        _ => UsageError("a report changed while it was read".into()).into(),
    }
}

fn ignore_closed_pipe(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn without_per_shard(r: &ReportHead) -> serde_json::Map<String, Value> {
    let mut o = r.options.clone();
    for k in PER_SHARD_OPTIONS {
        o.remove(k);
    }
    o
}

/// Pass 1: refuses reports that are not the shards of one scan, from their heads
/// alone. Returns each report's shard.
fn check_together(reports: &[ReportHead]) -> Result<Vec<Option<Shard>>, UsageError> {
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
                    let show = |v: Option<&Value>| {
                        v.map_or("(absent)".to_string(), |v| {
                            crate::safe::json_string(v).chars().take(80).collect()
                        })
                    };
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
    let shards: Vec<Option<Shard>> = reports
        .iter()
        .map(ReportHead::shard)
        .collect::<Result<_, _>>()
        .map_err(UsageError)?;
    if shards.iter().all(Option::is_none) {
        if reports.len() > 1 {
            return Err(UsageError(format!(
                "{} and {} are not shards (scan with --shard K/N): merging them would repeat targets",
                reports[0].origin, reports[1].origin
            )));
        }
        return Ok(shards);
    }
    // `count` is at most MAX_SHARDS (checked by `ReportHead::shard`).
    let mut seen: Vec<Option<&str>> = Vec::new();
    let mut count = None;
    for (r, s) in reports.iter().zip(&shards) {
        let Some(Shard { index: k, count: n }) = *s else {
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
    Ok(shards)
}

/// Pass 2: every record loads and says where its target was; each report's records
/// come in the order a scan writes them (by target index, the addresses of a target
/// together, none twice) and belong to its shard; a target comes from one report only.
/// Memory: one record at a time, plus a (report, host:port hash) per target.
fn check_records(heads: &[ReportHead], shards: &[Option<Shard>]) -> Result<(), UsageError> {
    let mut owner: HashMap<usize, (usize, u64)> = HashMap::new();
    for (n, (head, shard)) in heads.iter().zip(shards).enumerate() {
        let mut current: Option<(usize, String, u16)> = None;
        let mut addresses: Vec<String> = Vec::new();
        for r in head.records().map_err(UsageError)? {
            let r = r.map_err(UsageError)?;
            check_record(&r, head, *shard, &mut current, &mut addresses)?;
            let t = &r.record;
            let id = host_port_id(&t.host, t.port);
            match owner.get(&t.target_index) {
                Some((other, _)) if *other != n => {
                    return Err(UsageError(format!(
                        "target #{} ({}:{}) is in both {} and {}: the shards scanned different target lists",
                        t.target_index, t.host, t.port, heads[*other].origin, head.origin
                    )));
                }
                Some((_, known)) if *known != id => {
                    return Err(UsageError(format!(
                        "{}: records[{}]: target #{} is {}:{} here but another host earlier in the file",
                        head.origin, r.index, t.target_index, t.host, t.port
                    )));
                }
                Some(_) => {}
                None => {
                    owner.insert(t.target_index, (n, id));
                }
            }
        }
    }
    Ok(())
}

/// One record's place in its report: indexed, in order, not repeated, in its shard.
fn check_record(
    r: &LoadedRecord,
    head: &ReportHead,
    shard: Option<Shard>,
    current: &mut Option<(usize, String, u16)>,
    addresses: &mut Vec<String>,
) -> Result<(), UsageError> {
    let at = format!("{}: records[{}]", head.origin, r.index);
    let t = &r.record;
    if !r.indexed() {
        return Err(UsageError(format!(
            "{at}.target_index: missing (written by a tlscompat that could not merge)"
        )));
    }
    match current {
        Some((i, host, port)) if *i == t.target_index => {
            if *host != t.host || *port != t.port {
                return Err(UsageError(format!(
                    "{at}: target #{i} is {host}:{port} in the record before, {}:{} here",
                    t.host, t.port
                )));
            }
        }
        Some((i, ..)) if *i > t.target_index => {
            return Err(UsageError(format!(
                "{at}.target_index: {} after {i}: not the order a scan writes (records of one target are together, targets in list order)",
                t.target_index
            )));
        }
        _ => {
            *current = Some((t.target_index, t.host.clone(), t.port));
            addresses.clear();
        }
    }
    if addresses.contains(&t.address) {
        return Err(UsageError(format!(
            "{at} repeats {}:{} [{}]: a report holds each address of a target once",
            t.host, t.port, t.address
        )));
    }
    addresses.push(t.address.clone());
    if let Some(s) = shard
        && !s.contains(&t.host, t.port)
    {
        return Err(UsageError(format!(
            "{at}: {}:{} does not belong to shard {s}: not a report of that shard",
            t.host, t.port
        )));
    }
    Ok(())
}

/// A stable 64-bit identity of `host:port` (FNV-1a), to compare targets across reports
/// without keeping every host name.
fn host_port_id(host: &str, port: u16) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in host.bytes().chain(port.to_be_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn recorded_fail_on(r: &ReportHead) -> Result<Vec<FindingKind>, UsageError> {
    let Some(list) = r.options.get("fail_on").and_then(Value::as_array) else {
        return Ok(parse_fail_on(crate::cli::DEFAULT_FAIL_ON).unwrap_or_default());
    };
    let mut out = Vec::new();
    for v in list {
        let kind = v
            .as_str()
            .unwrap_or("")
            .parse::<FindingKind>()
            .map_err(|e| UsageError(format!("{}: options.fail_on: {e}", r.origin)))?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    Ok(out)
}

/// The context the sinks get: the versions probed and the options, as the shards had
/// them minus the shard itself, with the merge's `--fail-on`.
fn context(r: &ReportHead, fail_on: &[FindingKind]) -> Result<ScanContext, UsageError> {
    let range = r.versions().map_err(UsageError)?;
    let clients = r.clients().map_err(UsageError)?;
    r.target_count().map_err(UsageError)?;
    let mut options = r.options.clone();
    options.insert("shard".into(), Value::Null);
    options.insert(
        "fail_on".into(),
        json!(fail_on.iter().map(|k| k.name()).collect::<Vec<_>>()),
    );
    Ok(ScanContext {
        versions: range.iter().collect(),
        fail_on: fail_on.to_vec(),
        options: Value::Object(options),
        clients,
    })
}
