//! The end-of-scan summary: counts, findings by kind, rate.

use std::collections::BTreeMap;
use std::time::Duration;

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
    /// Why the reports do not hold the whole scan, when they do not: a signal stopped
    /// it, or (after `merge`) a shard had been stopped. Every sink says so (JSON
    /// `complete: false`, the table's INCOMPLETE footer, a JUnit error, the HTML banner)
    /// and the exit code is never 0.
    pub incomplete: Option<String>,
    /// When the scan started (the earliest shard's start after a merge).
    pub started_at: Option<std::time::SystemTime>,
    /// The comparison with `--baseline`, when one was given.
    pub baseline: Option<std::sync::Arc<crate::baseline::BaselineSummary>>,
}

/// Peak resident memory of this process in KiB (Linux `VmHWM`); `None` elsewhere.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What the reports say when a signal stopped the scan.
pub const INTERRUPTED: &str =
    "the scan was stopped by a signal; only the records finished before it are shown";

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
