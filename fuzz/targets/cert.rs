//! Target `cert`: `cert::summarize` on arbitrary DER (the certificates a server sends).
//! Oracle: an error, or a summary whose every text field passes the sink rules, with a
//! 64-hex-digit SHA-256, the same on a second call (checked for one input in 16).

use super::oracle::{fail, sinks_safe};

pub fn run(data: &[u8]) {
    if let Err(e) = check(data, data.len().is_multiple_of(16)) {
        fail("cert", e);
    }
}

pub fn check(der: &[u8], recheck: bool) -> Result<(), String> {
    let Ok(s) = tlscompat::cert::summarize(der) else {
        return Ok(());
    };
    sinks_safe("subject", &s.subject)?;
    sinks_safe("issuer", &s.issuer)?;
    if let Some(cn) = &s.issuer_cn {
        sinks_safe("issuer_cn", cn)?;
    }
    for san in &s.sans {
        sinks_safe("san", san)?;
    }
    if s.sha256.len() != 64 || s.sha1.len() != 40 {
        return Err(format!("fingerprints {:?} {:?}", s.sha256, s.sha1));
    }
    if recheck && tlscompat::cert::summarize(der).as_ref() != Ok(&s) {
        return Err("summarize is not deterministic".into());
    }
    Ok(())
}
