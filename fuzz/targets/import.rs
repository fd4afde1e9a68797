//! Target `import`: `endpoints::import::convert`, Microsoft's endpoint web service JSON
//! turned into an endpoints.toml (issue 23, findings 5 and 10).
//!
//! Oracle: the conversion is refused (exit 2), or its output loads with the normal
//! loader, names no host the input did not name (every endpoint's host is one of the
//! input's URLs, trimmed and lowercased, on port 443), and holds nothing raw that a
//! terminal interprets or hides.

use std::collections::HashSet;

use serde_json::Value;
use tlscompat::endpoints::EndpointList;
use tlscompat::endpoints::import::convert;

use super::oracle::{fail, lossy, nothing_raw};

pub fn run(data: &[u8]) {
    if let Err(e) = check(&lossy(data)) {
        fail("import", e);
    }
}

pub fn check(json: &str) -> Result<(), String> {
    let Ok(toml) = convert(json, "in.json") else {
        return Ok(());
    };
    let list = EndpointList::parse(&toml, "out.toml")
        .map_err(|e| format!("the output does not load: {e}\n{toml}"))?;
    let named = input_hosts(json);
    for e in &list.endpoints {
        if !named.contains(&e.host) || e.port != 443 {
            return Err(format!("{}:{} is not named by the input\n{toml}", e.host, e.port));
        }
    }
    if !nothing_raw(&toml) {
        return Err(format!("raw characters in the output: {toml:?}"));
    }
    Ok(())
}

/// Every URL of every set of the input, as the conversion normalises host names.
fn input_hosts(json: &str) -> HashSet<String> {
    let Ok(Value::Array(sets)) = serde_json::from_str::<Value>(json) else {
        return HashSet::new();
    };
    sets.iter()
        .filter_map(|s| s.get("urls")?.as_array())
        .flatten()
        .filter_map(Value::as_str)
        .map(|u| u.trim().trim_end_matches('.').to_ascii_lowercase())
        .collect()
}
