//! tlscompat: endpoint TLS compatibility scanner.
//!
//! The pipeline: targets → [`resolve`] → [`scan`] (probe every version of every address
//! with [`probe`]) → [`record`] (classify and aggregate, with [`findings`]) →
//! [`report`] → exit code ([`exit`]). [`cmd`] sits on top: one module per subcommand. Each stage is a module with plain data in and
//! out; [`wire`] is the pure codec the raw probe is built on.

pub mod baseline;
pub mod capture;
pub mod cert;
pub mod checks;
pub mod cli;
pub mod cmd;
pub mod crypto;
pub mod diag;
pub mod endpoints;
pub mod exit;
pub mod findings;
pub mod intercept;
pub mod interrupt;
pub mod mail;
pub mod pipeline;
pub mod probe;
pub mod progress;
pub mod proxy;
pub mod record;
pub mod report;
pub mod resolve;
pub mod safe;
pub mod scan;
pub mod shard;
pub mod suites;
pub mod target;
pub mod trust;
pub mod version;
pub mod wire;
