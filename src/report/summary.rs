//! The end-of-scan summary: counts, findings by kind, rate, and the comparison with
//! `--baseline` ([`crate::baseline`] fills it; every report shows it).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::findings::FindingKind;
use crate::record::Record;

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub hosts: usize,
    pub addresses: usize,
    pub probes: u64,
    pub findings: BTreeMap<FindingKind, usize>,
    /// Records with at least one finding in the `--fail-on` set.
    pub failing_records: usize,
    pub elapsed: Duration,
    /// The scan was stopped by a signal: the reports hold the records finished before
    /// it and say they are incomplete.
    pub interrupted: bool,
    /// When the scan started (the earliest shard's start after a merge).
    pub started_at: Option<std::time::SystemTime>,
    /// The comparison with `--baseline`, when one was given.
    pub baseline: Option<std::sync::Arc<BaselineSummary>>,
    /// One verdict per client profile (`--clients`), counted from the records.
    pub clients: super::verdicts::ClientVerdicts,
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`); `None` elsewhere.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

impl Summary {
    /// Counts one record. `new_host` is true for the first record of a (host, port).
    pub fn add(&mut self, r: &Record, new_host: bool, failing: bool) {
        self.hosts += usize::from(new_host);
        self.addresses += usize::from(!r.address.is_empty());
        self.probes += r.probe_count;
        for f in &r.findings {
            *self.findings.entry(f.kind).or_default() += 1;
        }
        self.failing_records += usize::from(failing);
        self.clients.add(r);
    }

    pub fn probes_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.probes as f64 / secs
        } else {
            0.0
        }
    }

    /// One line for people: `3 hosts, 4 addresses, 20 probes in 1.2s (16.7 probes/s);
    /// findings: dns 1, legacy-accepted 2`.
    pub fn line(&self) -> String {
        let findings = if self.findings.is_empty() {
            "none".to_string()
        } else {
            self.findings
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{} hosts, {} addresses, {} probes in {:.2}s ({:.1} probes/s); findings: {findings}",
            self.hosts,
            self.addresses,
            self.probes,
            self.elapsed.as_secs_f64(),
            self.probes_per_second()
        )
    }
}

/// The comparison as reports show it (JSON `summary.baseline`, table, HTML).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BaselineSummary {
    /// The baseline report's path.
    pub baseline: String,
    /// Records carrying `drift`.
    pub drifted: usize,
    /// `host:port` targets not in the baseline.
    pub appeared: Vec<String>,
    /// `host:port (n addresses)` targets of the baseline not scanned now.
    pub disappeared: Vec<String>,
    /// Per target whose addresses changed: `host:port: +new -old`.
    pub address_churn: Vec<String>,
}

impl BaselineSummary {
    /// Folds another shard's summary in (`tlscompat merge`).
    pub fn absorb(&mut self, other: &Value) {
        let list = |k: &str| -> Vec<String> {
            other
                .get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        if self.baseline.is_empty() {
            self.baseline = other
                .get("baseline")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into();
        }
        self.drifted += other.get("drifted").and_then(Value::as_u64).unwrap_or(0) as usize;
        self.appeared.extend(list("appeared"));
        self.disappeared.extend(list("disappeared"));
        self.address_churn.extend(list("address_churn"));
    }

    pub fn is_quiet(&self) -> bool {
        self.drifted == 0 && self.disappeared.is_empty() && self.address_churn.is_empty()
    }
}
