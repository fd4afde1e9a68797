//! `tlscompat endpoints import FILE`: Microsoft's endpoint web service JSON → endpoints.toml.
//!
//! Microsoft publishes the Microsoft 365 endpoint list as JSON
//! (`https://endpoints.office.com/endpoints/worldwide?clientrequestid=<GUID>`, reference
//! [WS]): an array of endpoint sets, each with `id`, `serviceArea`, `urls`, `ips`,
//! `tcpPorts` ("80,443"), `category` (Optimize / Allow / Default), `required`, `notes`.
//! The list changes monthly; importing a file the admin downloaded lets the scanner's
//! list be refreshed without a new release (and without this tool fetching anything).
//!
//! What the conversion keeps and why:
//! - Concrete host names on TCP 443 only: wildcards (`*.officeapps.live.com`) cannot be
//!   connected to, and port 80 is not TLS. Both are listed in a comment, with their IDs,
//!   so nothing disappears silently.
//! - The set ID (`set_id`, and `sources = ["WS ID 46"]` for every set naming the host)
//!   and the category. A host in several sets takes the highest-priority category
//!   (Optimize > Allow > Default, as [WS] says), and that set's ID.
//! - `inspection` follows [PRIN]/[TR]: bypass for Optimize/Allow, allowed for Default,
//!   tenant-restrictions for the login hosts and never for the device-auth hosts.
//! - `[defaults]` (expected issuers) and `legacy_tls = "refused"` come from the embedded
//!   list, which carries the sources for them; the web service says nothing about TLS.
//!
//! The output is parsed back with the normal loader before it is written, so it always
//! loads.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value;

use super::model::{EMBEDDED, EndpointList, LegacyTls};
use crate::target::Host;

/// One endpoint set of the web service's answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EndpointSet {
    id: u32,
    #[serde(default)]
    service_area: String,
    #[serde(default)]
    service_area_display_name: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    tcp_ports: Option<String>,
    category: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    notes: Option<String>,
}

/// Hosts whose interception Microsoft documents specially [TR].
const TENANT_RESTRICTIONS: [&str; 4] = [
    "login.microsoftonline.com",
    "login.microsoft.com",
    "login.windows.net",
    "login.live.com",
];
const NEVER_INSPECT: [&str; 2] = [
    "device.login.microsoftonline.com",
    "enterpriseregistration.windows.net",
];

struct Entry {
    host: String,
    set_id: u32,
    rank: u8,
    category: &'static str,
    purpose: String,
    sources: Vec<String>,
}

fn category(s: &str) -> Option<(&'static str, u8)> {
    match s.to_ascii_lowercase().as_str() {
        "optimize" => Some(("optimize", 0)),
        "allow" => Some(("allow", 1)),
        "default" => Some(("default", 2)),
        _ => None,
    }
}

fn toml_str(s: &str) -> String {
    // A TOML basic string is a JSON string minus a few escapes JSON allows; serde_json's
    // escaping (\" \\ \n \u0001…) is valid TOML.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Converts the web service JSON text to endpoints.toml text; `origin` names the file.
pub fn convert(json: &str, origin: &str) -> Result<String, String> {
    let doc: Value = serde_json::from_str(json)
        .map_err(|e| format!("{origin}:{}:{}: not JSON: {e}", e.line(), e.column()))?;
    let sets = match doc {
        Value::Array(a) => a,
        other => {
            let shown: String = other.to_string().chars().take(120).collect();
            return Err(format!(
                "{origin}: expected the array the endpoint web service returns \
                 (/endpoints/worldwide), found: {shown}"
            ));
        }
    };
    let embedded = EndpointList::embedded().map_err(|e| e.to_string())?;
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut skipped: Vec<String> = Vec::new();
    for (i, raw) in sets.into_iter().enumerate() {
        let set: EndpointSet =
            serde_json::from_value(raw).map_err(|e| format!("{origin}: [{i}]: {e}"))?;
        let (cat, rank) = category(&set.category).ok_or_else(|| {
            format!(
                "{origin}: [{i}] (id {}).category: unknown '{}' (expected Optimize, Allow or Default)",
                set.id, set.category
            )
        })?;
        let ports = set.tcp_ports.as_deref().unwrap_or("");
        let tls = ports.split(',').any(|p| p.trim() == "443");
        for url in &set.urls {
            let name = url.trim().trim_end_matches('.').to_ascii_lowercase();
            let scannable = !name.contains('*') && matches!(Host::parse(&name), Ok(Host::Name(_)));
            if !tls || !scannable {
                let why = if tls { "not a host name" } else { "no TCP 443" };
                skipped.push(format!("{url} (ID {}, {why})", set.id));
                continue;
            }
            let source = format!("WS ID {}", set.id);
            let area = set
                .service_area_display_name
                .clone()
                .unwrap_or_else(|| set.service_area.clone());
            let mut purpose = format!(
                "{area}, endpoint set {}{}",
                set.id,
                if set.required { "" } else { " (optional)" }
            );
            if let Some(n) = set.notes.as_deref().filter(|n| !n.trim().is_empty()) {
                purpose = format!("{purpose}: {}", n.trim());
            }
            match entries.get_mut(&name) {
                Some(e) => {
                    if !e.sources.contains(&source) {
                        e.sources.push(source);
                    }
                    if rank < e.rank {
                        (e.rank, e.category, e.set_id, e.purpose) = (rank, cat, set.id, purpose);
                    }
                }
                None => {
                    order.push(name.clone());
                    entries.insert(
                        name.clone(),
                        Entry {
                            host: name,
                            set_id: set.id,
                            rank,
                            category: cat,
                            purpose,
                            sources: vec![source],
                        },
                    );
                }
            }
        }
    }
    let mut out = format!(
        "# Generated by `tlscompat endpoints import {}`\n\
         # from the Microsoft 365 endpoint web service JSON [WS]: {} scannable hosts on\n\
         # TCP 443. Categories and set IDs are Microsoft's; [defaults], legacy_tls and\n\
         # role come from tlscompat's embedded list.\n\
         #   WS  \"Office 365 IP Address and URL web service\"\n\
         #       https://learn.microsoft.com/microsoft-365/enterprise/microsoft-365-ip-web-service\n",
        origin.rsplit('/').next().unwrap_or(origin),
        order.len()
    );
    if !skipped.is_empty() {
        out.push_str("#\n# Not scannable, left out:\n");
        for s in &skipped {
            let _ = writeln!(out, "#   {s}");
        }
    }
    out.push('\n');
    let defaults = EMBEDDED
        .find("\n[defaults]")
        .map(|at| &EMBEDDED[at + 1..])
        .and_then(|d| d.find("\n]\n").map(|end| &d[..end + 2]))
        .unwrap_or("[defaults]\nport = 443\n");
    out.push_str(defaults.trim_end());
    out.push_str("\n\n");
    for name in &order {
        let Some(e) = entries.get(name) else { continue };
        let inspection = if NEVER_INSPECT.contains(&e.host.as_str()) {
            "never"
        } else if TENANT_RESTRICTIONS.contains(&e.host.as_str()) {
            "tenant-restrictions"
        } else if e.category == "default" {
            "allowed"
        } else {
            "bypass"
        };
        let refused = embedded
            .endpoints
            .iter()
            .any(|k| k.host == e.host && k.port == 443 && k.legacy_tls == LegacyTls::Refused);
        // The role of a host the embedded list knows; others are `other` (no key).
        let role = embedded
            .endpoints
            .iter()
            .find(|k| k.host == e.host && k.port == 443)
            .map_or(String::new(), |k| format!("role = \"{}\"\n", k.role.name()));
        let sources: Vec<String> = e.sources.iter().map(|s| toml_str(s)).collect();
        let _ = write!(
            out,
            "[[endpoint]]\nhost = {}\npurpose = {}\nsources = [{}]\nset_id = {}\ncategory = \"{}\"\ninspection = \"{inspection}\"\nlegacy_tls = \"{}\"\n{role}\n",
            toml_str(&e.host),
            toml_str(&e.purpose),
            sources.join(", "),
            e.set_id,
            e.category,
            if refused { "refused" } else { "unknown" }
        );
    }
    EndpointList::parse(&out, "imported endpoints.toml")
        .map_err(|e| format!("{origin}: the converted list does not load: {e}"))?;
    Ok(out)
}
