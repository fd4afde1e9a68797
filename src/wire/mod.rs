//! TLS wire formats the raw probe needs, as pure code: bytes in, values out, no I/O.
//!
//! Modelled on rustls' `msgs/`: [`codec`] holds the cursor and length-prefix helpers,
//! [`enums`] the open code-point types, [`hello`] builds ClientHellos and [`reply`]
//! decodes the server's first flight. Nothing here may panic on any input.

pub mod client_hello;
pub mod codec;
pub mod custom_hello;
pub mod enums;
pub mod hello;
pub mod legacy;
pub mod mail;
pub mod reply;
pub mod ske;
