//! Client profiles as data: the exact ClientHello each Windows build sends, from
//! `shared/reference/windows-client-profiles.md` (§1). Office activates through
//! WinHTTP, so the OS profile is Office's.
//!
//! Every field says where it comes from ([`Sources`]); a field no capture shows is
//! marked unsure, and `tlscompat clients` prints the mark. Windows Server builds whose
//! hello is the client build's are **aliases** ([`Alias`]): their own name and build,
//! the same bytes, and the reason they are the same. The scan sends an alias's hello
//! once and gives every alias of it the same verdict.
//!
//! A profile is a value, not only a static: [`HelloSource::Replay`] is a hello captured
//! on the admin's own client (`--client-hello`), replayed byte for byte, and it is
//! judged and reported like a built-in profile. The check takes profiles as
//! [`ProfileRef`]s, so built-in and captured profiles travel the same way.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};

use crate::probe::proof::Offer;
use crate::version::TlsVersion;
use crate::wire::custom_hello::{Ext, HelloInputs, HelloShape, encode};
use crate::wire::enums::{CipherSuite, NamedGroup};

/// How profiles are passed around: shared, built-in or made at run time.
pub type ProfileRef = Arc<Profile>;

/// Where one field of a profile comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The captures or documents, in words.
    pub from: Cow<'static, str>,
    /// Why the field is not certain, when it is not: no capture shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsure: Option<Cow<'static, str>>,
}

const fn sure(from: &'static str) -> Source {
    Source {
        from: Cow::Borrowed(from),
        unsure: None,
    }
}

const fn unsure(from: &'static str, why: &'static str) -> Source {
    Source {
        from: Cow::Borrowed(from),
        unsure: Some(Cow::Borrowed(why)),
    }
}

/// The source of each part of the hello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sources {
    pub versions: Source,
    pub suites: Source,
    pub groups: Source,
    pub signature_algorithms: Source,
    pub extensions: Source,
}

/// A profile whose hello is another profile's, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alias {
    /// The profile whose hello this is.
    pub of: Cow<'static, str>,
    /// Why the hello is the same (the source saying so).
    pub why: Cow<'static, str>,
}

/// A ClientHello captured on a client, replayed as it was sent but for the SNI.
pub trait Replay: Send + Sync + fmt::Debug {
    /// The bytes to send to a target (`None`: an IP literal target, no SNI).
    fn bytes(&self, server_name: Option<&str>) -> Vec<u8>;
    /// What the captured hello offers, its client random included (a TLS ≤ 1.2
    /// ServerKeyExchange signs it, so the answer can be proven). The capture knows
    /// more than [`Profile::shape`] holds: every key share group, for one.
    fn offer(&self) -> Offer;
}

/// Where a profile's bytes come from.
#[derive(Clone, Debug)]
pub enum HelloSource {
    /// Encoded from [`Profile::shape`] with a fresh random and key share per connection.
    Built,
    /// Captured on a client; [`Profile::shape`] then describes the capture (for judging
    /// the answer and explaining a failure), and these are the bytes sent.
    Replay(Arc<dyn Replay>),
}

/// One client.
#[derive(Clone, Debug)]
pub struct Profile {
    /// `--clients` name; the CSV column is `client_<name>`.
    pub name: Cow<'static, str>,
    /// Who this is, in an admin's words.
    pub title: Cow<'static, str>,
    /// Short name for explanations ("Windows 7 SChannel").
    pub short: Cow<'static, str>,
    /// The Windows builds (or the client) this profile stands for.
    pub builds: Cow<'static, str>,
    /// Set when the hello is another profile's.
    pub alias: Option<Alias>,
    pub sources: Sources,
    /// The versions this client can negotiate, oldest first.
    pub versions: Cow<'static, [TlsVersion]>,
    pub shape: HelloShape<'static>,
    pub hello: HelloSource,
}

const X25519: u16 = 0x001d;
const P256: u16 = 0x0017;
const P384: u16 = 0x0018;
const P521: u16 = 0x0019;

use TlsVersion::{Tls10, Tls11, Tls12, Tls13};

// Sources, named once (reference §1).
const IE8_10_WIN7: &str =
    "SSL Labs capture \"IE 8-10 Win 7\" (testssl.sh etc/client-simulation.txt)";
const IE11_WIN7: &str = "SSL Labs capture \"IE 11 Win 7\" (testssl.sh etc/client-simulation.txt)";
const IE11_WIN81: &str = "SSL Labs capture \"IE 11 Win 8.1\" (testssl.sh etc/client-simulation.txt), without ALPN and NPN";
const IE11_WIN10: &str = "SSL Labs capture \"IE 11 Win 10\" (testssl.sh etc/client-simulation.txt)";
const WS2019_CAPTURE: &str =
    "rgl/tls-dump-clienthello, Windows Server 2019 1809 (.NET 6 and .NET Fx 4.8)";
const WS2022_CAPTURE: &str = "rgl/tls-dump-clienthello, Windows Server 2022 21H2 (.NET 6 and .NET Fx 4.8); Learn \"TLS Cipher Suites in Windows 11\"";
const CURVES_W10: &str = "Learn \"TLS Elliptic Curves in Windows 10 1607 and later\"";
const WININET: &str = "an Internet Explorer (WinINet) capture: no WinHTTP (Office) capture exists; WinHTTP may differ in status_request and extended_master_secret";
const NO_W11_CAPTURE: &str = "no capture shows Windows 11 SChannel's record version, extension order, key share, signature algorithms or psk_key_exchange_modes; Windows 10's are used with the TLS 1.3 extensions added";
const WINHTTP_RC4: &str =
    "a WinHTTP client may differ in RC4 (0x0005/0x0004); no WinHTTP capture exists";
const SUITE_PAGES_ONLY: &str =
    "the Learn pages list suites only; taken unchanged from the earlier build";

// The hellos, each written once; aliases share them.

const WIN7_HELLO: HelloShape<'static> = HelloShape {
    record_version: 0x0301,
    client_version: 0x0301,
    suites: Cow::Borrowed(&[
        0xc014, 0xc013, 0x0035, 0x002f, 0xc00a, 0xc009, 0x0038, 0x0032, 0x000a, 0x0013, 0x0005,
        0x0004,
    ]),
    groups: Cow::Borrowed(&[P256, P384, P521]),
    signature_algorithms: Cow::Borrowed(&[]),
    versions: Cow::Borrowed(&[]),
    extensions: Cow::Borrowed(&[
        Ext::ServerName,
        Ext::StatusRequest,
        Ext::SupportedGroups,
        Ext::EcPointFormats,
        Ext::RenegotiationInfo,
    ]),
    key_share: None,
};

const WIN7_TLS12_HELLO: HelloShape<'static> = HelloShape {
    record_version: 0x0303,
    client_version: 0x0303,
    suites: Cow::Borrowed(&[
        0xc028, 0xc027, 0xc014, 0xc013, 0x009f, 0x009e, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035,
        0x002f, 0xc02c, 0xc02b, 0xc024, 0xc023, 0xc00a, 0xc009, 0x006a, 0x0040, 0x0038, 0x0032,
        0x000a, 0x0013,
    ]),
    groups: Cow::Borrowed(&[P256, P384]),
    signature_algorithms: Cow::Borrowed(&[
        0x0601, 0x0603, 0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202,
    ]),
    versions: Cow::Borrowed(&[]),
    extensions: Cow::Borrowed(&[
        Ext::ServerName,
        Ext::StatusRequest,
        Ext::SupportedGroups,
        Ext::EcPointFormats,
        Ext::SignatureAlgorithms,
        Ext::ExtendedMasterSecret,
        Ext::RenegotiationInfo,
    ]),
    key_share: None,
};

const WIN81_HELLO: HelloShape<'static> = HelloShape {
    record_version: 0x0303,
    client_version: 0x0303,
    suites: Cow::Borrowed(&[
        0xc028, 0xc027, 0xc014, 0xc013, 0x009f, 0x009e, 0x0039, 0x0033, 0x009d, 0x009c, 0x003d,
        0x003c, 0x0035, 0x002f, 0xc02c, 0xc02b, 0xc024, 0xc023, 0xc00a, 0xc009, 0x006a, 0x0040,
        0x0038, 0x0032, 0x000a, 0x0013,
    ]),
    groups: Cow::Borrowed(&[P256, P384]),
    signature_algorithms: Cow::Borrowed(&[
        0x0401, 0x0501, 0x0601, 0x0201, 0x0403, 0x0503, 0x0603, 0x0203, 0x0202,
    ]),
    versions: Cow::Borrowed(&[]),
    extensions: Cow::Borrowed(&[
        Ext::ServerName,
        Ext::StatusRequest,
        Ext::SupportedGroups,
        Ext::EcPointFormats,
        Ext::SignatureAlgorithms,
        Ext::SessionTicket,
        Ext::ExtendedMasterSecret,
        Ext::RenegotiationInfo,
    ]),
    key_share: None,
};

/// Windows 10's signature algorithms (IE 11 Win 10 capture).
const WIN10_SIGALGS: &[u16] = &[
    0x0401, 0x0501, 0x0201, 0x0403, 0x0503, 0x0203, 0x0202, 0x0601, 0x0603,
];
/// Windows 10's extensions (IE 11 Win 10 capture, without ALPN and the unidentified 0x5500).
const WIN10_EXTS: &[Ext] = &[
    Ext::ServerName,
    Ext::StatusRequest,
    Ext::SupportedGroups,
    Ext::EcPointFormats,
    Ext::SignatureAlgorithms,
    Ext::SessionTicket,
    Ext::ExtendedMasterSecret,
    Ext::RenegotiationInfo,
];

const WIN10_1607_HELLO: HelloShape<'static> = HelloShape {
    record_version: 0x0303,
    client_version: 0x0303,
    suites: Cow::Borrowed(&[
        0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a,
        0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x000a,
    ]),
    groups: Cow::Borrowed(&[X25519, P256, P384]),
    signature_algorithms: Cow::Borrowed(WIN10_SIGALGS),
    versions: Cow::Borrowed(&[]),
    extensions: Cow::Borrowed(WIN10_EXTS),
    key_share: None,
};

/// Windows 10 22H2: the 1607-21H2 list without DHE-RSA-GCM (reference §1f).
const WIN10_HELLO: HelloShape<'static> = HelloShape {
    suites: Cow::Borrowed(&[
        0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a, 0xc009, 0xc014,
        0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f, 0x000a,
    ]),
    ..WIN10_1607_HELLO
};

const WIN11_SIGALGS: &[u16] = &[
    0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603, 0x0201, 0x0203,
];
const WIN11_EXTS: &[Ext] = &[
    Ext::ServerName,
    Ext::StatusRequest,
    Ext::SupportedGroups,
    Ext::EcPointFormats,
    Ext::SignatureAlgorithms,
    Ext::SessionTicket,
    Ext::ExtendedMasterSecret,
    Ext::RenegotiationInfo,
    Ext::SupportedVersions,
    Ext::PskKeyExchangeModes,
    Ext::KeyShare,
];

/// Windows 11 21H2 and Server 2022: DHE-RSA-GCM after ECDHE-RSA-GCM.
const WIN11_21H2_HELLO: HelloShape<'static> = HelloShape {
    record_version: 0x0303,
    client_version: 0x0303,
    suites: Cow::Borrowed(&[
        0x1302, 0x1301, 0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e, 0xc024, 0xc023, 0xc028,
        0xc027, 0xc00a, 0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
    ]),
    groups: Cow::Borrowed(&[X25519, P256, P384]),
    signature_algorithms: Cow::Borrowed(WIN11_SIGALGS),
    versions: Cow::Borrowed(&[0x0304, 0x0303]),
    extensions: Cow::Borrowed(WIN11_EXTS),
    key_share: Some(X25519),
};

/// Windows 11 22H2 and later: the 21H2 list without DHE-RSA-GCM (reference §1f).
const WIN11_HELLO: HelloShape<'static> = HelloShape {
    suites: Cow::Borrowed(&[
        0x1302, 0x1301, 0xc02c, 0xc02b, 0xc030, 0xc02f, 0xc024, 0xc023, 0xc028, 0xc027, 0xc00a,
        0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
    ]),
    ..WIN11_21H2_HELLO
};

const WIN7_SOURCES: Sources = Sources {
    versions: sure(
        "testssl.sh highest_protocol 0x0301 for \"IE 8-10 Win 7\"; KB3140245 (TLS 1.1/1.2 off by default)",
    ),
    suites: unsure(IE8_10_WIN7, WINHTTP_RC4),
    groups: sure(IE8_10_WIN7),
    signature_algorithms: sure("none at TLS 1.0"),
    extensions: unsure(IE8_10_WIN7, WININET),
};

/// Windows 7's hello, at the versions Server 2012's WinHTTP offers.
const WS2012_SOURCES: Sources = Sources {
    versions: sure(
        "Entra TLS article: Windows 8 and Server 2012 do not enable TLS 1.1/1.2 in WinHTTP without KB3140245 and the registry values",
    ),
    suites: unsure(IE8_10_WIN7, WINHTTP_RC4),
    groups: sure(IE8_10_WIN7),
    signature_algorithms: sure("none at TLS 1.0"),
    extensions: unsure(IE8_10_WIN7, WININET),
};

const WIN7_TLS12_SOURCES: Sources = Sources {
    versions: sure("KB3140245: WinHTTP DefaultSecureProtocols 0xA00 = TLS 1.1 and 1.2"),
    suites: unsure(
        IE11_WIN7,
        "the Learn page \"TLS Cipher Suites in Windows 7\" also lists DHE-RSA-AES-CBC (0x0039/0x0033), the capture does not",
    ),
    groups: sure(IE11_WIN7),
    signature_algorithms: sure(IE11_WIN7),
    extensions: unsure(IE11_WIN7, WININET),
};

const WIN81_SOURCES: Sources = Sources {
    versions: sure(
        "Entra TLS article: TLS 1.2 over WinHTTP is native on 8.1/2012 R2; testssl.sh lowest_protocol 0x0301",
    ),
    suites: sure(IE11_WIN81),
    groups: sure(IE11_WIN81),
    signature_algorithms: sure(IE11_WIN81),
    extensions: unsure(
        IE11_WIN81,
        "ALPN and NPN are left out: they come from WinINet, not WinHTTP",
    ),
};

const WIN10_1607_SOURCES: Sources = Sources {
    versions: sure("TLS 1.3 is not enabled by default on Windows 10"),
    suites: unsure(
        WS2019_CAPTURE,
        "1607 itself also offered DHE-RSA-AES-CBC (0x0039/0x0033) and, until 1703, DHE-DSS (Learn \"TLS Cipher Suites in Windows 10 v1607\")",
    ),
    groups: sure(CURVES_W10),
    signature_algorithms: unsure(IE11_WIN10, WININET),
    extensions: unsure(
        IE11_WIN10,
        "without ALPN and the unidentified 0x5500; an Internet Explorer (WinINet) capture",
    ),
};

const WIN10_SOURCES: Sources = Sources {
    versions: sure("TLS 1.3 is not enabled by default on Windows 10"),
    suites: unsure(
        "Learn \"TLS Cipher Suites in Windows 10 v22H2\" (no DHE-RSA-GCM)",
        "the tail after 0x009C was not read in full; the earlier pages' tail (003D, 003C, 0035, 002F, 000A) is used",
    ),
    groups: unsure(CURVES_W10, SUITE_PAGES_ONLY),
    signature_algorithms: unsure(IE11_WIN10, SUITE_PAGES_ONLY),
    extensions: unsure(IE11_WIN10, SUITE_PAGES_ONLY),
};

const WIN11_21H2_SOURCES: Sources = Sources {
    versions: sure("Learn \"TLS Cipher Suites in Windows 11\": TLS 1.3 on by default"),
    suites: unsure(
        WS2022_CAPTURE,
        "3DES (0x000A), last on the Learn page, is left out as in the capture (strong crypto)",
    ),
    groups: sure(WS2022_CAPTURE),
    signature_algorithms: unsure(
        "Windows 10's (IE 11 Win 10 capture) with the TLS 1.3 algorithms",
        NO_W11_CAPTURE,
    ),
    extensions: unsure("Windows 10's with the TLS 1.3 extensions", NO_W11_CAPTURE),
};

const WIN11_SOURCES: Sources = Sources {
    versions: sure("Learn \"TLS Cipher Suites in Windows 11 v22H2 and later\": TLS 1.3"),
    suites: unsure(
        "Learn \"TLS Cipher Suites in Windows 11 v22H2 and later\" (no DHE-RSA-GCM)",
        "the tail of the list was not read in full; 21H2's tail is used",
    ),
    groups: unsure(WS2022_CAPTURE, SUITE_PAGES_ONLY),
    signature_algorithms: unsure(
        "Windows 10's (IE 11 Win 10 capture) with the TLS 1.3 algorithms",
        NO_W11_CAPTURE,
    ),
    extensions: unsure("Windows 10's with the TLS 1.3 extensions", NO_W11_CAPTURE),
};

/// A built-in profile, written the one way.
#[allow(clippy::too_many_arguments)]
const fn builtin(
    name: &'static str,
    title: &'static str,
    short: &'static str,
    builds: &'static str,
    alias: Option<(&'static str, &'static str)>,
    sources: Sources,
    versions: &'static [TlsVersion],
    shape: HelloShape<'static>,
) -> Profile {
    Profile {
        name: Cow::Borrowed(name),
        title: Cow::Borrowed(title),
        short: Cow::Borrowed(short),
        builds: Cow::Borrowed(builds),
        alias: match alias {
            Some((of, why)) => Some(Alias {
                of: Cow::Borrowed(of),
                why: Cow::Borrowed(why),
            }),
            None => None,
        },
        sources,
        versions: Cow::Borrowed(versions),
        shape,
        hello: HelloSource::Built,
    }
}

/// Windows 7 SP1 out of the box: SChannel with TLS 1.0 only.
pub static WIN7: Profile = builtin(
    "win7",
    "Windows 7 SP1, SChannel defaults (TLS 1.0 only)",
    "Windows 7 SChannel",
    "Windows 7 SP1 without KB3140245 (or without the SChannel TLS 1.2 keys)",
    None,
    WIN7_SOURCES,
    &[Tls10],
    WIN7_HELLO,
);

/// Windows 7 SP1 with KB3140245 and SChannel TLS 1.1/1.2 enabled.
pub static WIN7_TLS12: Profile = builtin(
    "win7-tls12",
    "Windows 7 SP1 + KB3140245, TLS 1.2 enabled (WinHTTP DefaultSecureProtocols 0xA00: TLS 1.1-1.2)",
    "Windows 7 SChannel",
    "Windows 7 SP1 with KB3140245, DefaultSecureProtocols 0xA00 and SChannel TLS 1.1/1.2 enabled",
    None,
    WIN7_TLS12_SOURCES,
    &[Tls11, Tls12],
    WIN7_TLS12_HELLO,
);

/// Windows 8.1: WinHTTP does TLS 1.2 natively.
pub static WIN81: Profile = builtin(
    "win81",
    "Windows 8.1 (WinHTTP, TLS 1.0-1.2)",
    "Windows 8.1 SChannel",
    "Windows 8.1 (update 2919355)",
    None,
    WIN81_SOURCES,
    &[Tls10, Tls11, Tls12],
    WIN81_HELLO,
);

/// Windows 10 1607 to 21H2: ECDHE-RSA-GCM, and DHE-RSA-GCM still offered.
pub static WIN10_1607: Profile = builtin(
    "win10-1607",
    "Windows 10 1607-21H2 (TLS 1.0-1.2, with DHE-RSA-GCM)",
    "Windows 10 1607-21H2 SChannel",
    "Windows 10 1607, 1703, 1709, 1803, 1809, 1903, 1909, 2004, 20H2, 21H1, 21H2",
    None,
    WIN10_1607_SOURCES,
    &[Tls10, Tls11, Tls12],
    WIN10_1607_HELLO,
);

/// Windows 10 22H2, the build in support: no DHE.
pub static WIN10: Profile = builtin(
    "win10",
    "Windows 10 22H2 (TLS 1.0-1.2; no DHE)",
    "Windows 10 22H2 SChannel",
    "Windows 10 22H2 (the Windows 10 build in support, ESU)",
    None,
    WIN10_SOURCES,
    &[Tls10, Tls11, Tls12],
    WIN10_HELLO,
);

/// Windows 11 21H2: TLS 1.3, and DHE-RSA-GCM still offered.
pub static WIN11_21H2: Profile = builtin(
    "win11-21h2",
    "Windows 11 21H2 (TLS 1.2-1.3, with DHE-RSA-GCM)",
    "Windows 11 21H2 SChannel",
    "Windows 11 21H2",
    None,
    WIN11_21H2_SOURCES,
    &[Tls12, Tls13],
    WIN11_21H2_HELLO,
);

/// Windows 11 22H2 and later, the builds in support: no DHE.
pub static WIN11: Profile = builtin(
    "win11",
    "Windows 11 22H2 and later (TLS 1.2-1.3; no DHE)",
    "Windows 11 SChannel",
    "Windows 11 22H2, 23H2, 24H2, 25H2",
    None,
    WIN11_SOURCES,
    &[Tls12, Tls13],
    WIN11_HELLO,
);

pub static WS2008R2: Profile = builtin(
    "ws2008r2",
    "Windows Server 2008 R2 SP1, SChannel defaults (TLS 1.0 only)",
    "Windows Server 2008 R2 SChannel",
    "Windows Server 2008 R2 SP1 without KB3140245",
    Some((
        "win7",
        "Server 2008 R2 SP1 is Windows 7 SP1's SChannel: KB3140245 and the Learn page \"TLS Cipher Suites in Windows 7\" cover both",
    )),
    WIN7_SOURCES,
    &[Tls10],
    WIN7_HELLO,
);

pub static WS2012: Profile = builtin(
    "ws2012",
    "Windows Server 2012 without KB3140245 (WinHTTP offers TLS 1.0 only)",
    "Windows Server 2012 WinHTTP",
    "Windows Server 2012 and Windows 8 without KB3140245 / DefaultSecureProtocols",
    Some((
        "win7",
        "UNSURE: no capture of Windows 8 / Server 2012 exists. SChannel has TLS 1.2, but WinHTTP offers TLS 1.0 until KB3140245 (Entra TLS article); the Learn page \"TLS Cipher Suites in Windows 8\" gives Windows 7's list, so Windows 7's TLS 1.0 hello is assumed",
    )),
    WS2012_SOURCES,
    &[Tls10],
    WIN7_HELLO,
);

pub static WS2012_TLS12: Profile = builtin(
    "ws2012-tls12",
    "Windows Server 2012 + KB3140245 (DefaultSecureProtocols 0xA00: TLS 1.1-1.2)",
    "Windows Server 2012 SChannel",
    "Windows Server 2012 and Windows 8 with KB3140245 and DefaultSecureProtocols 0xA00",
    Some((
        "win7-tls12",
        "the Learn page \"TLS Cipher Suites in Windows 8\" equals the \"IE 11 Win 7\" capture's list exactly; UNSURE: the extensions of Windows 8 / Server 2012 were never captured and are assumed to be Windows 7's",
    )),
    WIN7_TLS12_SOURCES,
    &[Tls11, Tls12],
    WIN7_TLS12_HELLO,
);

pub static WS2012R2: Profile = builtin(
    "ws2012r2",
    "Windows Server 2012 R2 (WinHTTP, TLS 1.0-1.2)",
    "Windows Server 2012 R2 SChannel",
    "Windows Server 2012 R2",
    Some((
        "win81",
        "Server 2012 R2 is Windows 8.1's SChannel: the Learn page \"TLS Cipher Suites in Windows 8.1\" covers both",
    )),
    WIN81_SOURCES,
    &[Tls10, Tls11, Tls12],
    WIN81_HELLO,
);

pub static WS2016: Profile = builtin(
    "ws2016",
    "Windows Server 2016 (TLS 1.0-1.2, with DHE-RSA-GCM)",
    "Windows Server 2016 SChannel",
    "Windows Server 2016 (Windows 10 1607)",
    Some((
        "win10-1607",
        "Server 2016 is Windows 10 1607 (Learn \"TLS Cipher Suites in Windows 10 v1607\" covers both)",
    )),
    WIN10_1607_SOURCES,
    &[Tls10, Tls11, Tls12],
    WIN10_1607_HELLO,
);

pub static WS2019: Profile = builtin(
    "ws2019",
    "Windows Server 2019 (TLS 1.0-1.2, with DHE-RSA-GCM)",
    "Windows Server 2019 SChannel",
    "Windows Server 2019 (Windows 10 1809)",
    Some((
        "win10-1607",
        "win10-1607's suites and groups are the Server 2019 1809 capture (rgl/tls-dump-clienthello)",
    )),
    WIN10_1607_SOURCES,
    &[Tls10, Tls11, Tls12],
    WIN10_1607_HELLO,
);

pub static WS2022: Profile = builtin(
    "ws2022",
    "Windows Server 2022 (TLS 1.2-1.3, keeps DHE-RSA-GCM)",
    "Windows Server 2022 SChannel",
    "Windows Server 2022 (21H2)",
    Some((
        "win11-21h2",
        "win11-21h2's suites and groups are the Server 2022 21H2 capture (rgl/tls-dump-clienthello); Learn \"TLS Cipher Suites in Windows Server 2022 and later\" keeps DHE-RSA-GCM",
    )),
    WIN11_21H2_SOURCES,
    &[Tls12, Tls13],
    WIN11_21H2_HELLO,
);

/// Every built-in profile: the clients oldest first, then the servers.
pub static ALL: [&Profile; 14] = [
    &WIN7,
    &WIN7_TLS12,
    &WIN81,
    &WIN10_1607,
    &WIN10,
    &WIN11_21H2,
    &WIN11,
    &WS2008R2,
    &WS2012,
    &WS2012_TLS12,
    &WS2012R2,
    &WS2016,
    &WS2019,
    &WS2022,
];

impl Profile {
    /// The bytes to send to `server_name` and what they offer, for one connection:
    /// a built profile gets a fresh random and key share, a replayed one is sent as
    /// captured (its own random).
    pub fn connection(&self, server_name: Option<&str>) -> (Vec<u8>, Offer) {
        match &self.hello {
            HelloSource::Built => {
                let (random, key) = crate::probe::raw::fresh_randoms();
                (self.hello(server_name, random, &key), self.offer(random))
            }
            HelloSource::Replay(r) => (r.bytes(server_name), r.offer()),
        }
    }

    /// The built hello for `server_name` with these per-connection values.
    pub fn hello(&self, server_name: Option<&str>, random: [u8; 32], key: &[u8]) -> Vec<u8> {
        encode(
            &self.shape,
            &HelloInputs {
                server_name,
                random,
                key_share: key,
            },
        )
    }

    /// What this profile's hello offers, for judging the answer.
    pub fn offer(&self, client_random: [u8; 32]) -> Offer {
        Offer {
            versions: self.versions.to_vec(),
            suites: self.shape.suites.iter().map(|s| CipherSuite(*s)).collect(),
            groups: self.shape.groups.iter().map(|g| NamedGroup(*g)).collect(),
            key_shares: self.shape.key_share.map(NamedGroup).into_iter().collect(),
            client_random,
        }
    }

    pub fn min(&self) -> TlsVersion {
        self.versions.first().copied().unwrap_or(Tls12)
    }

    pub fn max(&self) -> TlsVersion {
        self.versions.last().copied().unwrap_or(Tls12)
    }

    /// The CSV column of this profile: `client_win7_tls12`.
    pub fn column(&self) -> String {
        format!("client_{}", self.name.replace('-', "_"))
    }

    /// The profile whose hello this one sends: its alias target, or itself. Profiles
    /// with the same key send the same bytes, so one exchange answers for all.
    pub fn hello_key(&self) -> &str {
        self.alias.as_ref().map_or(&self.name, |a| &a.of)
    }

    /// The profile for tools (`tlscompat clients --format json`).
    pub fn to_json(&self) -> Value {
        let sh = &self.shape;
        json!({
            "name": self.name,
            "title": self.title,
            "builds": self.builds,
            "alias_of": self.alias.as_ref().map(|a| &a.of),
            "alias_why": self.alias.as_ref().map(|a| &a.why),
            "replayed": matches!(self.hello, HelloSource::Replay(_)),
            "versions": self.versions.iter().map(|v| v.number()).collect::<Vec<_>>(),
            "record_version": format!("0x{:04x}", sh.record_version),
            "client_version": format!("0x{:04x}", sh.client_version),
            "cipher_suites": sh.suites.iter().map(|s| json!({
                "code": format!("0x{s:04x}"),
                "name": CipherSuite(*s).to_string(),
            })).collect::<Vec<_>>(),
            "supported_groups": sh.groups.iter().map(|g| NamedGroup(*g).to_string()).collect::<Vec<_>>(),
            "signature_algorithms": sh.signature_algorithms.iter().map(|a| format!("0x{a:04x}")).collect::<Vec<_>>(),
            "supported_versions": sh.versions.iter().map(|v| format!("0x{v:04x}")).collect::<Vec<_>>(),
            "key_share": sh.key_share.map(|g| NamedGroup(g).to_string()),
            "extensions": sh.extensions.iter().map(|e| e.name()).collect::<Vec<_>>(),
            "sources": self.sources,
        })
    }

    /// The profile and its hello, field by field, each with its source; unsure fields
    /// say `UNSURE` and why.
    pub fn describe(&self) -> String {
        let sh = &self.shape;
        let mut out = format!(
            "{}: {}\n  stands for: {}\n",
            self.name, self.title, self.builds
        );
        let src = |s: &Source| match &s.unsure {
            Some(why) => format!("      source: {}\n      UNSURE: {why}\n", s.from),
            None => format!("      source: {}\n", s.from),
        };
        let versions: Vec<String> = self.versions.iter().map(|v| v.to_string()).collect();
        out.push_str(&format!("  versions: {}\n", versions.join(", ")));
        out.push_str(&src(&self.sources.versions));
        if let Some(a) = &self.alias {
            // The hello is printed once, under the profile it belongs to.
            out.push_str(&format!(
                "  hello: the same as {} (above): {}\n",
                a.of, a.why
            ));
            return out;
        }
        out.push_str(&format!(
            "  record version 0x{:04x}, client_version 0x{:04x}\n",
            sh.record_version, sh.client_version
        ));
        out.push_str(&format!(
            "  cipher suites ({}), in order:\n",
            sh.suites.len()
        ));
        for s in sh.suites.iter() {
            out.push_str(&format!("    0x{s:04x} {}\n", CipherSuite(*s)));
        }
        out.push_str(&src(&self.sources.suites));
        let groups: Vec<String> = sh
            .groups
            .iter()
            .map(|g| NamedGroup(*g).to_string())
            .collect();
        out.push_str(&format!("  supported_groups: {}\n", groups.join(", ")));
        if let Some(g) = sh.key_share {
            out.push_str(&format!("  key_share: {}\n", NamedGroup(g)));
        }
        out.push_str(&src(&self.sources.groups));
        let algs: Vec<String> = sh
            .signature_algorithms
            .iter()
            .map(|a| format!("{a:04x}"))
            .collect();
        let algs = if algs.is_empty() {
            "none".to_string()
        } else {
            algs.join(" ")
        };
        out.push_str(&format!("  signature_algorithms: {algs}\n"));
        out.push_str(&src(&self.sources.signature_algorithms));
        let exts: Vec<&str> = sh.extensions.iter().map(|e| e.name()).collect();
        out.push_str(&format!("  extensions, in order: {}\n", exts.join(", ")));
        out.push_str(&src(&self.sources.extensions));
        out
    }
}

/// Every built-in profile and its hello in words, for `tlscompat clients`: an overview
/// (profile, TLS versions, builds), then each profile field by field.
pub fn describe_all() -> String {
    let width = ALL.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let mut out = format!("{:<width$}  {:<9}  STANDS FOR\n", "PROFILE", "TLS");
    for p in ALL {
        let tls = match (p.min(), p.max()) {
            (a, b) if a == b => a.number().to_string(),
            (a, b) => format!("{}-{}", a.number(), b.number()),
        };
        let alias = p
            .alias
            .as_ref()
            .map_or(String::new(), |a| format!(" (hello of {})", a.of));
        out.push_str(&format!(
            "{:<width$}  {tls:<9}  {}{alias}\n",
            p.name, p.builds
        ));
    }
    out.push('\n');
    out.push_str(
        &ALL.iter()
            .map(|p| p.describe())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    out.push_str(
        "\nA client not listed here (another build, custom SChannel settings, a Java or OpenSSL \
         application, an endpoint agent): capture its ClientHello and replay it with \
         `tlscompat scan --client-hello NAME=FILE`.\n",
    );
    out
}

/// Every built-in profile, for tools.
pub fn all_json() -> Value {
    Value::Array(ALL.iter().map(|p| p.to_json()).collect())
}

/// `--clients LIST|all`: profile names, comma-separated; repeats dropped.
pub fn parse_list(s: &str) -> Result<Vec<ProfileRef>, String> {
    if s.trim() == "all" {
        return Ok(ALL.iter().map(|p| Arc::new((*p).clone())).collect());
    }
    let mut out: Vec<ProfileRef> = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let Some(p) = ALL.iter().find(|p| p.name == name) else {
            let names: Vec<&str> = ALL.iter().map(|p| p.name.as_ref()).collect();
            return Err(format!(
                "unknown client profile '{name}' (expected: {}, or all)",
                names.join(", ")
            ));
        };
        if !out.iter().any(|q| q.name == p.name) {
            out.push(Arc::new((*p).clone()));
        }
    }
    if out.is_empty() {
        return Err("no client profile named (expected a list such as win7,win10, or all)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_unknown_names_are_refused() {
        assert_eq!(parse_list("all").map(|v| v.len()), Ok(14));
        let two = parse_list("win7, ws2022,win7").unwrap();
        assert_eq!(
            two.iter().map(|p| p.name.as_ref()).collect::<Vec<_>>(),
            ["win7", "ws2022"]
        );
        assert!(
            parse_list("win98")
                .unwrap_err()
                .contains("unknown client profile 'win98'")
        );
        assert!(parse_list(",").is_err());
        assert_eq!(WIN7_TLS12.column(), "client_win7_tls12");
        let names: Vec<&str> = ALL.iter().map(|p| p.name.as_ref()).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
    }

    /// An alias sends its target's bytes and negotiates the same versions; nothing else
    /// may differ, or sharing one exchange between them would be wrong.
    #[test]
    fn aliases_have_their_targets_hello() {
        for p in ALL.iter().filter(|p| p.alias.is_some()) {
            let of = ALL
                .iter()
                .find(|q| q.name == p.hello_key())
                .unwrap_or_else(|| panic!("{}: alias of an unknown profile", p.name));
            assert!(of.alias.is_none(), "{}: alias of an alias", p.name);
            assert_eq!(p.shape, of.shape, "{}", p.name);
            assert_eq!(p.versions, of.versions, "{}", p.name);
            let random = [7; 32];
            assert_eq!(
                p.hello(Some("a.example"), random, &[1; 32]),
                of.hello(Some("a.example"), random, &[1; 32])
            );
        }
    }

    /// Reference §1c/§1f: Windows 7/8.x have no ECDHE-RSA-GCM; the builds in support
    /// (Windows 10 22H2, Windows 11 22H2+) have no DHE; the older builds and Server
    /// 2016-2022 keep DHE-RSA-GCM.
    #[test]
    fn suites_follow_the_builds() {
        let has = |p: &Profile, s: u16| p.shape.suites.contains(&s);
        for p in [&WIN7, &WIN7_TLS12, &WIN81, &WS2012_TLS12, &WS2012R2] {
            assert!(!has(p, 0xc02f) && !has(p, 0xc030), "{}", p.name);
        }
        for p in [&WIN10, &WIN11] {
            assert!(has(p, 0xc02f) && has(p, 0xc030), "{}", p.name);
            assert!(!has(p, 0x009f) && !has(p, 0x009e), "{}", p.name);
        }
        for p in [&WIN10_1607, &WIN11_21H2, &WS2016, &WS2019, &WS2022] {
            assert!(has(p, 0x009f) && has(p, 0x009e), "{}", p.name);
        }
        assert_eq!(WIN7_TLS12.shape.suites.len(), 24);
        assert_eq!(WIN81.shape.suites.len(), 26);
        assert_eq!(WIN10_1607.shape.suites.len(), 21);
        assert_eq!(WIN11_21H2.shape.suites.len(), 22);
    }

    #[test]
    fn every_profile_names_its_builds_and_sources() {
        for p in ALL {
            assert!(!p.builds.is_empty(), "{}", p.name);
            let d = p.describe();
            assert!(d.contains("stands for: "), "{d}");
            let sources = if p.alias.is_some() { 1 } else { 5 };
            assert_eq!(d.matches("      source: ").count(), sources, "{d}");
        }
        // Windows 11's extension order was never captured: that says so.
        assert!(
            WIN11
                .describe()
                .contains("UNSURE: no capture shows Windows 11")
        );
        assert!(
            WS2012
                .describe()
                .contains("hello: the same as win7 (above): UNSURE")
        );
    }
}
