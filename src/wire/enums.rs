//! Protocol code points as open newtypes.
//!
//! A scanner reads whatever a server sends, so unknown values must survive parsing and
//! print as hex rather than fail (the shape of rustls' `enum_builder!`). Known values
//! carry their IANA names for reports.

use std::fmt;

macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident($inner:ty), $hexfmt:literal { $($(#[$vmeta:meta])* $konst:ident = $val:literal => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $inner);

        #[allow(dead_code, non_upper_case_globals)]
        impl $name {
            $($(#[$vmeta])* pub const $konst: Self = Self($val);)*

            /// Every named value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$konst),*];

            /// The IANA name, when this value is one we know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($text),)*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, $hexfmt, self.0),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
}

open_enum! {
    /// `ProtocolVersion` as it appears on the wire (record layer, hello versions,
    /// supported_versions).
    ProtocolVersion(u16), "0x{:04x}" {
        SSL3 = 0x0300 => "SSL 3.0",
        TLS10 = 0x0301 => "TLS 1.0",
        TLS11 = 0x0302 => "TLS 1.1",
        TLS12 = 0x0303 => "TLS 1.2",
        TLS13 = 0x0304 => "TLS 1.3",
    }
}

open_enum! {
    /// TLS record content types.
    ContentType(u8), "0x{:02x}" {
        CHANGE_CIPHER_SPEC = 20 => "change_cipher_spec",
        ALERT = 21 => "alert",
        HANDSHAKE = 22 => "handshake",
        APPLICATION_DATA = 23 => "application_data",
        HEARTBEAT = 24 => "heartbeat",
    }
}

open_enum! {
    /// Handshake message types this crate reads or writes.
    HandshakeType(u8), "0x{:02x}" {
        CLIENT_HELLO = 1 => "client_hello",
        SERVER_HELLO = 2 => "server_hello",
        CERTIFICATE = 11 => "certificate",
        SERVER_KEY_EXCHANGE = 12 => "server_key_exchange",
        CERTIFICATE_REQUEST = 13 => "certificate_request",
        SERVER_HELLO_DONE = 14 => "server_hello_done",
        CERTIFICATE_STATUS = 22 => "certificate_status",
    }
}

open_enum! {
    /// Hello extensions.
    ExtensionType(u16), "0x{:04x}" {
        SERVER_NAME = 0x0000 => "server_name",
        STATUS_REQUEST = 0x0005 => "status_request",
        SUPPORTED_GROUPS = 0x000a => "supported_groups",
        EC_POINT_FORMATS = 0x000b => "ec_point_formats",
        SIGNATURE_ALGORITHMS = 0x000d => "signature_algorithms",
        ALPN = 0x0010 => "application_layer_protocol_negotiation",
        SIGNED_CERTIFICATE_TIMESTAMP = 0x0012 => "signed_certificate_timestamp",
        PADDING = 0x0015 => "padding",
        ENCRYPT_THEN_MAC = 0x0016 => "encrypt_then_mac",
        EXTENDED_MASTER_SECRET = 0x0017 => "extended_master_secret",
        COMPRESS_CERTIFICATE = 0x001b => "compress_certificate",
        RECORD_SIZE_LIMIT = 0x001c => "record_size_limit",
        SESSION_TICKET = 0x0023 => "session_ticket",
        PRE_SHARED_KEY = 0x0029 => "pre_shared_key",
        EARLY_DATA = 0x002a => "early_data",
        SUPPORTED_VERSIONS = 0x002b => "supported_versions",
        PSK_KEY_EXCHANGE_MODES = 0x002d => "psk_key_exchange_modes",
        COOKIE = 0x002c => "cookie",
        POST_HANDSHAKE_AUTH = 0x0031 => "post_handshake_auth",
        SIGNATURE_ALGORITHMS_CERT = 0x0032 => "signature_algorithms_cert",
        KEY_SHARE = 0x0033 => "key_share",
        ENCRYPTED_CLIENT_HELLO = 0xfe0d => "encrypted_client_hello",
        RENEGOTIATION_INFO = 0xff01 => "renegotiation_info",
    }
}

open_enum! {
    /// Alert descriptions (RFC 8446 §6 and the older ones still seen from legacy stacks).
    AlertDescription(u8), "alert 0x{:02x}" {
        CLOSE_NOTIFY = 0 => "close_notify",
        UNEXPECTED_MESSAGE = 10 => "unexpected_message",
        BAD_RECORD_MAC = 20 => "bad_record_mac",
        RECORD_OVERFLOW = 22 => "record_overflow",
        HANDSHAKE_FAILURE = 40 => "handshake_failure",
        BAD_CERTIFICATE = 42 => "bad_certificate",
        UNSUPPORTED_CERTIFICATE = 43 => "unsupported_certificate",
        CERTIFICATE_REVOKED = 44 => "certificate_revoked",
        CERTIFICATE_EXPIRED = 45 => "certificate_expired",
        CERTIFICATE_UNKNOWN = 46 => "certificate_unknown",
        ILLEGAL_PARAMETER = 47 => "illegal_parameter",
        UNKNOWN_CA = 48 => "unknown_ca",
        ACCESS_DENIED = 49 => "access_denied",
        DECODE_ERROR = 50 => "decode_error",
        DECRYPT_ERROR = 51 => "decrypt_error",
        PROTOCOL_VERSION = 70 => "protocol_version",
        INSUFFICIENT_SECURITY = 71 => "insufficient_security",
        INTERNAL_ERROR = 80 => "internal_error",
        INAPPROPRIATE_FALLBACK = 86 => "inappropriate_fallback",
        USER_CANCELED = 90 => "user_canceled",
        NO_RENEGOTIATION = 100 => "no_renegotiation",
        MISSING_EXTENSION = 109 => "missing_extension",
        UNSUPPORTED_EXTENSION = 110 => "unsupported_extension",
        UNRECOGNIZED_NAME = 112 => "unrecognized_name",
        BAD_CERTIFICATE_STATUS_RESPONSE = 113 => "bad_certificate_status_response",
        UNKNOWN_PSK_IDENTITY = 115 => "unknown_psk_identity",
        CERTIFICATE_REQUIRED = 116 => "certificate_required",
        NO_APPLICATION_PROTOCOL = 120 => "no_application_protocol",
    }
}

impl AlertDescription {
    /// The alert as reports name it: `handshake_failure (40)`, and for a description
    /// no registry defines `255 (unknown)` (never a hex code mistaken for a name).
    pub fn label(self) -> String {
        match self.name() {
            Some(n) => format!("{n} ({})", self.0),
            None => format!("{} (unknown)", self.0),
        }
    }
}

open_enum! {
    /// Cipher suites: the IANA registry's suites a client might offer (RC4, 3DES,
    /// DES, EXPORT, NULL, anon, DH/ECDH, DHE/DSS, CAMELLIA, ARIA, SEED, IDEA, CCM,
    /// CHACHA20 and the TLS 1.3 suites; PSK/SRP/KRB5 and GOST left out), so reports
    /// name what the server chose and `--ciphers` can offer all of them.
    CipherSuite(u16), "0x{:04x}" {
        TLS_RSA_WITH_NULL_MD5 = 0x0001 => "TLS_RSA_WITH_NULL_MD5",
        TLS_RSA_WITH_NULL_SHA = 0x0002 => "TLS_RSA_WITH_NULL_SHA",
        TLS_RSA_EXPORT_WITH_RC4_40_MD5 = 0x0003 => "TLS_RSA_EXPORT_WITH_RC4_40_MD5",
        TLS_RSA_WITH_RC4_128_MD5 = 0x0004 => "TLS_RSA_WITH_RC4_128_MD5",
        TLS_RSA_WITH_RC4_128_SHA = 0x0005 => "TLS_RSA_WITH_RC4_128_SHA",
        TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5 = 0x0006 => "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        TLS_RSA_WITH_IDEA_CBC_SHA = 0x0007 => "TLS_RSA_WITH_IDEA_CBC_SHA",
        TLS_RSA_EXPORT_WITH_DES40_CBC_SHA = 0x0008 => "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA",
        TLS_RSA_WITH_DES_CBC_SHA = 0x0009 => "TLS_RSA_WITH_DES_CBC_SHA",
        TLS_RSA_WITH_3DES_EDE_CBC_SHA = 0x000a => "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA = 0x000b => "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA",
        TLS_DH_DSS_WITH_DES_CBC_SHA = 0x000c => "TLS_DH_DSS_WITH_DES_CBC_SHA",
        TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA = 0x000d => "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA",
        TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA = 0x000e => "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA",
        TLS_DH_RSA_WITH_DES_CBC_SHA = 0x000f => "TLS_DH_RSA_WITH_DES_CBC_SHA",
        TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA = 0x0010 => "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA = 0x0011 => "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA",
        TLS_DHE_DSS_WITH_DES_CBC_SHA = 0x0012 => "TLS_DHE_DSS_WITH_DES_CBC_SHA",
        TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA = 0x0013 => "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA",
        TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA = 0x0014 => "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
        TLS_DHE_RSA_WITH_DES_CBC_SHA = 0x0015 => "TLS_DHE_RSA_WITH_DES_CBC_SHA",
        TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA = 0x0016 => "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_DH_anon_EXPORT_WITH_RC4_40_MD5 = 0x0017 => "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5",
        TLS_DH_anon_WITH_RC4_128_MD5 = 0x0018 => "TLS_DH_anon_WITH_RC4_128_MD5",
        TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA = 0x0019 => "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA",
        TLS_DH_anon_WITH_DES_CBC_SHA = 0x001a => "TLS_DH_anon_WITH_DES_CBC_SHA",
        TLS_DH_anon_WITH_3DES_EDE_CBC_SHA = 0x001b => "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA",
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        TLS_DH_DSS_WITH_AES_128_CBC_SHA = 0x0030 => "TLS_DH_DSS_WITH_AES_128_CBC_SHA",
        TLS_DH_RSA_WITH_AES_128_CBC_SHA = 0x0031 => "TLS_DH_RSA_WITH_AES_128_CBC_SHA",
        TLS_DHE_DSS_WITH_AES_128_CBC_SHA = 0x0032 => "TLS_DHE_DSS_WITH_AES_128_CBC_SHA",
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_DH_anon_WITH_AES_128_CBC_SHA = 0x0034 => "TLS_DH_anon_WITH_AES_128_CBC_SHA",
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        TLS_DH_DSS_WITH_AES_256_CBC_SHA = 0x0036 => "TLS_DH_DSS_WITH_AES_256_CBC_SHA",
        TLS_DH_RSA_WITH_AES_256_CBC_SHA = 0x0037 => "TLS_DH_RSA_WITH_AES_256_CBC_SHA",
        TLS_DHE_DSS_WITH_AES_256_CBC_SHA = 0x0038 => "TLS_DHE_DSS_WITH_AES_256_CBC_SHA",
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039 => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_DH_anon_WITH_AES_256_CBC_SHA = 0x003a => "TLS_DH_anon_WITH_AES_256_CBC_SHA",
        TLS_RSA_WITH_NULL_SHA256 = 0x003b => "TLS_RSA_WITH_NULL_SHA256",
        TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        TLS_DH_DSS_WITH_AES_128_CBC_SHA256 = 0x003e => "TLS_DH_DSS_WITH_AES_128_CBC_SHA256",
        TLS_DH_RSA_WITH_AES_128_CBC_SHA256 = 0x003f => "TLS_DH_RSA_WITH_AES_128_CBC_SHA256",
        TLS_DHE_DSS_WITH_AES_128_CBC_SHA256 = 0x0040 => "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256",
        TLS_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0041 => "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA = 0x0042 => "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0043 => "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA = 0x0044 => "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA = 0x0045 => "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA = 0x0046 => "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA",
        TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 = 0x0067 => "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        TLS_DH_DSS_WITH_AES_256_CBC_SHA256 = 0x0068 => "TLS_DH_DSS_WITH_AES_256_CBC_SHA256",
        TLS_DH_RSA_WITH_AES_256_CBC_SHA256 = 0x0069 => "TLS_DH_RSA_WITH_AES_256_CBC_SHA256",
        TLS_DHE_DSS_WITH_AES_256_CBC_SHA256 = 0x006a => "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256",
        TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 = 0x006b => "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        TLS_DH_anon_WITH_AES_128_CBC_SHA256 = 0x006c => "TLS_DH_anon_WITH_AES_128_CBC_SHA256",
        TLS_DH_anon_WITH_AES_256_CBC_SHA256 = 0x006d => "TLS_DH_anon_WITH_AES_256_CBC_SHA256",
        TLS_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0084 => "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA = 0x0085 => "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0086 => "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA = 0x0087 => "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA = 0x0088 => "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA",
        TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA = 0x0089 => "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA",
        TLS_RSA_WITH_SEED_CBC_SHA = 0x0096 => "TLS_RSA_WITH_SEED_CBC_SHA",
        TLS_DH_DSS_WITH_SEED_CBC_SHA = 0x0097 => "TLS_DH_DSS_WITH_SEED_CBC_SHA",
        TLS_DH_RSA_WITH_SEED_CBC_SHA = 0x0098 => "TLS_DH_RSA_WITH_SEED_CBC_SHA",
        TLS_DHE_DSS_WITH_SEED_CBC_SHA = 0x0099 => "TLS_DHE_DSS_WITH_SEED_CBC_SHA",
        TLS_DHE_RSA_WITH_SEED_CBC_SHA = 0x009a => "TLS_DHE_RSA_WITH_SEED_CBC_SHA",
        TLS_DH_anon_WITH_SEED_CBC_SHA = 0x009b => "TLS_DH_anon_WITH_SEED_CBC_SHA",
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009e => "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009f => "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_DH_RSA_WITH_AES_128_GCM_SHA256 = 0x00a0 => "TLS_DH_RSA_WITH_AES_128_GCM_SHA256",
        TLS_DH_RSA_WITH_AES_256_GCM_SHA384 = 0x00a1 => "TLS_DH_RSA_WITH_AES_256_GCM_SHA384",
        TLS_DHE_DSS_WITH_AES_128_GCM_SHA256 = 0x00a2 => "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256",
        TLS_DHE_DSS_WITH_AES_256_GCM_SHA384 = 0x00a3 => "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384",
        TLS_DH_DSS_WITH_AES_128_GCM_SHA256 = 0x00a4 => "TLS_DH_DSS_WITH_AES_128_GCM_SHA256",
        TLS_DH_DSS_WITH_AES_256_GCM_SHA384 = 0x00a5 => "TLS_DH_DSS_WITH_AES_256_GCM_SHA384",
        TLS_DH_anon_WITH_AES_128_GCM_SHA256 = 0x00a6 => "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
        TLS_DH_anon_WITH_AES_256_GCM_SHA384 = 0x00a7 => "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
        TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256 = 0x00ba => "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256",
        TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256 = 0x00bb => "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256",
        TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256 = 0x00bc => "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256",
        TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256 = 0x00bd => "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256",
        TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256 = 0x00be => "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256",
        TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256 = 0x00bf => "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256",
        TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256 = 0x00c0 => "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256",
        TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256 = 0x00c1 => "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256",
        TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256 = 0x00c2 => "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256",
        TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256 = 0x00c3 => "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256",
        TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256 = 0x00c4 => "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256",
        TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256 = 0x00c5 => "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256",
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        TLS13_AES_128_GCM_SHA256 = 0x1301 => "TLS13_AES_128_GCM_SHA256",
        TLS13_AES_256_GCM_SHA384 = 0x1302 => "TLS13_AES_256_GCM_SHA384",
        TLS13_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS13_CHACHA20_POLY1305_SHA256",
        TLS13_AES_128_CCM_SHA256 = 0x1304 => "TLS13_AES_128_CCM_SHA256",
        TLS13_AES_128_CCM_8_SHA256 = 0x1305 => "TLS13_AES_128_CCM_8_SHA256",
        TLS_ECDH_ECDSA_WITH_NULL_SHA = 0xc001 => "TLS_ECDH_ECDSA_WITH_NULL_SHA",
        TLS_ECDH_ECDSA_WITH_RC4_128_SHA = 0xc002 => "TLS_ECDH_ECDSA_WITH_RC4_128_SHA",
        TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA = 0xc003 => "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA = 0xc004 => "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA",
        TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA = 0xc005 => "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_NULL_SHA = 0xc006 => "TLS_ECDHE_ECDSA_WITH_NULL_SHA",
        TLS_ECDHE_ECDSA_WITH_RC4_128_SHA = 0xc007 => "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA = 0xc008 => "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        TLS_ECDH_RSA_WITH_NULL_SHA = 0xc00b => "TLS_ECDH_RSA_WITH_NULL_SHA",
        TLS_ECDH_RSA_WITH_RC4_128_SHA = 0xc00c => "TLS_ECDH_RSA_WITH_RC4_128_SHA",
        TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA = 0xc00d => "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDH_RSA_WITH_AES_128_CBC_SHA = 0xc00e => "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA",
        TLS_ECDH_RSA_WITH_AES_256_CBC_SHA = 0xc00f => "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_RSA_WITH_NULL_SHA = 0xc010 => "TLS_ECDHE_RSA_WITH_NULL_SHA",
        TLS_ECDHE_RSA_WITH_RC4_128_SHA = 0xc011 => "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA = 0xc012 => "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_ECDH_anon_WITH_NULL_SHA = 0xc015 => "TLS_ECDH_anon_WITH_NULL_SHA",
        TLS_ECDH_anon_WITH_RC4_128_SHA = 0xc016 => "TLS_ECDH_anon_WITH_RC4_128_SHA",
        TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA = 0xc017 => "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA",
        TLS_ECDH_anon_WITH_AES_128_CBC_SHA = 0xc018 => "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
        TLS_ECDH_anon_WITH_AES_256_CBC_SHA = 0xc019 => "TLS_ECDH_anon_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc025 => "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc026 => "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256 = 0xc029 => "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384 = 0xc02a => "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02d => "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02e => "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256 = 0xc031 => "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384 = 0xc032 => "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384",
        TLS_RSA_WITH_ARIA_128_CBC_SHA256 = 0xc03c => "TLS_RSA_WITH_ARIA_128_CBC_SHA256",
        TLS_RSA_WITH_ARIA_256_CBC_SHA384 = 0xc03d => "TLS_RSA_WITH_ARIA_256_CBC_SHA384",
        TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256 = 0xc044 => "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256",
        TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384 = 0xc045 => "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384",
        TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256 = 0xc048 => "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256",
        TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384 = 0xc049 => "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384",
        TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256 = 0xc04c => "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256",
        TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384 = 0xc04d => "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384",
        TLS_RSA_WITH_ARIA_128_GCM_SHA256 = 0xc050 => "TLS_RSA_WITH_ARIA_128_GCM_SHA256",
        TLS_RSA_WITH_ARIA_256_GCM_SHA384 = 0xc051 => "TLS_RSA_WITH_ARIA_256_GCM_SHA384",
        TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256 = 0xc052 => "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256",
        TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384 = 0xc053 => "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384",
        TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256 = 0xc05c => "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384 = 0xc05d => "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256 = 0xc060 => "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384 = 0xc061 => "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384",
        TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256 = 0xc072 => "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256",
        TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384 = 0xc073 => "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384",
        TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256 = 0xc076 => "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256",
        TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384 = 0xc077 => "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384",
        TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256 = 0xc07a => "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256",
        TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384 = 0xc07b => "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384",
        TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256 = 0xc07c => "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256",
        TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384 = 0xc07d => "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384",
        TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256 = 0xc086 => "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384 = 0xc087 => "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256 = 0xc08a => "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384 = 0xc08b => "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384",
        TLS_RSA_WITH_AES_128_CCM = 0xc09c => "TLS_RSA_WITH_AES_128_CCM",
        TLS_RSA_WITH_AES_256_CCM = 0xc09d => "TLS_RSA_WITH_AES_256_CCM",
        TLS_DHE_RSA_WITH_AES_128_CCM = 0xc09e => "TLS_DHE_RSA_WITH_AES_128_CCM",
        TLS_DHE_RSA_WITH_AES_256_CCM = 0xc09f => "TLS_DHE_RSA_WITH_AES_256_CCM",
        TLS_RSA_WITH_AES_128_CCM_8 = 0xc0a0 => "TLS_RSA_WITH_AES_128_CCM_8",
        TLS_RSA_WITH_AES_256_CCM_8 = 0xc0a1 => "TLS_RSA_WITH_AES_256_CCM_8",
        TLS_DHE_RSA_WITH_AES_128_CCM_8 = 0xc0a2 => "TLS_DHE_RSA_WITH_AES_128_CCM_8",
        TLS_DHE_RSA_WITH_AES_256_CCM_8 = 0xc0a3 => "TLS_DHE_RSA_WITH_AES_256_CCM_8",
        TLS_ECDHE_ECDSA_WITH_AES_128_CCM = 0xc0ac => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        TLS_ECDHE_ECDSA_WITH_AES_256_CCM = 0xc0ad => "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 = 0xc0ae => "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
        TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8 = 0xc0af => "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xccaa => "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    }
}

open_enum! {
    /// Named groups (supported_groups and key_share).
    NamedGroup(u16), "0x{:04x}" {
        SECP256R1 = 0x0017 => "secp256r1",
        SECP384R1 = 0x0018 => "secp384r1",
        SECP521R1 = 0x0019 => "secp521r1",
        X25519 = 0x001d => "x25519",
        X448 = 0x001e => "x448",
        FFDHE2048 = 0x0100 => "ffdhe2048",
        FFDHE3072 = 0x0101 => "ffdhe3072",
        FFDHE4096 = 0x0102 => "ffdhe4096",
        FFDHE6144 = 0x0103 => "ffdhe6144",
        FFDHE8192 = 0x0104 => "ffdhe8192",
        SECP256R1_MLKEM768 = 0x11eb => "SecP256r1MLKEM768",
        X25519_MLKEM768 = 0x11ec => "X25519MLKEM768",
    }
}

/// How a cipher suite agrees on keys, as far as the proof of acceptance cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    /// Ephemeral ECDH, parameters signed in the ServerKeyExchange.
    Ecdhe,
    /// Ephemeral finite-field DH, parameters signed in the ServerKeyExchange.
    Dhe,
    /// Static RSA: the server signs nothing before the client's Finished.
    Rsa,
    /// A TLS 1.3 suite (key exchange negotiated separately).
    Tls13,
    /// Anything else (PSK, anonymous, export, unknown code points).
    Other,
}

/// The key type a suite's certificate must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authentication {
    Rsa,
    Ecdsa,
    Dss,
    /// TLS 1.3 suites (decided by signature_algorithms) and unknown ones.
    Any,
}

impl CipherSuite {
    /// True for the TLS 1.3 suites (0x13xx).
    pub fn is_tls13(self) -> bool {
        self.0 >> 8 == 0x13
    }

    /// Key exchange and authentication, from the IANA name.
    pub fn kind(self) -> (KeyExchange, Authentication) {
        if self.is_tls13() {
            return (KeyExchange::Tls13, Authentication::Any);
        }
        let name = self.name().unwrap_or("");
        let table: [(&str, KeyExchange, Authentication); 5] = [
            (
                "TLS_ECDHE_ECDSA_",
                KeyExchange::Ecdhe,
                Authentication::Ecdsa,
            ),
            ("TLS_ECDHE_RSA_", KeyExchange::Ecdhe, Authentication::Rsa),
            ("TLS_DHE_RSA_", KeyExchange::Dhe, Authentication::Rsa),
            ("TLS_DHE_DSS_", KeyExchange::Dhe, Authentication::Dss),
            ("TLS_RSA_WITH_", KeyExchange::Rsa, Authentication::Rsa),
        ];
        table
            .into_iter()
            .find(|(prefix, _, _)| name.starts_with(prefix))
            .map_or((KeyExchange::Other, Authentication::Any), |(_, k, a)| {
                (k, a)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_values_print() {
        assert_eq!(AlertDescription(70).to_string(), "protocol_version");
        assert_eq!(AlertDescription(199).to_string(), "alert 0xc7");
        assert_eq!(AlertDescription(255).label(), "255 (unknown)");
        assert_eq!(AlertDescription(40).label(), "handshake_failure (40)");
        assert_eq!(ProtocolVersion(0x0303).to_string(), "TLS 1.2");
        assert_eq!(ProtocolVersion(0x7f1c).to_string(), "0x7f1c");
        assert_eq!(
            CipherSuite::TLS13_AES_128_GCM_SHA256.to_string(),
            "TLS13_AES_128_GCM_SHA256"
        );
    }
}
