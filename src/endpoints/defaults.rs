//! `[defaults]`: what every entry without its own values gets, and what a host the list
//! does not name inherits when it lies under one of the list's declared domains.

use std::sync::Arc;

use super::model::{Category, Endpoint, EndpointList, Inspection, LegacyTls, Role};
use crate::target::DEFAULT_PORT;

/// `[defaults]`, validated.
pub(super) struct Defaults {
    pub(super) port: u16,
    /// Shared by every endpoint without its own list: one copy, however long the list.
    pub(super) expected_issuers: Arc<[String]>,
    pub(super) issuer_thumbprints: Arc<[String]>,
    pub(super) domains: Vec<String>,
}

impl Defaults {
    /// No `[defaults]` table: port 443, no expectations, no declared domains.
    pub(super) fn none() -> Self {
        Self {
            port: DEFAULT_PORT,
            expected_issuers: Arc::from([]),
            issuer_thumbprints: Arc::from([]),
            domains: Vec::new(),
        }
    }
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
            role: Role::Other,
            expected_issuers: self.default_issuers.clone(),
            issuer_thumbprints: self.default_thumbprints.clone(),
            starttls: None,
        })
    }
}
