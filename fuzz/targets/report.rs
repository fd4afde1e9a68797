//! Target `report`: a JSON report read back (`merge`, `--baseline`) by
//! `report::load`, then rendered through every sink (table, CSV, JSON, JUnit, HTML).
//!
//! Oracles: a report that loads has records whose numbers are in range (ports 1-65535,
//! target indexes below `options.target_count`); rendering never panics; no sink but
//! JSON writes a raw character a terminal interprets or hides, and JSON writes none
//! either; the JSON written loads again with the same records (a report read back is a
//! report).

use serde_json::Value;
use tlscompat::cli::DEFAULT_FAIL_ON;
use tlscompat::report::csv::CsvSink;
use tlscompat::report::html::HtmlSink;
use tlscompat::report::json::JsonSink;
use tlscompat::report::junit::JunitSink;
use tlscompat::report::load::{LoadedRecord, ReportHead, parse};
use tlscompat::report::summary::Summary;
use tlscompat::report::table::{TableSink, TableStyle};
use tlscompat::report::{ScanContext, Sink};

use super::oracle::{fail, nothing_raw};

pub fn run(data: &[u8]) {
    if let Err(e) = check(data) {
        fail("report", e);
    }
}

pub fn check(data: &[u8]) -> Result<(), String> {
    let Ok((head, records)) = parse(data, "fuzz.json") else {
        return Ok(());
    };
    let limit = head.target_count().map_err(|e| format!("loaded, then: {e}"))?;
    for r in &records {
        let t = &r.record;
        let indexed = r.indexed() && limit.is_some_and(|n| t.target_index as u64 >= n);
        if t.port == 0 || indexed {
            return Err(format!("records[{}]: port {} index {}", r.index, t.port, t.target_index));
        }
    }
    let Some(ctx) = context(&head) else {
        return Ok(());
    };
    let outputs = render(&head, &records, &ctx).map_err(|e| format!("render: {e}"))?;
    for (name, text) in &outputs {
        if !nothing_raw(text) {
            return Err(format!("{name}: raw characters: {text:?}"));
        }
    }
    let json = &outputs[2].1;
    let (_, again) = parse(json.as_bytes(), "again.json")
        .map_err(|e| format!("the JSON written does not load: {e}\n{json}"))?;
    if again.len() != records.len() {
        return Err(format!("{} records read back as {}", records.len(), again.len()));
    }
    Ok(())
}

/// The sinks' context, as `merge` builds it; `None` when `merge` would refuse the head.
pub fn context(head: &ReportHead) -> Option<ScanContext> {
    Some(ScanContext {
        versions: head.versions().ok()?.iter().collect(),
        fail_on: tlscompat::cli::parse_fail_on(DEFAULT_FAIL_ON).ok()?,
        options: Value::Object(head.options.clone()),
        clients: head.clients().ok()?,
    })
}

/// Every sink's output for these records: table (unlimited and 80 columns), CSV, JSON,
/// JUnit, HTML.
pub fn render(
    head: &ReportHead,
    records: &[LoadedRecord],
    ctx: &ScanContext,
) -> std::io::Result<Vec<(&'static str, String)>> {
    let mut bufs: [Vec<u8>; 6] = Default::default();
    {
        let mut sinks = sinks(&mut bufs, ctx)?;
        let mut summary = Summary {
            incomplete: head.incomplete(),
            ..Summary::default()
        };
        let mut previous = None;
        for r in records {
            let t = &r.record;
            summary.add(t, previous != Some(t.target_index), ctx.fails(t));
            previous = Some(t.target_index);
            for s in &mut sinks {
                s.record_json(t, &r.raw)?;
            }
        }
        for s in &mut sinks {
            s.finish(&summary)?;
        }
    }
    Ok(outputs(bufs))
}

/// Every sink, writing into `bufs` (table, table at 80 columns, JSON, CSV, JUnit, HTML).
pub fn sinks<'a>(
    bufs: &'a mut [Vec<u8>; 6],
    ctx: &ScanContext,
) -> std::io::Result<Vec<Box<dyn Sink + 'a>>> {
    let [t1, t2, json, csv, junit, html] = bufs;
    let style = |width| TableStyle { color: true, width };
    Ok(vec![
        Box::new(TableSink::new(t1, ctx.clone()).styled(style(None))),
        Box::new(TableSink::new(t2, ctx.clone()).styled(style(Some(80)))),
        Box::new(JsonSink::new(json, ctx)?),
        Box::new(CsvSink::new(csv, ctx)?),
        Box::new(JunitSink::new(junit, ctx.clone())),
        Box::new(HtmlSink::new(html, ctx.clone())),
    ])
}

/// What the sinks of [`sinks`] wrote, named, the table's colour codes removed.
pub fn outputs(bufs: [Vec<u8>; 6]) -> Vec<(&'static str, String)> {
    let names = ["table", "table80", "json", "csv", "junit", "html"];
    names
        .iter()
        .zip(bufs)
        .enumerate()
        .map(|(i, (n, b))| {
            let text = String::from_utf8_lossy(&b).into_owned();
            (*n, if i < 2 { strip_colour(&text) } else { text })
        })
        .collect()
}

/// The table's own SGR sequences removed (`\x1b[31m`, `\x1b[0m`…).
fn strip_colour(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .filter(|e| tail[*e..].starts_with('m'));
        match end {
            Some(e) => rest = &tail[e + 1..],
            None => {
                out.push_str("\x1b[");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}
