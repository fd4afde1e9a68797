//! The file as TOML gives it (every value spanned) and the checks that turn it into
//! endpoints, so that every semantic error can name a line and a field.

use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::defaults::Defaults;
use super::error::{EndpointsError, position};
use super::model::{Category, Endpoint, Inspection, LegacyTls, Role, TENANT_PLACEHOLDER};
use crate::mail::StarttlsChoice;
use crate::target::{DEFAULT_PORT, Host};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    pub(super) defaults: Option<RawDefaults>,
    pub(super) endpoint: Option<Vec<Spanned<RawEndpoint>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    port: Option<Spanned<toml::Value>>,
    expected_issuers: Option<Spanned<Vec<Spanned<String>>>>,
    issuer_thumbprints: Option<Spanned<Vec<Spanned<String>>>>,
    domains: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEndpoint {
    host: Option<Spanned<String>>,
    port: Option<Spanned<toml::Value>>,
    purpose: Option<Spanned<String>>,
    sources: Option<Spanned<Vec<Spanned<String>>>>,
    set_id: Option<Spanned<toml::Value>>,
    category: Option<Spanned<String>>,
    inspection: Option<Spanned<String>>,
    legacy_tls: Option<Spanned<String>>,
    role: Option<Spanned<String>>,
    expected_issuers: Option<Spanned<Vec<Spanned<String>>>>,
    issuer_thumbprints: Option<Spanned<Vec<Spanned<String>>>>,
    starttls: Option<Spanned<String>>,
}

/// The text being validated, for turning spans into error locations.
pub(super) struct Doc<'a> {
    pub(super) text: &'a str,
    pub(super) origin: &'a str,
}

impl Doc<'_> {
    pub(super) fn defaults(&self, raw: Option<RawDefaults>) -> Result<Defaults, EndpointsError> {
        let Some(raw) = raw else {
            return Ok(Defaults::none());
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
    pub(super) fn endpoint(
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
            role: match raw.role {
                Some(role) => self.choice(role, &at("role"), &Role::ALL, Role::name)?,
                None => Role::Other,
            },
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
        // A template (`{tenant}.mail.protection.outlook.com`) is checked with a sample
        // label in the placeholder's place, and kept as written.
        let sample = name.replace(TENANT_PLACEHOLDER, "tenant");
        match Host::parse(&sample) {
            Ok(_) if sample != *name => Ok(name.to_ascii_lowercase()),
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
