//! Addresses and names that must not be probed, or not judged as failures: addresses
//! this machine has no route to (DESIGN.md "Addresses this machine cannot reach"), DNS
//! filter sinkholes, names with too many addresses, and repeated targets.

mod support;

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value;
use support::cli::{text, tlscompat};
use support::dns::{Zone, dns_server};
use support::*;

fn json(out: &std::process::Output) -> Value {
    serde_json::from_str(&text(&out.stdout))
        .unwrap_or_else(|e| panic!("json: {e}: {}", text(&out.stderr)))
}

fn finding_kinds(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["kind"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `body` on a thread moved into a new network namespace with loopback up and
/// IPv6 disabled: IPv4 works, every IPv6 connect fails locally (EADDRNOTAVAIL /
/// ENETUNREACH). Sockets opened and processes started from that thread live in it.
/// Returns `None` where the machine does not allow it (not root, no `ip`).
fn in_ipv4_only_namespace<T: Send + 'static>(
    body: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    std::thread::spawn(move || {
        // SAFETY: unshare(2) with CLONE_NEWNET affects only the calling thread.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return None;
        }
        let up = std::process::Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status();
        if !up.is_ok_and(|s| s.success()) {
            return None;
        }
        for knob in ["all", "default", "lo"] {
            let path = format!("/proc/sys/net/ipv6/conf/{knob}/disable_ipv6");
            let _ = std::fs::write(path, "1");
        }
        Some(body())
    })
    .join()
    .ok()
    .flatten()
}

#[test]
fn ipv6_without_a_route_is_no_route_not_a_failure() {
    let ran = in_ipv4_only_namespace(|| {
        let server = rustls_server_at(
            &[&rustls::version::TLS12, &rustls::version::TLS13],
            "127.0.0.1:0".parse().expect("addr"),
        );
        let zone = Zone::new()
            .a("dual.lab.test", Ipv4Addr::LOCALHOST)
            .aaaa("dual.lab.test", Ipv6Addr::LOCALHOST)
            .aaaa("v6only.lab.test", Ipv6Addr::LOCALHOST);
        let dns = dns_server(zone).to_string();
        let roots = lab_ca_file();
        let scan = |host: &str| {
            let target = format!("{host}:{}", server.port());
            tlscompat(&[
                "scan",
                "--format",
                "json",
                "--resolver",
                &dns,
                "--roots",
                &roots,
                "--timeout",
                "2s",
                &target,
            ])
        };
        (scan("dual.lab.test"), scan("v6only.lab.test"))
    });
    let Some((dual, v6only)) = ran else {
        eprintln!("skipped: no network namespace here (needs root and iproute2)");
        return;
    };
    let j = json(&dual);
    let recs = j["records"].as_array().expect("records");
    assert_eq!(recs.len(), 2, "{j}");
    assert_eq!(recs[0]["address"], "127.0.0.1");
    assert_eq!(recs[0]["versions"]["tls1_3"]["state"], "accepted");
    assert_eq!(recs[1]["address"], "::1");
    for v in ["tls1_0", "tls1_1", "tls1_2", "tls1_3"] {
        assert_eq!(recs[1]["versions"][v]["state"], "no-route", "{}", recs[1]);
    }
    assert_eq!(finding_kinds(&recs[1]), ["no-route"]);
    assert_eq!(
        dual.status.code(),
        Some(0),
        "no-route is not in the default --fail-on: {j}"
    );

    // Every address without a route: the host is unreachable.
    let j = json(&v6only);
    let r = &j["records"][0];
    assert_eq!(finding_kinds(r), ["unreachable"], "{r}");
    assert_eq!(r["versions"]["tls1_2"]["state"], "unreachable");
    assert_eq!(v6only.status.code(), Some(1));
}

#[test]
fn dns_filter_sinkholes_are_dns_findings_and_never_probed() {
    let zone = Zone::new()
        .a("blocked.lab.test", Ipv4Addr::UNSPECIFIED)
        .aaaa("blocked.lab.test", Ipv6Addr::UNSPECIFIED);
    let dns = dns_server(zone).to_string();
    let out = tlscompat(&[
        "scan",
        "--format",
        "json",
        "--resolver",
        &dns,
        "--timeout",
        "1s",
        "blocked.lab.test",
    ]);
    let j = json(&out);
    let r = &j["records"][0];
    assert_eq!(finding_kinds(r), ["dns"]);
    assert_eq!(
        r["findings"][0]["detail"],
        "blocked by DNS filter (answered 0.0.0.0)"
    );
    assert_eq!(r["address"], "");
    assert_eq!(
        j["summary"]["probes"], 0,
        "nothing was probed: {}",
        j["summary"]
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn names_with_too_many_addresses_are_capped_with_a_note() {
    let server = rustls_server_at(
        &[&rustls::version::TLS13],
        "127.0.0.1:0".parse().expect("addr"),
    );
    let mut zone = Zone::new();
    for i in 1..=40u8 {
        zone = zone.a("pool.lab.test", Ipv4Addr::new(127, 0, 9, i));
    }
    zone = zone.a("pool.lab.test", Ipv4Addr::LOCALHOST);
    let dns = dns_server(zone).to_string();
    let target = format!("pool.lab.test:{}", server.port());
    let out = tlscompat(&[
        "scan",
        "--format",
        "json",
        "--resolver",
        &dns,
        "--timeout",
        "1s",
        "--tls-min",
        "1.3",
        "--max-addresses",
        "3",
        &target,
    ]);
    let j = json(&out);
    let recs = j["records"].as_array().expect("records");
    let addrs: Vec<&str> = recs.iter().filter_map(|r| r["address"].as_str()).collect();
    assert_eq!(addrs, ["127.0.0.1", "127.0.9.1", "127.0.9.2"]);
    for r in recs {
        assert_eq!(
            r["notes"][0],
            "the name has 41 addresses; scanned the first 3 (--max-addresses)"
        );
    }
}

#[test]
fn repeated_targets_are_scanned_once() {
    let server = rustls_server(&[&rustls::version::TLS13]);
    let a = server.to_string();
    let out = tlscompat(&["scan", "--format", "json", "--tls-min", "1.3", &a, &a]);
    let j = json(&out);
    assert_eq!(j["records"].as_array().map(Vec::len), Some(1), "{j}");
}
