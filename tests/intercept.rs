//! Trust, interception and proxies end to end, with real components on loopback: a
//! tunnelling CONNECT proxy, an intercepting proxy that terminates TLS with its own CA
//! (rustls, and OpenSSL accepting TLS 1.0), and servers whose certificates are wrong in
//! one way each.

mod support;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Output;

use serde_json::Value;
use support::cli::*;
use support::dns::{Zone, dns_server};
use support::pki::{Ca, expired, self_signed, self_signed_ca_leaf};
use support::proxy::{ProxyConfig, connect_proxy};
use support::*;

const HOST: &str = "login.microsoftonline.com";

fn one(out: &Output) -> Row {
    let mut r = csv_rows(&text(&out.stdout));
    assert_eq!(r.len(), 1, "{}", String::from_utf8_lossy(&out.stderr));
    r.remove(0)
}

fn write(dir: &TempDir, name: &str, content: &str) -> String {
    let p = dir.0.join(name);
    std::fs::write(&p, content).expect("write");
    p.to_str().expect("utf-8").to_string()
}

/// The real service (origin, lab CA, TLS 1.2/1.3 only) at 127.0.0.2, a lab DNS naming
/// it, an endpoint list that expects the lab CA and documents that the host refuses
/// TLS 1.0/1.1, and an inspection CA with its leaf for the host.
struct World {
    dir: TempDir,
    port: u16,
    dns: String,
    endpoints: String,
    lab_ca: String,
    inspection_ca: String,
    inspection_chain_pem: String,
    inspection_key_pem: String,
    inspection_chain: Vec<Vec<u8>>,
    inspection_key: Vec<u8>,
}

fn world() -> World {
    let origin = rustls_server_at(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        "127.0.0.2:0".parse().expect("addr"),
    );
    let dir = TempDir::new("intercept");
    let dns = dns_server(Zone::new().a(HOST, Ipv4Addr::new(127, 0, 0, 2))).to_string();
    let endpoints = write(
        &dir,
        "endpoints.toml",
        &format!(
            "[defaults]\nexpected_issuers = [\"tlscompat Lab CA\"]\n\n[[endpoint]]\nhost = \"{HOST}\"\n\
             port = {}\npurpose = \"Entra sign-in\"\nsources = [\"lab\"]\ncategory = \"allow\"\n\
             inspection = \"tenant-restrictions\"\nlegacy_tls = \"refused\"\n",
            origin.port()
        ),
    );
    let inspection = Ca::new("Contoso Inspection CA");
    let leaf = inspection.leaf(&[HOST, "*.lab.test"], |_| {});
    World {
        port: origin.port(),
        dns,
        endpoints,
        lab_ca: lab_ca_file(),
        inspection_ca: write(&dir, "inspection.pem", &inspection.pem),
        inspection_chain_pem: format!("{}{}", leaf.pem, inspection.pem),
        inspection_key_pem: leaf.key_pem.clone(),
        inspection_chain: vec![leaf.der.clone(), inspection.der.clone()],
        inspection_key: leaf.key_der.clone(),
        dir,
    }
}

impl World {
    fn target(&self) -> String {
        format!("{HOST}:{}", self.port)
    }

    fn hosts(&self) -> HashMap<String, IpAddr> {
        HashMap::from([(HOST.to_string(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))])
    }

    /// Scans the target with the lab's endpoint list, DNS and public roots.
    fn scan(&self, extra: &[&str]) -> Output {
        let target = self.target();
        let mut args = vec![
            "scan",
            "--format",
            "csv",
            "--no-system-store",
            "--endpoints",
            &self.endpoints,
            "--resolver",
            &self.dns,
            "--roots",
            &self.lab_ca,
            "--timeout",
            "2s",
        ];
        args.extend_from_slice(extra);
        args.push(&target);
        tlscompat_env(&args, &[])
    }

    fn scan_json(&self, extra: &[&str]) -> Value {
        let json = self.dir.0.join(format!("r{}.json", extra.len()));
        let mut args = extra.to_vec();
        let path = json.to_str().expect("utf-8").to_string();
        args.extend(["--json", &path]);
        self.scan(&args);
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("valid")
    }

    fn interceptor(&self) -> SocketAddr {
        let terminator =
            rustls_server_with(self.inspection_chain.clone(), self.inspection_key.clone());
        connect_proxy(ProxyConfig {
            intercept_to: Some(terminator),
            ..Default::default()
        })
    }
}

#[test]
fn plain_tunnel_sees_what_direct_sees() {
    let w = world();
    let direct = w.scan(&[]);
    assert_eq!(
        direct.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&direct.stderr)
    );
    let proxy = connect_proxy(ProxyConfig {
        hosts: w.hosts(),
        ..Default::default()
    });
    let url = format!("http://{proxy}");
    let via = w.scan(&["--proxy", &url]);
    assert_eq!(
        via.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&via.stderr)
    );
    let (d, v) = (one(&direct), one(&via));
    assert_eq!(d["address"], "127.0.0.2");
    assert_eq!(v["address"], format!("via {proxy}"));
    assert_eq!(cells(&d), ["rejected", "rejected", "accepted", "accepted"]);
    assert_eq!(cells(&v), cells(&d));
    assert_eq!(v["cert_sha256"], d["cert_sha256"]);
    assert_eq!(
        v["cert_sha256"],
        tlscompat::cert::sha256_hex(&pki().leaf_der)
    );
    assert_eq!(
        (v["trusted_public"].as_str(), v["intercepted"].as_str()),
        ("true", "false")
    );
    // --compare-direct through an honest tunnel finds nothing.
    let j = w.scan_json(&["--proxy", &url, "--compare-direct"]);
    assert_eq!(j["records"][0]["intercepted"], false);
    assert_eq!(
        j["records"][0]["interception_signals"],
        serde_json::json!([])
    );
}

#[test]
fn interceptor_with_its_ca_installed_is_trusted_only_locally() {
    let w = world();
    let url = format!("http://{}", w.interceptor());
    let out = w.scan(&[
        "--proxy",
        &url,
        "--ca-file",
        &w.inspection_ca,
        "--clients",
        "win10",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "intercepted is in the default --fail-on"
    );
    let r = one(&out);
    // The client reaches the inspecting proxy, not the service: it fails there, and
    // says so (issue 16).
    assert!(
        r["client_win10"].starts_with("fail intercepted: the client gets TLS 1.2 ")
            && r["client_win10"].ends_with(" from Contoso Inspection CA, not from the service"),
        "{}",
        r["client_win10"]
    );
    assert_eq!(
        (
            r["trusted_public"].as_str(),
            r["trusted_local"].as_str(),
            r["intercepted"].as_str()
        ),
        ("false", "true", "true")
    );
    assert_eq!(r["cert_issuer"], "CN=Contoso Inspection CA");
    let f = &r["findings"];
    assert!(
        f.contains("intercepted (locally-trusted-only: chain by 'Contoso Inspection CA'"),
        "{f}"
    );
    assert!(
        f.contains("unexpected-issuer: issuer 'Contoso Inspection CA' is not among the expected"),
        "{f}"
    );
    assert!(
        f.contains("may be deliberate (Entra tenant restrictions)"),
        "{f}"
    );
    assert!(
        !f.contains("cert-invalid"),
        "trusted locally: not a certificate problem: {f}"
    );
}

#[test]
fn interceptor_without_its_ca_is_an_unknown_issuer() {
    let w = world();
    let url = format!("http://{}", w.interceptor());
    let j = w.scan_json(&["--proxy", &url, "--compare-direct"]);
    let rec = &j["records"][0];
    assert_eq!(rec["intercepted"], true);
    assert_eq!(rec["trusted_public"], false);
    assert_eq!(
        rec["trust_public_detail"],
        "unknown issuer 'Contoso Inspection CA'"
    );
    let kinds: Vec<&str> = rec["interception_signals"]
        .as_array()
        .expect("signals")
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["unexpected-issuer", "proxy-resigns"]);
    let resign = &rec["interception_signals"][1];
    assert_eq!(resign["issuer_cn"], "Contoso Inspection CA");
    let fps: Vec<&str> = resign["fingerprints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(
        fps,
        [
            tlscompat::cert::sha256_hex(&w.inspection_chain[0]),
            tlscompat::cert::sha256_hex(&pki().leaf_der)
        ]
    );
    let findings: Vec<&str> = rec["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(findings, ["cert-invalid", "intercepted"]);
}

#[test]
fn legacy_accepting_interceptor_raises_the_legacy_signal() {
    let w = world();
    let terminator = openssl_server_with(
        "TLSv1",
        "TLSv1.2",
        "127.0.0.1:0",
        &w.inspection_chain_pem,
        &w.inspection_key_pem,
    );
    let proxy = connect_proxy(ProxyConfig {
        intercept_to: Some(terminator.addr),
        ..Default::default()
    });
    let url = format!("http://{proxy}");
    let j = w.scan_json(&["--proxy", &url]);
    let rec = &j["records"][0];
    assert_eq!(
        rec["versions"]["tls1_0"]["state"], "accepted",
        "the middlebox speaks TLS 1.0"
    );
    let legacy = rec["interception_signals"]
        .as_array()
        .expect("signals")
        .iter()
        .find(|s| s["kind"] == "legacy-where-refused")
        .expect("legacy signal");
    assert!(
        legacy["detail"]
            .as_str()
            .unwrap()
            .contains("documented to refuse")
    );
    // The origin itself refuses TLS 1.0: the signal is the difference.
    let direct = one(&w.scan(&[]));
    assert_eq!(direct["tls1_0"], "rejected");
}

#[test]
fn certificate_problems_are_named_and_not_interception() {
    let root = Ca::new("Test Root");
    let inter = root.intermediate("Test Intermediate");
    let exp = root.leaf(&["expired.lab.test"], expired);
    let wrong = root.leaf(&["other.example"], |_| {});
    let selfs = self_signed(&["selfsigned.lab.test"]);
    let orphan = inter.leaf(&["incomplete.lab.test"], |_| {});
    let ca_cert = self_signed_ca_leaf("cacert.lab.test");
    let future = root.leaf(&["future.lab.test"], |p| {
        p.not_before = rcgen::date_time_ymd(2999, 1, 1);
        p.not_after = rcgen::date_time_ymd(3000, 1, 1);
    });
    let forged = root.leaf(&["forged.lab.test"], |_| {});
    let mut forged_der = forged.der.clone();
    // Flip a bit in the signature (the DER's last byte): the issuer did not sign this.
    if let Some(last) = forged_der.last_mut() {
        *last ^= 0x01;
    }
    let servers = [
        (
            "future.lab.test",
            rustls_server_with(vec![future.der.clone()], future.key_der.clone()),
            "not yet valid",
        ),
        (
            "forged.lab.test",
            rustls_server_with(vec![forged_der], forged.key_der.clone()),
            "bad signature",
        ),
        (
            "expired.lab.test",
            rustls_server_with(vec![exp.der.clone(), root.der.clone()], exp.key_der.clone()),
            "expired",
        ),
        (
            "wrong.lab.test",
            rustls_server_with(vec![wrong.der.clone()], wrong.key_der.clone()),
            "name mismatch",
        ),
        (
            "selfsigned.lab.test",
            rustls_server_with(vec![selfs.der.clone()], selfs.key_der.clone()),
            "self-signed",
        ),
        (
            "incomplete.lab.test",
            rustls_server_with(vec![orphan.der.clone()], orphan.key_der.clone()),
            "incomplete chain or unknown issuer: 'Test Intermediate' neither sent nor trusted",
        ),
        (
            // Like `openssl req -x509` output: self-signed with CA:TRUE.
            "cacert.lab.test",
            rustls_server_with(vec![ca_cert.der.clone()], ca_cert.key_der.clone()),
            "self-signed",
        ),
    ];
    let mut zone = Zone::new();
    for (name, _, _) in &servers {
        zone = zone.a(name, Ipv4Addr::LOCALHOST);
    }
    let dns = dns_server(zone).to_string();
    let dir = TempDir::new("certs");
    let roots = write(&dir, "root.pem", &root.pem);
    // Every host is listed with the issuers it should have, so the interception rules
    // are live: none of these problems may be called interception.
    let mut toml =
        String::from("[defaults]\nexpected_issuers = [\"Test Root\", \"Test Intermediate\"]\n\n");
    for (name, addr, _) in &servers {
        toml.push_str(&format!(
            "[[endpoint]]\nhost = \"{name}\"\nport = {}\npurpose = \"p\"\nsources = [\"lab\"]\n\
             category = \"allow\"\ninspection = \"bypass\"\nlegacy_tls = \"unknown\"\n\n",
            addr.port()
        ));
    }
    let endpoints = write(&dir, "endpoints.toml", &toml);
    for (name, addr, reason) in &servers {
        let target = format!("{name}:{}", addr.port());
        let out = tlscompat_env(
            &[
                "scan",
                "--format",
                "csv",
                "--no-system-store",
                "--resolver",
                &dns,
                "--roots",
                &roots,
                "--endpoints",
                &endpoints,
                &target,
            ],
            &[],
        );
        assert_eq!(out.status.code(), Some(1), "{name}");
        let r = one(&out);
        assert_eq!(r["findings"], format!("cert-invalid ({reason})"), "{name}");
        assert_eq!(r["intercepted"], "false", "{name}");
        assert_eq!(
            (r["trusted_public"].as_str(), r["intercepted"].as_str()),
            ("false", "false"),
            "{name}"
        );
    }
}

#[test]
fn proxy_authentication_and_refusals() {
    let w = world();
    let auth = connect_proxy(ProxyConfig {
        hosts: w.hosts(),
        basic_auth: Some(tlscompat::proxy::base64_encode(b"alice:s3cret")),
        ..Default::default()
    });
    let out = w.scan(&["--proxy", &format!("http://{auth}")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "proxy-auth-required fails by default"
    );
    let r = one(&out);
    assert_eq!(cells(&r), ["not-probed"; 4]);
    assert_eq!(
        r["error"],
        "proxy 407 Proxy Authentication Required (offers Basic)"
    );
    assert!(
        r["findings"].starts_with(&format!(
            "proxy-auth-required (proxy {auth} answered CONNECT with 407 Proxy Authentication \
             Required (offers Basic): Office licensing runs as SYSTEM"
        )),
        "{}",
        r["findings"]
    );
    let r = one(&w.scan(&["--proxy", &format!("http://alice:s3cret@{auth}")]));
    assert_eq!(cells(&r), ["rejected", "rejected", "accepted", "accepted"]);
    // Wrong credentials: still the finding, saying they were refused.
    let r = one(&w.scan(&["--proxy", &format!("http://alice:wrong@{auth}")]));
    assert!(
        r["findings"].contains("the Basic credentials given were refused"),
        "{}",
        r["findings"]
    );

    let deny = connect_proxy(ProxyConfig {
        deny: true,
        ..Default::default()
    });
    let r = one(&w.scan(&["--proxy", &format!("http://{deny}")]));
    assert_eq!(r["error"], "proxy 403 Forbidden");
    assert_eq!(cells(&r), ["not-probed"; 4]);
    assert!(
        r["findings"].starts_with("proxy-denied ("),
        "{}",
        r["findings"]
    );

    let down = closed_port();
    let out = w.scan(&["--proxy", &format!("http://{down}")]);
    assert_eq!(out.status.code(), Some(1));
    let r = one(&out);
    assert_eq!(cells(&r), ["unreachable"; 4]);
    assert_eq!(
        r["error"],
        format!("unreachable: proxy {down} connection refused")
    );
}

#[test]
fn environment_proxy_and_no_proxy() {
    let w = world();
    let down = format!("http://{}", closed_port());
    let target = w.target();
    let base = [
        "scan",
        "--format",
        "csv",
        "--no-system-store",
        "--resolver",
        &w.dns,
        "--roots",
        &w.lab_ca,
    ];
    let scan = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        args.push(&target);
        one(&tlscompat_env(&args, env))
    };
    let r = scan(&[], &[("HTTPS_PROXY", &down)]);
    assert!(
        r["address"].starts_with("via "),
        "HTTPS_PROXY is used: {}",
        r["address"]
    );
    let r = scan(
        &[],
        &[
            ("https_proxy", &down),
            ("NO_PROXY", "example.org, .microsoftonline.com"),
        ],
    );
    assert_eq!(r["address"], "127.0.0.2", "NO_PROXY bypasses the proxy");
    assert_eq!(r["tls1_3"], "accepted");
    let r = scan(&["--no-env-proxy"], &[("HTTPS_PROXY", &down)]);
    assert_eq!(
        r["address"], "127.0.0.2",
        "--no-env-proxy ignores the environment"
    );
}

/// A target the list does not name, under a domain it declares as Microsoft's, seen
/// through an inspecting proxy: judged against the list's expected issuers. The same
/// proxy on a name under no declared domain has no expectation to break.
#[test]
fn adhoc_microsoft_domain_target_inherits_expected_issuers() {
    let w = world();
    let url = format!("http://{}", w.interceptor());
    let scan = |target: &str| {
        let out = tlscompat_env(
            &[
                "scan",
                "--format",
                "json",
                "--no-system-store",
                "--roots",
                &w.lab_ca,
                "--timeout",
                "2s",
                "--proxy",
                &url,
                target,
            ],
            &[],
        );
        let j: Value = serde_json::from_str(&text(&out.stdout)).expect("json");
        (out.status.code(), j["records"][0].clone())
    };
    let (code, r) = scan("graph.microsoft.com:443");
    assert_eq!(r["intercepted"], true, "{r}");
    let kinds: Vec<&str> = r["interception_signals"]
        .as_array()
        .expect("signals")
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["unexpected-issuer"]);
    assert_eq!(r["endpoint"]["category"], "unlisted");
    assert_eq!(code, Some(1));
    let (_, other) = scan("graph.example.org:443");
    assert_eq!(other["intercepted"], false, "{other}");
    assert!(other["endpoint"].is_null());
}

/// An origin whose issuing CA is named like Microsoft's, under a root the public
/// store does not hold but the local one does (`--ca-file`): genuine when its
/// thumbprint is documented (a root store difference, noted), an impersonation when not.
#[test]
fn documented_thumbprints_tell_genuine_from_impersonating_issuers() {
    const NAME: &str = "Microsoft Azure RSA TLS Issuing CA 04";
    let root = Ca::new("Lab Root Distrusted By Browsers");
    let issuing = root.intermediate(NAME);
    let leaf = issuing.leaf(&[HOST], |_| {});
    let origin = rustls_server_chain_at(
        &[&rustls::version::TLS12, &rustls::version::TLS13],
        vec![leaf.der.clone(), issuing.der.clone()],
        leaf.key_der.clone(),
        "127.0.0.2:0".parse().expect("addr"),
    );
    let dir = TempDir::new("thumbprints");
    let dns = dns_server(Zone::new().a(HOST, Ipv4Addr::new(127, 0, 0, 2))).to_string();
    let local_root = write(&dir, "root.pem", &root.pem);
    let sha1 = tlscompat::cert::sha1_thumbprint(&issuing.der);
    let list = |thumbprint: &str| {
        write(
            &dir,
            &format!("e-{thumbprint}.toml"),
            &format!(
                "[defaults]\nexpected_issuers = [\"Microsoft Azure * TLS Issuing CA ??\"]\n\
                 issuer_thumbprints = [\"{thumbprint}\"]\n\n[[endpoint]]\nhost = \"{HOST}\"\n\
                 port = {}\npurpose = \"sign-in\"\nsources = [\"lab\"]\ncategory = \"allow\"\n\
                 inspection = \"bypass\"\nlegacy_tls = \"unknown\"\n",
                origin.port()
            ),
        )
    };
    let target = format!("{HOST}:{}", origin.port());
    let lab_ca = lab_ca_file();
    let scan = |endpoints: &str, local: bool| {
        let mut args = vec![
            "scan",
            "--format",
            "json",
            "--no-system-store",
            "--endpoints",
            endpoints,
            "--resolver",
            &dns,
            "--roots",
            &lab_ca,
            "--timeout",
            "2s",
        ];
        if local {
            args.extend(["--ca-file", &local_root]);
        }
        args.push(&target);
        let out = tlscompat_env(&args, &[]);
        let j: Value = serde_json::from_str(&text(&out.stdout)).expect("json");
        (out.status.code(), j["records"][0].clone())
    };

    let (code, r) = scan(&list(&sha1), true);
    assert_eq!(
        (r["trusted_public"].clone(), r["trusted_local"].clone()),
        (Value::Bool(false), Value::Bool(true))
    );
    assert_eq!(r["intercepted"], false, "{r}");
    let notes = r["notes"].to_string();
    assert!(notes.contains("root store difference"), "{notes}");
    assert!(notes.contains(&sha1), "{notes}");
    assert_eq!(code, Some(0), "{}", r["findings"]);

    // Another certificate under the same name: an impersonation, with or without
    // the local root.
    let other = "0123456789ABCDEF0123456789ABCDEF01234567";
    for local in [true, false] {
        let (code, r) = scan(&list(other), local);
        assert_eq!(r["intercepted"], true, "local={local}: {r}");
        let f = r["findings"].to_string();
        assert!(f.contains(&format!("impersonates {NAME}")), "{f}");
        assert!(f.contains(&sha1), "{f}");
        assert_eq!(code, Some(1));
    }
}

/// Pins yield to verification (DESIGN.md "Interception"): under the embedded list,
/// Microsoft names pin their issuing CAs to documented thumbprints. A lab issuing CA
/// named like Microsoft's, under a root given with `--roots`, is genuine for these
/// anchors whatever its thumbprint: an expired leaf (activation.sls.microsoft.com) and
/// a wrong-name leaf (go.microsoft.com) below it are `cert-invalid`, not
/// `intercepted`, direct and through a proxy. The same name under a root trusted only
/// locally (`--ca-file`) is still an impersonation.
#[test]
fn expired_and_wrong_name_leaves_under_the_roots_are_not_interception() {
    const ISSUING: &str = "Microsoft Azure RSA TLS Issuing CA 03";
    let (expired_host, wrong_host) = ("activation.sls.microsoft.com", "go.microsoft.com");
    let root = Ca::new("Lab Root For Pinned Names");
    let issuing = root.intermediate(ISSUING);
    let old = issuing.leaf(&[expired_host], expired);
    let misnamed = issuing.leaf(&["www.microsoft.com"], |_| {});
    let rogue_root = Ca::new("Contoso Inspection Root");
    let rogue = rogue_root.intermediate(ISSUING);
    let forged = rogue.leaf(&["officeclient.microsoft.com"], |_| {});
    let serve = |leaf: &support::pki::Leaf, ca: &Ca| {
        rustls_server_chain_at(
            &[&rustls::version::TLS12, &rustls::version::TLS13],
            vec![leaf.der.clone(), ca.der.clone()],
            leaf.key_der.clone(),
            "127.0.0.3:0".parse().expect("addr"),
        )
    };
    let servers = [
        (expired_host, serve(&old, &issuing), "expired"),
        (wrong_host, serve(&misnamed, &issuing), "name mismatch"),
    ];
    let forged_at = serve(&forged, &rogue);
    let lab = Ipv4Addr::new(127, 0, 0, 3);
    let dns = dns_server(
        Zone::new()
            .a(expired_host, lab)
            .a(wrong_host, lab)
            .a("officeclient.microsoft.com", lab),
    )
    .to_string();
    let dir = TempDir::new("pins");
    let roots = write(&dir, "root.pem", &root.pem);
    let rogue_ca = write(&dir, "rogue.pem", &rogue_root.pem);
    let hosts: HashMap<String, IpAddr> = [expired_host, wrong_host, "officeclient.microsoft.com"]
        .iter()
        .map(|h| (h.to_string(), IpAddr::V4(lab)))
        .collect();
    let proxy = format!(
        "http://{}",
        connect_proxy(ProxyConfig {
            hosts,
            ..Default::default()
        })
    );
    let scan = |target: &str, extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--format",
            "json",
            "--resolver",
            &dns,
            "--roots",
            &roots,
            "--timeout",
            "2s",
            "--tls-min",
            "1.2",
        ];
        args.extend_from_slice(extra);
        args.push(target);
        let out = tlscompat_env(&args, &[]);
        let j: Value = serde_json::from_str(&text(&out.stdout)).expect("json");
        (out.status.code(), j["records"][0].clone())
    };
    for via in [None, Some(proxy.as_str())] {
        for (host, addr, why) in &servers {
            let target = format!("{host}:{}", addr.port());
            let extra: Vec<&str> = via.map(|p| vec!["--proxy", p]).unwrap_or_default();
            let (code, r) = scan(&target, &extra);
            let ctx = format!("{target} via {via:?}: {r}");
            assert_eq!(r["intercepted"], false, "{ctx}");
            assert_eq!(r["trust_public_detail"], *why, "{ctx}");
            let kinds: Vec<&str> = r["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .filter_map(|f| f["kind"].as_str())
                .collect();
            assert_eq!(kinds, ["cert-invalid"], "{ctx}");
            assert_eq!(code, Some(1), "cert-invalid fails the scan: {ctx}");
        }
        // The control: the same issuing name from a root only trusted locally.
        let target = format!("officeclient.microsoft.com:{}", forged_at.port());
        let mut extra = vec!["--ca-file", &rogue_ca];
        if let Some(p) = via {
            extra.extend(["--proxy", p]);
        }
        let (code, r) = scan(&target, &extra);
        assert_eq!(r["intercepted"], true, "{r}");
        let f = r["findings"].to_string();
        assert!(f.contains(&format!("impersonates {ISSUING}")), "{f}");
        assert_eq!(code, Some(1));
    }
}
