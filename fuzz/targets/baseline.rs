//! Target `baseline`: `--baseline` comparing the records of one report (before the
//! first NUL) with another's (after it), both read by `report::load`.
//!
//! Oracles: no panic; drift is counted once per record that got it; every target of
//! the new report is either compared or listed as appeared; the summary's text passes
//! the sink rules.

use tlscompat::baseline::Baseline;
use tlscompat::findings::FindingKind;
use tlscompat::report::load::parse;

use super::oracle::{fail, sinks_safe};

pub fn run(data: &[u8]) {
    let Some(at) = data.iter().position(|b| *b == 0) else {
        return;
    };
    if let Err(e) = check(&data[..at], &data[at + 1..]) {
        fail("baseline", e);
    }
}

pub fn check(old: &[u8], new: &[u8]) -> Result<(), String> {
    let (Ok((_, old)), Ok((_, new))) = (parse(old, "old.json"), parse(new, "new.json")) else {
        return Ok(());
    };
    let old: Vec<_> = old.into_iter().map(|r| r.record).collect();
    let Ok(b) = Baseline::of_records("old.json", &old, None) else {
        return Ok(());
    };
    let mut new: Vec<_> = new.into_iter().map(|r| r.record).collect();
    let before: Vec<usize> = new.iter().map(drift).collect();
    // One target's records (consecutive, same host and port) at a time, as a scan does.
    let mut start = 0;
    while start < new.len() {
        let (h, p) = (new[start].host.clone(), new[start].port);
        let end = start + new[start..].iter().take_while(|r| r.host == h && r.port == p).count();
        b.annotate(&mut new[start..end]);
        start = end;
    }
    let s = b.finish();
    let added: Vec<usize> = new.iter().zip(&before).map(|(r, b)| drift(r) - b).collect();
    if added.iter().sum::<usize>() != s.drifted || added.iter().any(|n| *n > 1) {
        return Err(format!("drift counted {} for {added:?}", s.drifted));
    }
    for line in s.appeared.iter().chain(&s.disappeared).chain(&s.address_churn) {
        sinks_safe("baseline summary", line)?;
    }
    Ok(())
}

fn drift(r: &tlscompat::record::Record) -> usize {
    r.findings.iter().filter(|f| f.kind == FindingKind::Drift).count()
}
