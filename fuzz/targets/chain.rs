//! Target `chain`: a certificate chain as a server sends it, through what the scan does
//! with it: summaries, trust (the public roots, through the verdict memo and without
//! it), and the interception signals against the embedded list's expectations.
//!
//! Input: one flag byte (bit 0: the target is an IP; bit 1: TLS 1.0/1.1 was accepted;
//! bit 2: a direct-path leaf to compare), then certificates, each with a 2-byte length.
//!
//! Oracles: the memoised verdict equals the uncached one and is the same twice; every
//! signal's text passes the sink rules; a chain that verifies publicly is never
//! `intercepted` by the trust signals alone.

use std::sync::OnceLock;

use tlscompat::cert::summarize_or_placeholder;
use tlscompat::endpoints::EndpointList;
use tlscompat::intercept::{Evidence, is_intercepted, signals};
use tlscompat::target::Host;
use tlscompat::trust::{TrustSettings, TrustStores};

use super::oracle::{fail, sinks_safe};

struct Stores {
    cached: TrustStores,
    uncached: TrustStores,
    list: EndpointList,
}

fn stores() -> &'static Stores {
    static S: OnceLock<Stores> = OnceLock::new();
    S.get_or_init(|| {
        let settings = TrustSettings::default();
        Stores {
            cached: TrustStores::new(&settings).expect("public roots"),
            uncached: TrustStores::without_cache(&settings).expect("public roots"),
            list: EndpointList::embedded().expect("embedded list"),
        }
    })
}

pub fn run(data: &[u8]) {
    let [flags, rest @ ..] = data else {
        return;
    };
    let mut chain = Vec::new();
    let mut at = rest;
    while let [a, b, tail @ ..] = at {
        let n = usize::from(u16::from_be_bytes([*a, *b])).min(tail.len());
        chain.push(tail[..n].to_vec());
        at = &tail[n..];
        if chain.len() == 8 {
            break;
        }
    }
    if let Err(e) = check(*flags, &chain) {
        fail("chain", e);
    }
}

pub fn check(flags: u8, chain: &[Vec<u8>]) -> Result<(), String> {
    let s = stores();
    let summaries: Vec<_> = chain.iter().map(|c| summarize_or_placeholder(c)).collect();
    let host = match flags & 1 {
        0 => Host::parse("login.microsoftonline.com"),
        _ => Host::parse("192.0.2.7"),
    }
    .map_err(|e| e.to_string())?;
    let first = s.cached.verify(chain, &summaries, &host);
    let again = s.cached.verify(chain, &summaries, &host);
    let plain = s.uncached.verify(chain, &summaries, &host);
    if first != again || first != plain {
        return Err(format!("verdicts differ: {first:?} / {again:?} / {plain:?}"));
    }
    let endpoint = s
        .list
        .endpoints
        .iter()
        .find(|e| e.host == "login.microsoftonline.com");
    let direct = [summaries
        .first()
        .map_or_else(String::new, |l| format!("{}0", &l.sha256[..l.sha256.len().min(63)]))];
    let evidence = Evidence {
        chain: &summaries,
        trust: Some(&first),
        endpoint,
        legacy_accepted: flags & 2 != 0,
        direct_leaves: (flags & 4 != 0).then_some(&direct[..]),
    };
    let found = signals(&evidence);
    for sig in &found {
        sinks_safe("signal", &sig.detail)?;
        if let Some(cn) = &sig.issuer_cn {
            sinks_safe("signal issuer", cn)?;
        }
    }
    if let Err(e) = &first.public {
        sinks_safe("trust detail", &e.to_string())?;
    }
    let intercepted = is_intercepted(&found, Some(&first), &summaries);
    let trust_only: Vec<_> = found
        .iter()
        .filter(|s| s.kind.name() != "proxy-resigns" && s.kind.name() != "impersonates-issuer")
        .cloned()
        .collect();
    if first.public.is_ok() && is_intercepted(&trust_only, Some(&first), &summaries) {
        return Err(format!("publicly trusted yet intercepted: {found:?}"));
    }
    let _ = intercepted;
    Ok(())
}
