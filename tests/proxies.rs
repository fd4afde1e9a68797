//! Through the proxies enterprises run, started here on loopback: Squid with Basic
//! (`basic_ncsa_auth`), NTLM (`ntlm_fake_auth`, the real three-message exchange) and
//! Negotiate (`negotiate_kerberos_auth` against an MIT KDC set up by the test), Squid
//! ACLs that refuse (403) and redirect (307 to a portal), and Dante for SOCKS5 with and
//! without a user/password. The origin is a real OpenSSL accepting TLS 1.0–1.3; every
//! verdict through a proxy that lets the scan through must equal the direct one, and
//! no password may appear on stderr or in any report.
//!
//! One proxy per scheme, reused by every assertion of its test. A proxy that is not
//! installed is skipped with a loud message (`.ci/run` installs them all).
//!
//! Hand-written proxies (`support/proxy.rs`) send the target's bytes in the same write
//! as their answer — a captive portal's page after `200` or a SOCKS5 success, an SMTP
//! greeting coalesced with `200`: the probes must read them, not wait for more.

mod support;

use std::process::Output;

use support::cli::*;
use support::dns::{Zone, dns_server};
use support::proxies::{Daemon, SquidConfig, SystemUser, dante, htpasswd, realm, squid};
use support::*;

/// Scans `target` with the lab roots and `extra`, in CSV, with `env`.
fn scan(target: &str, extra: &[&str], env: &[(&str, &str)]) -> (Option<i32>, Vec<Row>, Output) {
    let roots = lab_ca_file();
    let mut args = vec![
        "scan",
        "--format",
        "csv",
        "--roots",
        &roots,
        "--timeout",
        "3s",
    ];
    args.extend_from_slice(extra);
    args.push(target);
    let out = tlscompat_env(&args, env);
    let rows = csv_rows(&text(&out.stdout));
    (out.status.code(), rows, out)
}

fn one(target: &str, extra: &[&str], env: &[(&str, &str)]) -> (Option<i32>, Row, Output) {
    let (code, mut rows, out) = scan(target, extra, env);
    assert_eq!(rows.len(), 1, "{}", text(&out.stderr));
    (code, rows.remove(0), out)
}

/// What a scan must find at the origin, whatever path it takes.
struct Direct {
    cells: [String; 4],
    sha256: String,
}

fn direct(origin: &OpenSslServer) -> Direct {
    let (code, r, out) = one(&origin.addr.to_string(), &[], &[]);
    assert_eq!(
        code,
        Some(0),
        "legacy-accepted is no failure: {}",
        text(&out.stderr)
    );
    let cells = cells(&r).map(str::to_string);
    assert_eq!(cells, ["accepted"; 4], "OpenSSL with TLS 1.0–1.3");
    Direct {
        cells,
        sha256: r["cert_sha256"].clone(),
    }
}

fn same_as_direct(r: &Row, d: &Direct, how: &str) {
    assert_eq!(cells(r).map(str::to_string), d.cells, "{how}: {r:?}");
    assert_eq!(r["cert_sha256"], d.sha256, "{how}");
    assert_eq!(r["trusted_public"], "true", "{how}");
    assert_eq!(r["intercepted"], "false", "{how}");
}

/// The origin: OpenSSL accepting TLS 1.0–1.3 with the lab chain.
fn origin() -> OpenSslServer {
    openssl_server("TLSv1", "TLSv1.3")
}

/// Nothing the scan printed or wrote holds `secret`.
fn no_secret(secret: &str, out: &Output, files: &[&std::path::Path]) {
    for (what, s) in [("stdout", text(&out.stdout)), ("stderr", text(&out.stderr))] {
        assert!(!s.contains(secret), "the password is on {what}: {s}");
    }
    for f in files {
        let content = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f:?}: {e}"));
        assert!(!content.is_empty(), "{f:?} was written");
        assert!(!content.contains(secret), "the password is in {f:?}");
    }
}

#[test]
fn squid_basic_407_403_and_redirect() {
    const PW: &str = "Pw-S3cret-17";
    let origin = origin();
    let port = origin.addr.port();
    let dir = TempDir::new("proxy-basic");
    let users = htpasswd(&dir.0, "alice", PW);
    let hosts = [
        ("ok.lab.test", "127.0.0.1"),
        ("blocked.lab.test", "127.0.0.1"),
        ("portal.lab.test", "127.0.0.1"),
    ];
    let Some(squid) = squid(&SquidConfig {
        auth: vec![
            format!(
                "basic program /usr/lib/squid/basic_ncsa_auth {}",
                users.display()
            ),
            "basic realm lab".into(),
        ],
        hosts: &hosts,
        deny: Some("blocked.lab.test"),
        redirect: Some(("portal.lab.test", "http://portal.example/login")),
        env: Vec::new(),
    }) else {
        return;
    };
    let d = direct(&origin);
    let target = format!("ok.lab.test:{port}");
    let bare = format!("http://{}", squid.addr);

    // No credentials: what Office licensing (SYSTEM) meets. One finding, no probes.
    let (code, r, _) = one(
        &target,
        &["--proxy", &bare, "--clients", "win10", "--ciphers"],
        &[],
    );
    assert_eq!(
        code,
        Some(1),
        "proxy-auth-required is in the default --fail-on"
    );
    assert_eq!(cells(&r), ["not-probed"; 4]);
    let f = &r["findings"];
    assert!(
        f.starts_with(&format!(
            "proxy-auth-required (proxy {} answered CONNECT with 407 Proxy Authentication \
             Required (offers Basic; Server: squid/",
            squid.addr
        )),
        "{f}"
    );
    assert!(f.contains("Office licensing runs as SYSTEM"), "{f}");
    assert!(!f.contains("unreachable"), "one finding per record: {f}");
    // A client cell is never empty nor "not probed": the client fails there (issue 16).
    assert_eq!(
        r["client_win10"],
        "fail proxy refused the tunnel (proxy 407)"
    );
    assert_eq!(r["suites_tls1_2"], "not probed: proxy 407");
    let table = text(&tlscompat(&["scan", "--proxy", &bare, &target]).stdout);
    assert!(table.contains("not probed: proxy 407"), "{table}");

    // Credentials in the URL: the verdicts are the direct ones; the password appears
    // nowhere, in no report.
    let reports: Vec<std::path::PathBuf> = ["r.csv", "r.json", "r.xml", "r.html"]
        .iter()
        .map(|n| dir.0.join(n))
        .collect();
    let paths: Vec<&str> = reports.iter().map(|p| p.to_str().expect("utf-8")).collect();
    let with = format!("http://alice:{PW}@{}", squid.addr);
    let (code, r, out) = one(
        &target,
        &[
            "--proxy", &with, "--csv", paths[0], "--json", paths[1], "--junit", paths[2], "--html",
            paths[3],
        ],
        &[],
    );
    same_as_direct(&r, &d, "Basic in the URL");
    assert_eq!(code, Some(0), "{}", r["findings"]);
    let files: Vec<&std::path::Path> = reports.iter().map(|p| p.as_path()).collect();
    no_secret(PW, &out, &files);
    assert!(
        squid.access_log().contains(" alice "),
        "{}",
        squid.access_log()
    );

    // --proxy-user without a password takes it from the environment.
    let (_, r, out) = one(
        &target,
        &[
            "--proxy",
            &bare,
            "--proxy-user",
            "alice",
            "--proxy-auth",
            "basic",
        ],
        &[("TLSCOMPAT_PROXY_PASSWORD", PW)],
    );
    same_as_direct(&r, &d, "--proxy-user + TLSCOMPAT_PROXY_PASSWORD");
    no_secret(PW, &out, &[]);
    // …and without either, it is refused before anything is scanned.
    let out = tlscompat(&["scan", "--proxy", &bare, "--proxy-user", "alice", &target]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("TLSCOMPAT_PROXY_PASSWORD"));

    // Wrong password: still the finding, saying the credentials were refused.
    let (code, r, out) = one(
        &target,
        &["--proxy", &format!("http://alice:Wr0ng-pw@{}", squid.addr)],
        &[],
    );
    assert_eq!(code, Some(1));
    assert!(
        r["findings"].contains("the Basic credentials given were refused"),
        "{}",
        r["findings"]
    );
    no_secret("Wr0ng-pw", &out, &[]);

    // An ACL refusing the host: 403, with the Server header.
    let (code, r, _) = one(
        &format!("blocked.lab.test:{port}"),
        &["--proxy", &with],
        &[],
    );
    assert_eq!(code, Some(1), "proxy-denied is in the default --fail-on");
    assert_eq!(cells(&r), ["not-probed"; 4]);
    assert!(
        r["findings"].starts_with(&format!(
            "proxy-denied (proxy {} answered CONNECT with 403 Forbidden (Server: squid/",
            squid.addr
        )),
        "{}",
        r["findings"]
    );
    assert!(
        r["error"].starts_with("proxy 403 Forbidden"),
        "{}",
        r["error"]
    );

    // deny_info with a URL: a redirect to the portal, with its Location.
    let (code, r, _) = one(&format!("portal.lab.test:{port}"), &["--proxy", &with], &[]);
    let f = &r["findings"];
    assert!(f.starts_with("proxy-redirect (proxy "), "{f}");
    assert!(f.contains("Location: http://portal.example/login"), "{f}");
    assert_eq!(
        code,
        Some(0),
        "proxy-redirect is not in the default --fail-on: {f}"
    );
    let (code, _, _) = one(
        &format!("portal.lab.test:{port}"),
        &["--proxy", &with, "--fail-on", "proxy-redirect"],
        &[],
    );
    assert_eq!(code, Some(1));
}

#[test]
fn squid_ntlm_three_messages() {
    let origin = origin();
    let port = origin.addr.port();
    let hosts = [("ok.lab.test", "127.0.0.1")];
    let Some(squid) = squid(&SquidConfig {
        auth: vec![
            "ntlm program /usr/lib/squid/ntlm_fake_auth".into(),
            "ntlm children 2".into(),
        ],
        hosts: &hosts,
        deny: None,
        redirect: None,
        env: Vec::new(),
    }) else {
        return;
    };
    let d = direct(&origin);
    let target = format!("ok.lab.test:{port}");
    // No credentials: the 407 names NTLM.
    let (code, r, _) = one(
        &target,
        &["--proxy", &format!("http://{}", squid.addr)],
        &[],
    );
    assert_eq!(code, Some(1));
    assert!(
        r["findings"].contains("(offers NTLM; Server: squid/"),
        "{}",
        r["findings"]
    );
    // DOMAIN\user, %-encoded in the URL, as the issue asks.
    let url = format!("http://LAB%5Cscanner:secret-ntlm@{}", squid.addr);
    for auth in ["ntlm", "any"] {
        let (_, r, out) = one(&target, &["--proxy", &url, "--proxy-auth", auth], &[]);
        same_as_direct(&r, &d, &format!("NTLM (--proxy-auth {auth})"));
        no_secret("secret-ntlm", &out, &[]);
    }
    // ntlm_fake_auth takes the user from the type-3 message: the exchange went through.
    let log = squid.access_log();
    assert!(
        log.contains("LAB\\\\scanner") || log.contains("LAB\\scanner"),
        "{log}"
    );
    assert!(log.contains("TCP_TUNNEL/200"), "{log}");
}

#[test]
fn squid_negotiate_with_kerberos() {
    let origin = origin();
    let port = origin.addr.port();
    let Some(realm) = realm() else { return };
    let hosts = [("ok.lab.test", "127.0.0.1")];
    let krb5 = realm.krb5_conf.display().to_string();
    let Some(squid) = squid(&SquidConfig {
        auth: vec![
            format!(
                "negotiate program /usr/lib/squid/negotiate_kerberos_auth -s HTTP/localhost@{}",
                support::proxies::REALM
            ),
            "negotiate children 2".into(),
        ],
        hosts: &hosts,
        deny: None,
        redirect: None,
        env: vec![
            ("KRB5_CONFIG".into(), krb5.clone()),
            (
                "KRB5_KTNAME".into(),
                format!("FILE:{}", realm.http_keytab.display()),
            ),
            ("KRB5RCACHETYPE".into(), "none".into()),
        ],
    }) else {
        return;
    };
    let d = direct(&origin);
    let target = format!("ok.lab.test:{port}");
    // The SPN is HTTP@<proxy host as given>: the proxy is named `localhost`.
    let url = format!("http://localhost:{}", squid.addr.port());

    let cache = format!("FILE:{}", realm.kinit("ccache").display());
    let env = [
        ("KRB5_CONFIG", krb5.as_str()),
        ("KRB5CCNAME", cache.as_str()),
    ];
    // Without --proxy-auth or credentials nothing is attempted: the 407 is the finding.
    let (code, r, _) = one(&target, &["--proxy", &url], &env);
    assert_eq!(code, Some(1));
    assert!(
        r["findings"].contains("offers Negotiate"),
        "{}",
        r["findings"]
    );
    // From the ticket cache (kinit): --proxy-auth negotiate, or any with `-U :`.
    for extra in [
        &["--proxy-auth", "negotiate"][..],
        &["--proxy-user", ":"][..],
    ] {
        let mut args = vec!["--proxy", url.as_str()];
        args.extend_from_slice(extra);
        let (_, r, out) = one(&target, &args, &env);
        same_as_direct(
            &r,
            &d,
            &format!("Negotiate from the ticket cache {extra:?}"),
        );
        assert!(text(&out.stderr).is_empty() || !text(&out.stderr).contains("Negotiate"));
    }
    // From a client keytab, no kinit.
    let keytab = format!("FILE:{}", realm.client_keytab.display());
    let mem = format!("MEMORY:tlscompat-{}", std::process::id());
    let env = [
        ("KRB5_CONFIG", krb5.as_str()),
        ("KRB5_CLIENT_KTNAME", keytab.as_str()),
        ("KRB5CCNAME", mem.as_str()),
    ];
    let (_, r, _) = one(
        &target,
        &["--proxy", &url, "--proxy-auth", "negotiate"],
        &env,
    );
    same_as_direct(&r, &d, "Negotiate from a client keytab");
    // No ticket at all: the finding says why Negotiate could not answer.
    let empty = format!("FILE:{}/none", realm.kdc.dir.0.display());
    let env = [
        ("KRB5_CONFIG", krb5.as_str()),
        ("KRB5CCNAME", empty.as_str()),
    ];
    let (code, r, _) = one(
        &target,
        &["--proxy", &url, "--proxy-auth", "negotiate"],
        &env,
    );
    assert_eq!(code, Some(1));
    let f = &r["findings"];
    assert!(f.starts_with("proxy-auth-required ("), "{f}");
    assert!(
        f.contains("Negotiate: no Kerberos token for HTTP@localhost"),
        "{f}"
    );
}

#[test]
fn dante_socks5_with_and_without_a_password() {
    let origin = origin();
    let port = origin.addr.port();
    let Some(open) = dante("none") else { return };
    let d = direct(&origin);
    // socks5h: the proxy resolves the name; one record, `via` the proxy.
    let (_, r, _) = one(
        &format!("localhost:{port}"),
        &["--proxy", &format!("socks5h://{}", open.addr)],
        &[],
    );
    same_as_direct(&r, &d, "socks5h");
    assert_eq!(r["address"], format!("via {}", open.addr));
    // socks5: resolved here (lab DNS), the record's address is the real one.
    let dns = dns_server(Zone::new().a("ok.lab.test", std::net::Ipv4Addr::LOCALHOST)).to_string();
    let (_, r, _) = one(
        &format!("ok.lab.test:{port}"),
        &[
            "--proxy",
            &format!("socks5://{}", open.addr),
            "--resolver",
            &dns,
        ],
        &[],
    );
    same_as_direct(&r, &d, "socks5");
    assert_eq!(r["address"], "127.0.0.1");
    // The target refuses: the proxy's reply code, in words.
    let closed = closed_port();
    let (code, r, _) = one(
        &closed.to_string(),
        &["--proxy", &format!("socks5h://{}", open.addr)],
        &[],
    );
    assert_eq!(code, Some(1));
    assert!(
        r["findings"].contains("could not reach the target: reply 5, connection refused"),
        "{}",
        r["findings"]
    );

    let Some(user) = SystemUser::new("S0cks-pw-17") else {
        return;
    };
    let Some(auth) = dante("username") else {
        return;
    };
    let target = format!("localhost:{port}");
    check_socks_password(&auth, &user, &target, &d);
}

fn check_socks_password(proxy: &Daemon, user: &SystemUser, target: &str, d: &Direct) {
    let bare = format!("socks5h://{}", proxy.addr);
    let (code, r, _) = one(target, &["--proxy", &bare], &[]);
    assert_eq!(code, Some(1));
    assert!(
        r["findings"].starts_with("proxy-auth-required (SOCKS5 proxy "),
        "{}",
        r["findings"]
    );
    let with = format!("socks5h://{}:S0cks-pw-17@{}", user.name, proxy.addr);
    let (_, r, out) = one(target, &["--proxy", &with], &[]);
    same_as_direct(&r, d, "SOCKS5 with user/password");
    no_secret("S0cks-pw-17", &out, &[]);
    let wrong = format!("socks5h://{}:nope-nope@{}", user.name, proxy.addr);
    let (_, r, _) = one(target, &["--proxy", &wrong], &[]);
    assert!(
        r["findings"].contains("the user/password given were refused"),
        "{}",
        r["findings"]
    );
}

/// A captive portal's page: control characters included, as hostile text is.
const PORTAL: &[u8] = b"<html>captive portal \x1b[2J</html>";

/// The `error` cell text every version shows for the portal: the page, as not TLS.
fn portal_error(r: &Row) {
    assert_eq!(cells(r), ["error"; 4], "{r:?}");
    assert!(
        r["error"].contains("tls1_2: error: not TLS: \"<html>captive portal"),
        "{r:?}"
    );
    assert!(!r["findings"].contains("timeout"), "{r:?}");
}

/// An HTTP proxy that writes `200` and its page in one write: the page is what the
/// probes read (not a timeout), in one connection's time.
#[test]
fn captive_portal_page_in_the_connect_answer_is_read_as_not_tls() {
    let proxy = support::proxy::connect_proxy(support::proxy::ProxyConfig {
        portal: Some(PORTAL.repeat(10)),
        ..Default::default()
    });
    let started = std::time::Instant::now();
    let (_, r, out) = one(
        "127.77.1.2:443",
        &["--proxy", &format!("http://{proxy}")],
        &[],
    );
    portal_error(&r);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}: {}",
        started.elapsed(),
        text(&out.stderr)
    );
}

/// The same through SOCKS5: the bytes after the reply are the target's first bytes.
#[test]
fn captive_portal_page_after_the_socks5_reply_is_read_as_not_tls() {
    let proxy = support::proxy::socks5_portal(PORTAL.repeat(10));
    let (_, r, _) = one(
        "127.77.1.2:443",
        &["--proxy", &format!("socks5h://{proxy}")],
        &[],
    );
    portal_error(&r);
}

/// A server-speaks-first protocol through a proxy that sends the target's first bytes
/// with its `200`: the SMTP greeting in the CONNECT answer's read starts the STARTTLS
/// preamble, which must not wait for a greeting already received.
#[test]
fn smtp_greeting_in_the_connect_answer_starts_the_preamble() {
    use support::mail::{Legacy, Proto, Spec, mail_server};
    let server = mail_server(Spec::new(Proto::Smtp, true, Legacy::Reject));
    let proxy = support::proxy::connect_proxy(support::proxy::ProxyConfig {
        coalesce: true,
        ..Default::default()
    });
    let target = server.addr.to_string();
    let (_, r, out) = one(
        &target,
        &["--proxy", &format!("http://{proxy}"), "--starttls", "smtp"],
        &[],
    );
    assert_eq!(
        cells(&r),
        ["rejected", "rejected", "accepted", "accepted"],
        "{r:?} {}",
        text(&out.stderr)
    );
}

/// Acceptance review, defect 3: Squid answering CONNECT with a 5xx. A 503 (the
/// upstream refused the connection) and a 500 (a name Squid cannot resolve) are the
/// proxy's failure to open the tunnel: the target's `unreachable` with the proxy's
/// status line, never a TLS timeout, "not TLS", or a policy block (`proxy-denied`, which
/// the 500 used to be).
#[test]
fn squid_5xx_answers_are_proxy_failures_with_the_status_line() {
    let hosts = [("down.lab.test", "127.0.0.1")];
    let Some(squid) = squid(&SquidConfig {
        auth: Vec::new(),
        hosts: &hosts,
        deny: None,
        redirect: None,
        env: Vec::new(),
    }) else {
        return;
    };
    let closed = closed_port().port();
    let proxy = format!("http://{}", squid.addr);
    for (target, status) in [
        (
            format!("down.lab.test:{closed}"),
            "could not reach the target: 503 Service Unavailable (Server: squid/",
        ),
        (
            "nowhere.invalid:443".to_string(),
            "failed to open the tunnel: 500 Internal Server Error (Server: squid/",
        ),
    ] {
        let (code, r, out) = one(&target, &["--proxy", &proxy, "--clients", "win10"], &[]);
        assert_eq!(code, Some(1), "{}", text(&out.stderr));
        let f = &r["findings"];
        let want = format!("unreachable (proxy {} {status}", squid.addr);
        assert!(f.starts_with(&want), "{target}: {f}");
        for wrong in ["timeout", "not TLS", "proxy-denied", "policy"] {
            assert!(!f.contains(wrong), "{target}: {wrong} in {f}");
        }
        assert!(r["client_win10"].contains(status), "{}", r["client_win10"]);
    }
}
