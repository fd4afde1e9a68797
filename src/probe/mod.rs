//! The probe engine: talks to one address and reports what it saw, as data.
//!
//! [`raw`] decides version support with hand-built hellos (every version, one rule);
//! [`modern`] completes real TLS 1.2/1.3 handshakes with rustls to capture the chain
//! and prove a current client gets through. [`outcome`] holds the result types.

pub mod dial;
pub mod legacy;
pub mod mail;
pub mod modern;
pub mod net;
pub mod outcome;
pub mod proof;
pub mod raw;
pub mod socks;
pub mod tunnel;
