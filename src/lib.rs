//! tlscompat: endpoint TLS compatibility scanner.
//!
//! The pipeline (see DESIGN.md in the project's shared docs and the README):
//! targets → resolve → plan → probe → classify → aggregate → report → exit policy.
//! Each stage is a module with plain data in and out; [`wire`] is the pure codec the
//! raw probe is built on.

pub mod cert;
pub mod probe;
pub mod version;
pub mod wire;
