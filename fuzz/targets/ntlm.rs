//! Target `ntlm`: an NTLM challenge (Type 2) from a proxy's `Proxy-Authenticate: NTLM
//! <base64>`, through `proxy::ntlm::Challenge::parse`, and the Type 3 answer built on
//! it. Oracles: a parsed challenge's target information is the message's own bytes
//! (never longer than the message); the answer carries the NTLMv2 response built on
//! that target information; an error's text passes the sink rules.

use tlscompat::proxy::ntlm::{Challenge, Identity, authenticate};

use super::oracle::{fail, sinks_safe};

pub fn run(data: &[u8]) {
    if let Err(e) = check(data) {
        fail("ntlm", e);
    }
}

pub fn check(msg: &[u8]) -> Result<(), String> {
    let c = match Challenge::parse(msg) {
        Ok(c) => c,
        Err(e) => return sinks_safe("ntlm error", &e.to_string()),
    };
    if c.target_info.len() > msg.len() {
        return Err(format!("target info of {} bytes from {}", c.target_info.len(), msg.len()));
    }
    let id = Identity {
        domain: "LAB",
        user: "scanner",
        password: "S3CRETPW",
    };
    let answer = authenticate(&c, &id, "WS01", [7; 8], 0x01d9_0000_0000_0000);
    if answer.len() < 64 + c.target_info.len() || !answer.starts_with(b"NTLMSSP\0\x03\0\0\0") {
        return Err(format!("a Type 3 of {} bytes", answer.len()));
    }
    Ok(())
}
