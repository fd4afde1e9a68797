//! Target `capture`: a `--client-hello` file — pcap, pcapng (Wireshark, tshark, tcpdump,
//! pktmon) or a hex dump — through `capture::contents` (packets, TCP reassembly, the
//! ClientHello parser), and each hello found replayed for a target.
//!
//! Oracles: no panic; every hello found replays as a record stream that reads back as a
//! ClientHello naming the target (SNI rewritten) with the same suites; what a user is
//! shown of a hello and of a failure passes the sink rules.

use tlscompat::capture::{Spec, choose, contents, summary};
use tlscompat::wire::client_hello::{Extract, extract_from_records};

use super::oracle::{fail, sinks_safe};

const TARGET: &str = "login.microsoftonline.com";

pub fn run(data: &[u8]) {
    if let Err(e) = check(data) {
        fail("capture", e);
    }
}

pub fn check(data: &[u8]) -> Result<(), String> {
    let c = match contents(data) {
        Ok(c) => c,
        Err(e) => return sinks_safe("capture error", &e),
    };
    for found in c.hellos.iter().take(8) {
        let h = &found.hello;
        sinks_safe("hello summary", &summary(h))?;
        sinks_safe("hello place", &found.place)?;
        let replay = h.replay(Some(TARGET), [7; 32]);
        match extract_from_records(&replay) {
            Extract::Hello(back, used) => {
                if used != replay.len() || back.suites != h.suites {
                    return Err(format!("the replay reads back as {back:?} ({used} bytes)"));
                }
                if h.extensions.is_some() && back.server_name().as_deref() != Some(TARGET) {
                    return Err(format!("the replay names {:?}", back.server_name()));
                }
            }
            other => return Err(format!("the replay does not read back: {other:?}")),
        }
    }
    let spec = Spec {
        name: "mypc".into(),
        min: None,
        path: "capture.pcapng".into(),
        index: None,
    };
    if let Err(e) = choose(&spec, c, &[TARGET.to_string()]) {
        sinks_safe("choice error", &e)?;
    }
    Ok(())
}
