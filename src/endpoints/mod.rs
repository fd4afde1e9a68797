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
//!
//! One module per concern: [`model`] (the data), [`load`] (reading and parsing, whole or
//! entry by entry), `validate` (the schema and the checks of every field), [`error`]
//! (messages with file, line and field), `defaults` (`[defaults]` and what unlisted
//! hosts under a declared domain inherit), [`glob`] (issuer patterns), [`listing`]
//! (`tlscompat endpoints`) and [`import`] (Microsoft's web service JSON → TOML).

mod defaults;
pub mod error;
pub mod glob;
pub mod import;
pub mod listing;
pub mod load;
pub mod model;
mod validate;

#[cfg(test)]
mod tests;

pub use error::EndpointsError;
pub use glob::glob_match;
pub use model::{
    Category, EMBEDDED, EMBEDDED_MAIL, EMBEDDED_MAIL_ORIGIN, EMBEDDED_ORIGIN, Endpoint,
    EndpointList, Inspection, LegacyTls, MAIL_LIST, Role,
};
