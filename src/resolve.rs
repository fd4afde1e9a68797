//! Name resolution: every address of every name.

use std::net::IpAddr;

use crate::target::{Host, Target};

/// What resolving one target gave.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub target: Target,
    /// Every address, deduplicated, IPv4 first; or why there are none.
    pub addrs: Result<Vec<IpAddr>, String>,
}

/// Resolves with the system resolver. IP literals resolve to themselves.
pub async fn resolve_system(target: Target) -> Resolved {
    let addrs = match &target.host {
        Host::Ip(ip) => Ok(vec![*ip]),
        Host::Name(name) => match tokio::net::lookup_host((name.as_str(), target.port)).await {
            Ok(iter) => {
                let mut v: Vec<IpAddr> = iter.map(|sa| sa.ip()).collect();
                v.sort_by_key(|ip| (ip.is_ipv6(), *ip));
                v.dedup();
                if v.is_empty() {
                    Err("no addresses".into())
                } else {
                    Ok(v)
                }
            }
            Err(e) => Err(e.to_string()),
        },
    };
    Resolved { target, addrs }
}
