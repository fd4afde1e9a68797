//! Fuzz targets: every parser of untrusted bytes in tlscompat, each a module with
//! `pub fn run(data: &[u8])` that feeds the bytes to the code under test and checks the
//! module's oracles — beyond "no panic" — panicking when one fails.
//!
//! One set of targets, two drivers: the libFuzzer binaries of the `fuzz/` crate
//! (`fuzz/fuzz_targets/<name>.rs`, `cargo +nightly fuzz run <name>`; this file is that
//! crate's library) and the normal test suite (`tests/fuzz_corpus.rs` includes this
//! file and replays every committed corpus file through its target, so every crash
//! ever found stays a regression test on stable Rust).
//!
//! Adding a target: a module here with `run`, its name in [`targets!`], a three-line
//! `fuzz/fuzz_targets/<name>.rs` with its `[[bin]]` in `fuzz/Cargo.toml`, and seeds in
//! `fuzz/corpus/<name>/`; `tests/fuzz_corpus.rs` fails until all four exist.

pub mod oracle;
pub mod rng;

macro_rules! targets {
    ($($name:ident),* $(,)?) => {
        $(pub mod $name;)*
        /// Every target, by name.
        pub const ALL: &[(&str, fn(&[u8]))] = &[$((stringify!($name), $name::run)),*];
    };
}

targets!(
    reply, proof, cert, chain, pem, capture, connect, ntlm, socks, proxy, dns, mail, report,
    baseline, merge, endpoints, import, cli,
);
