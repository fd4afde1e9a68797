//! The endpoint list: which hosts a default scan covers, and what is known about each.
//!
//! The list lives in `endpoints.toml` (embedded in the binary, or given with
//! `--endpoints FILE`) rather than in code, so that a monthly refresh of Microsoft's
//! endpoint table, or a lab's own list, is an edit to data with its sources next to it.
//! Because people edit that file by hand, loading it is strict: unknown keys, missing or
//! empty fields, unknown category names, duplicate entries and issuer patterns broad
//! enough to hide an interception proxy are all rejected, and every error names the
//! file, the line and the field, as `endpoints.toml:42: endpoint[3].port: ...`.
//!
//! Field paths count `[[endpoint]]` tables from 0 in file order (`endpoint[0]` is the
//! first); the line number is the one to go by.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::mail::StarttlsChoice;
use crate::target::{DEFAULT_PORT, Host};

/// The endpoint list compiled into the binary.
pub const EMBEDDED: &str = include_str!("../endpoints.toml");
/// The `origin` used in messages about [`EMBEDDED`].
pub const EMBEDDED_ORIGIN: &str = "embedded endpoints.toml";

/// The category of the endpoint set in Microsoft's endpoint table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Optimize,
    Allow,
    Default,
    /// Not in Microsoft's endpoint table.
    Unlisted,
}

/// What Microsoft says about TLS inspection (break-and-inspect) of the endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Inspection {
    /// Interception breaks the service (client-certificate authentication).
    Never,
    /// A proxy may intercept on purpose to insert tenant restriction headers.
    TenantRestrictions,
    /// Microsoft asks to exempt it from decryption (Optimize/Allow sets).
    Bypass,
    /// Inspection is tolerated (Default sets).
    Allowed,
}

/// Whether a Microsoft source says the service refuses TLS 1.0/1.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LegacyTls {
    Refused,
    Unknown,
}

impl Category {
    pub const ALL: [Self; 4] = [Self::Optimize, Self::Allow, Self::Default, Self::Unlisted];

    /// The name used in `endpoints.toml` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Optimize => "optimize",
            Self::Allow => "allow",
            Self::Default => "default",
            Self::Unlisted => "unlisted",
        }
    }
}

impl Inspection {
    pub const ALL: [Self; 4] = [
        Self::Never,
        Self::TenantRestrictions,
        Self::Bypass,
        Self::Allowed,
    ];

    /// The name used in `endpoints.toml` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::TenantRestrictions => "tenant-restrictions",
            Self::Bypass => "bypass",
            Self::Allowed => "allowed",
        }
    }
}

impl LegacyTls {
    pub const ALL: [Self; 2] = [Self::Refused, Self::Unknown];

    /// The name used in `endpoints.toml` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Unknown => "unknown",
        }
    }
}

/// One `[[endpoint]]` entry, validated, with the defaults applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// A lowercase DNS name without trailing dot, or an IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub purpose: String,
    /// Source keys from the file's header, e.g. `EP ID 46`.
    pub sources: Vec<String>,
    /// Microsoft endpoint-set ID.
    pub set_id: Option<u32>,
    pub category: Category,
    pub inspection: Inspection,
    pub legacy_tls: LegacyTls,
    /// Issuer CN patterns for [`glob_match`]: the entry's own list, else
    /// `defaults.expected_issuers`. Empty only when neither is given: then there is no
    /// expectation and interception is not judged.
    pub expected_issuers: Arc<[String]>,
    /// SHA-1 thumbprints (uppercase hex) of the documented issuing CA certificates: an
    /// issuer that carries an expected name but is another certificate impersonates
    /// it, and a documented one is genuine even where a root store disagrees. The
    /// entry's own list, else `defaults.issuer_thumbprints`; empty = not judged.
    #[serde(skip_serializing, default = "no_thumbprints")]
    pub issuer_thumbprints: Arc<[String]>,
    /// The mail protocol to speak before TLS (`smtp`, `imap`, `pop3`, or `none`),
    /// overriding the port's (see `mail.rs`); `None`: by port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starttls: Option<StarttlsChoice>,
}

fn no_thumbprints() -> Arc<[String]> {
    Arc::from([])
}

/// A validated endpoint list, in file order, without duplicate (host, port) pairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndpointList {
    /// Where the list came from: a path, or [`EMBEDDED_ORIGIN`].
    pub origin: String,
    pub endpoints: Vec<Endpoint>,
    /// `defaults.domains`: DNS suffixes the list declares as the service's own. A
    /// target under one of them that the list does not name inherits the default
    /// expected issuers and thumbprints ([`EndpointList::inherited`]).
    pub domains: Vec<String>,
    #[serde(skip)]
    default_issuers: Arc<[String]>,
    #[serde(skip)]
    default_thumbprints: Arc<[String]>,
}

impl EndpointList {
    /// The expectations for a host the list does not name but that lies under one of
    /// its declared domains (`graph.microsoft.com` under `microsoft.com`), so that
    /// interception of an ad-hoc target is judged too. `None` otherwise.
    pub fn inherited(&self, host: &str, port: u16) -> Option<Endpoint> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let domain = self
            .domains
            .iter()
            .find(|d| host == **d || host.ends_with(&format!(".{d}")))?;
        Some(Endpoint {
            purpose: format!("not in the list; under {domain}, a domain the list declares"),
            host,
            port,
            sources: Vec::new(),
            set_id: None,
            category: Category::Unlisted,
            inspection: Inspection::Allowed,
            legacy_tls: LegacyTls::Unknown,
            expected_issuers: self.default_issuers.clone(),
            issuer_thumbprints: self.default_thumbprints.clone(),
            starttls: None,
        })
    }
}

/// Why an endpoint list was rejected. Each message starts with `{origin}:{line}:`.
#[derive(Debug, thiserror::Error)]
pub enum EndpointsError {
    #[error("{}: cannot read the endpoint list: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not TOML, or not the schema: a syntax error, an unknown key, a wrong value type.
    #[error("{origin}:{line}:{column}: {}{message}", FieldPrefix(.field.as_deref()))]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        /// The field path, when the document parses as TOML.
        field: Option<String>,
        message: String,
    },
    /// A value of the right type that is not acceptable.
    #[error("{origin}:{line}: {field}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        field: String,
        message: String,
    },
    #[error(
        "{origin}:{line}: {field}: {host} port {port} is listed twice (first at line {first_line})"
    )]
    Duplicate {
        origin: String,
        line: usize,
        field: String,
        host: String,
        port: u16,
        first_line: usize,
    },
    #[error("{origin}: no endpoints: the list needs at least one [[endpoint]] table")]
    Empty { origin: String },
}

/// Renders `field: ` or nothing.
struct FieldPrefix<'a>(Option<&'a str>);

impl fmt::Display for FieldPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, "{field}: "),
            None => Ok(()),
        }
    }
}

impl EndpointList {
    /// Parses and validates `text`; `origin` names the file in messages.
    ///
    /// Long lists are parsed one `[[endpoint]]` table at a time, so the TOML document
    /// model never holds the whole file (it takes ~30 times the text's size). Whatever
    /// that path does not accept — an error, or a layout it does not handle — goes to
    /// the whole-document path, which is the reference and words every error.
    pub fn parse(text: &str, origin: &str) -> Result<Self, EndpointsError> {
        match Self::parse_by_entry(text, origin) {
            Some(list) => Ok(list),
            None => Self::parse_whole(text, origin),
        }
    }

    /// The entry-at-a-time path; `None` means "use the whole-document path".
    fn parse_by_entry(text: &str, origin: &str) -> Option<Self> {
        let starts: Vec<usize> = entry_starts(text);
        if starts.len() < ENTRY_PARSE_MIN {
            return None;
        }
        let head: RawFile = toml::from_str(&text[..starts[0]]).ok()?;
        if head.endpoint.is_some() {
            return None;
        }
        let defaults = Doc { text, origin }.defaults(head.defaults).ok()?;
        let mut endpoints = Vec::with_capacity(starts.len());
        let mut seen = std::collections::HashSet::with_capacity(starts.len());
        for (index, window) in starts
            .iter()
            .zip(starts.iter().skip(1).chain([&text.len()]))
            .enumerate()
        {
            let chunk = &text[*window.0..*window.1];
            let raw: RawFile = toml::from_str(chunk).ok()?;
            let (None, Some(mut entries)) = (raw.defaults, raw.endpoint) else {
                return None;
            };
            let entry = entries.pop().filter(|_| entries.is_empty())?;
            let (endpoint, _) = Doc {
                text: chunk,
                origin,
            }
            .endpoint(index, entry, &defaults)
            .ok()?;
            if !seen.insert((endpoint.host.clone(), endpoint.port)) {
                return None;
            }
            endpoints.push(endpoint);
        }
        Some(Self::assemble(origin, endpoints, defaults))
    }

    fn parse_whole(text: &str, origin: &str) -> Result<Self, EndpointsError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| syntax_error(text, origin, &e))?;
        let doc = Doc { text, origin };
        let defaults = doc.defaults(raw.defaults)?;
        let entries = raw.endpoint.unwrap_or_default();
        if entries.is_empty() {
            return Err(EndpointsError::Empty {
                origin: origin.to_owned(),
            });
        }
        let mut endpoints = Vec::with_capacity(entries.len());
        let mut first_line = HashMap::new();
        for (index, entry) in entries.into_iter().enumerate() {
            let (endpoint, line) = doc.endpoint(index, entry, &defaults)?;
            let key = (endpoint.host.clone(), endpoint.port);
            if let Some(&first_line) = first_line.get(&key) {
                return Err(EndpointsError::Duplicate {
                    origin: origin.to_owned(),
                    line,
                    field: format!("endpoint[{index}].host"),
                    host: endpoint.host,
                    port: endpoint.port,
                    first_line,
                });
            }
            first_line.insert(key, line);
            endpoints.push(endpoint);
        }
        Ok(Self::assemble(origin, endpoints, defaults))
    }

    fn assemble(origin: &str, endpoints: Vec<Endpoint>, defaults: Defaults) -> Self {
        Self {
            origin: origin.to_owned(),
            endpoints,
            domains: defaults.domains,
            default_issuers: defaults.expected_issuers,
            default_thumbprints: defaults.issuer_thumbprints,
        }
    }

    /// Reads and parses a file (origin = the path as given). Bytes that are not UTF-8
    /// are reported with their line and column, like any other syntax error.
    pub fn load(path: &Path) -> Result<Self, EndpointsError> {
        let bytes = std::fs::read(path).map_err(|source| EndpointsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..valid];
            let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            EndpointsError::Syntax {
                origin: origin.clone(),
                line,
                column,
                field: None,
                message: match e.as_bytes().get(valid) {
                    Some(b) => format!("invalid UTF-8 (byte 0x{b:02x})"),
                    None => "invalid UTF-8".into(),
                },
            }
        })?;
        Self::parse(&text, &origin)
    }

    /// The list compiled into the binary.
    pub fn embedded() -> Result<Self, EndpointsError> {
        Self::parse(EMBEDDED, EMBEDDED_ORIGIN)
    }
}

/// Lists shorter than this are parsed whole: the saving only matters for long lists.
const ENTRY_PARSE_MIN: usize = 64;

/// Byte offsets of the lines that open an `[[endpoint]]` table.
fn entry_starts(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == "[[endpoint]]" {
            out.push(offset);
        }
        offset += line.len();
    }
    out
}

/// Glob match with `*` (any run, including empty) and `?` (one character), ASCII
/// case-insensitive; used for expected issuer CN patterns. There is no escape: `*` and
/// `?` are always wildcards. Runs in O(pattern × text) at worst (it backtracks only to
/// the last `*`), so no pattern can make it slow.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // After a `*`: the pattern index after it, and the text index it has swallowed up to.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(&want) if want == '?' || want.eq_ignore_ascii_case(&c) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((after_star, swallowed)) => {
                    star = Some((after_star, swallowed + 1));
                    p = after_star;
                    t = swallowed + 1;
                }
                None => return false,
            },
        }
    }
    pattern.iter().skip(p).all(|&c| c == '*')
}

// ---------------------------------------------------------------------------------------
// The file as TOML gives it: every value spanned, so semantic errors can name a line.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<RawDefaults>,
    endpoint: Option<Vec<Spanned<RawEndpoint>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    port: Option<Spanned<toml::Value>>,
    expected_issuers: Option<Spanned<Vec<Spanned<String>>>>,
    issuer_thumbprints: Option<Spanned<Vec<Spanned<String>>>>,
    domains: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    host: Option<Spanned<String>>,
    port: Option<Spanned<toml::Value>>,
    purpose: Option<Spanned<String>>,
    sources: Option<Spanned<Vec<Spanned<String>>>>,
    set_id: Option<Spanned<toml::Value>>,
    category: Option<Spanned<String>>,
    inspection: Option<Spanned<String>>,
    legacy_tls: Option<Spanned<String>>,
    expected_issuers: Option<Spanned<Vec<Spanned<String>>>>,
    issuer_thumbprints: Option<Spanned<Vec<Spanned<String>>>>,
    starttls: Option<Spanned<String>>,
}

/// `[defaults]`, validated.
struct Defaults {
    port: u16,
    /// Shared by every endpoint without its own list: one copy, however long the list.
    expected_issuers: Arc<[String]>,
    issuer_thumbprints: Arc<[String]>,
    domains: Vec<String>,
}

/// The text being validated, for turning spans into error locations.
struct Doc<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Doc<'_> {
    fn defaults(&self, raw: Option<RawDefaults>) -> Result<Defaults, EndpointsError> {
        let Some(raw) = raw else {
            return Ok(Defaults {
                port: DEFAULT_PORT,
                expected_issuers: Arc::from([]),
                issuer_thumbprints: Arc::from([]),
                domains: Vec::new(),
            });
        };
        let port = match &raw.port {
            Some(port) => self.port(port, "defaults.port")?,
            None => DEFAULT_PORT,
        };
        let expected_issuers = match raw.expected_issuers {
            Some(list) => self.issuers(list, "defaults.expected_issuers")?.into(),
            None => Arc::from([]),
        };
        let issuer_thumbprints = match raw.issuer_thumbprints {
            Some(list) => self
                .thumbprints(list, "defaults.issuer_thumbprints")?
                .into(),
            None => Arc::from([]),
        };
        let domains = match raw.domains {
            Some(list) => self.domains(list, "defaults.domains")?,
            None => Vec::new(),
        };
        Ok(Defaults {
            port,
            expected_issuers,
            issuer_thumbprints,
            domains,
        })
    }

    /// Validates `endpoint[index]`; also returns the line of its host, for duplicates.
    fn endpoint(
        &self,
        index: usize,
        entry: Spanned<RawEndpoint>,
        defaults: &Defaults,
    ) -> Result<(Endpoint, usize), EndpointsError> {
        let table = entry.span();
        let raw = entry.into_inner();
        let at = |name: &str| format!("endpoint[{index}].{name}");
        let host = self.required(raw.host, &table, &at("host"))?;
        let purpose = self.required(raw.purpose, &table, &at("purpose"))?;
        let sources = self.required(raw.sources, &table, &at("sources"))?;
        let category = self.required(raw.category, &table, &at("category"))?;
        let inspection = self.required(raw.inspection, &table, &at("inspection"))?;
        let legacy_tls = self.required(raw.legacy_tls, &table, &at("legacy_tls"))?;
        let endpoint = Endpoint {
            host: self.host(&host, &at("host"))?,
            port: match &raw.port {
                Some(port) => self.port(port, &at("port"))?,
                None => defaults.port,
            },
            purpose: self.text(&purpose, &at("purpose"))?,
            sources: self.sources(sources, &at("sources"))?,
            set_id: match &raw.set_id {
                Some(id) => Some(self.set_id(id, &at("set_id"))?),
                None => None,
            },
            category: self.choice(category, &at("category"), &Category::ALL, Category::name)?,
            inspection: self.choice(
                inspection,
                &at("inspection"),
                &Inspection::ALL,
                Inspection::name,
            )?,
            legacy_tls: self.choice(
                legacy_tls,
                &at("legacy_tls"),
                &LegacyTls::ALL,
                LegacyTls::name,
            )?,
            expected_issuers: match raw.expected_issuers {
                Some(list) => self.issuers(list, &at("expected_issuers"))?.into(),
                None => defaults.expected_issuers.clone(),
            },
            issuer_thumbprints: match raw.issuer_thumbprints {
                Some(list) => self.thumbprints(list, &at("issuer_thumbprints"))?.into(),
                None => defaults.issuer_thumbprints.clone(),
            },
            starttls: match raw.starttls {
                Some(value) => Some(self.starttls(&value, &at("starttls"))?),
                None => None,
            },
        };
        Ok((endpoint, self.line(host.span().start)))
    }

    fn required<T>(
        &self,
        value: Option<Spanned<T>>,
        table: &Range<usize>,
        field: &str,
    ) -> Result<Spanned<T>, EndpointsError> {
        value.ok_or_else(|| self.invalid(table, field, "missing (the field is required)".into()))
    }

    fn host(&self, host: &Spanned<String>, field: &str) -> Result<String, EndpointsError> {
        let name = host.get_ref();
        if name.contains('*') {
            let message = format!("'{name}' is a wildcard; list the concrete host names to scan");
            return Err(self.invalid(&host.span(), field, message));
        }
        match Host::parse(name) {
            Ok(host) => Ok(host.to_string()),
            Err(e) => Err(self.invalid(&host.span(), field, e)),
        }
    }

    fn port(&self, port: &Spanned<toml::Value>, field: &str) -> Result<u16, EndpointsError> {
        match port.get_ref() {
            toml::Value::Integer(n) => u16::try_from(*n).ok().filter(|&p| p != 0),
            _ => None,
        }
        .ok_or_else(|| {
            let message = format!("{} is not a valid port (1-65535)", port.get_ref());
            self.invalid(&port.span(), field, message)
        })
    }

    fn starttls(
        &self,
        value: &Spanned<String>,
        field: &str,
    ) -> Result<StarttlsChoice, EndpointsError> {
        value
            .get_ref()
            .parse()
            .map_err(|e| self.invalid(&value.span(), field, e))
    }

    fn set_id(&self, id: &Spanned<toml::Value>, field: &str) -> Result<u32, EndpointsError> {
        match id.get_ref() {
            toml::Value::Integer(n) => u32::try_from(*n).ok().filter(|&n| n != 0),
            _ => None,
        }
        .ok_or_else(|| {
            let message = format!(
                "{} is not a valid endpoint set ID (1-{})",
                id.get_ref(),
                u32::MAX
            );
            self.invalid(&id.span(), field, message)
        })
    }

    fn text(&self, text: &Spanned<String>, field: &str) -> Result<String, EndpointsError> {
        let trimmed = text.get_ref().trim();
        if trimmed.is_empty() {
            return Err(self.invalid(&text.span(), field, "empty".into()));
        }
        Ok(trimmed.to_owned())
    }

    fn sources(
        &self,
        list: Spanned<Vec<Spanned<String>>>,
        field: &str,
    ) -> Result<Vec<String>, EndpointsError> {
        if list.get_ref().is_empty() {
            let message = "empty list (name at least one source key from the file's header)";
            return Err(self.invalid(&list.span(), field, message.into()));
        }
        let items = list.into_inner().into_iter().enumerate();
        items
            .map(|(i, source)| self.text(&source, &format!("{field}[{i}]")))
            .collect()
    }

    fn choice<T: Copy>(
        &self,
        value: Spanned<String>,
        field: &str,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Result<T, EndpointsError> {
        if let Some(&found) = all.iter().find(|&&c| name(c) == value.get_ref()) {
            return Ok(found);
        }
        let allowed: Vec<&str> = all.iter().map(|&c| name(c)).collect();
        let message = format!(
            "'{}' is not one of: {}",
            value.get_ref(),
            allowed.join(", ")
        );
        Err(self.invalid(&value.span(), field, message))
    }

    /// Issuer CN patterns: a non-empty list of patterns that each need a literal
    /// character, because a pattern of only wildcards would accept any proxy's CA.
    fn issuers(
        &self,
        list: Spanned<Vec<Spanned<String>>>,
        field: &str,
    ) -> Result<Vec<String>, EndpointsError> {
        if list.get_ref().is_empty() {
            let message = "empty list (give at least one issuer pattern, or leave the key out)";
            return Err(self.invalid(&list.span(), field, message.into()));
        }
        let mut patterns = Vec::with_capacity(list.get_ref().len());
        for (i, pattern) in list.into_inner().into_iter().enumerate() {
            let text = pattern.get_ref();
            let message = if text.trim().is_empty() {
                "empty pattern".to_owned()
            } else if text.chars().all(|c| c == '*' || c == '?') {
                format!("'{text}' matches any issuer, so interception would go unnoticed")
            } else {
                patterns.push(pattern.into_inner());
                continue;
            };
            return Err(self.invalid(&pattern.span(), &format!("{field}[{i}]"), message));
        }
        Ok(patterns)
    }

    /// SHA-1 thumbprints: 40 hex digits each (colons and spaces allowed, as Windows and
    /// OpenSSL print them), normalised to uppercase.
    fn thumbprints(
        &self,
        list: Spanned<Vec<Spanned<String>>>,
        field: &str,
    ) -> Result<Vec<String>, EndpointsError> {
        let mut out = Vec::with_capacity(list.get_ref().len());
        for (i, item) in list.into_inner().into_iter().enumerate() {
            let hex: String = item
                .get_ref()
                .chars()
                .filter(|c| *c != ':' && !c.is_whitespace())
                .collect();
            if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                let message = format!(
                    "'{}' is not a SHA-1 thumbprint (40 hex digits)",
                    item.get_ref()
                );
                return Err(self.invalid(&item.span(), &format!("{field}[{i}]"), message));
            }
            out.push(hex.to_ascii_uppercase());
        }
        Ok(out)
    }

    /// Declared domains: DNS names (no wildcard), lowercase, no trailing dot.
    fn domains(
        &self,
        list: Spanned<Vec<Spanned<String>>>,
        field: &str,
    ) -> Result<Vec<String>, EndpointsError> {
        let mut out = Vec::with_capacity(list.get_ref().len());
        for (i, item) in list.into_inner().into_iter().enumerate() {
            let name = item
                .get_ref()
                .trim()
                .trim_end_matches('.')
                .to_ascii_lowercase();
            let ok = name.contains('.')
                && name.split('.').all(|l| {
                    !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !ok {
                let message = format!(
                    "'{}' is not a domain name (like microsoft.com; no wildcard)",
                    item.get_ref()
                );
                return Err(self.invalid(&item.span(), &format!("{field}[{i}]"), message));
            }
            out.push(name);
        }
        Ok(out)
    }

    fn invalid(&self, span: &Range<usize>, field: &str, message: String) -> EndpointsError {
        EndpointsError::Invalid {
            origin: self.origin.to_owned(),
            line: self.line(span.start),
            field: field.to_owned(),
            message,
        }
    }

    fn line(&self, offset: usize) -> usize {
        position(self.text, offset).0
    }
}

/// The 1-based line and column (in characters) of byte `offset`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |nl| nl + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = match text.get(line_start..offset) {
        Some(s) => s.chars().count(),
        None => offset - line_start,
    };
    (line, column + 1)
}

fn syntax_error(text: &str, origin: &str, error: &toml::de::Error) -> EndpointsError {
    let offset = error.span().map_or(0, |span| span.start);
    let (line, column) = position(text, offset);
    EndpointsError::Syntax {
        origin: origin.to_owned(),
        line,
        column,
        field: field_path(text, offset),
        message: error.message().to_owned(),
    }
}

/// The path (`endpoint[3].port`) of the key or value at byte `offset`, when the text is
/// valid TOML (a schema error, not a syntax error).
fn field_path(text: &str, offset: usize) -> Option<String> {
    let doc = DeTable::parse(text).ok()?;
    path_in_table(doc.get_ref(), offset)
}

fn path_in_table(table: &DeTable<'_>, offset: usize) -> Option<String> {
    table.iter().find_map(|(key, value)| {
        let name = key.get_ref();
        if let Some(rest) = path_in_value(value, offset) {
            return Some(format!("{name}{rest}"));
        }
        let here = key.span().contains(&offset) || value.span().contains(&offset);
        here.then(|| name.to_string())
    })
}

/// The rest of the path (`[3].port`, `.port`) below `value`, if `offset` is inside it.
/// Children are searched whatever the parent's span: an `[[endpoint]]` table's span is
/// only its header.
fn path_in_value(value: &Spanned<DeValue<'_>>, offset: usize) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(table) => path_in_table(table, offset).map(|path| format!(".{path}")),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let rest = path_in_value(item, offset);
            let rest = rest.or_else(|| item.span().contains(&offset).then(String::new));
            rest.map(|rest| format!("[{i}]{rest}"))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

    use super::*;

    /// A long list: `[defaults]`, then `n` entries, every third with its own issuers
    /// and comments in between.
    fn long_list(n: usize) -> String {
        let mut t = String::from(
            "# header\n[defaults]\nport = 8443\nexpected_issuers = [\"Lab CA ?\"]\n\n",
        );
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
        let text =
            long_list(100).replace("host = \"h70.example\"", "host = \"h70.example\"\nport = 0");
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

    #[test]
    fn glob_matches_issuer_patterns() {
        let azure = "Microsoft Azure RSA TLS Issuing CA ??";
        assert!(glob_match(azure, "Microsoft Azure RSA TLS Issuing CA 03"));
        assert!(glob_match(azure, "microsoft azure rsa tls issuing ca 07"));
        assert!(!glob_match(azure, "Microsoft Azure RSA TLS Issuing CA 3"));
        assert!(!glob_match(azure, "Microsoft Azure RSA TLS Issuing CA 003"));
        assert!(!glob_match(azure, "Zscaler Intermediate Root CA"));
        assert!(glob_match(
            "Microsoft ??? TLS Issuing AOC CA 0?",
            "Microsoft ECC TLS Issuing AOC CA 02"
        ));
        assert!(glob_match(
            "DigiCert Cloud Services CA-1",
            "DIGICERT CLOUD SERVICES CA-1"
        ));
        assert!(!glob_match(
            "DigiCert Cloud Services CA-1",
            "DigiCert Cloud Services CA-12"
        ));
    }

    #[test]
    fn glob_stars() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "anything at all"));
        assert!(glob_match("**", "x"));
        assert!(glob_match("a*", "a"));
        assert!(glob_match("*a", "bba"));
        assert!(glob_match("a*b*c", "a-b-b-c"));
        assert!(glob_match("*CA*", "Some CA 1"));
        assert!(!glob_match("a*b", "a-b-c"));
        assert!(!glob_match("*b", "bbba"));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "a"));
    }

    #[test]
    fn glob_question_marks() {
        assert!(!glob_match("?", ""));
        assert!(glob_match("?", "x"));
        assert!(!glob_match("?", "xy"));
        assert!(glob_match("?", "é")); // one character, not one byte
        assert!(glob_match("??", "éé"));
        assert!(glob_match("?*", "x"));
        assert!(!glob_match("?*", ""));
        assert!(glob_match("*?", "xyz"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(!glob_match("É", "é")); // ASCII case folding only
    }

    #[test]
    fn glob_pathological_patterns_are_fast() {
        let text = "a".repeat(100_000);
        let start = Instant::now();
        assert!(!glob_match("*a*a*a*a*a*b", &text));
        assert!(!glob_match("*aaaaaaaaaaaaaaaaaaab", &text));
        assert!(glob_match("*a*a*a*a*a*a", &text));
        assert!(!glob_match(&"*a".repeat(50).replace("*a*a", "*?*b"), &text));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    /// Obviously correct, exponential: the reference for the proptest.
    fn glob_reference(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, _) => t.is_empty(),
            (Some('*'), _) => {
                glob_reference(&p[1..], t) || (!t.is_empty() && glob_reference(p, &t[1..]))
            }
            (Some(_), None) => false,
            (Some(&c), Some(&d)) => {
                (c == '?' || c.eq_ignore_ascii_case(&d)) && glob_reference(&p[1..], &t[1..])
            }
        }
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

        #[test]
        fn glob_never_panics(pattern in any::<String>(), text in any::<String>()) {
            let _ = glob_match(&pattern, &text);
        }

        #[test]
        fn glob_agrees_with_reference(pattern in "[ab*?]{0,8}", text in "[abAB]{0,10}") {
            let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
            prop_assert_eq!(glob_match(&pattern, &text), glob_reference(&p, &t));
        }

        #[test]
        fn literal_patterns_match_themselves(text in "[ -)+->@-~]{0,30}") {
            prop_assert!(glob_match(&text, &text));
            prop_assert!(glob_match(&text, &text.to_ascii_uppercase()));
            let star = format!("*{text}*");
            let wrapped = format!("x{text}y");
            prop_assert!(glob_match(&star, &wrapped));
        }
    }
}
