//! Reading a JSON report back: for `tlscompat merge` (which re-renders shards through the
//! same sinks a scan uses) and for `--baseline` (which compares records).
//!
//! The JSON report is the only saved state, so it carries what the sinks render (cells,
//! best version, chain summaries, trust, findings, the target index). A record read back
//! has no raw probe data; the JSON sink writes the original object instead.
//!
//! Reading is in two steps, in bounded memory whatever the report's size: the head
//! ([`open`]: tool, options, summary, `complete`, the number of records — the records
//! themselves skipped), which a command checks before it reads any record, then the
//! records one at a time ([`ReportHead::records`]). Every error names the file and the
//! JSON path (`records[3].versions.tls1_0.state`) or, for bytes that are not JSON or
//! not UTF-8, the byte offset; every number a sink computes with is range-checked
//! (ports 1-65535, target indexes within `options.target_count`, probe counts,
//! certificate times, shard counts up to [`MAX_SHARDS`]), and nothing read sizes an
//! allocation.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;

use crate::cert::CertSummary;
use crate::endpoints::Endpoint;
use crate::findings::Finding;
use crate::intercept::Signal;
use crate::probe::outcome::CellState;
use crate::record::{Cell, Record};
use crate::shard::{MAX_SHARDS, Shard};
use crate::target::Host;
use crate::version::{TlsVersion, VersionRange};
use crate::wire::enums::CipherSuite;

use super::json_stream::{JsonStream, Position, StreamError};
use super::schema::SCHEMA_VERSION;

/// Most targets a report can index (`options.target_count`): far beyond any endpoint
/// list, small enough that nothing sized by it can exhaust memory.
pub const MAX_TARGETS: u64 = 10_000_000;
/// Most probes one record can have made (`probes`, `checks[].probes`): every version,
/// every suite and every profile, many times over.
pub const MAX_PROBES: u64 = 1_000_000;
/// Largest top-level value other than `records` (options, summary), and largest record.
pub const MAX_VALUE: u64 = 16 << 20;
/// Certificate times a report may hold: years 0000 to 9999, as X.509 allows.
const UNIX_RANGE: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;

/// Everything in a JSON report but its records, read first (the records are skipped in
/// constant memory, counted, and read later as a stream: [`ReportHead::records`]).
#[derive(Debug, Clone)]
pub struct ReportHead {
    /// The path, as given, for messages.
    pub origin: String,
    /// Where the records are read from.
    source: Source,
    pub tool_version: String,
    pub options: serde_json::Map<String, Value>,
    pub summary: Value,
    /// `complete` as written; a report without it is not known to be complete.
    pub complete: bool,
    /// How many records the `records` array holds.
    pub record_count: u64,
    /// Where the `records` array's `[` is.
    records_at: Position,
}

/// Where a report's bytes are: its file, or memory (a report held whole: tests, fuzzing).
#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Memory(Arc<[u8]>),
}

/// What records are read from.
pub trait Input: BufRead + std::io::Seek {}
impl<T: BufRead + std::io::Seek> Input for T {}

/// A record read back, with its place in its report.
#[derive(Debug)]
pub struct LoadedRecord {
    /// `record.target_index` is `usize::MAX` when the report predates `target_index`.
    pub record: Record,
    /// The record's JSON object exactly as read.
    pub raw: Value,
    /// Its index in the report's `records` array.
    pub index: usize,
}

impl LoadedRecord {
    /// Whether the record says where its target was in the full list.
    pub fn indexed(&self) -> bool {
        self.record.target_index != usize::MAX
    }
}

impl ReportHead {
    /// `summary.elapsed_ms` as a duration (zero when absent or out of range).
    pub fn elapsed(&self) -> Duration {
        let ms = self.summary.get("elapsed_ms").and_then(Value::as_f64);
        Duration::try_from_secs_f64(ms.unwrap_or(0.0) / 1000.0).unwrap_or_default()
    }

    /// `summary.started_unix`, when the report has it.
    pub fn started_at(&self) -> Option<SystemTime> {
        let secs = self.summary.get("started_unix")?.as_u64()?;
        UNIX_EPOCH.checked_add(Duration::from_secs(secs))
    }

    /// Why the report is not the whole scan, when `complete` is not `true`.
    pub fn incomplete(&self) -> Option<String> {
        if self.complete {
            return None;
        }
        let why = self.summary.get("incomplete").and_then(Value::as_str);
        Some(match why {
            Some(w) => format!("{} is incomplete: {w}", self.origin),
            None => format!(
                "{} is incomplete (\"complete\": false): the scan was stopped before it finished",
                self.origin
            ),
        })
    }

    /// `options.tls_min` … `options.tls_max`, checked (known versions, not inverted).
    pub fn versions(&self) -> Result<VersionRange, String> {
        let version = |k: &str| -> Result<TlsVersion, String> {
            self.options
                .get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{}: options.{k}: missing", self.origin))?
                .parse()
                .map_err(|e| format!("{}: options.{k}: {e}", self.origin))
        };
        let (min, max) = (version("tls_min")?, version("tls_max")?);
        VersionRange::new(min, max).map_err(|_| {
            format!(
                "{}: options.tls_min {min} is above options.tls_max {max}: not a report a scan writes",
                self.origin
            )
        })
    }

    /// `options.shard`, checked: `None` for an unsharded scan.
    pub fn shard(&self) -> Result<Option<Shard>, String> {
        let Some(s) = self.options.get("shard").filter(|s| !s.is_null()) else {
            return Ok(None);
        };
        let k = s.get("index").and_then(Value::as_u64);
        let n = s.get("count").and_then(Value::as_u64);
        let bad = || {
            format!(
                "{}: options.shard: expected {{index, count}} with 1 <= index <= count <= {MAX_SHARDS}, got {s}",
                self.origin
            )
        };
        match (k, n) {
            (Some(k), Some(n)) if k >= 1 && k <= n && n <= u64::from(MAX_SHARDS) => {
                Ok(Some(Shard {
                    index: u32::try_from(k).map_err(|_| bad())?,
                    count: u32::try_from(n).map_err(|_| bad())?,
                }))
            }
            _ => Err(bad()),
        }
    }

    /// `options.target_count`, checked; `None` when the report does not say.
    pub fn target_count(&self) -> Result<Option<u64>, String> {
        match self.options.get("target_count") {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if n <= MAX_TARGETS => Ok(Some(n)),
                _ => Err(format!(
                    "{}: options.target_count: {v} is out of range (0-{MAX_TARGETS})",
                    self.origin
                )),
            },
        }
    }

    /// The client profiles of `options.clients`, checked (at most 64 profile names —
    /// `a-z`, `0-9`, `-`, up to 32 characters: they become CSV columns and JSON keys).
    pub fn clients(&self) -> Result<Vec<String>, String> {
        let Some(list) = self.options.get("clients").filter(|c| !c.is_null()) else {
            return Ok(Vec::new());
        };
        let bad = || {
            format!(
                "{}: options.clients: expected at most 64 profile names, got {}",
                self.origin,
                crate::safe::json_string(list)
                    .chars()
                    .take(120)
                    .collect::<String>()
            )
        };
        let list = list.as_array().filter(|a| a.len() <= 64).ok_or_else(bad)?;
        list.iter()
            .map(|c| {
                c.as_str()
                    .filter(|s| crate::checks::profiles::is_profile_name(s))
                    .map(str::to_string)
                    .ok_or_else(bad)
            })
            .collect()
    }

    /// Whether the report was written by a newer tlscompat than this one (its fields
    /// may mean more than this one reads).
    pub fn from_newer_tool(&self) -> bool {
        let parse = |v: &str| -> Vec<u64> {
            v.split(['.', '-', '+'])
                .take(3)
                .map(|p| p.parse().unwrap_or(0))
                .collect()
        };
        parse(&self.tool_version) > parse(env!("CARGO_PKG_VERSION"))
    }

    /// The records, read one at a time from the file (or memory).
    pub fn records(&self) -> Result<Records<Box<dyn Input>>, String> {
        let input: Box<dyn Input> = match &self.source {
            Source::File(path) => {
                let file = File::open(path).map_err(|e| format!("{}: {e}", self.origin))?;
                Box::new(BufReader::with_capacity(64 * 1024, file))
            }
            Source::Memory(bytes) => Box::new(std::io::Cursor::new(bytes.clone())),
        };
        Records::new(input, self)
    }
}

/// Reads the head of the JSON report at `path` (see [`ReportHead`]).
pub fn open(path: &Path) -> Result<ReportHead, String> {
    let origin = path.display().to_string();
    let file = File::open(path).map_err(|e| format!("{origin}: {e}"))?;
    let mut head = read_head(BufReader::with_capacity(64 * 1024, file), &origin)?;
    head.source = Source::File(path.to_path_buf());
    Ok(head)
}

/// Reads the head of a report held in memory; its records are read from there.
pub fn open_memory(bytes: Arc<[u8]>, origin: &str) -> Result<ReportHead, String> {
    let mut head = read_head(&bytes[..], origin)?;
    head.source = Source::Memory(bytes);
    Ok(head)
}

/// The top-level members a report head keeps.
const HEAD_KEYS: [&str; 5] = ["schema_version", "tool", "options", "summary", "complete"];

/// Reads the head of a JSON report from `src` (at the start of the document); `origin`
/// names it in errors.
pub fn read_head<R: BufRead>(src: R, origin: &str) -> Result<ReportHead, String> {
    let fail = |e: StreamError| format!("{origin}:{e}");
    let mut s = JsonStream::new(src, Position::START);
    s.expect(b'{', "a JSON object (a tlscompat JSON report)")
        .map_err(fail)?;
    let mut kept: BTreeMap<&'static str, Value> = BTreeMap::new();
    let mut records: Option<(Position, u64)> = None;
    let mut buf = Vec::new();
    let mut more = s.peek().map_err(fail)? != Some(b'}');
    if !more {
        s.expect(b'}', "'}'").map_err(fail)?;
    }
    while more {
        let at = s.copy_value(&mut buf, 1024).map_err(fail)?;
        let key: String = parse_slice(&buf, at, origin, "a member name")?;
        s.expect(b':', "':'").map_err(fail)?;
        let twice = || format!("{origin}: {key}: given twice");
        if key == "records" {
            if records.is_some() {
                return Err(twice());
            }
            records = Some(count_records(&mut s, origin)?);
        } else if let Some(k) = HEAD_KEYS.iter().find(|k| **k == key) {
            let at = s.copy_value(&mut buf, MAX_VALUE).map_err(fail)?;
            let v: Value = parse_slice(&buf, at, origin, k)?;
            if kept.insert(k, v).is_some() {
                return Err(twice());
            }
        } else {
            s.skip_value().map_err(fail)?; // a later version's addition
        }
        more = s.next_or_close(b'}').map_err(fail)?;
    }
    if s.peek().map_err(fail)?.is_some() {
        return Err(format!(
            "{origin}:{}: data after the end of the report",
            s.position()
        ));
    }
    head_from(kept, records, origin)
}

fn head_from(
    mut kept: BTreeMap<&'static str, Value>,
    records: Option<(Position, u64)>,
    origin: &str,
) -> Result<ReportHead, String> {
    let missing = |name: &str| format!("{origin}: {name}: missing (not a tlscompat JSON report?)");
    let schema_version = kept
        .get("schema_version")
        .ok_or_else(|| missing("schema_version"))?
        .as_u64()
        .ok_or_else(|| format!("{origin}: schema_version: not a number"))?;
    if schema_version != u64::from(SCHEMA_VERSION) {
        return Err(format!(
            "{origin}: schema_version: {schema_version}, this tlscompat reads {SCHEMA_VERSION}"
        ));
    }
    let tool = kept.get("tool").ok_or_else(|| missing("tool"))?;
    let tool_str = |k: &str| {
        tool.get(k)
            .and_then(Value::as_str)
            .filter(|s| s.len() <= 64)
            .map(str::to_string)
            .ok_or_else(|| format!("{origin}: tool.{k}: missing"))
    };
    let (tool_name, tool_version) = (tool_str("name")?, tool_str("version")?);
    if tool_name != "tlscompat" {
        return Err(format!(
            "{origin}: tool.name: '{}', not tlscompat",
            crate::safe::terminal(&tool_name)
        ));
    }
    let options = match kept.remove("options") {
        Some(Value::Object(o)) => o,
        Some(_) => return Err(format!("{origin}: options: not an object")),
        None => return Err(missing("options")),
    };
    let (records_at, record_count) = records.ok_or_else(|| missing("records"))?;
    let complete = match kept.get("complete") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{origin}: complete: not true or false")),
    };
    let summary = kept.remove("summary").unwrap_or(Value::Null);
    if !(summary.is_object() || summary.is_null()) {
        return Err(format!("{origin}: summary: not an object"));
    }
    Ok(ReportHead {
        origin: origin.to_string(),
        source: Source::Memory(Arc::from(&[][..])),
        tool_version,
        options,
        summary,
        complete,
        record_count,
        records_at,
    })
}

/// Skips the `records` array (after its member name), counting its elements; returns
/// where its `[` is and the count.
fn count_records<R: BufRead>(
    s: &mut JsonStream<R>,
    origin: &str,
) -> Result<(Position, u64), String> {
    let fail = |e: StreamError| format!("{origin}:{}: records: {}", e.at, e.what);
    s.peek().map_err(fail)?;
    let at = s.position();
    s.expect(b'[', "an array").map_err(fail)?;
    let mut n = 0u64;
    if s.peek().map_err(fail)? == Some(b']') {
        s.expect(b']', "']'").map_err(fail)?;
        return Ok((at, 0));
    }
    loop {
        s.skip_value().map_err(fail)?;
        n += 1;
        if !s.next_or_close(b']').map_err(fail)? {
            return Ok((at, n));
        }
    }
}

/// `buf` (a value copied from `at`) parsed as `T`: invalid UTF-8 and syntax errors say
/// where in the file (line, column and byte).
fn parse_slice<T: serde::de::DeserializeOwned>(
    buf: &[u8],
    at: Position,
    origin: &str,
    what: &str,
) -> Result<T, String> {
    let text = std::str::from_utf8(buf).map_err(|e| {
        let good = &buf[..e.valid_up_to()];
        let line = 1 + good.iter().filter(|b| **b == b'\n').count();
        let column = good.len() - good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
        let pos = at.within(line, column, e.valid_up_to());
        format!("{origin}:{pos}: invalid UTF-8 in {what}")
    })?;
    serde_json::from_str(text).map_err(|e| {
        let byte = byte_of(text, e.line(), e.column());
        let pos = at.within(e.line(), e.column(), byte);
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        format!("{origin}:{pos}: {what}: {msg}")
    })
}

/// The byte offset of serde_json's (line, column), both 1-based.
fn byte_of(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// The records of a report, read and checked one at a time. After an error the
/// iterator ends.
pub struct Records<R> {
    stream: JsonStream<R>,
    origin: String,
    rules: Rules,
    next: usize,
    left: u64,
    buf: Vec<u8>,
    failed: bool,
}

/// What a record's numbers are checked against.
#[derive(Clone, Copy, Debug)]
struct Rules {
    target_count: Option<u64>,
}

impl<R: BufRead> Records<R> {
    /// `src` positioned anywhere before the records (a file from its start).
    pub fn new(mut src: R, head: &ReportHead) -> Result<Self, String>
    where
        R: std::io::Seek,
    {
        src.seek(std::io::SeekFrom::Start(head.records_at.byte))
            .map_err(|e| format!("{}: {e}", head.origin))?;
        let mut stream = JsonStream::new(src, head.records_at);
        stream.expect(b'[', "the records array").map_err(|e| {
            format!(
                "{}:{}: records: {} (the file changed while read?)",
                head.origin, e.at, e.what
            )
        })?;
        Ok(Self {
            stream,
            origin: head.origin.clone(),
            rules: Rules {
                target_count: head.target_count()?,
            },
            next: 0,
            left: head.record_count,
            buf: Vec::new(),
            failed: false,
        })
    }

    fn read_one(&mut self) -> Result<LoadedRecord, String> {
        let i = self.next;
        let origin = &self.origin;
        let fail = |e: StreamError| format!("{origin}:{}: records[{i}]: {}", e.at, e.what);
        if i > 0 && !self.stream.next_or_close(b']').map_err(fail)? {
            return Err(format!(
                "{origin}: records: fewer records than first read (the file changed while read?)"
            ));
        }
        let at = self
            .stream
            .copy_value(&mut self.buf, MAX_VALUE)
            .map_err(fail)?;
        let raw: Value = parse_slice(&self.buf, at, origin, &format!("records[{i}]"))?;
        let record =
            to_record(&raw, self.rules).map_err(|e| format!("{origin}: records[{i}]{e}"))?;
        Ok(LoadedRecord {
            record,
            raw,
            index: i,
        })
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = Result<LoadedRecord, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.left == 0 {
            return None;
        }
        let r = self.read_one();
        self.failed = r.is_err();
        self.next += 1;
        self.left -= 1;
        Some(r)
    }
}

/// Reads a whole report held in memory: its head and every record (tests, fuzzing).
pub fn parse(bytes: &[u8], origin: &str) -> Result<(ReportHead, Vec<LoadedRecord>), String> {
    let head = open_memory(Arc::from(bytes), origin)?;
    let records = head.records()?.collect::<Result<Vec<_>, String>>()?;
    Ok((head, records))
}

/// A port as a report holds it: 1 to 65535.
struct Port(u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = serde_json::Number::deserialize(d)?;
        match n.as_u64().and_then(|p| u16::try_from(p).ok()) {
            Some(p) if p > 0 => Ok(Port(p)),
            _ => Err(serde::de::Error::custom(format!(
                "{n} is not a valid port (1-65535)"
            ))),
        }
    }
}

#[derive(Deserialize)]
struct CellView {
    state: String,
    #[serde(default)]
    detail: String,
    #[serde(default)]
    proof: Option<crate::probe::proof::Proof>,
}

/// The fields of a JSON record the sinks and the baseline need.
#[derive(Deserialize)]
struct RecordView {
    host: String,
    port: Port,
    address: String,
    #[serde(default)]
    cnames: Vec<String>,
    versions: BTreeMap<String, CellView>,
    best_version: Option<String>,
    cipher: Option<String>,
    #[serde(default)]
    certificate_chain: Vec<CertSummary>,
    chain_source: Option<String>,
    trusted_public: Option<bool>,
    trusted_local: Option<bool>,
    trust_public_detail: Option<String>,
    trust_local_detail: Option<String>,
    intercepted: Option<bool>,
    #[serde(default)]
    interception_signals: Vec<Signal>,
    endpoint: Option<Endpoint>,
    #[serde(default)]
    findings: Vec<Finding>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    checks: Vec<crate::checks::CheckReport>,
    error: Option<String>,
    #[serde(default)]
    probes: u64,
    target_index: Option<u64>,
}

/// Errors start with the JSON path below `records[i]` (`.versions.tls1_0.state: …`);
/// every number a sink computes with is range-checked here.
fn to_record(raw: &Value, rules: Rules) -> Result<Record, String> {
    let v: RecordView = serde_path_to_error::deserialize(raw).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." {
            String::new()
        } else {
            format!(".{path}")
        };
        format!("{path}: {}", e.inner())
    })?;
    let host = Host::parse(&v.host).map_err(|e| format!(".host: {e}"))?;
    check_numbers(&v, rules)?;
    let mut r = Record::empty(&host, v.port.0, v.address);
    r.host = v.host;
    r.cnames = v.cnames;
    for version in TlsVersion::ALL {
        let Some(c) = v.versions.get(version.key()) else {
            continue;
        };
        let state = cell_state(&c.state)
            .ok_or_else(|| format!(".versions.{}.state: unknown '{}'", version.key(), c.state))?;
        r.cells[version as usize] = Cell {
            state,
            detail: c.detail.clone(),
            probe: None,
            proof: c.proof.clone(),
        };
    }
    r.best_version = match v.best_version {
        Some(b) => Some(b.parse().map_err(|e| format!(".best_version: {e}"))?),
        None => None,
    };
    r.cipher = match v.cipher {
        Some(c) => Some(cipher_suite(&c).ok_or_else(|| format!(".cipher: unknown suite '{c}'"))?),
        None => None,
    };
    r.chain = v.certificate_chain;
    r.chain_source = v.chain_source;
    r.trusted_public = v.trusted_public;
    r.trusted_local = v.trusted_local;
    r.trust_public_detail = v.trust_public_detail;
    r.trust_local_detail = v.trust_local_detail;
    r.intercepted = v.intercepted;
    r.signals = v.interception_signals;
    r.endpoint = v.endpoint.map(Arc::new);
    r.findings = v.findings;
    r.notes = v.notes;
    r.checks = v.checks;
    r.error = v.error;
    r.probe_count = v.probes;
    // Reports written before `target_index` existed still serve as a baseline; `merge`
    // refuses them (see `LoadedRecord::indexed`).
    r.target_index = match v.target_index {
        Some(i) => usize::try_from(i).map_err(|_| format!(".target_index: {i} is out of range"))?,
        None => usize::MAX,
    };
    Ok(r)
}

/// The range checks of a record's numbers: its target's index within the scan's
/// target count, probe counts, certificate times, the endpoint's port.
fn check_numbers(v: &RecordView, rules: Rules) -> Result<(), String> {
    if let Some(i) = v.target_index {
        let limit = rules.target_count.unwrap_or(MAX_TARGETS);
        if i >= limit {
            return Err(format!(
                ".target_index: {i} is out of range (the scan had {limit} targets)"
            ));
        }
    }
    if v.probes > MAX_PROBES {
        return Err(format!(
            ".probes: {} is out of range (0-{MAX_PROBES})",
            v.probes
        ));
    }
    for (i, c) in v.checks.iter().enumerate() {
        if c.probes > MAX_PROBES {
            return Err(format!(
                ".checks[{i}].probes: {} is out of range (0-{MAX_PROBES})",
                c.probes
            ));
        }
    }
    for (i, c) in v.certificate_chain.iter().enumerate() {
        for (name, t) in [
            ("not_before_unix", c.not_before_unix),
            ("not_after_unix", c.not_after_unix),
        ] {
            if !UNIX_RANGE.contains(&t) {
                return Err(format!(
                    ".certificate_chain[{i}].{name}: {t} is out of range (years 0000 to 9999)"
                ));
            }
        }
    }
    if let Some(e) = &v.endpoint
        && e.port == 0
    {
        return Err(".endpoint.port: 0 is not a valid port (1-65535)".into());
    }
    Ok(())
}

fn cell_state(s: &str) -> Option<CellState> {
    [
        CellState::Accepted,
        CellState::Rejected,
        CellState::Refused,
        CellState::Timeout,
        CellState::Unreachable,
        CellState::NoRoute,
        CellState::Error,
        CellState::Skipped,
        CellState::NotProbed,
    ]
    .into_iter()
    .find(|c| c.as_str() == s)
}

/// A suite by its IANA name as reports print it, or the `0x1234` of an unnamed one.
pub fn cipher_suite(s: &str) -> Option<CipherSuite> {
    static BY_NAME: OnceLock<BTreeMap<&'static str, u16>> = OnceLock::new();
    if let Some(hex) = s.strip_prefix("0x") {
        return u16::from_str_radix(hex, 16).ok().map(CipherSuite);
    }
    let names = BY_NAME.get_or_init(|| {
        (0..=u16::MAX)
            .filter_map(|v| CipherSuite(v).name().map(|n| (n, v)))
            .collect()
    });
    names.get(s).map(|v| CipherSuite(*v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_round_trip_by_name_and_hex() {
        for v in [0x1301u16, 0xc02f, 0x002f, 0xfafa] {
            let s = CipherSuite(v);
            assert_eq!(cipher_suite(&s.to_string()), Some(s), "{s}");
        }
        assert_eq!(cipher_suite("NOT_A_SUITE"), None);
    }

    #[test]
    fn bad_reports_name_the_file_and_field() {
        let e = parse(b"{", "a.json").unwrap_err();
        assert!(e.starts_with("a.json:1:2 (byte 1):"), "{e}");
        let e = parse(b"{\"schema_version\":99,\"records\":[]}", "a.json").unwrap_err();
        assert!(e.contains("schema_version: 99"), "{e}");
        let doc = r#"{"schema_version":1,"tool":{"name":"tlscompat","version":"0"},
            "options":{},"records":[{"host":"a.test","port":443,"address":"",
            "versions":{"tls1_0":{"state":"maybe"}},"best_version":null,"cipher":null,
            "chain_source":null,"trusted_public":null,"trusted_local":null,
            "trust_public_detail":null,"trust_local_detail":null,"intercepted":null,
            "endpoint":null,"error":null}],"complete":true}"#;
        let e = parse(doc.as_bytes(), "b.json").unwrap_err();
        assert!(
            e.contains("b.json: records[0].versions.tls1_0.state: unknown 'maybe'"),
            "{e}"
        );
        let good = doc.replace("maybe", "accepted");
        let (head, records) = parse(good.as_bytes(), "b.json").unwrap();
        assert!(head.complete && records.len() == 1 && head.record_count == 1);
        let e = parse(good.replace("443", "\"x\"").as_bytes(), "b.json").unwrap_err();
        assert!(
            e.starts_with("b.json: records[0].port: invalid type"),
            "{e}"
        );
        // Issue 23, finding 8: the field is named, the value is range-checked.
        for (port, msg) in [
            ("65536", "65536 is not a valid port"),
            ("0", "0 is not a valid port"),
        ] {
            let e = parse(good.replace("443", port).as_bytes(), "b.json").unwrap_err();
            assert!(
                e.contains(&format!("b.json: records[0].port: {msg} (1-65535)")),
                "{e}"
            );
        }
        let indexed = good
            .replace("\"error\":null", "\"error\":null,\"target_index\":7")
            .replace("\"options\":{}", "\"options\":{\"target_count\":5}");
        let e = parse(indexed.as_bytes(), "b.json").unwrap_err();
        assert!(
            e.contains("records[0].target_index: 7 is out of range"),
            "{e}"
        );
    }

    #[test]
    fn invalid_utf8_and_syntax_errors_say_where() {
        let doc = b"{\"schema_version\":1,\n\"tool\":{\"name\":\"tlscompat\",\"version\":\"0\"},\n\"options\":{\"x\":\"caf\xe9\"},\"records\":[]}";
        let e = read_head(&doc[..], "c.json").unwrap_err();
        assert!(
            e.starts_with("c.json:3:20 (byte 83): invalid UTF-8 in options"),
            "{e}"
        );
        let e = read_head(&b"{\"schema_version\": 1,\n  \"tool\": ["[..], "g.json").unwrap_err();
        assert!(e.starts_with("g.json:2:"), "{e}");
        let e = read_head(&b"{\"records\":[],\"records\":[]}"[..], "d.json").unwrap_err();
        assert!(e.contains("records: given twice"), "{e}");
        let e = read_head(&b"{\"records\":[]} []"[..], "d.json").unwrap_err();
        assert!(e.contains("data after the end"), "{e}");
    }

    #[test]
    fn heads_check_what_sizes_allocations() {
        let head = |options: &str| {
            let doc = format!(
                "{{\"schema_version\":1,\"tool\":{{\"name\":\"tlscompat\",\"version\":\"0.1.0\"}},\"options\":{options},\"records\":[],\"complete\":false}}"
            );
            read_head(doc.as_bytes(), "h.json").unwrap()
        };
        let h = head(r#"{"shard":{"index":1,"count":1099511627776}}"#);
        assert!(h.shard().unwrap_err().contains("options.shard"));
        let h = head(r#"{"shard":{"index":2,"count":4},"target_count":5}"#);
        assert_eq!(h.shard(), Ok(Some(Shard { index: 2, count: 4 })));
        assert_eq!(h.target_count(), Ok(Some(5)));
        let h = head(r#"{"target_count":4611686018427387904}"#);
        assert!(h.target_count().unwrap_err().contains("out of range"));
        let h = head(r#"{"tls_min":"1.3","tls_max":"1.2"}"#);
        let e = h.versions().unwrap_err();
        assert!(
            e.contains("options.tls_min TLS 1.3 is above options.tls_max TLS 1.2"),
            "{e}"
        );
        assert!(h.incomplete().unwrap().contains("h.json is incomplete"));
        assert!(!h.from_newer_tool());
        let mut newer = h.clone();
        newer.tool_version = "99.0.0".into();
        assert!(newer.from_newer_tool());
    }
}
