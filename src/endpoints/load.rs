//! The TOML loader: a file or the embedded list, parsed whole or one `[[endpoint]]`
//! table at a time, into a validated [`EndpointList`].

use std::collections::HashMap;
use std::path::Path;

use super::defaults::Defaults;
use super::error::{EndpointsError, syntax_error};
use super::model::{
    EMBEDDED, EMBEDDED_MAIL, EMBEDDED_MAIL_ORIGIN, EMBEDDED_ORIGIN, Endpoint, EndpointList,
    MAIL_LIST, TENANT_PLACEHOLDER,
};
use super::validate::{Doc, RawFile};

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
    pub(super) fn parse_by_entry(text: &str, origin: &str) -> Option<Self> {
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

    pub(super) fn parse_whole(text: &str, origin: &str) -> Result<Self, EndpointsError> {
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

    /// The list `--endpoints` names, or the embedded one without the flag. `mail`
    /// (exactly) is the embedded mail list; a file of that name is `./mail`, and one in
    /// the current directory gets a note saying so.
    pub fn from_flag(path: Option<&Path>) -> Result<Self, EndpointsError> {
        match path {
            Some(p) if p == Path::new(MAIL_LIST) => {
                if p.exists() {
                    crate::diag::line(
                        "note: --endpoints mail is the embedded mail list; \
                         write --endpoints ./mail for the file named mail",
                    );
                }
                Self::parse(EMBEDDED_MAIL, EMBEDDED_MAIL_ORIGIN)
            }
            Some(p) => Self::load(p),
            None => Self::embedded(),
        }
    }

    /// Fills the `{tenant}` of template hosts with `tenant`; without one, template
    /// entries are left out. Returns a note for each entry left out.
    pub fn fill_templates(&mut self, tenant: Option<&str>) -> Vec<String> {
        let mut notes = Vec::new();
        self.endpoints.retain_mut(|e| {
            if !e.host.contains(TENANT_PLACEHOLDER) {
                return true;
            }
            match tenant {
                Some(t) => {
                    e.host = e.host.replace(TENANT_PLACEHOLDER, t);
                    true
                }
                None => {
                    notes.push(format!(
                        "note: skipped {}:{} (a template: give --tenant NAME, the first label \
                         of your domain's MX host, e.g. contoso-com)",
                        e.host, e.port
                    ));
                    false
                }
            }
        });
        notes
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
