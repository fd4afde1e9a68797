//! Negotiate (SPNEGO with Kerberos, RFC 4559) tokens from the system's GSSAPI (MIT
//! krb5 through `libgssapi`), as curl's `--proxy-negotiate` makes them: the service is
//! `HTTP@<proxy host>`, the credentials are whatever krb5 finds — the ticket cache
//! (`KRB5CCNAME`, filled by `kinit`) or a client keytab (`KRB5_CLIENT_KTNAME`) — and
//! `KRB5_CONFIG` names the realm's configuration. No password is used.
//!
//! GSSAPI calls may block (a TGS request to the KDC): callers run them off the async
//! threads.

use libgssapi::context::{ClientCtx, CtxFlags};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_SPNEGO, GSS_NT_HOSTBASED_SERVICE};

/// The first (and for Kerberos, only) token for the proxy at `host`.
pub fn initial_token(host: &str) -> Result<Vec<u8>, String> {
    let service = format!("HTTP@{host}");
    let name = Name::new(service.as_bytes(), Some(GSS_NT_HOSTBASED_SERVICE))
        .map_err(|e| format!("service name {service}: {}", words(&e)))?;
    let mut ctx = ClientCtx::new(None, name, CtxFlags::empty(), Some(GSS_MECH_SPNEGO));
    match ctx.step(None, None) {
        Ok(Some(token)) => Ok(token.to_vec()),
        Ok(None) => Err(format!("GSSAPI made no token for {service}")),
        Err(e) => Err(format!("no Kerberos token for {service}: {}", words(&e))),
    }
}

/// GSSAPI's message on one line ("No Kerberos credentials available (default cache:
/// FILE:/tmp/krb5cc_0)").
fn words(e: &libgssapi::error::Error) -> String {
    e.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
