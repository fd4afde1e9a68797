//! Mail endpoints: which mail protocol a target speaks and how its TLS starts.
//!
//! Plain data and the one selection rule (DESIGN.md "Mail endpoints (STARTTLS)"): the
//! well-known port decides — SMTP on 25 and 587, IMAP on 143 and POP3 on 110 upgrade a
//! plain-text session with STARTTLS (`STLS` for POP3); SMTP on 465, IMAP on 993 and POP3
//! on 995 start TLS at the first byte — and `--starttls` (for every target) or an
//! endpoint entry's `starttls` field overrides it. Any other port is plain TLS, as
//! before. The dialogues themselves are `wire/mail.rs` (pure) and `probe/mail.rs` (the
//! async edge).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The mail protocols whose dialogues the scanner speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailProtocol {
    Smtp,
    Imap,
    Pop3,
}

impl MailProtocol {
    pub const ALL: [Self; 3] = [Self::Smtp, Self::Imap, Self::Pop3];

    /// The name of `--starttls` and of the endpoint field: `smtp`, `imap`, `pop3`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::Imap => "imap",
            Self::Pop3 => "pop3",
        }
    }

    /// As people write it in messages: `SMTP`, `IMAP`, `POP3`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Smtp => "SMTP",
            Self::Imap => "IMAP",
            Self::Pop3 => "POP3",
        }
    }
}

impl fmt::Display for MailProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How TLS starts on a mail connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsStart {
    /// A plain-text greeting and an upgrade command (`STARTTLS`, `STLS`) first.
    Starttls,
    /// TLS from the first byte (465, 993, 995); the protocol's greeting comes inside.
    Implicit,
}

/// A mail target: its protocol, and how its TLS starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Mail {
    pub protocol: MailProtocol,
    pub start: TlsStart,
}

impl Mail {
    pub const fn starttls(protocol: MailProtocol) -> Self {
        Self {
            protocol,
            start: TlsStart::Starttls,
        }
    }

    pub const fn implicit(protocol: MailProtocol) -> Self {
        Self {
            protocol,
            start: TlsStart::Implicit,
        }
    }

    /// The mail protocol of a well-known port, `None` for every other port.
    pub fn for_port(port: u16) -> Option<Self> {
        use MailProtocol::*;
        Some(match port {
            25 | 587 => Self::starttls(Smtp),
            143 => Self::starttls(Imap),
            110 => Self::starttls(Pop3),
            465 => Self::implicit(Smtp),
            993 => Self::implicit(Imap),
            995 => Self::implicit(Pop3),
            _ => return None,
        })
    }

    /// The service as an admin names it, with its port: `SMTP submission on 587`,
    /// `SMTP relay on 25` (the MX, device relay), `IMAP on 143`, `POP3 on 995`.
    pub fn service(self, port: u16) -> String {
        match (self.protocol, port) {
            (MailProtocol::Smtp, 25) => "SMTP relay on 25".into(),
            (MailProtocol::Smtp, p) => format!("SMTP submission on {p}"),
            (other, p) => format!("{other} on {p}"),
        }
    }

    /// What a mail client cannot do when this service fails it: `send mail`.
    pub fn task(self) -> &'static str {
        match self.protocol {
            MailProtocol::Smtp => "send mail",
            MailProtocol::Imap | MailProtocol::Pop3 => "fetch mail",
        }
    }

    /// True when a plain-text dialogue precedes TLS.
    pub fn is_starttls(self) -> bool {
        self.start == TlsStart::Starttls
    }
}

impl fmt::Display for Mail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.start {
            TlsStart::Starttls => write!(f, "{} STARTTLS", self.protocol),
            TlsStart::Implicit => write!(f, "{} over implicit TLS", self.protocol),
        }
    }
}

/// What `--starttls` or an endpoint's `starttls` field says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum StarttlsChoice {
    /// Upgrade with this protocol's STARTTLS, whatever the port.
    Protocol(MailProtocol),
    /// Plain TLS from the first byte and no mail dialogue, whatever the port.
    None,
}

impl StarttlsChoice {
    /// The names `--starttls` and the endpoint field take.
    pub const NAMES: [&'static str; 4] = ["smtp", "imap", "pop3", "none"];

    pub fn name(self) -> &'static str {
        match self {
            Self::Protocol(p) => p.name(),
            Self::None => "none",
        }
    }

    /// The mail setting this choice gives a target.
    pub fn mail(self) -> Option<Mail> {
        match self {
            Self::Protocol(p) => Some(Mail::starttls(p)),
            Self::None => None,
        }
    }
}

impl FromStr for StarttlsChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") {
            return Ok(Self::None);
        }
        MailProtocol::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .map(Self::Protocol)
            .ok_or_else(|| format!("'{s}' is not one of: {}", Self::NAMES.join(", ")))
    }
}

impl From<StarttlsChoice> for String {
    fn from(c: StarttlsChoice) -> String {
        c.name().to_string()
    }
}

impl TryFrom<String> for StarttlsChoice {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// The mail setting of one target: the command line's `--starttls` first, then the
/// endpoint entry's `starttls` field, then the port.
pub fn select(
    port: u16,
    cli: Option<StarttlsChoice>,
    endpoint: Option<StarttlsChoice>,
) -> Option<Mail> {
    match cli.or(endpoint) {
        Some(choice) => choice.mail(),
        None => Mail::for_port(port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_choose_the_protocol() {
        assert_eq!(
            Mail::for_port(587),
            Some(Mail::starttls(MailProtocol::Smtp))
        );
        assert_eq!(Mail::for_port(25), Some(Mail::starttls(MailProtocol::Smtp)));
        assert_eq!(
            Mail::for_port(143),
            Some(Mail::starttls(MailProtocol::Imap))
        );
        assert_eq!(
            Mail::for_port(110),
            Some(Mail::starttls(MailProtocol::Pop3))
        );
        assert_eq!(
            Mail::for_port(993),
            Some(Mail::implicit(MailProtocol::Imap))
        );
        assert_eq!(
            Mail::for_port(995),
            Some(Mail::implicit(MailProtocol::Pop3))
        );
        assert_eq!(
            Mail::for_port(465),
            Some(Mail::implicit(MailProtocol::Smtp))
        );
        assert_eq!(Mail::for_port(443), None);
    }

    #[test]
    fn overrides_come_first() {
        let imap = Some(StarttlsChoice::Protocol(MailProtocol::Imap));
        assert_eq!(
            select(8587, None, imap),
            Some(Mail::starttls(MailProtocol::Imap))
        );
        assert_eq!(select(587, Some(StarttlsChoice::None), imap), None);
        assert_eq!(
            select(993, None, None),
            Some(Mail::implicit(MailProtocol::Imap))
        );
        assert_eq!(select(587, None, Some(StarttlsChoice::None)), None);
    }

    #[test]
    fn names_parse() {
        for n in StarttlsChoice::NAMES {
            assert_eq!(n.parse::<StarttlsChoice>().unwrap().name(), n);
        }
        assert_eq!(
            "SMTP".parse::<StarttlsChoice>(),
            Ok(StarttlsChoice::Protocol(MailProtocol::Smtp))
        );
        let e = "ftp".parse::<StarttlsChoice>().unwrap_err();
        assert_eq!(e, "'ftp' is not one of: smtp, imap, pop3, none");
    }
}
