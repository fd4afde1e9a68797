use proptest::prelude::*;

use super::error::position;
use super::*;

/// A long list: `[defaults]`, then `n` entries, every third with its own issuers
/// and comments in between.
fn long_list(n: usize) -> String {
    let mut t =
        String::from("# header\n[defaults]\nport = 8443\nexpected_issuers = [\"Lab CA ?\"]\n\n");
    for i in 0..n {
        t.push_str(&format!(
            "# entry {i}\n[[endpoint]]\nhost = \"h{i}.example\"\npurpose = \"p\"\nsources = [\"S\"]\n\
             category = \"allow\"\ninspection = \"bypass\"\nlegacy_tls = \"unknown\"\n"
        ));
        if i % 3 == 0 {
            t.push_str("expected_issuers = [\"Own CA\"]\nport = 9443\n");
        }
        t.push('\n');
    }
    t
}

#[test]
fn entry_by_entry_parse_equals_whole_parse() {
    let text = long_list(200);
    let fast = EndpointList::parse_by_entry(&text, "l.toml").expect("fast path taken");
    let whole = EndpointList::parse_whole(&text, "l.toml").expect("valid");
    assert_eq!(fast, whole);
    assert_eq!(fast.endpoints.len(), 200);
    assert_eq!(fast.endpoints[3].port, 9443);
    assert_eq!(&fast.endpoints[4].expected_issuers[..], ["Lab CA ?"]);
}

#[test]
fn errors_in_long_lists_come_from_the_whole_parse() {
    let text = long_list(100).replace("host = \"h70.example\"", "host = \"h70.example\"\nport = 0");
    assert!(EndpointList::parse_by_entry(&text, "l.toml").is_none());
    let e = EndpointList::parse(&text, "l.toml")
        .unwrap_err()
        .to_string();
    let line = text.lines().position(|l| l == "port = 0").unwrap() + 1;
    assert_eq!(
        e,
        format!("l.toml:{line}: endpoint[70].port: 0 is not a valid port (1-65535)")
    );
    // A duplicate across entries, and defaults after the entries, also fall back.
    let dup = long_list(80).replace("h79.example", "h1.example");
    assert!(
        EndpointList::parse(&dup, "l.toml")
            .unwrap_err()
            .to_string()
            .contains("listed twice")
    );
    let late = format!(
        "{}\n[defaults]\nport = 7443\n",
        long_list(80)
            .replacen("[defaults]\nport = 8443\n", "", 1)
            .replacen("expected_issuers = [\"Lab CA ?\"]\n", "", 1)
    );
    assert!(EndpointList::parse_by_entry(&late, "l.toml").is_none());
    assert_eq!(
        EndpointList::parse(&late, "l.toml").unwrap().endpoints[1].port,
        7443
    );
}

/// A valid first entry: lines 1-7.
const FIRST: &str = "[[endpoint]]
host = \"a.example\"
purpose = \"test\"
sources = [\"LAB\"]
category = \"allow\"
inspection = \"bypass\"
legacy_tls = \"unknown\"
";

/// FIRST, a blank line 8, and a second entry with its header on line 9 and host,
/// purpose, sources, category, inspection, legacy_tls on lines 10-15. Each `(key,
/// line)` edit replaces that key's line ("" leaves a comment, so lines keep their
/// numbers) or, for other keys, is appended from line 16 on.
fn second(edits: &[(&str, &str)]) -> String {
    let mut lines: Vec<(String, String)> = [
        ("host", "host = \"b.example\""),
        ("purpose", "purpose = \"test\""),
        ("sources", "sources = [\"LAB\"]"),
        ("category", "category = \"default\""),
        ("inspection", "inspection = \"allowed\""),
        ("legacy_tls", "legacy_tls = \"unknown\""),
    ]
    .iter()
    .map(|(k, l)| (k.to_string(), l.to_string()))
    .collect();
    for (key, line) in edits {
        let line = if line.is_empty() { "# removed" } else { line };
        match lines.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = line.to_string(),
            None => lines.push((key.to_string(), line.to_string())),
        }
    }
    let body: Vec<String> = lines.into_iter().map(|(_, l)| l).collect();
    format!("{FIRST}\n[[endpoint]]\n{}\n", body.join("\n"))
}

fn parse(text: &str) -> Result<EndpointList, EndpointsError> {
    EndpointList::parse(text, "t.toml")
}

fn error(text: &str) -> String {
    match parse(text) {
        Ok(list) => panic!("accepted: {list:?}\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn embedded_list_is_valid() {
    let list = EndpointList::embedded().unwrap();
    assert_eq!(list.origin, EMBEDDED_ORIGIN);
    assert!(list.endpoints.len() > 20, "{}", list.endpoints.len());
    for e in &list.endpoints {
        assert!(!e.expected_issuers.is_empty(), "{}", e.host);
        assert_eq!(e.port, 443, "{}", e.host);
    }
    let login = list
        .endpoints
        .iter()
        .find(|e| e.host == "login.microsoftonline.com")
        .unwrap();
    assert_eq!(login.legacy_tls, LegacyTls::Refused);
    assert_eq!(login.inspection, Inspection::TenantRestrictions);
    assert_eq!(login.category, Category::Allow);
    assert_eq!(login.set_id, Some(56));
    assert_eq!(login.role, Role::SignIn);
    // Every entry of the embedded list says its role: `other` is only for lists
    // without one and targets not in the list.
    for e in &list.endpoints {
        assert_ne!(e.role, Role::Other, "{}: no role", e.host);
    }
    let role = |h: &str| list.endpoints.iter().find(|e| e.host == h).map(|e| e.role);
    assert_eq!(role("ols.officeapps.live.com"), Some(Role::Activation));
    assert_eq!(role("nexus.officeapps.live.com"), Some(Role::Telemetry));
    assert_eq!(role("officecdn.microsoft.com"), Some(Role::Content));
    assert_eq!(
        role("officeclient.microsoft.com"),
        Some(Role::Configuration)
    );
    let ws = list
        .endpoints
        .iter()
        .find(|e| e.host == "endpoints.office.com");
    assert_eq!(ws.unwrap().set_id, None);
    let patterns = &login.expected_issuers;
    assert!(
        patterns
            .iter()
            .any(|p| glob_match(p, "Microsoft Azure RSA TLS Issuing CA 03"))
    );
    assert!(
        !patterns
            .iter()
            .any(|p| glob_match(p, "Zscaler Intermediate Root CA"))
    );
}

#[test]
fn names_round_trip() {
    for c in Category::ALL {
        assert_eq!(serde_json::to_value(c).unwrap(), c.name());
    }
    for i in Inspection::ALL {
        assert_eq!(serde_json::to_value(i).unwrap(), i.name());
    }
    for r in Role::ALL {
        assert_eq!(serde_json::to_value(r).unwrap(), r.name());
    }
    for l in LegacyTls::ALL {
        assert_eq!(serde_json::to_value(l).unwrap(), l.name());
    }
}

#[test]
fn defaults_and_overrides_apply() {
    let text = format!(
        "[defaults]\nport = 8443\nexpected_issuers = [\"Lab CA ?\"]\n\n{}",
        second(&[
            ("host", "host = \"B.Example.\""),
            ("port", "port = 4433"),
            ("set_id", "set_id = 7"),
            ("expected_issuers", "expected_issuers = [\"Other CA\"]"),
        ])
    );
    let list = parse(&text).unwrap();
    let (a, b) = (&list.endpoints[0], &list.endpoints[1]);
    assert_eq!(
        (a.host.as_str(), a.port, a.set_id),
        ("a.example", 8443, None)
    );
    assert_eq!(&a.expected_issuers[..], ["Lab CA ?"]);
    assert_eq!(
        (b.host.as_str(), b.port, b.set_id),
        ("b.example", 4433, Some(7))
    );
    assert_eq!(&b.expected_issuers[..], ["Other CA"]);
    assert_eq!(b.category, Category::Default);
    assert_eq!(b.inspection, Inspection::Allowed);
}

#[test]
fn without_defaults_port_is_443_and_no_issuers() {
    let list = parse(FIRST).unwrap();
    assert_eq!(list.endpoints[0].port, 443);
    assert!(list.endpoints[0].expected_issuers.is_empty());
}

#[test]
fn ip_literals_are_hosts() {
    let list = parse(&second(&[("host", "host = \"2001:DB8::1\"")])).unwrap();
    assert_eq!(list.endpoints[1].host, "2001:db8::1");
    let list = parse(&second(&[("host", "host = \"192.0.2.10\"")])).unwrap();
    assert_eq!(list.endpoints[1].host, "192.0.2.10");
}

#[test]
fn missing_fields_name_the_entry_line() {
    for key in [
        "host",
        "purpose",
        "sources",
        "category",
        "inspection",
        "legacy_tls",
    ] {
        assert_eq!(
            error(&second(&[(key, "")])),
            format!("t.toml:9: endpoint[1].{key}: missing (the field is required)")
        );
    }
}

#[test]
fn bad_ports() {
    for (value, shown) in [
        ("0", "0"),
        ("70000", "70000"),
        ("-1", "-1"),
        ("1.5", "1.5"),
        ("\"443\"", "\"443\""),
    ] {
        assert_eq!(
            error(&second(&[("port", &format!("port = {value}"))])),
            format!("t.toml:16: endpoint[1].port: {shown} is not a valid port (1-65535)")
        );
    }
    assert_eq!(
        error(&format!("[defaults]\nport = 65536\n{FIRST}")),
        "t.toml:2: defaults.port: 65536 is not a valid port (1-65535)"
    );
}

#[test]
fn bad_set_ids() {
    for value in ["0", "-3", "4294967296", "\"46\""] {
        assert_eq!(
            error(&second(&[("set_id", &format!("set_id = {value}"))])),
            format!(
                "t.toml:16: endpoint[1].set_id: {value} is not a valid endpoint set ID \
                 (1-4294967295)"
            )
        );
    }
}

#[test]
fn bad_hosts() {
    assert_eq!(
        error(&second(&[("host", "host = \"*.officeapps.live.com\"")])),
        "t.toml:10: endpoint[1].host: '*.officeapps.live.com' is a wildcard; \
         list the concrete host names to scan"
    );
    assert_eq!(
        error(&second(&[("host", "host = \"bad host\"")])),
        "t.toml:10: endpoint[1].host: invalid host name 'bad host'"
    );
    assert_eq!(
        error(&second(&[("host", "host = \"\"")])),
        "t.toml:10: endpoint[1].host: empty host name"
    );
}

#[test]
fn empty_purpose_and_sources() {
    assert_eq!(
        error(&second(&[("purpose", "purpose = \"  \"")])),
        "t.toml:11: endpoint[1].purpose: empty"
    );
    assert_eq!(
        error(&second(&[("sources", "sources = []")])),
        "t.toml:12: endpoint[1].sources: empty list \
         (name at least one source key from the file's header)"
    );
    assert_eq!(
        error(&second(&[("sources", "sources = [\"EP\",\n  \"\"]")])),
        "t.toml:13: endpoint[1].sources[1]: empty"
    );
}

#[test]
fn unknown_choices_list_the_allowed_values() {
    assert_eq!(
        error(&second(&[("category", "category = \"Allow\"")])),
        "t.toml:13: endpoint[1].category: 'Allow' is not one of: \
         optimize, allow, default, unlisted"
    );
    assert_eq!(
        error(&second(&[("inspection", "inspection = \"maybe\"")])),
        "t.toml:14: endpoint[1].inspection: 'maybe' is not one of: \
         never, tenant-restrictions, bypass, allowed"
    );
    assert_eq!(
        error(&second(&[("legacy_tls", "legacy_tls = \"accepted\"")])),
        "t.toml:15: endpoint[1].legacy_tls: 'accepted' is not one of: refused, unknown"
    );
    assert_eq!(
        error(&second(&[("role", "role = \"login\"")])),
        "t.toml:16: endpoint[1].role: 'login' is not one of: \
         sign-in, activation, configuration, content, telemetry, mail, other"
    );
    // Optional: absent is `other`.
    let list = parse(&second(&[])).unwrap();
    assert_eq!(list.endpoints[1].role, Role::Other);
    let list = parse(&second(&[("role", "role = \"telemetry\"")])).unwrap();
    assert_eq!(list.endpoints[1].role, Role::Telemetry);
}

#[test]
fn duplicates_name_both_lines() {
    assert_eq!(
        error(&second(&[("host", "host = \"A.EXAMPLE.\"")])),
        "t.toml:10: endpoint[1].host: a.example port 443 is listed twice (first at line 2)"
    );
    assert_eq!(
        error(&second(&[
            ("host", "host = \"a.example\""),
            ("port", "port = 443")
        ])),
        "t.toml:10: endpoint[1].host: a.example port 443 is listed twice (first at line 2)"
    );
    // Same host, other port: a different endpoint.
    let list = parse(&second(&[
        ("host", "host = \"a.example\""),
        ("port", "port = 8443"),
    ]));
    assert_eq!(list.unwrap().endpoints.len(), 2);
}

#[test]
fn empty_list_is_rejected() {
    let message = "t.toml: no endpoints: the list needs at least one [[endpoint]] table";
    assert_eq!(error(""), message);
    assert_eq!(error("[defaults]\nport = 443\n"), message);
    assert_eq!(error("endpoint = []\n"), message);
}

#[test]
fn issuer_patterns_must_be_specific() {
    let cases = [
        (
            "[\"*\"]",
            "[0]: '*' matches any issuer, so interception would go unnoticed",
        ),
        (
            "[\"CA\", \"*?*\"]",
            "[1]: '*?*' matches any issuer, so interception would go unnoticed",
        ),
        ("[\" \"]", "[0]: empty pattern"),
        (
            "[]",
            ": empty list (give at least one issuer pattern, or leave the key out)",
        ),
    ];
    for (list, message) in cases {
        let line = format!("expected_issuers = {list}");
        assert_eq!(
            error(&second(&[("expected_issuers", &line)])),
            format!("t.toml:16: endpoint[1].expected_issuers{message}")
        );
        assert_eq!(
            error(&format!("\n[defaults]\n{line}\n\n{FIRST}")),
            format!("t.toml:3: defaults.expected_issuers{message}")
        );
    }
}

#[test]
fn schema_errors_name_line_column_and_field() {
    let message = error(&second(&[("bogus", "bogus = 1")]));
    assert!(
        message.starts_with(
            "t.toml:16:1: endpoint[1].bogus: unknown field `bogus`, expected one of `host`"
        ),
        "{message}"
    );
    assert_eq!(
        error(&second(&[("host", "host = 5")])),
        "t.toml:10:8: endpoint[1].host: invalid type: integer `5`, expected a string"
    );
    assert_eq!(
        error(&second(&[("sources", "sources = [\"EP\", 3]")])),
        "t.toml:12:18: endpoint[1].sources[1]: invalid type: integer `3`, expected a string"
    );
    let message = error(&format!("[defaults]\ncolour = 1\n{FIRST}"));
    assert!(
        message.starts_with("t.toml:2:1: defaults.colour: unknown field `colour`"),
        "{message}"
    );
    let message = error(&format!("{FIRST}endpoints = 1\n"));
    assert!(
        message.starts_with("t.toml:8:1: endpoint[0].endpoints: unknown field"),
        "{message}"
    );
    let message = error(&format!("{FIRST}[extra]\n"));
    assert!(
        message.starts_with("t.toml:8:2: extra: unknown field `extra`"),
        "{message}"
    );
}

#[test]
fn toml_syntax_errors_have_a_position() {
    let message = error(&second(&[("purpose", "purpose = \"unterminated")]));
    assert!(message.starts_with("t.toml:11:24: "), "{message}");
    assert!(!message.contains("endpoint["), "{message}");
    let message = error(&second(&[("dup", "host = \"c.example\"")]));
    assert!(
        message.starts_with("t.toml:16:1: duplicate key"),
        "{message}"
    );
}

#[test]
fn load_reads_files_and_reports_the_path() {
    let dir = std::env::temp_dir().join(format!("tlscompat-endpoints-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("list.toml");
    std::fs::write(&path, second(&[("port", "port = 0")])).unwrap();
    let message = EndpointList::load(&path).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}:16: endpoint[1].port: 0 is not a valid port (1-65535)",
            path.display()
        )
    );
    std::fs::write(&path, FIRST).unwrap();
    let list = EndpointList::load(&path).unwrap();
    assert_eq!(list.origin, path.display().to_string());
    std::fs::remove_dir_all(&dir).unwrap();

    let missing = dir.join("missing.toml");
    let message = EndpointList::load(&missing).unwrap_err().to_string();
    let expected = format!("{}: cannot read the endpoint list: ", missing.display());
    assert!(message.starts_with(&expected), "{message}");
}

#[test]
fn position_counts_lines_and_characters() {
    assert_eq!(position("", 0), (1, 1));
    assert_eq!(position("ab\ncd", 3), (2, 1));
    assert_eq!(position("ab\ncd", 4), (2, 2));
    assert_eq!(position("é\néé", 5), (2, 2));
    assert_eq!(position("ab", 99), (1, 3));
    assert_eq!(position("é", 1), (1, 2)); // inside a character: bytes, no panic
}

/// Lines that make up plausible and implausible endpoint files.
fn toml_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[[endpoint]]".to_owned()),
        Just("[defaults]".to_owned()),
        Just("host = \"a.example\"".to_owned()),
        Just("host = \"192.0.2.1\"".to_owned()),
        Just("purpose = \"p\"".to_owned()),
        Just("sources = [\"S\"]".to_owned()),
        Just("category = \"allow\"".to_owned()),
        Just("inspection = \"bypass\"".to_owned()),
        Just("legacy_tls = \"unknown\"".to_owned()),
        Just("expected_issuers = [\"CA ?\"]".to_owned()),
        any::<i64>().prop_map(|n| format!("port = {n}")),
        any::<i64>().prop_map(|n| format!("set_id = {n}")),
        "[a-z_]{1,12} = \"[ -~]{0,8}\"",
        "[ -~]{0,20}",
    ]
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = EndpointList::parse(&text, "p.toml");
    }

    #[test]
    fn parse_never_panics_on_toml_like_text(lines in prop::collection::vec(toml_line(), 0..24)) {
        let text = lines.join("\n");
        match EndpointList::parse(&text, "p.toml") {
            Ok(list) => prop_assert!(!list.endpoints.is_empty()),
            Err(e) => prop_assert!(e.to_string().starts_with("p.toml:")),
        }
    }

}

#[test]
fn embedded_mail_list_is_valid_with_one_template() {
    let list = EndpointList::parse(EMBEDDED_MAIL, EMBEDDED_MAIL_ORIGIN).unwrap();
    let names: Vec<String> = list
        .endpoints
        .iter()
        .map(|e| format!("{}:{}", e.host, e.port))
        .collect();
    assert_eq!(
        names,
        [
            "smtp.office365.com:587",
            "smtp-legacy.office365.com:587",
            "outlook.office365.com:993",
            "outlook.office365.com:143",
            "outlook.office365.com:995",
            "outlook.office365.com:110",
            "{tenant}.mail.protection.outlook.com:25",
        ]
    );
    assert_eq!(list.endpoints[0].legacy_tls, LegacyTls::Refused);
    assert!(
        list.endpoints
            .iter()
            .all(|e| !e.expected_issuers.is_empty())
    );
    let mut filled = list.clone();
    assert!(filled.fill_templates(Some("contoso-com")).is_empty());
    assert_eq!(
        filled.endpoints[6].host,
        "contoso-com.mail.protection.outlook.com"
    );
    let mut skipped = list;
    let notes = skipped.fill_templates(None);
    assert_eq!(skipped.endpoints.len(), 6);
    assert!(notes[0].contains("skipped {tenant}.mail.protection.outlook.com:25"));
}

#[test]
fn template_hosts_are_checked_and_other_braces_refused() {
    let ok = FIRST.replace("a.example", "{tenant}.Example.com");
    let list = parse(&ok).unwrap();
    assert_eq!(list.endpoints[0].host, "{tenant}.example.com");
    let e = error(&FIRST.replace("a.example", "{domain}.example.com"));
    assert!(
        e.starts_with("t.toml:2: endpoint[0].host: invalid host name"),
        "{e}"
    );
    let e = error(&format!("{FIRST}starttls = \"ftp\"\n"));
    assert!(
        e.contains("endpoint[0].starttls: 'ftp' is not one of: smtp, imap, pop3, none"),
        "{e}"
    );
    let list = parse(&format!("{FIRST}starttls = \"imap\"\n")).unwrap();
    assert_eq!(
        list.endpoints[0].starttls,
        Some(crate::mail::StarttlsChoice::Protocol(
            crate::mail::MailProtocol::Imap
        ))
    );
}
