//! The JSON report: everything, for tools. Streamed: the opening object and each record
//! are written as they come, the summary last, so memory does not grow with the scan.
//!
//! Shape (`schema_version` 1):
//! `{"schema_version":1,"tool":{…},"options":{…},"records":[…],"summary":{…},"complete":true}`.
//! `complete` is `false` when a signal stopped the scan: the report is valid JSON
//! holding the records finished before it.
//! Strings keep the exact values the network sent (JSON escaping is serde_json's).
//! Each record has every version's probe (state, detail, hello variant, attempts,
//! timings in milliseconds), the modern handshake, the certificate chain, findings.

use std::io::{self, Write};
use std::time::Duration;

use serde_json::{Value, json};

use super::schema::{SCHEMA_VERSION, rfc3339_time, unix_secs};
use super::summary::Summary;
use super::{ScanContext, Sink};
use crate::probe::modern::{ModernHandshake, ModernOutcome};
use crate::probe::outcome::{Outcome, ServiceAnswer, Timing, VersionProbe};
use crate::record::Record;
use crate::version::TlsVersion;

pub struct JsonSink<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonSink<W> {
    pub fn new(mut out: W, ctx: &ScanContext) -> io::Result<Self> {
        let tool = json!({"name": "tlscompat", "version": env!("CARGO_PKG_VERSION")});
        write!(
            out,
            "{{\"schema_version\":{SCHEMA_VERSION},\"tool\":{tool},\"options\":{},\"records\":[",
            ctx.options
        )?;
        Ok(Self { out, first: true })
    }
}

impl<W: Write> Sink for JsonSink<W> {
    /// A merged record is written as it was read: nothing of the shard's JSON is lost.
    fn record_json(&mut self, _: &Record, raw: &Value) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, raw)?;
        Ok(())
    }

    fn record(&mut self, r: &Record) -> io::Result<()> {
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &record(r))?;
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let findings: serde_json::Map<String, Value> = s
            .findings
            .iter()
            .map(|(k, n)| (k.name().to_string(), json!(n)))
            .collect();
        let summary = json!({
            "hosts": s.hosts,
            "addresses": s.addresses,
            "probes": s.probes,
            "findings": findings,
            "failing_records": s.failing_records,
            "elapsed_ms": ms(s.elapsed),
            "probes_per_second": s.probes_per_second(),
            "peak_rss_kib": super::summary::peak_rss_kib(),
            "started_at": s.started_at.map(rfc3339_time),
            "started_unix": s.started_at.and_then(unix_secs),
            "baseline": s.baseline.as_deref(),
            "clients": s.clients.to_json(),
        });
        let complete = !s.interrupted;
        writeln!(
            self.out,
            "],\"summary\":{summary},\"complete\":{complete}}}"
        )?;
        self.out.flush()
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn timing(t: &Timing) -> Value {
    json!({
        "connect_ms": t.connect.map(ms),
        "first_byte_ms": t.first_byte.map(ms),
        "handshake_ms": t.handshake.map(ms),
        "total_ms": ms(t.total),
    })
}

/// The JSON object of one record (also what `--baseline` compares client verdicts in).
pub fn record(r: &Record) -> Value {
    let versions: serde_json::Map<String, Value> = TlsVersion::ALL
        .iter()
        .map(|v| {
            let c = r.cell(*v);
            let mut cell = json!({"state": c.state.as_str(), "detail": c.detail, "proof": c.proof});
            if let (Some(p), Some(obj)) = (&c.probe, cell.as_object_mut()) {
                obj.extend(probe(p));
            }
            (v.key().to_string(), cell)
        })
        .collect();
    let mut out = json!({
        "host": r.host,
        "port": r.port,
        "address": r.address,
        "cnames": r.cnames,
        "versions": versions,
        "legacy_rejected": r.legacy_rejected(),
        "best_version": r.best_version.map(|v| v.number()),
        "cipher": r.cipher.map(|c| c.to_string()),
        "modern_handshake": r.modern.as_ref().map(modern),
        "pinned_handshakes": r.pinned.iter().map(|m| {
            let mut v = modern(m);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("offered".into(), json!(m.pinned.map(|p| p.number())));
            }
            v
        }).collect::<Vec<_>>(),
        "certificate_chain": r.chain,
        "chain_source": r.chain_source,
        "trusted_public": r.trusted_public,
        "trusted_local": r.trusted_local,
        "trust_public_detail": r.trust_public_detail,
        "trust_local_detail": r.trust_local_detail,
        "intercepted": r.intercepted,
        "interception_signals": r.signals,
        "endpoint": r.endpoint.as_deref(),
        "findings": r.findings,
        "notes": r.notes,
        "checks": r.checks,
        "error": r.error,
        "probes": r.probe_count,
        "target_index": r.target_index,
    });
    // Each check's findings also under its own name (`clients`, `ciphers`), for tools.
    if let Some(obj) = out.as_object_mut() {
        for c in &r.checks {
            obj.insert(c.check.clone(), c.data.clone());
        }
    }
    out
}

fn probe(p: &VersionProbe) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("outcome".into(), json!(p.outcome.to_string()));
    m.insert("hello_variant".into(), json!(p.variant.name()));
    m.insert("attempts".into(), json!(p.attempts));
    m.insert(
        "first_outcome".into(),
        json!(p.first_outcome().map(|o| o.to_string())),
    );
    let tries: Vec<Value> = p
        .tries
        .iter()
        .map(|t| json!({"hello_variant": t.variant.name(), "outcome": t.outcome.to_string()}))
        .collect();
    m.insert("tries".into(), json!(tries));
    if let Outcome::Accepted(a) = &p.outcome {
        m.insert("negotiated".into(), json!(a.version.to_string()));
        m.insert("cipher".into(), json!(a.cipher.to_string()));
        m.insert("hello_retry_request".into(), json!(a.retry_request));
        m.insert("certificates".into(), json!(a.chain.len()));
        m.insert("downgrade_sentinel".into(), json!(a.downgrade_sentinel));
        m.insert("raw_proof".into(), json!(a.proof));
    }
    m.insert("timing".into(), timing(&p.timing));
    m
}

fn modern(h: &ModernHandshake) -> Value {
    let mut v = json!({"outcome": h.outcome.to_string(), "timing": timing(&h.timing)});
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    // Which client: rustls for TLS 1.2/1.3, tlscompat's own for TLS 1.0/1.1.
    let legacy = h.pinned.is_some_and(|p| p.is_legacy());
    obj.insert(
        "client".into(),
        json!(if legacy { "tlscompat-legacy" } else { "rustls" }),
    );
    let (version, cipher, chain, service) = match &h.outcome {
        ModernOutcome::Completed {
            version,
            cipher,
            chain,
            service,
        } => (
            version,
            cipher,
            chain,
            service
                .as_ref()
                .map(|r| json!({"verdict": "accepted", "reply": r})),
        ),
        ModernOutcome::Refused {
            version,
            cipher,
            chain,
            answer,
        } => (version, cipher, chain, Some(service_answer(answer))),
        _ => return v,
    };
    obj.insert("version".into(), json!(version.to_string()));
    obj.insert("cipher".into(), json!(cipher.to_string()));
    obj.insert("certificates".into(), json!(chain.len()));
    obj.insert("service".into(), json!(service));
    v
}

/// A mail service's answer after the handshake: its verdict, and its reply exactly.
fn service_answer(a: &ServiceAnswer) -> Value {
    match a {
        ServiceAnswer::Accepted(r) => json!({"verdict": "accepted", "reply": r}),
        ServiceAnswer::Refused(r) => json!({"verdict": "refused", "reply": r}),
        ServiceAnswer::Timeout => json!({"verdict": "timeout", "reply": null}),
        ServiceAnswer::Error(e) => json!({"verdict": "error", "reply": e}),
    }
}
