//! The plain-text mail dialogues around TLS, as pure code: bytes in, actions and
//! verdicts out, no I/O (`probe/mail.rs` drives them over a socket or a TLS session).
//!
//! Two dialogues per protocol:
//!
//! - the **preamble** before TLS (`Dialogue::preamble`): SMTP greeting `220` → `EHLO`
//!   (STARTTLS must be advertised) → `STARTTLS` → `220`; IMAP greeting `* OK` →
//!   `a STARTTLS` → `a OK`; POP3 greeting `+OK` → `STLS` → `+OK`;
//! - the **answer** after a completed handshake (`Dialogue::answer`): the service's
//!   next word, which is where Exchange Online refuses TLS 1.0/1.1 (`421 4.7.66 …`).
//!   SMTP sends `EHLO` and reads the reply. IMAP sends nothing after STARTTLS until
//!   the client speaks, so the scanner sends `b CAPABILITY` (valid in every state,
//!   RFC 9051 §6.1.1) and reads up to its tagged reply; POP3 likewise sends `CAPA`
//!   (RFC 2449) and reads the first line. On implicit TLS (465, 993, 995) the greeting
//!   comes first and is judged too, then the same command. A negative answer (SMTP
//!   4xx/5xx, IMAP `* BYE`/`NO`/`BAD`, POP3 `-ERR`) is the service refusing the session.
//!
//! Multi-line SMTP replies (`250-…` … `250 …`) are read whole. Everything is bounded:
//! a line at [`MAX_LINE`] bytes, a reply (with the IMAP untagged lines before its tagged
//! line) at [`MAX_REPLY`] bytes and [`MAX_LINES`] lines, a quoted reply at
//! [`MAX_QUOTE`] characters; time is the caller's deadline. Nothing here may panic on
//! any input.

use std::fmt;

use crate::mail::{Mail, MailProtocol, TlsStart};

/// Longest line accepted, CRLF included (SMTP allows 512; IMAP capability lines run
/// longer).
pub const MAX_LINE: usize = 4096;
/// Most bytes of one reply: an SMTP multi-line reply, or an IMAP tagged reply with the
/// untagged lines before it.
pub const MAX_REPLY: usize = 32 * 1024;
/// Most lines of one reply.
pub const MAX_LINES: usize = 256;
/// Most characters of a reply kept for reports.
pub const MAX_QUOTE: usize = 512;

/// The IMAP tag of the scanner's STARTTLS command, and of its command after TLS.
const IMAP_STARTTLS_TAG: &str = "a";
const IMAP_COMMAND_TAG: &str = "b";

/// Where in the dialogue an answer came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The server's first words.
    Greeting,
    /// SMTP: the reply to `EHLO` before TLS.
    Ehlo,
    /// The reply to `STARTTLS` / `a STARTTLS` / `STLS`.
    Starttls,
    /// After TLS: the reply to the scanner's command (`EHLO`, `b CAPABILITY`, `CAPA`).
    Command,
}

impl Stage {
    /// What the server was answering, in words.
    pub fn what(self, protocol: MailProtocol) -> &'static str {
        match (self, protocol) {
            (Self::Greeting, _) => "greeting",
            (Self::Ehlo, _) => "EHLO",
            (Self::Starttls, MailProtocol::Pop3) => "STLS",
            (Self::Starttls, _) => "STARTTLS",
            (Self::Command, MailProtocol::Smtp) => "EHLO",
            (Self::Command, MailProtocol::Imap) => "CAPABILITY",
            (Self::Command, MailProtocol::Pop3) => "CAPA",
        }
    }
}

/// How a dialogue ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every step succeeded: the preamble may start TLS, or the service took the
    /// session. The last reply, first line.
    Ready(String),
    /// The server said no (SMTP 4xx/5xx, IMAP `BYE`/`NO`/`BAD`, POP3 `-ERR`).
    Refused { stage: Stage, reply: String },
    /// SMTP: the `EHLO` reply does not list STARTTLS.
    NotOffered { reply: String },
    /// The bytes are not this protocol (another protocol, TLS, binary).
    NotProtocol { stage: Stage, excerpt: String },
    /// The connection ended before a complete answer (`partial`: what came of it).
    Closed { stage: Stage, partial: String },
    /// A line or reply past the bounds.
    TooLong { stage: Stage, limit: usize },
    /// The server sent bytes after its STARTTLS answer, before TLS began: they would be
    /// read as part of the TLS handshake (the STARTTLS injection of CVE-2011-0411).
    Injected { excerpt: String },
}

impl Verdict {
    /// Describes the verdict for `protocol`, quoting the server (exactly; sinks escape).
    pub fn describe(&self, protocol: MailProtocol) -> String {
        match self {
            Self::Ready(reply) => format!("ready: \"{reply}\""),
            Self::Refused {
                stage: Stage::Greeting,
                reply,
            } => format!("the server refused the session in its greeting: \"{reply}\""),
            Self::Refused { stage, reply } => {
                format!("the server refused {}: \"{reply}\"", stage.what(protocol))
            }
            Self::NotOffered { reply } => {
                format!("the server does not offer STARTTLS (EHLO reply: \"{reply}\")")
            }
            Self::NotProtocol { stage, excerpt } => format!(
                "not {} {}: \"{excerpt}\"",
                article(protocol),
                answer_to(*stage, protocol)
            ),
            Self::Closed { stage, partial } if partial.is_empty() => format!(
                "the server closed the connection without {}",
                answer_to(*stage, protocol)
            ),
            Self::Closed { stage, partial } => format!(
                "the server closed the connection in the middle of {}: \"{partial}\"",
                answer_to(*stage, protocol)
            ),
            Self::TooLong { stage, limit } => {
                format!("{} exceeds {limit} bytes", answer_to(*stage, protocol))
            }
            Self::Injected { excerpt } => format!(
                "the server sent bytes after its {} answer, before TLS: \"{excerpt}\"",
                Stage::Starttls.what(protocol)
            ),
        }
    }
}

fn article(protocol: MailProtocol) -> &'static str {
    match protocol {
        MailProtocol::Smtp => "an SMTP",
        MailProtocol::Imap => "an IMAP",
        MailProtocol::Pop3 => "a POP3",
    }
}

/// "greeting", "answer to STARTTLS", … for messages.
fn answer_to(stage: Stage, protocol: MailProtocol) -> String {
    match stage {
        Stage::Greeting => "greeting".into(),
        s => format!("answer to {}", s.what(protocol)),
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Greeting => "greeting",
            Self::Ehlo => "ehlo",
            Self::Starttls => "starttls",
            Self::Command => "command",
        })
    }
}

/// What the caller does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Read more bytes and feed them.
    NeedMore,
    /// Send these bytes, then call [`Dialogue::feed`] again (with no new bytes first:
    /// the server may already have sent more).
    Send(Vec<u8>),
    Done(Verdict),
}

/// Which dialogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Script {
    /// Before TLS, ends ready to start TLS.
    Preamble,
    /// After TLS, ends with the service's verdict.
    Answer,
}

/// One dialogue's state: fed the server's bytes, it says what to send and, at the end,
/// the verdict.
#[derive(Clone, Debug)]
pub struct Dialogue {
    protocol: MailProtocol,
    script: Script,
    stage: Stage,
    /// The EHLO argument: the client's name or address literal.
    client: String,
    /// Bytes received and not yet consumed as lines.
    buf: Vec<u8>,
    /// Lines of the reply being read.
    lines: Vec<String>,
    /// Bytes of the reply being read (lines skipped included).
    reply_bytes: usize,
    /// The command that opens the dialogue, not yet handed out.
    opening: Option<Vec<u8>>,
    done: Option<Verdict>,
}

impl Dialogue {
    /// The STARTTLS preamble of `protocol`. `client` is the EHLO argument (a domain,
    /// or an address literal such as `[192.0.2.1]`).
    pub fn preamble(protocol: MailProtocol, client: &str) -> Self {
        Self::new(protocol, Script::Preamble, Stage::Greeting, client)
    }

    /// The dialogue after a completed handshake: on implicit TLS the greeting first,
    /// after STARTTLS the command straight away.
    pub fn answer(mail: Mail, client: &str) -> Self {
        let stage = match mail.start {
            TlsStart::Implicit => Stage::Greeting,
            TlsStart::Starttls => Stage::Command,
        };
        let mut d = Self::new(mail.protocol, Script::Answer, stage, client);
        if stage == Stage::Command {
            d.opening = Some(d.command(Stage::Command));
        }
        d
    }

    fn new(protocol: MailProtocol, script: Script, stage: Stage, client: &str) -> Self {
        Self {
            protocol,
            script,
            stage,
            client: client.to_string(),
            buf: Vec::new(),
            lines: Vec::new(),
            reply_bytes: 0,
            opening: None,
            done: None,
        }
    }

    pub fn protocol(&self) -> MailProtocol {
        self.protocol
    }

    /// What the dialogue is waiting for, for messages: "greeting", "answer to EHLO".
    pub fn waiting_for(&self) -> String {
        answer_to(self.stage, self.protocol)
    }

    /// The first step: send the opening command, or wait for the server.
    pub fn start(&mut self) -> Step {
        match self.opening.take() {
            Some(cmd) => Step::Send(cmd),
            None => Step::NeedMore,
        }
    }

    /// Takes the next bytes from the server (none: go on with what is buffered).
    pub fn feed(&mut self, bytes: &[u8]) -> Step {
        if let Some(v) = &self.done {
            return Step::Done(v.clone());
        }
        self.buf.extend_from_slice(bytes);
        loop {
            // A TLS record where a line should start is judged at once (a TLS alert
            // need not end in a newline); other bytes by whole lines, so that the
            // verdict never depends on how the bytes were sliced.
            if let Some(excerpt) = tls_record(&self.buf) {
                return self.settle(Verdict::NotProtocol {
                    stage: self.stage,
                    excerpt,
                });
            }
            let Some(end) = self.buf.iter().position(|b| *b == b'\n') else {
                if self.buf.len() >= MAX_LINE {
                    return self.too_long(MAX_LINE);
                }
                return Step::NeedMore;
            };
            if end + 1 > MAX_LINE {
                return self.too_long(MAX_LINE);
            }
            let raw: Vec<u8> = self.buf.drain(..=end).collect();
            self.reply_bytes += raw.len();
            if self.reply_bytes > MAX_REPLY || self.lines.len() >= MAX_LINES {
                return self.too_long(MAX_REPLY);
            }
            if let Some(excerpt) = binary(&raw) {
                return self.settle(Verdict::NotProtocol {
                    stage: self.stage,
                    excerpt,
                });
            }
            let line = text(&raw);
            if let Some(step) = self.line(line) {
                return step;
            }
        }
    }

    /// The connection ended: the verdict on what came.
    pub fn finish(&mut self) -> Verdict {
        if let Some(v) = &self.done {
            return v.clone();
        }
        let mut partial: Vec<String> = std::mem::take(&mut self.lines);
        let stage = self.stage;
        let verdict = match binary(&self.buf) {
            Some(excerpt) => Verdict::NotProtocol { stage, excerpt },
            None => {
                if !self.buf.is_empty() {
                    partial.push(text(&self.buf));
                }
                Verdict::Closed {
                    stage,
                    partial: quote(&partial),
                }
            }
        };
        self.done = Some(verdict.clone());
        verdict
    }

    fn too_long(&mut self, limit: usize) -> Step {
        let stage = self.stage;
        self.settle(Verdict::TooLong { stage, limit })
    }

    fn settle(&mut self, v: Verdict) -> Step {
        self.buf = Vec::new();
        self.lines = Vec::new();
        self.done = Some(v.clone());
        Step::Done(v)
    }

    /// One complete line of the current reply; `Some` when the reply is decided.
    fn line(&mut self, line: String) -> Option<Step> {
        let judged = match self.protocol {
            MailProtocol::Smtp => self.smtp_line(line),
            MailProtocol::Imap => self.imap_line(line),
            MailProtocol::Pop3 => self.pop3_line(line),
        }?;
        let offered = self.lines.iter().any(|l| smtp_keyword(l, "STARTTLS"));
        let reply = quote(&std::mem::take(&mut self.lines));
        self.reply_bytes = 0;
        let stage = self.stage;
        Some(match judged {
            Judged::Yes if stage == Stage::Ehlo && !offered => {
                self.settle(Verdict::NotOffered { reply })
            }
            Judged::Yes => self.advance(reply),
            Judged::No => self.settle(Verdict::Refused { stage, reply }),
            Judged::Foreign(excerpt) => self.settle(Verdict::NotProtocol { stage, excerpt }),
        })
    }

    /// A positive reply to the current stage: the next command, or the verdict.
    fn advance(&mut self, reply: String) -> Step {
        let next = match (self.script, self.stage, self.protocol) {
            (Script::Preamble, Stage::Greeting, MailProtocol::Smtp) => Stage::Ehlo,
            (Script::Preamble, Stage::Greeting | Stage::Ehlo, _) => Stage::Starttls,
            (Script::Answer, Stage::Greeting, _) => Stage::Command,
            (Script::Preamble, _, _) if !self.buf.is_empty() => {
                let excerpt = excerpt(&self.buf);
                return self.settle(Verdict::Injected { excerpt });
            }
            _ => return self.settle(Verdict::Ready(first_line(&reply))),
        };
        self.stage = next;
        Step::Send(self.command(next))
    }

    /// The command that asks for `stage`'s reply.
    fn command(&self, stage: Stage) -> Vec<u8> {
        let text = match (stage, self.protocol) {
            (Stage::Ehlo, _) | (Stage::Command, MailProtocol::Smtp) => {
                format!("EHLO {}", self.client)
            }
            (Stage::Starttls, MailProtocol::Smtp) => "STARTTLS".into(),
            (Stage::Starttls, MailProtocol::Imap) => format!("{IMAP_STARTTLS_TAG} STARTTLS"),
            (Stage::Starttls, MailProtocol::Pop3) => "STLS".into(),
            (Stage::Command, MailProtocol::Imap) => format!("{IMAP_COMMAND_TAG} CAPABILITY"),
            (Stage::Command, MailProtocol::Pop3) => "CAPA".into(),
            (Stage::Greeting, _) => String::new(),
        };
        format!("{text}\r\n").into_bytes()
    }

    /// An SMTP reply line: `NNN text` ends the reply, `NNN-text` continues it; every
    /// line of one reply carries the same code (RFC 5321 §4.2.1).
    fn smtp_line(&mut self, line: String) -> Option<Judged> {
        let b = line.as_bytes();
        let code = match b.get(..3) {
            Some(c) if c.iter().all(u8::is_ascii_digit) => [c[0], c[1], c[2]],
            _ => return Some(Judged::Foreign(clip(&line))),
        };
        let sep = b.get(3).copied();
        let same_code = self
            .lines
            .first()
            .is_none_or(|f| f.as_bytes().get(..3) == Some(&code));
        if !matches!(sep, None | Some(b' ' | b'-')) || !same_code {
            return Some(Judged::Foreign(clip(&line)));
        }
        self.lines.push(line);
        if sep == Some(b'-') {
            return None;
        }
        Some(match code[0] {
            b'2' => Judged::Yes,
            b'4' | b'5' => Judged::No,
            _ => Judged::Foreign(quote(&self.lines)),
        })
    }

    /// An IMAP line: the greeting is untagged; after a command, untagged lines are
    /// skipped (a `* BYE` among them is a refusal) until the command's tagged reply.
    fn imap_line(&mut self, line: String) -> Option<Judged> {
        let mut words = line.split_ascii_whitespace();
        let (tag, status) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let status = status.trim_end_matches(|c: char| !c.is_ascii_alphabetic());
        let is = |w: &str| status.eq_ignore_ascii_case(w);
        let judged = match (self.stage, tag) {
            (Stage::Greeting, "*") if is("OK") || is("PREAUTH") => Judged::Yes,
            (_, "*") if is("BYE") => Judged::No,
            (Stage::Greeting, _) => Judged::Foreign(clip(&line)),
            (_, "*") => return None,
            (stage, t) if t == self.imap_tag(stage) && is("OK") => Judged::Yes,
            (stage, t) if t == self.imap_tag(stage) && (is("NO") || is("BAD")) => Judged::No,
            _ => Judged::Foreign(clip(&line)),
        };
        if !matches!(judged, Judged::Foreign(_)) {
            self.lines.push(line);
        }
        Some(judged)
    }

    fn imap_tag(&self, stage: Stage) -> &'static str {
        match stage {
            Stage::Command => IMAP_COMMAND_TAG,
            _ => IMAP_STARTTLS_TAG,
        }
    }

    /// A POP3 status line: `+OK …` or `-ERR …` (RFC 1939 §3); only the first line of a
    /// multi-line answer matters.
    fn pop3_line(&mut self, line: String) -> Option<Judged> {
        let first = line.split_ascii_whitespace().next().unwrap_or("");
        let judged = match first {
            w if w.eq_ignore_ascii_case("+OK") => Judged::Yes,
            w if w.eq_ignore_ascii_case("-ERR") => Judged::No,
            _ => return Some(Judged::Foreign(clip(&line))),
        };
        self.lines.push(line);
        Some(judged)
    }
}

/// A reply judged by its protocol's rules.
enum Judged {
    Yes,
    No,
    /// Not this protocol: the offending text.
    Foreign(String),
}

/// True when the SMTP reply line `line` (`250-STARTTLS`) names the EHLO keyword `kw`.
fn smtp_keyword(line: &str, kw: &str) -> bool {
    line.get(4..)
        .and_then(|rest| rest.split_ascii_whitespace().next())
        .is_some_and(|w| w.eq_ignore_ascii_case(kw))
}

/// A line without its line ending, as text (invalid UTF-8 replaced).
fn text(raw: &[u8]) -> String {
    let end = raw
        .iter()
        .rposition(|b| *b != b'\r' && *b != b'\n')
        .map_or(0, |i| i + 1);
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

/// Reply lines for reports: joined by newlines, at most [`MAX_QUOTE`] characters.
fn quote(lines: &[String]) -> String {
    clip_to(&lines.join("\n"), MAX_QUOTE)
}

fn first_line(reply: &str) -> String {
    reply.lines().next().unwrap_or("").to_string()
}

/// At most 80 characters of an unexpected line.
fn clip(line: &str) -> String {
    clip_to(line, 80)
}

fn clip_to(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// A TLS record header at the start of `buf` (a server that speaks TLS from the first
/// byte, or answers with an alert), described.
fn tls_record(buf: &[u8]) -> Option<String> {
    let [typ @ 20..=24, 3, minor, ..] = *buf else {
        return None;
    };
    let kind = match typ {
        21 => "TLS alert",
        22 => "TLS handshake",
        _ => "TLS",
    };
    Some(format!(
        "a {kind} record (version 3.{minor}): the port may speak TLS from the first byte"
    ))
}

/// When `line` cannot be text of any mail protocol (a control character other than
/// tab and line endings where its code or tag goes: a TLS record, binary), what it
/// looks like. A control character later in a line that starts as a reply (`454 4.7.0
/// TLS \x1b[31m…`) leaves it a reply, judged by its code; the text stays exact in
/// JSON and every other sink escapes it (`safe.rs`).
fn binary(line: &[u8]) -> Option<String> {
    let bad = |b: &u8| (*b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || *b == 0x7f;
    if !line.iter().take(4).any(bad) {
        return None;
    }
    Some(tls_record(line).unwrap_or_else(|| excerpt(line.strip_suffix(b"\n").unwrap_or(line))))
}

/// Up to 80 bytes shown as printable ASCII (`.` for anything else).
pub fn excerpt(buf: &[u8]) -> String {
    buf.iter()
        .take(80)
        .map(|b| match b {
            0x20..=0x7e => char::from(*b),
            _ => '.',
        })
        .collect()
}

#[cfg(test)]
mod tests;
