//! Target `merge`: `tlscompat merge` on up to four reports held in memory. Input: one
//! flag byte (bit 0: `--allow-incomplete`), then the reports separated by NULs.
//!
//! Oracles: a merge of an incomplete report without `--allow-incomplete` is refused;
//! an accepted merge replays every record of every report, in target order, and is
//! incomplete exactly when a report was — JSON `complete`, the exit code never 0 — and
//! its JSON loads again; no sink writes a raw character.

use std::sync::Arc;

use tlscompat::cmd::merge::{exit_code, prepare, replay};
use tlscompat::report::load::{ReportHead, open_memory, parse};

use super::oracle::{fail, nothing_raw};
use super::report::{outputs, sinks};

pub fn run(data: &[u8]) {
    let [flags, rest @ ..] = data else {
        return;
    };
    let heads: Result<Vec<ReportHead>, String> = rest
        .split(|b| *b == 0)
        .take(4)
        .enumerate()
        .map(|(i, doc)| open_memory(Arc::from(doc), &format!("s{i}.json")))
        .collect();
    let Ok(heads) = heads else {
        return;
    };
    if let Err(e) = check(heads, flags & 1 != 0) {
        fail("merge", e);
    }
}

pub fn check(heads: Vec<ReportHead>, allow_incomplete: bool) -> Result<(), String> {
    let incomplete = heads.iter().any(|h| h.incomplete().is_some());
    let records: u64 = heads.iter().map(|h| h.record_count).sum();
    let plan = match prepare(heads, None, allow_incomplete) {
        Ok(plan) => plan,
        Err(_) => return Ok(()),
    };
    if incomplete && !allow_incomplete {
        return Err("an incomplete report was merged without --allow-incomplete".into());
    }
    let mut bufs: [Vec<u8>; 6] = Default::default();
    let mut summary = plan.summary.clone();
    {
        let mut all = sinks(&mut bufs, &plan.ctx).map_err(|e| e.to_string())?;
        replay(&plan, &mut all, &mut summary).map_err(|e| format!("replay: {e:?}"))?;
    }
    if summary.incomplete.is_some() != incomplete || (incomplete && exit_code(&summary) == 0) {
        return Err(format!("incomplete {incomplete}, merged as {:?}", summary.incomplete));
    }
    let out = outputs(bufs);
    for (name, text) in &out {
        if !nothing_raw(text) {
            return Err(format!("{name}: raw characters: {text:?}"));
        }
    }
    let (head, merged) = parse(out[2].1.as_bytes(), "merged.json")
        .map_err(|e| format!("the merged JSON does not load: {e}"))?;
    if head.complete == incomplete || merged.len() as u64 != records {
        return Err(format!(
            "merged: complete {} with {} of {records} records",
            head.complete,
            merged.len()
        ));
    }
    let order: Vec<usize> = merged.iter().map(|r| r.record.target_index).collect();
    if order.windows(2).any(|w| w[0] > w[1]) {
        return Err(format!("records out of target order: {order:?}"));
    }
    Ok(())
}
