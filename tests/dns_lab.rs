//! The lab DNS server, checked with the production resolver (hickory-resolver).

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};

use support::dns::*;

/// A resolver that asks only `server` (UDP, then TCP on the same port), no system
/// config, no hosts file.
fn resolver(server: SocketAddr, timeout: Duration, attempts: usize) -> TokioResolver {
    let mut udp = ConnectionConfig::udp();
    udp.port = server.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = server.port();
    let ns = NameServerConfig::new(server.ip(), true, vec![udp, tcp]);
    let config = ResolverConfig::from_name_servers(vec![ns]);
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout;
    opts.attempts = attempts;
    opts.use_hosts_file = ResolveHosts::Never;
    Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(opts)
        .build()
        .expect("resolver")
}

fn quick(server: SocketAddr) -> TokioResolver {
    resolver(server, Duration::from_secs(2), 1)
}

/// Outcome classes the production resolver must tell apart.
#[derive(Debug, PartialEq)]
enum Failure {
    NxDomain,
    NoData,
    ServFail,
    Timeout,
    Other(String),
}

fn classify(e: &NetError) -> Failure {
    match e {
        NetError::Dns(DnsError::NoRecordsFound(nr))
            if nr.response_code == ResponseCode::NXDomain =>
        {
            Failure::NxDomain
        }
        NetError::Dns(DnsError::NoRecordsFound(_)) => Failure::NoData,
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => Failure::ServFail,
        NetError::Timeout => Failure::Timeout,
        other => Failure::Other(format!("{other:?}")),
    }
}

fn zone() -> Zone {
    Zone::new()
        .a("one.lab.test", Ipv4Addr::new(192, 0, 2, 1))
        .a("two.lab.test", Ipv4Addr::new(192, 0, 2, 21))
        .a("two.lab.test", Ipv4Addr::new(192, 0, 2, 22))
        .aaaa("six.lab.test", "2001:db8::6".parse().expect("v6"))
        .a("Dual.Lab.Test.", Ipv4Addr::new(192, 0, 2, 4))
        .aaaa("dual.lab.test", "2001:db8::4".parse().expect("v6"))
        .cname("a.lab.test", "b.lab.test")
        .cname("b.lab.test", "c.lab.test.")
        .a("c.lab.test", Ipv4Addr::new(192, 0, 2, 3))
        .cname("dangling.lab.test", "nowhere.lab.test")
        .cname("loop1.lab.test", "loop2.lab.test")
        .cname("loop2.lab.test", "loop1.lab.test")
        .servfail("broken.lab.test")
}

fn v4(lookup: &hickory_resolver::lookup::Lookup) -> Vec<Ipv4Addr> {
    let mut ips: Vec<Ipv4Addr> = lookup
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(a.0),
            _ => None,
        })
        .collect();
    ips.sort();
    ips
}

#[tokio::test]
async fn a_record() {
    let r = quick(dns_server(zone()));
    let ips: Vec<IpAddr> = r
        .lookup_ip("one.lab.test.")
        .await
        .expect("lookup")
        .iter()
        .collect();
    assert_eq!(ips, vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))]);
    // Case-insensitive, without trailing dot.
    let lookup = r
        .lookup("ONE.Lab.Test", RecordType::A)
        .await
        .expect("lookup");
    assert_eq!(v4(&lookup), vec![Ipv4Addr::new(192, 0, 2, 1)]);
}

#[tokio::test]
async fn two_a_records() {
    let r = quick(dns_server(zone()));
    let lookup = r
        .lookup("two.lab.test.", RecordType::A)
        .await
        .expect("lookup");
    assert_eq!(
        v4(&lookup),
        vec![Ipv4Addr::new(192, 0, 2, 21), Ipv4Addr::new(192, 0, 2, 22)]
    );
}

#[tokio::test]
async fn aaaa_record() {
    let r = quick(dns_server(zone()));
    let lookup = r
        .lookup("six.lab.test.", RecordType::AAAA)
        .await
        .expect("lookup");
    let ips: Vec<Ipv6Addr> = lookup
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::AAAA(a) => Some(a.0),
            _ => None,
        })
        .collect();
    assert_eq!(ips, vec!["2001:db8::6".parse::<Ipv6Addr>().expect("v6")]);
    // A name with only AAAA: NOERROR, no data (not NXDOMAIN).
    let err = r
        .lookup("six.lab.test.", RecordType::A)
        .await
        .expect_err("no A");
    assert_eq!(classify(&err), Failure::NoData, "{err:?}");
}

#[tokio::test]
async fn lookup_ip_dual_stack() {
    let r = quick(dns_server(zone()));
    let mut ips: Vec<IpAddr> = r
        .lookup_ip("dual.lab.test.")
        .await
        .expect("lookup")
        .iter()
        .collect();
    ips.sort();
    assert_eq!(
        ips,
        vec![
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 4)),
            IpAddr::V6("2001:db8::4".parse().expect("v6")),
        ]
    );
}

#[tokio::test]
async fn cname_chain() {
    let r = quick(dns_server(zone()));
    let lookup = r
        .lookup("a.lab.test.", RecordType::A)
        .await
        .expect("lookup");
    assert_eq!(v4(&lookup), vec![Ipv4Addr::new(192, 0, 2, 3)]);
    let chain: Vec<(String, String)> = lookup
        .answers()
        .iter()
        .filter_map(|r| match &r.data {
            RData::CNAME(c) => Some((r.name.to_ascii(), c.0.to_ascii())),
            _ => None,
        })
        .collect();
    assert_eq!(
        chain,
        vec![
            ("a.lab.test.".to_string(), "b.lab.test.".to_string()),
            ("b.lab.test.".to_string(), "c.lab.test.".to_string()),
        ]
    );
    // lookup_ip follows the same chain.
    let ips: Vec<IpAddr> = r
        .lookup_ip("a.lab.test.")
        .await
        .expect("lookup_ip")
        .iter()
        .collect();
    assert_eq!(ips, vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3))]);
}

#[tokio::test]
async fn nxdomain() {
    let r = quick(dns_server(zone()));
    let err = r
        .lookup_ip("missing.lab.test.")
        .await
        .expect_err("nxdomain");
    assert!(err.is_nx_domain(), "{err:?}");
    assert_eq!(classify(&err), Failure::NxDomain);
    let err = r
        .lookup("dangling.lab.test.", RecordType::A)
        .await
        .expect_err("dangling cname");
    assert_eq!(classify(&err), Failure::NxDomain, "{err:?}");
}

#[tokio::test]
async fn servfail() {
    let r = quick(dns_server(zone()));
    let err = r.lookup_ip("broken.lab.test.").await.expect_err("servfail");
    assert_eq!(classify(&err), Failure::ServFail, "{err:?}");
    let err = r
        .lookup("loop1.lab.test.", RecordType::A)
        .await
        .expect_err("cname loop");
    assert_eq!(classify(&err), Failure::ServFail, "{err:?}");
}

/// `attempts` counts retries after the first try: the lookup gives up after about
/// `timeout * (attempts + 1)` (A and AAAA go out in parallel with the default strategy).
#[tokio::test]
async fn silent_server_times_out() {
    let silent = silent_dns();
    for (attempts, min, max) in [(0, 450, 1_500), (1, 950, 3_000)] {
        let r = resolver(silent, Duration::from_millis(500), attempts);
        let start = Instant::now();
        let err = r.lookup_ip("one.lab.test.").await.expect_err("timeout");
        let took = start.elapsed();
        assert_eq!(classify(&err), Failure::Timeout, "{err:?}");
        assert!(
            took >= Duration::from_millis(min) && took < Duration::from_millis(max),
            "attempts {attempts}: took {took:?}"
        );
    }
}

/// The server also starts from a plain test thread, outside any runtime.
#[test]
fn plain_test_thread() {
    let addr = dns_server(zone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ips: Vec<IpAddr> = rt
        .block_on(async { quick(addr).lookup_ip("one.lab.test.").await })
        .expect("lookup")
        .iter()
        .collect();
    assert_eq!(ips, vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))]);
}

/// TCP on the same port answers too (length-prefixed messages).
#[tokio::test]
async fn tcp_transport() {
    let addr = dns_server(zone());
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    let ns = NameServerConfig::new(addr.ip(), true, vec![tcp]);
    let mut opts = ResolverOpts::default();
    opts.use_hosts_file = ResolveHosts::Never;
    let r = Resolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![ns]),
        TokioRuntimeProvider::default(),
    )
    .with_options(opts)
    .build()
    .expect("resolver");
    let lookup = r
        .lookup("a.lab.test.", RecordType::A)
        .await
        .expect("lookup");
    assert_eq!(v4(&lookup), vec![Ipv4Addr::new(192, 0, 2, 3)]);
}

/// Garbage gets FORMERR (when it carries an id) and does not stop the server.
#[test]
fn malformed_query() {
    use hickory_resolver::proto::op::Message;
    let addr = dns_server(zone());
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    sock.send_to(&[0x12, 0x34, 0xff, 0xff, 0xff], addr)
        .expect("send");
    let mut buf = [0u8; 512];
    let n = sock.recv(&mut buf).expect("formerr reply");
    let reply = Message::from_vec(&buf[..n]).expect("decode");
    assert_eq!(reply.metadata.id, 0x1234);
    assert_eq!(reply.metadata.response_code, ResponseCode::FormErr);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let lookup = rt
        .block_on(async { quick(addr).lookup("two.lab.test", RecordType::A).await })
        .expect("still serving");
    assert_eq!(v4(&lookup).len(), 2);
}

/// The production resolver (`src/resolve.rs`) against the lab server: every failure
/// class it reports, and the CNAME chain as records show it.
#[tokio::test]
async fn production_resolver_classifies_answers() {
    use tlscompat::resolve::{DnsFailure, Family, NameResolver, ResolveSettings};
    use tlscompat::target::Target;
    let server = dns_server(zone());
    let settings = |nameservers, family| ResolveSettings {
        nameservers,
        family,
        timeout: Duration::from_millis(300),
        retries: 1,
    };
    let r = NameResolver::new(&settings(vec![server], Family::Both)).expect("resolver");
    let t = |s: &str| s.parse::<Target>().expect("target");
    let a = r.resolve(&t("a.lab.test")).await;
    assert_eq!(a.addrs, Ok(vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3))]));
    assert_eq!(
        a.cnames,
        ["a.lab.test -> b.lab.test", "b.lab.test -> c.lab.test"]
    );
    assert_eq!(
        r.resolve(&t("nope.lab.test")).await.addrs,
        Err(DnsFailure::NxDomain)
    );
    assert_eq!(
        r.resolve(&t("broken.lab.test")).await.addrs,
        Err(DnsFailure::ServFail)
    );
    let dead = NameResolver::new(&settings(vec![silent_dns()], Family::V4)).expect("resolver");
    let start = Instant::now();
    assert_eq!(
        dead.resolve(&t("a.lab.test")).await.addrs,
        Err(DnsFailure::Timeout)
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    // IP literals resolve to themselves, unless their family is filtered out.
    assert_eq!(
        r.resolve(&t("192.0.2.9")).await.addrs,
        Ok(vec!["192.0.2.9".parse().unwrap()])
    );
    let v6only = NameResolver::new(&settings(vec![server], Family::V6)).expect("resolver");
    assert!(v6only.resolve(&t("192.0.2.9")).await.addrs.is_err());
}
