//! The data model: an endpoint, the list of them, and the names of their choices.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::mail::StarttlsChoice;

/// The endpoint list compiled into the binary.
pub const EMBEDDED: &str = include_str!("../../endpoints.toml");
/// The `origin` used in messages about [`EMBEDDED`].
pub const EMBEDDED_ORIGIN: &str = "embedded endpoints.toml";
/// The Exchange Online mail endpoint list compiled into the binary, scanned with
/// `--endpoints mail` ([`MAIL_LIST`]), never by default.
pub const EMBEDDED_MAIL: &str = include_str!("../../endpoints-mail.toml");
pub const EMBEDDED_MAIL_ORIGIN: &str = "embedded endpoints-mail.toml";
/// The `--endpoints` value that names [`EMBEDDED_MAIL`] (a file of that name is
/// `./mail`).
pub const MAIL_LIST: &str = "mail";
/// The placeholder of a template host (`{tenant}.mail.protection.outlook.com`),
/// filled from `--tenant`.
pub const TENANT_PLACEHOLDER: &str = "{tenant}";

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

/// What breaks for the user when the endpoint cannot be reached with a client's TLS:
/// the verdict per client profile counts failures by role, so that "cannot sign in"
/// reads differently from "telemetry only". From reference/m365-endpoints.md §1.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Entra ID / Microsoft account sign-in and the pages and assets it loads.
    SignIn,
    /// Licensing and activation, and the certificate revocation checks activation makes.
    Activation,
    /// The configuration service, redirectors, policy and feature configuration.
    Configuration,
    /// Install and update packages, user content.
    Content,
    /// Telemetry upload and rules: nothing the user waits for.
    Telemetry,
    /// Exchange Online mail (SMTP submission and relay, IMAP, POP3; `--endpoints
    /// mail`): mail clients and devices, not activation. Its verdicts and advice name the
    /// service and port (`SMTP submission on 587`).
    Mail,
    /// Not said: a host of the list without a role, or a target not in the list.
    #[default]
    Other,
}

impl Role {
    pub const ALL: [Self; 7] = [
        Self::SignIn,
        Self::Activation,
        Self::Configuration,
        Self::Content,
        Self::Telemetry,
        Self::Mail,
        Self::Other,
    ];

    /// The name used in `endpoints.toml` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::Activation => "activation",
            Self::Configuration => "configuration",
            Self::Content => "content",
            Self::Telemetry => "telemetry",
            Self::Mail => "mail",
            Self::Other => "other",
        }
    }

    /// What failing there means, for the verdict line: `cannot sign in`.
    pub fn consequence(self) -> &'static str {
        match self {
            Self::SignIn => "cannot sign in",
            Self::Activation => "cannot activate",
            Self::Configuration => "configuration fails",
            Self::Content => "no installs or updates",
            Self::Telemetry => "telemetry only",
            Self::Mail => "mail clients cannot connect",
            Self::Other => "other hosts",
        }
    }
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
    /// What breaks when the endpoint cannot be reached (`role`, optional in a list
    /// file: `other` when absent; every entry of the embedded list has one).
    #[serde(default)]
    pub role: Role,
    /// Issuer CN patterns for [`glob_match`](super::glob::glob_match): the entry's own list, else
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
    pub(super) default_issuers: Arc<[String]>,
    #[serde(skip)]
    pub(super) default_thumbprints: Arc<[String]>,
}
