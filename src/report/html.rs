//! The HTML report: one self-contained page for admins, to open offline or mail on.
//!
//! Inline CSS only — no script, font, image or stylesheet from anywhere — so the page
//! renders the same from a CI artifact, a mail attachment or an air-gapped laptop.
//! Every string that came from the network (names, certificate fields, alert details,
//! proxy excerpts) goes through [`crate::safe::xml_text`], in text and in attributes.
//!
//! Layout: an INCOMPLETE banner first when the scan was stopped (or a merged shard had
//! been); header (scan time, duration, tool, summary); with `--clients`, the verdict
//! line per client profile and the address × profile matrix first (the question the
//! page answers); the host × version matrix (colour per verdict, the refusal reason on
//! hover via `title`), findings grouped by kind with what to do, the baseline
//! comparison when there was one, and the options used.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::spool::Spool;
use super::summary::Summary;
use super::{ScanContext, Sink};
use crate::findings::FindingKind;
use crate::probe::outcome::CellState;
use crate::record::Record;
use crate::safe::xml_text as esc;
use crate::version::TlsVersion;

pub struct HtmlSink<W: Write> {
    out: W,
    ctx: ScanContext,
    /// The matrix rows, the client rows (JSON lines `[endpoint, {profile: verdict}]`)
    /// and the findings by kind (count, `<li>` lines): kept until the end, out of
    /// memory past a size ([`Spool`]), so 100,000 records render in bounded memory.
    rows: Spool,
    client_rows: Spool,
    findings: BTreeMap<FindingKind, (usize, Spool)>,
    /// Client profile names seen, in first-seen order (at most [`MAX_CLIENTS`]).
    clients: Vec<String>,
    now: i64,
}

/// What an admin should do about each kind of finding.
pub fn advice(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Dns => {
            "The name does not resolve from this network. Check the resolver, split-horizon zones and DNS filters: clients here cannot reach the service at all."
        }
        FindingKind::Unreachable => {
            "No TCP connection. Allow outbound TCP 443 to this host (or route it through the proxy clients use)."
        }
        FindingKind::NoModernTls => {
            "Neither TLS 1.2 nor TLS 1.3 is accepted: clients that require TLS 1.2 (all current Microsoft 365 Apps) fail. Look for a middlebox terminating TLS with an outdated stack."
        }
        FindingKind::LegacyAccepted => {
            "TLS 1.0/1.1 is accepted. Microsoft 365 refuses these versions, so an accepting answer usually means TLS is terminated by a device on the way. Old clients may work here and fail elsewhere."
        }
        FindingKind::CertInvalid => {
            "The certificate does not verify (expired, wrong name, untrusted or incomplete chain). Clients will refuse the connection; check the chain the endpoint sends and your trust store."
        }
        FindingKind::Intercepted => {
            "TLS is being intercepted. Exempt Microsoft 365 Optimize and Allow endpoints from TLS inspection; device.login.microsoftonline.com and enterpriseregistration.windows.net must never be inspected."
        }
        FindingKind::Drift => {
            "Changed since the baseline report. Confirm the change is expected (a certificate renewal, a rollout) before accepting the new state as the baseline."
        }
        FindingKind::HandshakeFailed => {
            "A server claimed a version (a ServerHello) but no real handshake at it completes: clients that need that version fail even though a naive check says it is supported. Look for a middlebox or front end answering hellos it cannot serve."
        }
        FindingKind::NoRoute => {
            "This machine has no route to that address family (usually IPv6). Not the endpoint's fault; clients on networks with that family may still use it."
        }
        FindingKind::ClientIncompatible => {
            "A Windows client profile cannot connect. Update the client (Windows 7/8.1 need KB3140245 and the SChannel TLS 1.2 registry keys, and still lack ECDHE-RSA-GCM), or reach the service through an endpoint that still serves old clients."
        }
        FindingKind::Starttls => {
            "The mail server's plain-text dialogue before TLS failed (STARTTLS refused or not offered, another protocol on the port, or no greeting in time): devices submitting mail here get no TLS at all. Check the port (587 for SMTP submission, 993/995 for implicit TLS) and any mail gateway in the path, or force the protocol with --starttls."
        }
        FindingKind::ProxyAuthRequired => {
            "The proxy demands authentication. Office licensing runs as SYSTEM through WinHTTP's machine proxy and cannot answer a challenge: let the Microsoft 365 endpoints pass the proxy unauthenticated, or bypass the proxy for them."
        }
        FindingKind::ProxyDenied => {
            "The proxy refuses the connection (its status line and Server header are quoted). Allow the Microsoft 365 endpoints in the proxy's policy."
        }
        FindingKind::ProxyRedirect => {
            "The proxy redirects the connection, usually to a login portal, which Office licensing (SYSTEM) cannot follow. Exempt the Microsoft 365 endpoints from the portal."
        }
    }
}

const STYLE: &str = "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em;color:#1b1f24;background:#fff}\
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em;border-bottom:1px solid #d0d7de}\
table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f6f8fa}td.c{text-align:center;font-weight:600;white-space:nowrap}\
.good{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.warn{background:#fff8c5;color:#7d4e00}\
.none{background:#f6f8fa;color:#6e7781}.meta{color:#57606a}.fail{color:#a40e26;font-weight:600}\
.banner{padding:.6em .8em;border:2px solid #a40e26;font-size:1.1em}\
code{font-size:.92em}ul{margin:.2em 0 .8em}.legend span{padding:0 .5em;margin-right:.4em}";

impl<W: Write> HtmlSink<W> {
    pub fn new(out: W, ctx: ScanContext) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Self {
            out,
            ctx,
            rows: Spool::new(),
            client_rows: Spool::new(),
            findings: BTreeMap::new(),
            clients: Vec::new(),
            now,
        }
    }
}

/// The colour class and short word of a cell. For TLS 1.0/1.1 an acceptance is the
/// worrying answer and a refusal the expected one; for 1.2/1.3 the other way round.
fn cell_class(v: TlsVersion, state: CellState) -> (&'static str, &'static str) {
    match (state, v.is_legacy()) {
        (CellState::Accepted, true) => ("warn", "accepted"),
        (CellState::Accepted, false) => ("good", "accepted"),
        (CellState::Rejected, true) => ("good", "rejected"),
        (CellState::Rejected, false) => ("bad", "rejected"),
        (CellState::Refused, true) => ("good", "refused"),
        (CellState::Refused, false) => ("bad", "refused"),
        (CellState::Timeout, _) => ("bad", "timeout"),
        (CellState::Unreachable, _) => ("bad", "unreachable"),
        // Not the endpoint's fault: this machine has no route to that family.
        (CellState::NoRoute, _) => ("none", "no route"),
        (CellState::Error, _) => ("bad", "error"),
        (CellState::Skipped, _) => ("none", "–"),
        // The proxy refused the tunnel: the record's finding says why.
        (CellState::NotProbed, _) => ("bad", "not probed"),
    }
}

/// Most client profile columns the page shows (a report read back may name any).
const MAX_CLIENTS: usize = 64;

fn client_verdicts(r: &Record) -> BTreeMap<String, String> {
    let Some(Value::Object(map)) = r
        .checks
        .iter()
        .find(|c| c.check == "clients")
        .map(|c| &c.data)
    else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => ["verdict", "detail", "ok"]
                    .iter()
                    .find_map(|f| other.get(*f))
                    .map_or_else(
                        || other.to_string(),
                        |x| x.as_str().map_or(x.to_string(), str::to_string),
                    ),
            };
            (k.clone(), text)
        })
        .collect()
}

impl<W: Write> Sink for HtmlSink<W> {
    fn record(&mut self, r: &Record) -> io::Result<()> {
        let address = if r.address.is_empty() {
            "–"
        } else {
            &r.address
        };
        let failing = self.ctx.fails(r);
        let mut row = String::new();
        let _ = write!(
            row,
            "<tr><td{}>{}</td><td>{}</td><td>{}</td>",
            if failing { " class=\"fail\"" } else { "" },
            esc(&r.host),
            r.port,
            esc(address)
        );
        if r.address.is_empty() {
            // A name that did not resolve: one sentence instead of empty cells.
            let why = r.error.as_deref().unwrap_or("no address");
            let _ = write!(
                row,
                "<td colspan=\"{}\" class=\"bad\">did not resolve: {}</td>",
                self.ctx.versions.len() + 4,
                esc(why.strip_prefix("dns: ").unwrap_or(why))
            );
        }
        for v in self.ctx.versions.iter().filter(|_| !r.address.is_empty()) {
            let c = r.cell(*v);
            let (mut class, word) = cell_class(*v, c.state);
            // A refused TLS 1.2 next to an accepted TLS 1.3 locks out older clients only.
            if class == "bad"
                && matches!(c.state, CellState::Rejected | CellState::Refused)
                && r.best_version.is_some_and(|b| !b.is_legacy())
            {
                class = "warn";
            }
            let unproven = match &c.proof {
                Some(crate::probe::proof::Proof::Unproven(how))
                    if c.state == CellState::Accepted =>
                {
                    Some(how.clone())
                }
                _ => None,
            };
            let word = if unproven.is_some() { "unproven" } else { word };
            let why = match (&r.error, c.detail.is_empty()) {
                (_, _) if unproven.is_some() => {
                    format!("claimed, not provable: {}", unproven.unwrap_or_default())
                }
                (_, false) => c.detail.clone(),
                (Some(e), true) if c.state != CellState::Accepted => e.clone(),
                _ => String::new(),
            };
            let _ = write!(
                row,
                "<td class=\"c {class}\" title=\"{}\">{word}</td>",
                esc(&format!(
                    "{v}: {word}{}{why}",
                    if why.is_empty() { "" } else { " — " }
                ))
            );
        }
        let best = r
            .best_version
            .map_or("–".to_string(), |v| v.number().to_string());
        let (issuer, expiry) = match r.chain.first() {
            None => ("–".to_string(), "<td class=\"none\">–</td>".to_string()),
            Some(leaf) => {
                let days = leaf
                    .not_after_unix
                    .saturating_sub(self.now)
                    .div_euclid(86_400);
                let class = match days {
                    d if d < 0 => "bad",
                    d if d < 30 => "warn",
                    _ => "good",
                };
                let date = leaf.not_after.get(..10).unwrap_or(&leaf.not_after);
                let when = match days {
                    d if d < 0 => format!(" (expired {} d ago)", d.unsigned_abs()),
                    d if d < 90 => format!(" (in {d} d)"),
                    _ => String::new(),
                };
                (
                    leaf.issuer_cn
                        .clone()
                        .unwrap_or_else(|| leaf.issuer.clone()),
                    format!(
                        "<td class=\"{class}\" title=\"{}\">{}{when}</td>",
                        esc(&leaf.not_after),
                        esc(date)
                    ),
                )
            }
        };
        let trust = match (r.trusted_public, r.trusted_local, r.intercepted) {
            (_, _, Some(true)) => "<td class=\"bad\">intercepted</td>".to_string(),
            (Some(true), _, _) => "<td class=\"good\">trusted</td>".to_string(),
            (_, Some(true), _) => "<td class=\"warn\">locally only</td>".to_string(),
            (Some(false), _, _) => format!(
                "<td class=\"bad\" title=\"{}\">untrusted</td>",
                esc(r.untrusted_reason().unwrap_or(""))
            ),
            _ => "<td class=\"none\">–</td>".to_string(),
        };
        let kinds: Vec<String> = r
            .findings
            .iter()
            .map(|f| {
                let class = if self.ctx.fail_on.contains(&f.kind) {
                    "fail"
                } else {
                    "meta"
                };
                format!(
                    "<span class=\"{class}\" title=\"{}\">{}</span>",
                    esc(&f.detail),
                    f.kind
                )
            })
            .collect();
        if r.address.is_empty() {
            let _ = writeln!(row, "<td>{}</td></tr>", kinds.join(" "));
        } else {
            let _ = writeln!(
                row,
                "<td class=\"c\">{best}</td><td>{}</td>{expiry}{trust}<td>{}</td></tr>",
                esc(&issuer),
                kinds.join(" ")
            );
        }
        self.rows.write_all(row.as_bytes())?;
        let at = format!("{}:{} [{}]", r.host, r.port, address);
        for f in &r.findings {
            let (n, items) = self.findings.entry(f.kind).or_default();
            *n += 1;
            writeln!(
                items,
                "<li><code>{}</code>: {}</li>",
                esc(&at),
                esc(&f.detail)
            )?;
        }
        let verdicts = client_verdicts(r);
        if !verdicts.is_empty() {
            // The profiles in the order they were asked for, then any others.
            let asked = self
                .ctx
                .clients
                .iter()
                .filter(|c| verdicts.contains_key(*c));
            for k in asked.chain(verdicts.keys()) {
                if !self.clients.contains(k) && self.clients.len() < MAX_CLIENTS {
                    self.clients.push(k.clone());
                }
            }
            let line = crate::safe::json_string(&(at, verdicts));
            writeln!(self.client_rows, "{line}")?;
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let mut page = String::with_capacity(8192);
        let started = s
            .started_at
            .map_or("unknown".to_string(), super::schema::rfc3339_time);
        let _ = write!(
            page,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\">\
             <title>tlscompat report {}{}</title><style>{STYLE}</style></head><body>\n\
             <h1>tlscompat report{}</h1>\n",
            esc(&started),
            if s.incomplete.is_some() {
                " (INCOMPLETE)"
            } else {
                ""
            },
            if s.incomplete.is_some() {
                " — INCOMPLETE"
            } else {
                ""
            },
        );
        if let Some(why) = &s.incomplete {
            // First thing on the page: nobody should read a partial matrix as the scan.
            let _ = writeln!(
                page,
                "<p id=\"incomplete\" class=\"bad banner\"><strong>INCOMPLETE:</strong> {}</p>",
                esc(why)
            );
        }
        let _ = write!(
            page,
            "<p class=\"meta\">Scan started {}, took {:.2} s · tlscompat {}</p>\n<p>{}</p>\n",
            esc(&started),
            s.elapsed.as_secs_f64(),
            env!("CARGO_PKG_VERSION"),
            esc(&s.line())
        );
        // The answer per client first: the verdict lines, then the matrix.
        if !s.clients.is_empty() {
            page.push_str("<h2>Will clients activate from here?</h2>\n<ul id=\"verdicts\">\n");
            for p in &s.clients.profiles {
                let class = if p.failing == 0 { "good" } else { "bad" };
                let _ = writeln!(page, "<li class=\"{class}\">{}</li>", esc(&p.line()));
            }
            page.push_str("</ul>\n");
        }
        let client_rows = std::mem::take(&mut self.client_rows);
        if !client_rows.is_empty() {
            page.push_str(
                "<h2>Client profiles</h2>\n<table id=\"clients\"><thead><tr><th>Endpoint</th>",
            );
            for c in &self.clients {
                let _ = write!(page, "<th>{}</th>", esc(c));
            }
            page.push_str("</tr></thead><tbody>\n");
            self.out.write_all(page.as_bytes())?;
            page.clear();
            for line in client_rows.into_reader()?.lines() {
                let (at, verdicts): (String, BTreeMap<String, String>) =
                    serde_json::from_str(&line?).map_err(io::Error::other)?;
                let _ = write!(page, "<tr><td>{}</td>", esc(&at));
                for c in &self.clients {
                    let v = verdicts.get(c).map_or("", String::as_str);
                    let class = match v {
                        v if v.starts_with("ok") || v == "true" => "good",
                        "" => "none",
                        _ => "bad",
                    };
                    let _ = write!(page, "<td class=\"{class}\">{}</td>", esc(v));
                }
                page.push_str("</tr>\n");
                self.out.write_all(page.as_bytes())?;
                page.clear();
            }
            page.push_str("</tbody></table>\n");
        }
        page.push_str("<h2>Endpoints × TLS versions</h2>\n<p class=\"legend\"><span class=\"good\">as it should be</span><span class=\"warn\">worth a look</span><span class=\"bad\">fails or is insecure</span><span class=\"none\">not probed</span> Hover a cell for the reason.</p>\n<table id=\"matrix\"><thead><tr><th>Host</th><th>Port</th><th>Address</th>");
        for v in &self.ctx.versions {
            let _ = write!(page, "<th>{v}</th>");
        }
        page.push_str("<th>Best</th><th>Issuer</th><th>Expires</th><th>Trust</th><th>Findings</th></tr></thead><tbody>\n");
        self.out.write_all(page.as_bytes())?;
        page.clear();
        std::mem::take(&mut self.rows).copy_to(&mut self.out)?;
        page.push_str("</tbody></table>\n");
        page.push_str("<h2>Findings</h2>\n");
        if self.findings.is_empty() {
            page.push_str("<p class=\"good\">No findings.</p>\n");
        }
        for (kind, (count, items)) in std::mem::take(&mut self.findings) {
            let gate = if self.ctx.fail_on.contains(&kind) {
                " <span class=\"fail\">(fails the run)</span>"
            } else {
                ""
            };
            let _ = write!(
                page,
                "<h3 id=\"finding-{kind}\">{kind} ({count}){gate}</h3>\n<p>{}</p>\n<ul>\n",
                advice(kind),
            );
            self.out.write_all(page.as_bytes())?;
            page.clear();
            items.copy_to(&mut self.out)?;
            page.push_str("</ul>\n");
        }
        if let Some(b) = &s.baseline {
            let _ = write!(
                page,
                "<h2>Compared with the baseline</h2>\n<p><code>{}</code>: {} record(s) drifted.</p>\n",
                esc(&b.baseline),
                b.drifted
            );
            for (title, list) in [
                ("Appeared", &b.appeared),
                ("Disappeared", &b.disappeared),
                ("Address churn (not drift)", &b.address_churn),
            ] {
                if !list.is_empty() {
                    let items: Vec<String> = list
                        .iter()
                        .map(|x| format!("<li>{}</li>", esc(x)))
                        .collect();
                    let _ = write!(page, "<h3>{title}</h3>\n<ul>{}</ul>\n", items.join(""));
                }
            }
        }
        page.push_str("<h2>Options</h2>\n<table id=\"options\">\n");
        if let Value::Object(opts) = &self.ctx.options {
            for (k, v) in opts {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => "–".into(),
                    other => other.to_string(),
                };
                let _ = writeln!(page, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
            }
        }
        page.push_str("</table>\n</body></html>\n");
        self.out.write_all(page.as_bytes())?;
        self.out.flush()
    }
}
