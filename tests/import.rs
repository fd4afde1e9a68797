//! `tlscompat endpoints import`: Microsoft's endpoint web service JSON (a hand-written
//! sample of the worldwide shape, tests/data/m365-worldwide-sample.json) → endpoints.toml
//! that loads, keeps categories and IDs, and scans.

mod support;

use support::cli::*;
use support::dns::{Zone, dns_server};
use support::*;
use tlscompat::endpoints::{Category, EndpointList, Inspection, LegacyTls};

const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/m365-worldwide-sample.json"
);

#[test]
fn imports_the_web_service_json() {
    let out = tlscompat(&["endpoints", "import", SAMPLE]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let toml = text(&out.stdout);
    let list = EndpointList::parse(&toml, "imported").expect("the import loads");
    let hosts: Vec<&str> = list.endpoints.iter().map(|e| e.host.as_str()).collect();
    assert_eq!(list.endpoints.len(), 16, "{hosts:?}");
    assert!(
        hosts.iter().all(|h| !h.contains('*')),
        "wildcards cannot be scanned"
    );
    assert!(
        toml.contains("#   *.officeapps.live.com (ID 46, not a host name)"),
        "{toml}"
    );
    assert!(
        toml.contains("#   *.protection.outlook.com (ID 10, no TCP 443)"),
        "{toml}"
    );
    let get = |h: &str| {
        list.endpoints
            .iter()
            .find(|e| e.host == h)
            .unwrap_or_else(|| panic!("{h} missing"))
    };
    let ols = get("ols.officeapps.live.com");
    assert_eq!(
        (ols.set_id, ols.category, ols.inspection),
        (Some(46), Category::Allow, Inspection::Bypass)
    );
    assert_eq!(
        ols.legacy_tls,
        LegacyTls::Refused,
        "kept from the embedded list"
    );
    assert!(
        !ols.expected_issuers.is_empty(),
        "defaults come from the embedded list"
    );
    // In ID 86 (Default) and ID 35 (Default): first set kept, both named.
    let oc = get("officeclient.microsoft.com");
    assert_eq!(oc.set_id, Some(86));
    assert_eq!(oc.sources, ["WS ID 86", "WS ID 35"]);
    assert_eq!(oc.category, Category::Default);
    assert_eq!(oc.inspection, Inspection::Allowed);
    assert_eq!(get("outlook.office.com").category, Category::Optimize);
    assert_eq!(
        get("login.microsoftonline.com").inspection,
        Inspection::TenantRestrictions
    );
    assert_eq!(
        get("device.login.microsoftonline.com").inspection,
        Inspection::Never
    );
    assert_eq!(
        get("enterpriseregistration.windows.net").inspection,
        Inspection::Never
    );
    assert!(
        get("admin.onedrive.com")
            .purpose
            .contains("(optional): OneDrive sync client and admin")
    );
    // The Teams media set has IPs and UDP only: nothing to import from it.
    assert!(!toml.contains("set_id = 11\n"));

    // Written with -o, and scanned with --endpoints (every name NXDOMAIN on the lab DNS).
    let dir = TempDir::new("import");
    let path = dir.0.join("m365.toml");
    let p = path.to_str().unwrap();
    let out = tlscompat(&["endpoints", "import", SAMPLE, "-o", p]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), toml);
    let dns = dns_server(Zone::new()).to_string();
    let csv = dir.0.join("r.csv");
    let out = tlscompat(&[
        "scan",
        "--endpoints",
        p,
        "--resolver",
        &dns,
        "--timeout",
        "500ms",
        "-q",
        "--csv",
        csv.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "dns findings fail: {}",
        text(&out.stderr)
    );
    let rows = csv_rows(&std::fs::read_to_string(&csv).unwrap());
    assert_eq!(rows.len(), 16);
    assert_eq!(rows[0]["host"], "office.live.com");
}

#[test]
fn bad_json_exits_2_naming_file_and_field() {
    let dir = TempDir::new("import-bad");
    let cases = [
        ("[{\"id\": 1,\n \"category\": ", "bad.json:2:"),
        (
            "[{\"id\": 7, \"category\": \"Block\", \"urls\": [\"a.example\"], \"tcpPorts\": \"443\"}]",
            "[0] (id 7).category: unknown 'Block'",
        ),
        ("[{\"category\": \"Allow\"}]", "[0]: missing field `id`"),
        (
            "{\"error\": \"Invalid client request id\"}",
            "expected the array the endpoint web service returns",
        ),
    ];
    for (json, words) in cases {
        let path = dir.0.join("bad.json");
        std::fs::write(&path, json).unwrap();
        let out = tlscompat(&["endpoints", "import", path.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{json}: {err}");
        assert!(
            err.contains(words) && err.contains("bad.json"),
            "{json}: expected '{words}' in {err}"
        );
        assert!(out.stdout.is_empty());
    }
    let out = tlscompat(&["endpoints", "import", "/nonexistent/m365.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("/nonexistent/m365.json"));
}
