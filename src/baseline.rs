//! `--baseline OLD.json`: what changed since an earlier scan.
//!
//! Records are compared per (host, port). When a target resolves to the same addresses
//! as before, each address is compared with its old self. When the addresses differ —
//! CDNs and front-door services rotate them all the time — comparing address by address
//! would report every rotation as a change, so the target is compared as a whole: the
//! set of verdicts, issuers, fingerprints… across its addresses, before and after. The
//! address churn itself is listed in the summary, not as a finding.
//!
//! A target that is new gets `drift` ("not in the baseline"); a target that disappeared
//! has no record to carry a finding and is listed in the summary. With `--shard` only the
//! baseline's targets of this shard are expected.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

use serde_json::Value;

use crate::findings::{Finding, FindingKind};
use crate::probe::outcome::CellState;
use crate::record::Record;
use crate::report::load::{LoadedReport, load};
use crate::report::summary::BaselineSummary;
use crate::shard::Shard;
use crate::version::TlsVersion;

/// The old records, grouped by target.
pub struct Baseline {
    origin: String,
    old: BTreeMap<String, Vec<Record>>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    seen: HashSet<String>,
    summary: BaselineSummary,
}

fn key(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}

impl Baseline {
    /// Loads the baseline; with a shard, keeps only the targets of that shard.
    pub fn load(path: &std::path::Path, shard: Option<Shard>) -> Result<Self, String> {
        let report = load(path).map_err(|e| format!("--baseline {e}"))?;
        Ok(Self::new(report, shard))
    }

    pub fn new(report: LoadedReport, shard: Option<Shard>) -> Self {
        let mut old: BTreeMap<String, Vec<Record>> = BTreeMap::new();
        for r in report.records {
            let r = r.record;
            if shard.is_none_or(|s| s.contains(&r.host, r.port)) {
                old.entry(key(&r.host, r.port)).or_default().push(r);
            }
        }
        Self {
            origin: report.origin,
            old,
            state: Mutex::new(State::default()),
        }
    }

    /// Adds `drift` to the records of one target (all its addresses) that changed.
    pub fn annotate(&self, records: &mut [Record]) {
        let Some(first) = records.first() else { return };
        let k = key(&first.host, first.port);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.seen.insert(k.clone()) {
            return; // the same target twice in the list: compared once
        }
        let Some(old) = self.old.get(&k) else {
            state.summary.appeared.push(k);
            for r in records.iter_mut() {
                add_drift(r, vec!["not in the baseline".into()]);
                state.summary.drifted += 1;
            }
            return;
        };
        let old_addrs: BTreeSet<&str> = old.iter().map(|r| r.address.as_str()).collect();
        let new_addrs: BTreeSet<&str> = records.iter().map(|r| r.address.as_str()).collect();
        if old_addrs == new_addrs {
            for r in records.iter_mut() {
                let Some(o) = old.iter().find(|o| o.address == r.address) else {
                    continue;
                };
                let changes = compare(o, r);
                if !changes.is_empty() {
                    add_drift(r, changes);
                    state.summary.drifted += 1;
                }
            }
            return;
        }
        let shown = |a: &&str| {
            if a.is_empty() {
                "(unresolved)".to_string()
            } else {
                a.to_string()
            }
        };
        let added: Vec<String> = new_addrs.difference(&old_addrs).map(shown).collect();
        let removed: Vec<String> = old_addrs.difference(&new_addrs).map(shown).collect();
        let mut churn = k.clone() + ":";
        for a in &added {
            churn += &format!(" +{a}");
        }
        for a in &removed {
            churn += &format!(" -{a}");
        }
        state.summary.address_churn.push(churn);
        let changes = compare_hosts(old, records);
        if !changes.is_empty() {
            let changes: Vec<String> = changes
                .into_iter()
                .map(|c| format!("{c} (across addresses)"))
                .collect();
            for r in records.iter_mut() {
                add_drift(r, changes.clone());
                state.summary.drifted += 1;
            }
        }
    }

    /// The summary, with the targets of the baseline that were not scanned.
    pub fn finish(&self) -> BaselineSummary {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut s = state.summary.clone();
        s.baseline = self.origin.clone();
        for (k, old) in &self.old {
            if !state.seen.contains(k) {
                let n = old.iter().filter(|r| !r.address.is_empty()).count();
                s.disappeared.push(format!(
                    "{k} ({n} address{})",
                    if n == 1 { "" } else { "es" }
                ));
            }
        }
        s
    }
}

fn add_drift(r: &mut Record, changes: Vec<String>) {
    r.findings.push(Finding {
        kind: FindingKind::Drift,
        detail: changes.join("; "),
    });
}

fn state_word(c: CellState) -> &'static str {
    c.as_str()
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "n/a",
    }
}

fn short_fp(fp: &str) -> String {
    fp.chars().take(16).collect()
}

/// What the sinks show as a record's issuer: the CN, else the whole name.
fn issuer(r: &Record) -> Option<String> {
    let leaf = r.chain.first()?;
    Some(
        leaf.issuer_cn
            .clone()
            .unwrap_or_else(|| leaf.issuer.clone()),
    )
}

/// The client verdicts of a record, when it has any: profile → verdict word.
fn clients(r: &Record) -> BTreeMap<String, String> {
    let json = crate::report::json::record(r);
    let Some(Value::Object(map)) = json.get("clients") else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(k, v)| {
            let word = ["ok", "verdict", "state"]
                .iter()
                .find_map(|f| v.get(*f))
                .unwrap_or(v);
            let word = match word {
                Value::String(s) => s.split_whitespace().next().unwrap_or("").to_string(),
                Value::Bool(true) => "ok".into(),
                Value::Bool(false) => "fail".into(),
                other => other.to_string(),
            };
            (k.clone(), word)
        })
        .collect()
}

fn change(out: &mut Vec<String>, what: &str, old: &str, new: &str) {
    if old != new {
        out.push(format!("{what}: {old} → {new}"));
    }
}

/// The changes between two records of the same address, in words.
pub fn compare(old: &Record, new: &Record) -> Vec<String> {
    let mut out = Vec::new();
    for v in TlsVersion::ALL {
        let (o, n) = (old.cell(v).state, new.cell(v).state);
        // A version probed in one scan only (a different --tls-min/--tls-max) is not news.
        if o != CellState::Skipped && n != CellState::Skipped {
            change(&mut out, &v.to_string(), state_word(o), state_word(n));
        }
    }
    let best = |r: &Record| r.best_version.map_or("none".to_string(), |v| v.to_string());
    change(&mut out, "best version", &best(old), &best(new));
    let (oc, nc) = (clients(old), clients(new));
    for (profile, verdict) in &nc {
        if let Some(before) = oc.get(profile) {
            change(&mut out, &format!("client {profile}"), before, verdict);
        }
    }
    let none = || "none".to_string();
    change(
        &mut out,
        "issuer",
        &issuer(old).unwrap_or_else(none),
        &issuer(new).unwrap_or_else(none),
    );
    let leaf = |r: &Record, f: fn(&crate::cert::CertSummary) -> String| r.chain.first().map(f);
    let (ofp, nfp) = (
        leaf(old, |c| c.sha256.clone()),
        leaf(new, |c| c.sha256.clone()),
    );
    if ofp.is_some() && nfp.is_some() && ofp != nfp {
        change(
            &mut out,
            "certificate",
            &short_fp(&ofp.unwrap_or_default()),
            &short_fp(&nfp.unwrap_or_default()),
        );
        change(
            &mut out,
            "expires",
            &leaf(old, |c| c.not_after.clone()).unwrap_or_default(),
            &leaf(new, |c| c.not_after.clone()).unwrap_or_default(),
        );
    }
    change(
        &mut out,
        "trusted publicly",
        yes_no(old.trusted_public),
        yes_no(new.trusted_public),
    );
    change(
        &mut out,
        "trusted locally",
        yes_no(old.trusted_local),
        yes_no(new.trusted_local),
    );
    change(
        &mut out,
        "intercepted",
        yes_no(old.intercepted),
        yes_no(new.intercepted),
    );
    let dns = |r: &Record| match r.address.is_empty() {
        true => r.error.clone().unwrap_or_else(|| "unresolved".into()),
        false => "resolved".into(),
    };
    change(&mut out, "name", &dns(old), &dns(new));
    out
}

/// The same comparison between two groups of records of one target whose addresses
/// differ: each property is compared as the set of values across the addresses.
pub fn compare_hosts(old: &[Record], new: &[Record]) -> Vec<String> {
    fn set<F: Fn(&Record) -> Option<String>>(rs: &[Record], f: F) -> String {
        let s: BTreeSet<String> = rs.iter().filter_map(f).collect();
        if s.is_empty() {
            "none".into()
        } else {
            s.into_iter().collect::<Vec<_>>().join(", ")
        }
    }
    let mut out = Vec::new();
    for v in TlsVersion::ALL {
        let probed = |r: &Record| {
            Some(r.cell(v).state)
                .filter(|s| *s != CellState::Skipped)
                .map(|s| s.as_str().to_string())
        };
        let (o, n) = (set(old, probed), set(new, probed));
        if o != "none" && n != "none" {
            change(&mut out, &v.to_string(), &o, &n);
        }
    }
    change(
        &mut out,
        "best version",
        &set(old, |r| r.best_version.map(|v| v.to_string())),
        &set(new, |r| r.best_version.map(|v| v.to_string())),
    );
    change(&mut out, "issuer", &set(old, issuer), &set(new, issuer));
    let fp = |r: &Record| r.chain.first().map(|c| short_fp(&c.sha256));
    change(&mut out, "certificate", &set(old, fp), &set(new, fp));
    change(
        &mut out,
        "trusted publicly",
        &set(old, |r| Some(yes_no(r.trusted_public).into())),
        &set(new, |r| Some(yes_no(r.trusted_public).into())),
    );
    change(
        &mut out,
        "intercepted",
        &set(old, |r| Some(yes_no(r.intercepted).into())),
        &set(new, |r| Some(yes_no(r.intercepted).into())),
    );
    let resolved = |rs: &[Record]| {
        if rs.iter().all(|r| r.address.is_empty()) {
            "unresolved"
        } else {
            "resolved"
        }
    };
    change(&mut out, "name", resolved(old), resolved(new));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::CertSummary;
    use crate::record::Cell;
    use crate::target::Host;

    fn rec(address: &str, tls10: CellState, issuer: &str, fp: &str) -> Record {
        let host = Host::parse("a.example").unwrap();
        let mut r = Record::empty(&host, 443, address.into());
        r.cells[TlsVersion::Tls10 as usize] = Cell {
            state: tls10,
            detail: String::new(),
            probe: None,
            proof: None,
        };
        r.best_version = Some(TlsVersion::Tls12);
        r.chain = vec![CertSummary {
            subject: "CN=a.example".into(),
            issuer: format!("CN={issuer}"),
            issuer_cn: Some(issuer.into()),
            sans: vec![],
            not_before: String::new(),
            not_after: format!("2027-01-0{}T00:00:00Z", fp.len() % 9),
            not_before_unix: 0,
            not_after_unix: 0,
            key: String::new(),
            signature_algorithm: String::new(),
            sha256: fp.into(),
            sha1: String::new(),
            self_issued: false,
        }];
        r.trusted_public = Some(true);
        r.intercepted = Some(false);
        r
    }

    #[test]
    fn changes_in_words() {
        let old = rec(
            "192.0.2.1",
            CellState::Rejected,
            "Microsoft Azure RSA TLS Issuing CA 04",
            "aa",
        );
        let mut new = rec(
            "192.0.2.1",
            CellState::Accepted,
            "Contoso SSL Inspection CA",
            "bbbb",
        );
        new.trusted_public = Some(false);
        new.intercepted = Some(true);
        let c = compare(&old, &new);
        assert_eq!(
            c,
            [
                "TLS 1.0: rejected → accepted",
                "issuer: Microsoft Azure RSA TLS Issuing CA 04 → Contoso SSL Inspection CA",
                "certificate: aa → bbbb",
                "expires: 2027-01-02T00:00:00Z → 2027-01-04T00:00:00Z",
                "trusted publicly: yes → no",
                "intercepted: no → yes",
            ]
        );
        assert!(compare(&old, &old).is_empty());
        // Skipped on either side (another --tls-min) is not a change.
        let skipped = rec(
            "192.0.2.1",
            CellState::Skipped,
            "Microsoft Azure RSA TLS Issuing CA 04",
            "aa",
        );
        assert!(compare(&old, &skipped).is_empty());
    }

    #[test]
    fn address_rotation_alone_is_churn_not_drift() {
        let report = |rs: Vec<Record>| LoadedReport {
            origin: "old.json".into(),
            schema_version: 1,
            tool_name: "tlscompat".into(),
            tool_version: "0".into(),
            options: Default::default(),
            records: rs
                .into_iter()
                .map(|record| crate::report::load::LoadedRecord {
                    record,
                    raw: Value::Null,
                })
                .collect(),
            summary: Value::Null,
        };
        let old = vec![
            rec("192.0.2.1", CellState::Rejected, "CA 04", "aa"),
            rec("192.0.2.2", CellState::Rejected, "CA 04", "aa"),
        ];
        let b = Baseline::new(report(old.clone()), None);
        let mut now = vec![rec("192.0.2.9", CellState::Rejected, "CA 04", "aa")];
        b.annotate(&mut now);
        assert!(now[0].findings.is_empty());
        let s = b.finish();
        assert_eq!(
            s.address_churn,
            ["a.example:443: +192.0.2.9 -192.0.2.1 -192.0.2.2"]
        );
        assert_eq!(s.drifted, 0);
        // Rotation plus a real change: drift across addresses.
        let b = Baseline::new(report(old), None);
        let mut now = vec![rec("192.0.2.9", CellState::Accepted, "CA 04", "aa")];
        b.annotate(&mut now);
        assert_eq!(
            now[0].findings[0].detail,
            "TLS 1.0: rejected → accepted (across addresses)"
        );
        assert!(b.finish().disappeared.is_empty());
    }
}
