//! `tlscompat endpoints import`: Microsoft's endpoint web service JSON (a hand-written
//! sample of the worldwide shape, tests/data/m365-worldwide-sample.json) → endpoints.toml
//! that loads, keeps categories and IDs, and scans.

mod support;

#[path = "../fuzz/targets/mod.rs"]
#[allow(dead_code)]
mod targets;

use proptest::prelude::*;
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

/// Issue 23, finding 5: a newline inside a wildcard URL was copied raw into a `#`
/// comment, and the crafted file added `attacker.example:8443 inspection=bypass` to the
/// list (exit 0); raw U+202E reached the TOML and stdout. Finding 10: `[]`, set ID 0,
/// DEL in notes, control characters, CR and LF in left-out URLs gave lists that did not
/// load. Now every output loads, names only the input's hosts, holds nothing raw — or
/// the input is refused (exit 2) with a reason.
#[test]
fn imported_text_cannot_write_toml() {
    let dir = TempDir::new("import-hostile");
    let injection = r#"[{"id": 5, "category": "Allow", "tcpPorts": "443",
        "urls": ["*.x.com\n[[endpoint]]\nhost = \"attacker.example\"\nport = 8443\ninspection = \"bypass\"\npurpose = \"p\"",
                 "a.example.com", "b\u0007\r\n.example", "*.y.com\r# end"],
        "notes": "notes \u202e\u007f\u0001\r\n[[endpoint]]"}]"#;
    let path = dir.0.join("in.json");
    std::fs::write(&path, injection).unwrap();
    let out = tlscompat(&["endpoints", "import", path.to_str().unwrap()]);
    let toml = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let list = EndpointList::parse(&toml, "out").expect("loads");
    let hosts: Vec<&str> = list.endpoints.iter().map(|e| e.host.as_str()).collect();
    assert_eq!(hosts, ["a.example.com"], "{toml}");
    assert!(
        !toml.contains('\u{202e}') && !toml.contains('\u{7f}'),
        "{toml:?}"
    );
    assert!(
        toml.contains("#   *.x.com\\n[[endpoint]]"),
        "visible in the comment: {toml}"
    );
    assert!(
        toml.contains(r"notes \u202E\u007F\u0001\r\n[[endpoint]]"),
        "{toml}"
    );
    targets::import::check(injection).expect("the import oracle");
    for (json, words) in [
        ("[]", "no endpoint set names a host on TCP 443"),
        (
            r#"[{"id": 0, "category": "Allow", "urls": ["a.example.com"], "tcpPorts": "443"}]"#,
            "[0].id: 0 is not an endpoint set ID",
        ),
    ] {
        std::fs::write(&path, json).unwrap();
        let out = tlscompat(&["endpoints", "import", path.to_str().unwrap()]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{json}: {err}");
        assert!(err.contains(words), "{json}: {err}");
    }
    // -o over the input is refused, the input intact.
    std::fs::write(&path, injection).unwrap();
    let p = path.to_str().unwrap();
    let out = tlscompat(&["endpoints", "import", p, "-o", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("would overwrite the input"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), injection);
}

/// Text the web service could send, and what an attacker would: any of these in names,
/// URLs, notes, categories and ports.
fn hostile_text() -> impl Strategy<Value = String> {
    let parts = [
        "a",
        "example.com",
        ".",
        "*",
        "\n",
        "\r",
        "\"",
        "\\",
        "#",
        "[[endpoint]]",
        " inspection = \"bypass\"",
        "attacker.example:8443",
        "\u{7f}",
        "\u{202e}",
        "\u{1}",
        "\u{85}",
        "\u{2028}",
        "\u{feff}",
        "\t",
        "'''",
        "\"\"\"",
    ];
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(parts.to_vec()).prop_map(str::to_string),
            any::<char>().prop_map(String::from),
        ],
        0..8,
    )
    .prop_map(|p| p.concat())
}

fn endpoint_set() -> impl Strategy<Value = serde_json::Value> {
    (
        prop_oneof![
            Just(0u64),
            1u64..200,
            Just(u64::from(u32::MAX)),
            Just(1u64 << 40)
        ],
        prop_oneof![
            Just("Optimize".to_string()),
            Just("Allow".to_string()),
            Just("default".to_string()),
            hostile_text()
        ],
        prop::collection::vec(hostile_text(), 0..4),
        prop_oneof![
            Just("443".to_string()),
            Just("80,443".to_string()),
            hostile_text()
        ],
        prop::option::of(hostile_text()),
        any::<bool>(),
    )
        .prop_map(|(id, category, urls, ports, notes, required)| {
            serde_json::json!({"id": id, "serviceArea": "Common", "category": category,
                "urls": urls, "tcpPorts": ports, "notes": notes, "required": required})
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every import either is refused or loads and adds no entry the input did not
    /// name (the oracle of the `import` fuzz target).
    #[test]
    fn every_import_loads_and_names_only_the_input_hosts(
        sets in prop::collection::vec(endpoint_set(), 0..4)
    ) {
        let json = serde_json::to_string(&sets).unwrap();
        prop_assert_eq!(targets::import::check(&json), Ok(()));
    }
}
