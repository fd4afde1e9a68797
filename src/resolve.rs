//! Name resolution with hickory-resolver: every A and AAAA address of every name, the
//! CNAME chain it went through, and a per-name error that names the DNS failure
//! (NXDOMAIN, SERVFAIL, no answer in time) without stopping the scan.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
    ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

use crate::target::{Host, Target};

/// Which address families to scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Both,
    V4,
    V6,
}

/// Resolver configuration: plain data from the command line.
#[derive(Clone, Debug)]
pub struct ResolveSettings {
    /// Nameservers to ask instead of the system's; empty = system configuration.
    pub nameservers: Vec<SocketAddr>,
    pub family: Family,
    /// Per-query timeout (`--timeout`).
    pub timeout: Duration,
    /// Queries sent again after a timeout (`--retries`, as the probes): a resolver that
    /// never answers costs `timeout × (1 + retries)`, what a silent host costs.
    pub retries: u32,
}

/// Why a name has no addresses to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsFailure {
    NxDomain,
    /// The name exists but has no A/AAAA record (of the requested families).
    NoAddresses,
    /// Every answer was `0.0.0.0` or `::`: a DNS filter's sinkhole. Never probed.
    Sinkhole(IpAddr),
    ServFail,
    /// Another error response code (REFUSED, …).
    Response(String),
    Timeout,
    Other(String),
}

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NxDomain => f.write_str("NXDOMAIN (no such name)"),
            Self::NoAddresses => f.write_str("no A/AAAA records"),
            Self::Sinkhole(ip) => write!(f, "blocked by DNS filter (answered {ip})"),
            Self::ServFail => f.write_str("SERVFAIL"),
            Self::Response(code) => write!(f, "DNS error {code}"),
            Self::Timeout => f.write_str("resolver timeout"),
            Self::Other(e) => f.write_str(e),
        }
    }
}

/// What resolving one target gave.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// Every address, deduplicated, IPv4 first; or why there are none.
    pub addrs: Result<Vec<IpAddr>, DnsFailure>,
    /// CNAMEs followed, in order, as `alias -> target`.
    pub cnames: Vec<String>,
}

/// A shared resolver; clones share caches and connections.
#[derive(Clone)]
pub struct NameResolver {
    inner: Arc<TokioResolver>,
    family: Family,
}

impl NameResolver {
    pub fn new(settings: &ResolveSettings) -> Result<Self, String> {
        let mut builder = if settings.nameservers.is_empty() {
            Resolver::builder_tokio().map_err(|e| format!("system DNS configuration: {e}"))?
        } else {
            let servers = settings
                .nameservers
                .iter()
                .map(|a| nameserver(*a))
                .collect();
            let mut b = Resolver::builder_with_config(
                ResolverConfig::from_name_servers(servers),
                TokioRuntimeProvider::default(),
            );
            // Given nameservers are the whole truth: no /etc/hosts shortcuts.
            b.options_mut().use_hosts_file = ResolveHosts::Never;
            b
        };
        let opts: &mut ResolverOpts = builder.options_mut();
        opts.timeout = settings.timeout;
        // hickory's `attempts` are the retries after a failed query (its default of 2
        // made a silent resolver cost three timeouts, more than a silent host).
        opts.attempts = usize::try_from(settings.retries).unwrap_or(usize::MAX);
        // Each name is looked up once per scan: a large answer cache (8,192 by default)
        // would only make memory grow with the endpoint list.
        opts.cache_size = 64;
        opts.ip_strategy = match settings.family {
            Family::Both => LookupIpStrategy::Ipv4AndIpv6,
            Family::V4 => LookupIpStrategy::Ipv4Only,
            Family::V6 => LookupIpStrategy::Ipv6Only,
        };
        let resolver = builder.build().map_err(|e| format!("DNS resolver: {e}"))?;
        Ok(Self {
            inner: Arc::new(resolver),
            family: settings.family,
        })
    }

    /// Resolves a target. IP literals resolve to themselves (if their family is wanted).
    pub async fn resolve(&self, target: &Target) -> Resolved {
        let name = match &target.host {
            Host::Ip(ip) => {
                return Resolved {
                    addrs: self.literal(*ip),
                    cnames: Vec::new(),
                };
            }
            Host::Name(n) => n,
        };
        // Absolute name: the targets are FQDNs; search domains must not rewrite them.
        match self.inner.lookup_ip(format!("{name}.")).await {
            Err(e) => Resolved {
                addrs: Err(classify(&e)),
                cnames: Vec::new(),
            },
            Ok(lookup) => {
                let mut cnames = Vec::new();
                for r in lookup.as_lookup().answers() {
                    if let RData::CNAME(c) = &r.data {
                        let link =
                            format!("{} -> {}", trim(&r.name.to_ascii()), trim(&c.0.to_ascii()));
                        if !cnames.contains(&link) {
                            cnames.push(link);
                        }
                    }
                }
                let mut addrs: Vec<IpAddr> = lookup.iter().collect();
                addrs.sort_by_key(|ip| (ip.is_ipv6(), *ip));
                addrs.dedup();
                let addrs = without_sinkholes(addrs);
                Resolved { addrs, cnames }
            }
        }
    }

    fn literal(&self, ip: IpAddr) -> Result<Vec<IpAddr>, DnsFailure> {
        match (self.family, ip) {
            (Family::V4, IpAddr::V6(_)) | (Family::V6, IpAddr::V4(_)) => Err(DnsFailure::Other(
                format!("{ip} excluded by the address family filter"),
            )),
            _ => Ok(vec![ip]),
        }
    }
}

/// Drops the `0.0.0.0` / `::` answers a DNS filter gives for blocked names (connecting
/// to them reaches this machine, not the service); all of them → a `dns` failure.
fn without_sinkholes(addrs: Vec<IpAddr>) -> Result<Vec<IpAddr>, DnsFailure> {
    let Some(first) = addrs.first().copied() else {
        return Err(DnsFailure::NoAddresses);
    };
    let real: Vec<IpAddr> = addrs
        .into_iter()
        .filter(|ip| !ip.is_unspecified())
        .collect();
    match real.is_empty() {
        true => Err(DnsFailure::Sinkhole(first)),
        false => Ok(real),
    }
}

fn trim(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

/// UDP first, TCP on the same port for truncated answers.
fn nameserver(addr: SocketAddr) -> NameServerConfig {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
}

fn classify(e: &NetError) -> DnsFailure {
    match e {
        NetError::Dns(HickoryDnsError::NoRecordsFound(nr))
            if nr.response_code == ResponseCode::NXDomain =>
        {
            DnsFailure::NxDomain
        }
        NetError::Dns(HickoryDnsError::NoRecordsFound(_)) => DnsFailure::NoAddresses,
        NetError::Dns(HickoryDnsError::ResponseCode(ResponseCode::ServFail)) => {
            DnsFailure::ServFail
        }
        NetError::Dns(HickoryDnsError::ResponseCode(code)) => {
            DnsFailure::Response(code.to_string())
        }
        NetError::Timeout => DnsFailure::Timeout,
        other => DnsFailure::Other(other.to_string()),
    }
}

/// Parses `--resolver IP[:PORT]` (port 53 by default; IPv6 as `[addr]:port`, `[addr]`
/// or bare). Port 0 is refused (nothing listens there), and so is a bare IPv6 address
/// that also reads as address:port (`::1:53` is the address ::1:53, but was surely
/// meant as `[::1]:53`): brackets say which.
pub fn parse_nameserver(s: &str) -> Result<SocketAddr, String> {
    let at = match s.parse::<SocketAddr>() {
        Ok(sa) => sa,
        Err(_) => {
            let bracketed = s.strip_prefix('[').and_then(|r| r.strip_suffix(']'));
            let ip = bracketed
                .unwrap_or(s)
                .parse::<IpAddr>()
                .map_err(|_| format!("--resolver '{s}': expected IP or IP:PORT"))?;
            if let (None, Some((addr, port))) = (bracketed, ambiguous_v6(s)) {
                return Err(format!(
                    "--resolver '{s}': ambiguous: write [{addr}]:{port} for port {port} of \
                     {addr}, or [{ip}] for the address {ip}"
                ));
            }
            SocketAddr::new(ip, 53)
        }
    };
    if at.port() == 0 {
        return Err(format!("--resolver '{s}': port 0 (expected 1-65535)"));
    }
    Ok(at)
}

/// For a bare IPv6 address whose last group could be a port (`::1:53`): the address
/// before it and the port, when that address is itself valid.
fn ambiguous_v6(s: &str) -> Option<(std::net::Ipv6Addr, u16)> {
    let (addr, port) = s.rsplit_once(':')?;
    if addr.ends_with(':') {
        return None; // `::1`, `2001:db8::53`: the group belongs to the address
    }
    let port: u16 = port.parse().ok().filter(|p| *p > 0)?;
    Some((addr.parse().ok()?, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameservers_refuse_port_0_and_ambiguous_ipv6() {
        let ok = |s: &str| parse_nameserver(s).map(|a| a.to_string());
        assert_eq!(ok("127.0.0.1"), Ok("127.0.0.1:53".into()));
        assert_eq!(ok("127.0.0.1:5353"), Ok("127.0.0.1:5353".into()));
        assert_eq!(ok("::1"), Ok("[::1]:53".into()));
        assert_eq!(ok("[::1]:53"), Ok("[::1]:53".into()));
        assert_eq!(ok("[::1:53]"), Ok("[::1:53]:53".into()));
        assert_eq!(ok("2001:db8::53"), Ok("[2001:db8::53]:53".into()));
        assert!(ok("127.0.0.1:0").unwrap_err().contains("port 0"));
        assert!(ok("[::1]:0").unwrap_err().contains("port 0"));
        let e = ok("::1:53").unwrap_err();
        assert!(e.contains("write [::1]:53"), "{e}");
        assert!(e.contains("[::1:53] for the address"), "{e}");
    }

    #[test]
    fn sinkhole_answers_are_never_probed() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert_eq!(
            without_sinkholes(vec![ip("0.0.0.0"), ip("::")]),
            Err(DnsFailure::Sinkhole(ip("0.0.0.0")))
        );
        assert_eq!(
            without_sinkholes(vec![ip("0.0.0.0"), ip("192.0.2.7")]),
            Ok(vec![ip("192.0.2.7")])
        );
        assert_eq!(without_sinkholes(vec![]), Err(DnsFailure::NoAddresses));
        assert_eq!(
            DnsFailure::Sinkhole(ip("0.0.0.0")).to_string(),
            "blocked by DNS filter (answered 0.0.0.0)"
        );
    }
}
