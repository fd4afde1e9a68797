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
//!
//! The baseline is read as a stream ([`crate::report::load`]) and each old record kept
//! as a [`Snapshot`] — the few fields the comparison looks at — so a baseline of
//! 100,000 records takes tens of MB, not the gigabytes its JSON tree would. Its head is
//! checked first: an inverted version range is refused; an incomplete report or one
//! from a newer tlscompat is used with a warning on stderr.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::findings::{Finding, FindingKind};
use crate::probe::outcome::CellState;
use crate::record::Record;
use crate::report::summary::BaselineSummary;
use crate::shard::Shard;
use crate::version::TlsVersion;

/// The old records, grouped by target.
pub struct Baseline {
    origin: String,
    old: BTreeMap<Box<str>, Vec<Snapshot>>,
    /// One copy of each string the snapshots repeat (issuers, expiry dates, verdicts).
    strings: Interner,
    state: Mutex<State>,
}

/// Shares repeated strings: 100,000 records of a few dozen certificates hold a few
/// dozen issuer names, not 100,000.
#[derive(Default)]
struct Interner(HashSet<Arc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(known) = self.0.get(s) {
            return known.clone();
        }
        let new: Arc<str> = Arc::from(s);
        self.0.insert(new.clone());
        new
    }
}

#[derive(Default)]
struct State {
    seen: HashSet<String>,
    summary: BaselineSummary,
}

fn key(host: &str, port: u16) -> String {
    format!("{host}:{port}")
}

/// What the comparison looks at in one record (of the baseline or of this scan):
/// about 200 bytes, its repeated strings shared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    address: Box<str>,
    states: [CellState; 4],
    best: Option<TlsVersion>,
    /// Profile → verdict word (`ok`, `fail`), sorted by profile.
    clients: Box<[(Arc<str>, Arc<str>)]>,
    issuer: Option<Arc<str>>,
    /// The leaf's SHA-256 and expiry.
    leaf: Option<(Arc<str>, Arc<str>)>,
    trusted_public: Option<bool>,
    trusted_local: Option<bool>,
    intercepted: Option<bool>,
    /// `resolved`, or why not.
    dns: Arc<str>,
}

impl Snapshot {
    pub fn of(r: &Record) -> Self {
        Self::interned(r, &mut Interner::default())
    }

    fn interned(r: &Record, strings: &mut Interner) -> Self {
        let dns = match r.address.is_empty() {
            true => r.error.as_deref().unwrap_or("unresolved"),
            false => "resolved",
        };
        Self {
            address: r.address.as_str().into(),
            states: TlsVersion::ALL.map(|v| r.cell(v).state),
            best: r.best_version,
            clients: clients(r)
                .into_iter()
                .map(|(p, v)| (strings.get(&p), strings.get(&v)))
                .collect(),
            issuer: r
                .chain
                .first()
                .map(|leaf| strings.get(leaf.issuer_cn.as_deref().unwrap_or(&leaf.issuer))),
            leaf: r
                .chain
                .first()
                .map(|c| (strings.get(&c.sha256), strings.get(&c.not_after))),
            trusted_public: r.trusted_public,
            trusted_local: r.trusted_local,
            intercepted: r.intercepted,
            dns: strings.get(dns),
        }
    }

    fn state(&self, v: TlsVersion) -> CellState {
        self.states[v as usize]
    }
}

impl Baseline {
    /// Loads the baseline; with a shard, keeps only the targets of that shard. Errors
    /// (exit 2) start with `--baseline FILE`.
    pub fn load(path: &std::path::Path, shard: Option<Shard>) -> Result<Self, String> {
        let named = |e: String| format!("--baseline {e}");
        let head = crate::report::load::open(path).map_err(named)?;
        head.versions().map_err(named)?;
        head.target_count().map_err(named)?;
        if let Some(why) = head.incomplete() {
            crate::diag::error(&format!(
                "warning: --baseline {why}; its missing targets will show as appeared"
            ));
        }
        if head.from_newer_tool() {
            crate::diag::error(&format!(
                "warning: --baseline {} was written by tlscompat {}, newer than this {}: \
                 what this version does not know is not compared",
                head.origin,
                head.tool_version,
                env!("CARGO_PKG_VERSION")
            ));
        }
        let mut b = Self::empty(&head.origin);
        for r in head.records().map_err(named)? {
            let r = r.map_err(named)?;
            b.add(&r.record, shard)
                .map_err(|e| named(format!("{}: records[{}]: {e}", head.origin, r.index)))?;
        }
        Ok(b)
    }

    /// A baseline of `records` (tests).
    pub fn of_records(
        origin: &str,
        records: &[Record],
        shard: Option<Shard>,
    ) -> Result<Self, String> {
        let mut b = Self::empty(origin);
        for r in records {
            b.add(r, shard)?;
        }
        Ok(b)
    }

    fn empty(origin: &str) -> Self {
        Self {
            origin: origin.to_string(),
            old: BTreeMap::new(),
            strings: Interner::default(),
            state: Mutex::new(State::default()),
        }
    }

    /// Keeps one old record; the same address of the same target twice is an error.
    fn add(&mut self, r: &Record, shard: Option<Shard>) -> Result<(), String> {
        if !shard.is_none_or(|s| s.contains(&r.host, r.port)) {
            return Ok(());
        }
        let k = key(&r.host, r.port);
        let list = self.old.entry(k.into()).or_default();
        if list.iter().any(|o| *o.address == r.address) {
            return Err(format!(
                "{}:{} [{}] is in the report twice: a report holds each address of a target once",
                r.host, r.port, r.address
            ));
        }
        list.push(Snapshot::interned(r, &mut self.strings));
        Ok(())
    }

    /// Adds `drift` to the records of one target (all its addresses) that changed.
    pub fn annotate(&self, records: &mut [Record]) {
        let Some(first) = records.first() else { return };
        let k = key(&first.host, first.port);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.seen.insert(k.clone()) {
            return; // the same target twice in the list: compared once
        }
        let Some(old) = self.old.get(k.as_str()) else {
            state.summary.appeared.push(k);
            for r in records.iter_mut() {
                add_drift(r, vec!["not in the baseline".into()]);
                state.summary.drifted += 1;
            }
            return;
        };
        let now: Vec<Snapshot> = records.iter().map(Snapshot::of).collect();
        let old_addrs: BTreeSet<&str> = old.iter().map(|r| &*r.address).collect();
        let new_addrs: BTreeSet<&str> = now.iter().map(|r| &*r.address).collect();
        if old_addrs == new_addrs {
            for (r, n) in records.iter_mut().zip(&now) {
                let Some(o) = old.iter().find(|o| o.address == n.address) else {
                    continue;
                };
                let changes = compare(o, n);
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
        let changes = compare_hosts(old, &now);
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
            if !state.seen.contains(&**k) {
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

/// The client verdicts of a record, when it has any: profile → verdict word.
fn clients(r: &Record) -> Vec<(String, String)> {
    let Some(Value::Object(map)) = r
        .checks
        .iter()
        .find(|c| c.check == "clients")
        .map(|c| &c.data)
    else {
        return Vec::new();
    };
    let mut out: Vec<(String, String)> = map
        .iter()
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
        .collect();
    out.sort();
    out
}

fn change(out: &mut Vec<String>, what: &str, old: &str, new: &str) {
    if old != new {
        out.push(format!("{what}: {old} → {new}"));
    }
}

/// The changes between two records of the same address, in words.
pub fn compare(old: &Snapshot, new: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for v in TlsVersion::ALL {
        let (o, n) = (old.state(v), new.state(v));
        // A version probed in one scan only (a different --tls-min/--tls-max) is not news.
        if o != CellState::Skipped && n != CellState::Skipped {
            change(&mut out, &v.to_string(), o.as_str(), n.as_str());
        }
    }
    let best = |r: &Snapshot| r.best.map_or("none".to_string(), |v| v.to_string());
    change(&mut out, "best version", &best(old), &best(new));
    for (profile, verdict) in &new.clients {
        if let Some((_, before)) = old.clients.iter().find(|(p, _)| p == profile) {
            change(&mut out, &format!("client {profile}"), before, verdict);
        }
    }
    let none = "none";
    change(
        &mut out,
        "issuer",
        old.issuer.as_deref().unwrap_or(none),
        new.issuer.as_deref().unwrap_or(none),
    );
    if let (Some((ofp, oexp)), Some((nfp, nexp))) = (&old.leaf, &new.leaf)
        && ofp != nfp
    {
        change(&mut out, "certificate", &short_fp(ofp), &short_fp(nfp));
        change(&mut out, "expires", oexp, nexp);
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
    change(&mut out, "name", &old.dns, &new.dns);
    out
}

/// The same comparison between two groups of records of one target whose addresses
/// differ: each property is compared as the set of values across the addresses.
pub fn compare_hosts(old: &[Snapshot], new: &[Snapshot]) -> Vec<String> {
    fn set<F: Fn(&Snapshot) -> Option<String>>(rs: &[Snapshot], f: F) -> String {
        let s: BTreeSet<String> = rs.iter().filter_map(f).collect();
        if s.is_empty() {
            "none".into()
        } else {
            s.into_iter().collect::<Vec<_>>().join(", ")
        }
    }
    let mut out = Vec::new();
    for v in TlsVersion::ALL {
        let probed = |r: &Snapshot| {
            Some(r.state(v))
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
        &set(old, |r| r.best.map(|v| v.to_string())),
        &set(new, |r| r.best.map(|v| v.to_string())),
    );
    let issuer = |r: &Snapshot| r.issuer.as_deref().map(str::to_string);
    change(&mut out, "issuer", &set(old, issuer), &set(new, issuer));
    let fp = |r: &Snapshot| r.leaf.as_ref().map(|(f, _)| short_fp(f));
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
    let resolved = |rs: &[Snapshot]| {
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
        let (old, new) = (Snapshot::of(&old), Snapshot::of(&new));
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
        assert!(compare(&old, &Snapshot::of(&skipped)).is_empty());
    }

    #[test]
    fn address_rotation_alone_is_churn_not_drift() {
        let old = vec![
            rec("192.0.2.1", CellState::Rejected, "CA 04", "aa"),
            rec("192.0.2.2", CellState::Rejected, "CA 04", "aa"),
        ];
        let b = Baseline::of_records("old.json", &old, None).unwrap();
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
        let b = Baseline::of_records("old.json", &old, None).unwrap();
        let mut now = vec![rec("192.0.2.9", CellState::Accepted, "CA 04", "aa")];
        b.annotate(&mut now);
        assert_eq!(
            now[0].findings[0].detail,
            "TLS 1.0: rejected → accepted (across addresses)"
        );
        assert!(b.finish().disappeared.is_empty());
        // The same address of a target twice is refused.
        let twice = [old[0].clone(), old[0].clone()];
        let e = Baseline::of_records("old.json", &twice, None)
            .err()
            .unwrap();
        assert!(
            e.contains("a.example:443 [192.0.2.1] is in the report twice"),
            "{e}"
        );
    }
}
