//! `--client-hello NAME=FILE[#N]`: the admin's own client as one more profile. The
//! hello found in the file (`capture/`) is sent as captured, byte for byte, but for
//! what the client itself would change for another server (the SNI and the lengths
//! it changes, padding, resumption state: see `ClientHello::replay`); its answer is
//! judged by the proof rules against what the hello offers, and reported as
//! `client_NAME` like a built-in profile.
//!
//! The client random is the captured one. A TLS ≤ 1.2 ServerKeyExchange signs it, so
//! an (EC)DHE answer is still proven: the server holds the key of the certificate it
//! shows. A TLS 1.3 answer is never more than consistent (`unproven`): finishing the
//! handshake needs the private key of the captured key share, which the capture does
//! not hold.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

use super::profiles::{HelloSource, Profile, Replay, Source, Sources};
use crate::capture::{self, Spec};
use crate::probe::proof::Offer;
use crate::version::TlsVersion;
use crate::wire::client_hello::{ClientHello, is_grease};
use crate::wire::custom_hello::{Ext, HelloShape};
use crate::wire::enums::{CipherSuite, ExtensionType, NamedGroup};

/// A hello read from a file, ready to replay.
#[derive(Clone, Debug)]
pub struct CapturedHello {
    pub name: String,
    pub file: PathBuf,
    /// Where in the file: "frames 4-5, 10.0.0.5:51234 -> 20.190.1.1:443".
    pub place: String,
    /// pcap, pcapng or hex.
    pub format: &'static str,
    pub hello: ClientHello,
    /// The oldest version the client accepts: `@MIN`, else see [`floor`].
    pub min: TlsVersion,
    /// Whether `min` was given (`NAME@MIN=FILE`).
    pub min_given: bool,
}

/// The oldest version a captured client is taken to accept when the user does not say.
///
/// A hello does not say it: `openssl s_client -tls1_2` sends the same hello as a
/// client that also takes TLS 1.0, and OpenSSL 3 (curl) lists TLS 1.0 and 1.1 in
/// supported_versions, then refuses a server that picks them (security level 2).
/// TLS 1.2 is what today's clients accept (OpenSSL 3, Java, browsers, Windows with
/// TLS 1.0/1.1 disabled) and what Microsoft 365 requires; `NAME@1.0=FILE` says that
/// a client (Windows 7/8.1 SChannel defaults, GnuTLS) takes older ones. A hello whose
/// newest version is older than 1.2 is taken at its newest.
pub fn floor(offered: &[TlsVersion], given: Option<TlsVersion>) -> TlsVersion {
    let newest = offered.last().copied().unwrap_or(TlsVersion::Tls12);
    given.unwrap_or(newest.min(TlsVersion::Tls12))
}

/// Reads every `--client-hello`, checking the names: each must be new, and none a
/// built-in profile's (`builtin`). `targets` are the names being scanned, which pick
/// among different hellos by their SNI. Errors name the argument and the file.
pub fn load_all(
    args: &[String],
    builtin: &[&str],
    targets: &[String],
) -> Result<Vec<CapturedHello>, String> {
    let mut out: Vec<CapturedHello> = Vec::new();
    for arg in args {
        let spec = capture::parse_spec(arg).map_err(|e| format!("--client-hello {e}"))?;
        if builtin.contains(&spec.name.as_str()) {
            return Err(format!(
                "--client-hello {arg}: '{}' is a built-in profile's name; choose another",
                spec.name
            ));
        }
        if out.iter().any(|c| c.name == spec.name) {
            return Err(format!(
                "--client-hello {arg}: the name '{}' is given twice",
                spec.name
            ));
        }
        out.push(load(&spec, targets)?);
    }
    Ok(out)
}

/// One `--client-hello`.
pub fn load(spec: &Spec, targets: &[String]) -> Result<CapturedHello, String> {
    let file = spec.path.display().to_string();
    let fail = |e: String| format!("--client-hello {}={file}: {e}", spec.name);
    let contents = capture::read_file(&spec.path).map_err(fail)?;
    let format = contents.format;
    let found = capture::choose(spec, contents, targets).map_err(fail)?;
    let offered = found.hello.offered_versions();
    let min = floor(&offered, spec.min);
    if !offered.iter().any(|v| *v >= min) {
        let names: Vec<String> = offered.iter().map(|v| v.to_string()).collect();
        return Err(fail(format!(
            "the hello offers {}, nothing at or above @{}",
            names.join(", "),
            min.number()
        )));
    }
    Ok(CapturedHello {
        name: spec.name.clone(),
        file: spec.path.clone(),
        place: found.place,
        format,
        hello: found.hello,
        min,
        min_given: spec.min.is_some(),
    })
}

impl Replay for CapturedHello {
    /// The bytes for a target (`None`: an IP literal, no SNI).
    fn bytes(&self, server_name: Option<&str>) -> Vec<u8> {
        self.hello.replay(server_name, self.hello.random)
    }

    /// What the hello offers, for judging the answer.
    fn offer(&self) -> Offer {
        let h = &self.hello;
        Offer {
            versions: self.versions(),
            suites: h.suites.iter().map(|s| CipherSuite(*s)).collect(),
            groups: h.groups().into_iter().map(NamedGroup).collect(),
            key_shares: h.key_share_groups().into_iter().map(NamedGroup).collect(),
            client_random: h.random,
        }
    }
}

impl CapturedHello {
    /// The hello as a client profile, judged and reported like a built-in one.
    pub fn profile(self) -> Profile {
        let h = &self.hello;
        let from = || -> Source {
            Source {
                from: Cow::Owned(format!("{} ({})", self.file.display(), self.place)),
                unsure: None,
            }
        };
        let versions = Source {
            unsure: (!self.min_given).then_some(Cow::Borrowed(
                "a hello does not say its client's oldest version: TLS 1.2 is assumed \
                 (NAME@1.0=FILE to say otherwise)",
            )),
            ..from()
        };
        let shape = HelloShape {
            record_version: h.records.first().map_or(0x0301, |r| r.0),
            client_version: h.legacy_version,
            suites: Cow::Owned(h.suites.clone()),
            groups: Cow::Owned(h.groups()),
            signature_algorithms: Cow::Owned(h.signature_algorithms()),
            versions: Cow::Owned(h.supported_versions().unwrap_or_default()),
            extensions: Cow::Owned(
                h.extensions
                    .iter()
                    .flatten()
                    .filter_map(|e| ext(e.typ))
                    .collect(),
            ),
            key_share: h.key_share_groups().first().copied(),
        };
        Profile {
            name: Cow::Owned(self.name.clone()),
            title: Cow::Owned(self.title()),
            short: Cow::Borrowed("the captured client"),
            builds: Cow::Owned(format!(
                "the client whose hello is in {}",
                self.file.display()
            )),
            alias: None,
            sources: Sources {
                versions,
                suites: from(),
                groups: from(),
                signature_algorithms: from(),
                extensions: from(),
            },
            versions: Cow::Owned(self.versions()),
            shape,
            hello: HelloSource::Replay(Arc::new(self)),
        }
    }

    /// Who this is, in an admin's words.
    pub fn title(&self) -> String {
        format!(
            "ClientHello captured in {} ({})",
            self.file.display(),
            self.place
        )
    }

    /// The versions the client negotiates: those offered, from [`Self::min`] on.
    pub fn versions(&self) -> Vec<TlsVersion> {
        let mut v = self.hello.offered_versions();
        v.retain(|v| *v >= self.min);
        v
    }

    /// The hello for tools (`tlscompat clients --client-hello … --format json`).
    pub fn to_json(&self) -> Value {
        let h = &self.hello;
        let hex = |v: &[u16]| v.iter().map(|x| format!("0x{x:04x}")).collect::<Vec<_>>();
        json!({
            "name": self.name,
            "file": self.file.display().to_string(),
            "place": self.place,
            "format": self.format,
            "server_name": h.server_name(),
            "versions": self.versions().iter().map(|v| v.number()).collect::<Vec<_>>(),
            "offered_versions": h.offered_versions().iter().map(|v| v.number()).collect::<Vec<_>>(),
            "min_version": self.min.number(),
            "min_version_given": self.min_given,
            "client_version": format!("0x{:04x}", h.legacy_version),
            "supported_versions": h.supported_versions().map(|v| hex(&v)),
            "cipher_suites": h.suites.iter().map(|s| json!({
                "code": format!("0x{s:04x}"),
                "name": suite_name(*s),
            })).collect::<Vec<_>>(),
            "supported_groups": hex(&h.groups()),
            "key_share": hex(&h.key_share_groups()),
            "signature_algorithms": hex(&h.signature_algorithms()),
            "alpn": h.alpn(),
            "extensions": h.extensions.iter().flatten().map(|e| format!("0x{:04x}", e.typ.0)).collect::<Vec<_>>(),
        })
    }

    /// The hello field by field, for `tlscompat clients --client-hello`.
    pub fn describe(&self) -> String {
        let h = &self.hello;
        let mut out = format!("{}: {}\n", self.name, crate::safe::terminal(&self.title()));
        let sni = h.server_name().unwrap_or_else(|| "none".into());
        let _ = writeln!(
            out,
            "  source: {} file; captured SNI: {}",
            self.format,
            crate::safe::terminal(&sni)
        );
        let names = |v: Vec<TlsVersion>| -> String {
            v.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let how = match h.supported_versions() {
            Some(_) => "supported_versions",
            None => "client_version and below",
        };
        let _ = writeln!(out, "  versions: {}", names(self.versions()));
        let _ = writeln!(
            out,
            "    offered: {} ({how}); oldest accepted: {} ({})",
            names(h.offered_versions()),
            self.min,
            match self.min_given {
                true => "given with @",
                false => "the default; NAME@1.0=FILE for a client that takes older ones",
            }
        );
        let record = h.records.first().map_or(0x0301, |r| r.0);
        let _ = writeln!(
            out,
            "  record version 0x{record:04x}, client_version 0x{:04x}, session id {} bytes",
            h.legacy_version,
            h.session_id.len()
        );
        let _ = writeln!(out, "  cipher suites ({}), in order:", h.suites.len());
        for s in &h.suites {
            let _ = writeln!(out, "    0x{s:04x} {}", suite_name(*s));
        }
        let list = |v: Vec<u16>| -> String {
            v.iter()
                .map(|g| match is_grease(*g) {
                    true => "GREASE".to_string(),
                    false => NamedGroup(*g).to_string(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(out, "  supported_groups: {}", list(h.groups()));
        let shares = h.key_share_groups();
        if !shares.is_empty() {
            let _ = writeln!(out, "  key_share: {}", list(shares));
        }
        let algs = h.signature_algorithms();
        if !algs.is_empty() {
            let algs: Vec<String> = algs.iter().map(|a| format!("{a:04x}")).collect();
            let _ = writeln!(out, "  signature_algorithms: {}", algs.join(" "));
        }
        let alpn = h.alpn();
        if !alpn.is_empty() {
            let _ = writeln!(out, "  ALPN: {}", crate::safe::terminal(&alpn.join(", ")));
        }
        let exts: Vec<String> = h
            .extensions
            .iter()
            .flatten()
            .map(|e| match is_grease(e.typ.0) {
                true => "GREASE".to_string(),
                false => e.typ.to_string(),
            })
            .collect();
        let _ = writeln!(out, "  extensions, in order: {}", exts.join(", "));
        let dropped: Vec<&str> = [ExtensionType::PRE_SHARED_KEY, ExtensionType::EARLY_DATA]
            .iter()
            .filter(|t| h.extension(**t).is_some())
            .map(|t| t.name().unwrap_or("?"))
            .collect();
        let _ = write!(
            out,
            "  replayed as captured, but for the SNI (the target's name; none for an IP)"
        );
        if h.extension(ExtensionType::PADDING).is_some() {
            out.push_str(", the padding (absorbs the SNI's change in length)");
        }
        if !dropped.is_empty() {
            let _ = write!(out, ", without {} (resumption)", dropped.join(" and "));
        }
        out.push('\n');
        out
    }
}

/// The built-in hello's name for an extension the capture has, where there is one
/// (for the profile's shape, which lists those; [`CapturedHello::describe`] lists all).
fn ext(t: ExtensionType) -> Option<Ext> {
    Some(match t {
        ExtensionType::SERVER_NAME => Ext::ServerName,
        ExtensionType::STATUS_REQUEST => Ext::StatusRequest,
        ExtensionType::SUPPORTED_GROUPS => Ext::SupportedGroups,
        ExtensionType::EC_POINT_FORMATS => Ext::EcPointFormats,
        ExtensionType::SIGNATURE_ALGORITHMS => Ext::SignatureAlgorithms,
        ExtensionType::SESSION_TICKET => Ext::SessionTicket,
        ExtensionType::EXTENDED_MASTER_SECRET => Ext::ExtendedMasterSecret,
        ExtensionType::RENEGOTIATION_INFO => Ext::RenegotiationInfo,
        ExtensionType::SUPPORTED_VERSIONS => Ext::SupportedVersions,
        ExtensionType::PSK_KEY_EXCHANGE_MODES => Ext::PskKeyExchangeModes,
        ExtensionType::KEY_SHARE => Ext::KeyShare,
        _ => return None,
    })
}

fn suite_name(s: u16) -> String {
    match is_grease(s) {
        true => "GREASE".into(),
        false => CipherSuite(s).to_string(),
    }
}
