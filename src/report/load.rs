//! Reading a JSON report back: for `tlscompat merge` (which re-renders shards through the
//! same sinks a scan uses) and for `--baseline` (which compares records).
//!
//! The JSON report is the only saved state, so it carries what the sinks render (cells,
//! best version, chain summaries, trust, findings, the target index). A record read back
//! has no raw probe data; the JSON sink writes the original object instead.
//! Every error names the file and the JSON path (`records[3].versions.tls1_0.state`).

use std::collections::BTreeMap;
use std::path::Path;
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
use crate::target::Host;
use crate::version::TlsVersion;
use crate::wire::enums::CipherSuite;

use super::schema::SCHEMA_VERSION;

/// A JSON report read from a file.
#[derive(Debug)]
pub struct LoadedReport {
    /// The path, as given, for messages.
    pub origin: String,
    pub schema_version: u64,
    pub tool_name: String,
    pub tool_version: String,
    pub options: serde_json::Map<String, Value>,
    pub records: Vec<LoadedRecord>,
    pub summary: Value,
}

#[derive(Debug)]
pub struct LoadedRecord {
    /// `record.target_index` is `usize::MAX` when the report predates `target_index`.
    pub record: Record,
    /// The record's JSON object exactly as read.
    pub raw: Value,
}

impl LoadedRecord {
    /// Whether the record says where its target was in the full list.
    pub fn indexed(&self) -> bool {
        self.record.target_index != usize::MAX
    }
}

impl LoadedReport {
    /// `summary.elapsed_ms` as a duration (zero when absent).
    pub fn elapsed(&self) -> Duration {
        let ms = self.summary.get("elapsed_ms").and_then(Value::as_f64);
        Duration::try_from_secs_f64(ms.unwrap_or(0.0) / 1000.0).unwrap_or_default()
    }

    /// `summary.started_unix`, when the report has it.
    pub fn started_at(&self) -> Option<SystemTime> {
        let secs = self.summary.get("started_unix")?.as_u64()?;
        UNIX_EPOCH.checked_add(Duration::from_secs(secs))
    }
}

/// Reads and checks a JSON report.
pub fn load(path: &Path) -> Result<LoadedReport, String> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{origin}: {e}"))?;
    parse(&text, &origin)
}

/// Parses a JSON report; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<LoadedReport, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "{origin}:{}:{}: not a JSON report: {e}",
            e.line(),
            e.column()
        )
    })?;
    let field = |name: &str| {
        doc.get(name)
            .ok_or_else(|| format!("{origin}: {name}: missing (not a tlscompat JSON report?)"))
    };
    let schema_version = field("schema_version")?
        .as_u64()
        .ok_or_else(|| format!("{origin}: schema_version: not a number"))?;
    if schema_version != u64::from(SCHEMA_VERSION) {
        return Err(format!(
            "{origin}: schema_version: {schema_version}, this tlscompat reads {SCHEMA_VERSION}"
        ));
    }
    let tool = field("tool")?;
    let tool_str = |k: &str| {
        tool.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("{origin}: tool.{k}: missing"))
    };
    let (tool_name, tool_version) = (tool_str("name")?, tool_str("version")?);
    if tool_name != "tlscompat" {
        return Err(format!("{origin}: tool.name: '{tool_name}', not tlscompat"));
    }
    let options = field("options")?
        .as_object()
        .cloned()
        .ok_or_else(|| format!("{origin}: options: not an object"))?;
    let records = field("records")?
        .as_array()
        .ok_or_else(|| format!("{origin}: records: not an array"))?;
    let summary = doc.get("summary").cloned().unwrap_or(Value::Null);
    let records = records
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let record = to_record(raw).map_err(|e| format!("{origin}: records[{i}]{e}"))?;
            Ok(LoadedRecord {
                record,
                raw: raw.clone(),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(LoadedReport {
        origin: origin.to_string(),
        schema_version,
        tool_name,
        tool_version,
        options,
        records,
        summary,
    })
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
    port: u16,
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
    target_index: Option<usize>,
}

/// Errors start with the JSON path below `records[i]` (`.versions.tls1_0.state: …`).
fn to_record(raw: &Value) -> Result<Record, String> {
    let v: RecordView = serde_json::from_value(raw.clone()).map_err(|e| format!(": {e}"))?;
    let host = Host::parse(&v.host).map_err(|e| format!(".host: {e}"))?;
    let mut r = Record::empty(&host, v.port, v.address);
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
    r.target_index = v.target_index.unwrap_or(usize::MAX);
    Ok(r)
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
        let e = parse("{", "a.json").unwrap_err();
        assert!(e.starts_with("a.json:1:"), "{e}");
        let e = parse("{\"schema_version\":99}", "a.json").unwrap_err();
        assert!(e.contains("schema_version: 99"), "{e}");
        let doc = r#"{"schema_version":1,"tool":{"name":"tlscompat","version":"0"},
            "options":{},"records":[{"host":"a.test","port":443,"address":"",
            "versions":{"tls1_0":{"state":"maybe"}},"best_version":null,"cipher":null,
            "chain_source":null,"trusted_public":null,"trusted_local":null,
            "trust_public_detail":null,"trust_local_detail":null,"intercepted":null,
            "endpoint":null,"error":null}]}"#;
        let e = parse(doc, "b.json").unwrap_err();
        assert!(
            e.contains("b.json: records[0].versions.tls1_0.state: unknown 'maybe'"),
            "{e}"
        );
        let e = parse(
            &doc.replace("maybe", "accepted").replace("443", "\"x\""),
            "b.json",
        )
        .unwrap_err();
        assert!(e.starts_with("b.json: records[0]: invalid type"), "{e}");
    }
}
