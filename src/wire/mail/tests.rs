use proptest::prelude::*;

use super::*;
use crate::mail::{Mail, MailProtocol};

/// Runs a dialogue against a scripted server: `server` holds what the server sends
/// after each of our commands (the first entry before any command). Returns what we
/// sent and the verdict.
fn run(mut d: Dialogue, server: &[&[u8]]) -> (Vec<String>, Verdict) {
    let mut sent = Vec::new();
    let mut answers = server.iter();
    let mut step = d.start();
    let mut pending: &[u8] = match step {
        Step::NeedMore => answers.next().copied().unwrap_or(b""),
        _ => b"",
    };
    loop {
        match step {
            Step::Done(v) => return (sent, v),
            Step::Send(bytes) => {
                sent.push(String::from_utf8(bytes).unwrap());
                pending = answers.next().copied().unwrap_or(b"");
                step = d.feed(&[]);
                if step == Step::NeedMore && pending.is_empty() {
                    return (sent, d.finish());
                }
            }
            Step::NeedMore if pending.is_empty() => return (sent, d.finish()),
            Step::NeedMore => {
                step = d.feed(pending);
                pending = b"";
            }
        }
    }
}

const GREETING: &[u8] = b"220 smtp.office365.com Microsoft ESMTP MAIL Service ready\r\n";
const EHLO_OK: &[u8] = b"250-smtp.office365.com Hello [192.0.2.1]\r\n250-SIZE 157286400\r\n\
250-PIPELINING\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n";

#[test]
fn smtp_preamble_ehlo_then_starttls() {
    let d = Dialogue::preamble(MailProtocol::Smtp, "[192.0.2.1]");
    let (sent, v) = run(d, &[GREETING, EHLO_OK, b"220 2.0.0 SMTP server ready\r\n"]);
    assert_eq!(sent, ["EHLO [192.0.2.1]\r\n", "STARTTLS\r\n"]);
    assert_eq!(v, Verdict::Ready("220 2.0.0 SMTP server ready".into()));
}

#[test]
fn smtp_replies_may_arrive_in_pieces() {
    let mut d = Dialogue::preamble(MailProtocol::Smtp, "x");
    for b in GREETING.iter().take(GREETING.len() - 1) {
        assert_eq!(d.feed(&[*b]), Step::NeedMore);
    }
    assert_eq!(d.feed(b"\n"), Step::Send(b"EHLO x\r\n".to_vec()));
    let (a, b) = EHLO_OK.split_at(30);
    assert_eq!(d.feed(a), Step::NeedMore);
    assert_eq!(d.feed(b), Step::Send(b"STARTTLS\r\n".to_vec()));
}

#[test]
fn smtp_without_starttls_is_not_offered() {
    let d = Dialogue::preamble(MailProtocol::Smtp, "x");
    let (_, v) = run(d, &[GREETING, b"250-mx Hello\r\n250 SIZE 1000\r\n"]);
    assert_eq!(
        v,
        Verdict::NotOffered {
            reply: "250-mx Hello\n250 SIZE 1000".into()
        }
    );
    assert!(
        v.describe(MailProtocol::Smtp)
            .contains("does not offer STARTTLS")
    );
}

#[test]
fn smtp_starttls_refused_quotes_the_line() {
    let d = Dialogue::preamble(MailProtocol::Smtp, "x");
    let (_, v) = run(
        d,
        &[
            GREETING,
            EHLO_OK,
            b"454 4.7.0 TLS not available due to local problem\r\n",
        ],
    );
    assert_eq!(
        v.describe(MailProtocol::Smtp),
        "the server refused STARTTLS: \"454 4.7.0 TLS not available due to local problem\""
    );
}

#[test]
fn smtp_greeting_refusal_and_foreign_protocols() {
    let (_, v) = run(
        Dialogue::preamble(MailProtocol::Smtp, "x"),
        &[b"554 5.7.1 no service\r\n"],
    );
    assert!(
        matches!(
            v,
            Verdict::Refused {
                stage: Stage::Greeting,
                ..
            }
        ),
        "{v:?}"
    );
    let (_, v) = run(
        Dialogue::preamble(MailProtocol::Smtp, "x"),
        &[b"HTTP/1.1 400 Bad Request\r\n\r\n"],
    );
    assert_eq!(
        v.describe(MailProtocol::Smtp),
        "not an SMTP greeting: \"HTTP/1.1 400 Bad Request\""
    );
    // A TLS alert where the greeting should be: no line ending is waited for.
    let mut d = Dialogue::preamble(MailProtocol::Smtp, "x");
    let Step::Done(v) = d.feed(&[21, 3, 1, 0, 2, 2, 70]) else {
        panic!("binary must settle at once")
    };
    assert!(
        v.describe(MailProtocol::Smtp)
            .contains("a TLS alert record"),
        "{v:?}"
    );
    // An IMAP server on the SMTP port.
    let (_, v) = run(
        Dialogue::preamble(MailProtocol::Smtp, "x"),
        &[b"* OK IMAP4rev1 ready\r\n"],
    );
    assert!(matches!(v, Verdict::NotProtocol { .. }));
    // Codes that change inside a multi-line reply are not SMTP.
    let (_, v) = run(
        Dialogue::preamble(MailProtocol::Smtp, "x"),
        &[b"220-one\r\n250 two\r\n"],
    );
    assert!(matches!(v, Verdict::NotProtocol { .. }), "{v:?}");
}

#[test]
fn bytes_after_the_starttls_answer_are_injection() {
    let (_, v) = run(
        Dialogue::preamble(MailProtocol::Smtp, "x"),
        &[GREETING, EHLO_OK, b"220 go ahead\r\n250 injected\r\n"],
    );
    assert!(matches!(v, Verdict::Injected { .. }), "{v:?}");
}

#[test]
fn smtp_answer_after_starttls_sends_ehlo() {
    let d = Dialogue::answer(Mail::starttls(MailProtocol::Smtp), "[::1]");
    let refusal: &[u8] = b"421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your \
client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls. [AM0PR01CA0001.eurprd01.prod.exchangelabs.com]\r\n";
    let (sent, v) = run(d, &[refusal]);
    assert_eq!(sent, ["EHLO [::1]\r\n"]);
    let Verdict::Refused { stage, reply } = &v else {
        panic!("{v:?}")
    };
    assert_eq!(*stage, Stage::Command);
    assert!(reply.starts_with("421 4.7.66 TLS 1.0 and 1.1 are not supported."));
    let (_, v) = run(
        Dialogue::answer(Mail::starttls(MailProtocol::Smtp), "x"),
        &[EHLO_OK],
    );
    assert_eq!(
        v,
        Verdict::Ready("250-smtp.office365.com Hello [192.0.2.1]".into())
    );
}

#[test]
fn implicit_tls_reads_the_greeting_first() {
    let (sent, v) = run(
        Dialogue::answer(Mail::implicit(MailProtocol::Imap), "x"),
        &[
            b"* OK The Microsoft Exchange IMAP4 service is ready.\r\n",
            b"* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN\r\nb OK CAPABILITY completed.\r\n",
        ],
    );
    assert_eq!(sent, ["b CAPABILITY\r\n"]);
    assert_eq!(v, Verdict::Ready("b OK CAPABILITY completed.".into()));
    let (sent, v) = run(
        Dialogue::answer(Mail::implicit(MailProtocol::Smtp), "x"),
        &[b"554 5.7.0 TLS 1.0 refused\r\n"],
    );
    assert!(sent.is_empty());
    assert!(matches!(
        v,
        Verdict::Refused {
            stage: Stage::Greeting,
            ..
        }
    ));
}

#[test]
fn imap_preamble_and_refusals() {
    let (sent, v) = run(
        Dialogue::preamble(MailProtocol::Imap, "x"),
        &[b"* OK ready\r\n", b"a OK Begin TLS negotiation now.\r\n"],
    );
    assert_eq!(sent, ["a STARTTLS\r\n"]);
    assert_eq!(v, Verdict::Ready("a OK Begin TLS negotiation now.".into()));
    let (_, v) = run(
        Dialogue::preamble(MailProtocol::Imap, "x"),
        &[
            b"* OK ready\r\n",
            b"a BAD Command not valid in this state\r\n",
        ],
    );
    assert!(matches!(
        v,
        Verdict::Refused {
            stage: Stage::Starttls,
            ..
        }
    ));
    let (_, v) = run(
        Dialogue::answer(Mail::starttls(MailProtocol::Imap), "x"),
        &[b"* BYE TLS 1.0 is not supported\r\n"],
    );
    assert_eq!(
        v,
        Verdict::Refused {
            stage: Stage::Command,
            reply: "* BYE TLS 1.0 is not supported".into()
        }
    );
    let (_, v) = run(
        Dialogue::answer(Mail::starttls(MailProtocol::Imap), "x"),
        &[b"b NO [ALERT] upgrade your client\r\n"],
    );
    assert!(matches!(v, Verdict::Refused { .. }));
    // Another tag than ours is not an answer to us.
    let (_, v) = run(
        Dialogue::answer(Mail::starttls(MailProtocol::Imap), "x"),
        &[b"z OK what\r\n"],
    );
    assert!(matches!(v, Verdict::NotProtocol { .. }));
}

#[test]
fn pop3_dialogues() {
    let (sent, v) = run(
        Dialogue::preamble(MailProtocol::Pop3, "x"),
        &[
            b"+OK The Microsoft Exchange POP3 service is ready.\r\n",
            b"+OK Begin TLS\r\n",
        ],
    );
    assert_eq!(sent, ["STLS\r\n"]);
    assert!(matches!(v, Verdict::Ready(_)));
    let (sent, v) = run(
        Dialogue::answer(Mail::starttls(MailProtocol::Pop3), "x"),
        &[b"-ERR TLS 1.0 not supported\r\n"],
    );
    assert_eq!(sent, ["CAPA\r\n"]);
    assert_eq!(
        v.describe(MailProtocol::Pop3),
        "the server refused CAPA: \"-ERR TLS 1.0 not supported\""
    );
}

#[test]
fn closing_early_is_closed_with_what_came() {
    let (_, v) = run(
        Dialogue::preamble(MailProtocol::Smtp, "x"),
        &[b"220-partial\r\n220-"],
    );
    assert_eq!(
        v,
        Verdict::Closed {
            stage: Stage::Greeting,
            partial: "220-partial\n220-".into()
        }
    );
    let (_, v) = run(
        Dialogue::answer(Mail::starttls(MailProtocol::Smtp), "x"),
        &[],
    );
    assert_eq!(
        v.describe(MailProtocol::Smtp),
        "the server closed the connection without answer to EHLO"
    );
}

#[test]
fn endless_banners_are_cut_off() {
    // A multi-line greeting that never ends.
    let mut d = Dialogue::preamble(MailProtocol::Smtp, "x");
    let line = b"220-Welcome to the endless banner of the lab\r\n";
    let mut fed = 0;
    let v = loop {
        match d.feed(line) {
            Step::NeedMore => fed += line.len(),
            Step::Done(v) => break v,
            Step::Send(_) => panic!("no command for an unfinished reply"),
        }
        assert!(fed <= MAX_REPLY, "fed {fed} bytes without a verdict");
    };
    assert!(
        matches!(
            v,
            Verdict::TooLong {
                stage: Stage::Greeting,
                ..
            }
        ),
        "{v:?}"
    );
    // One line without an end.
    let mut d = Dialogue::preamble(MailProtocol::Smtp, "x");
    let v = loop {
        match d.feed(&[b'2'; 1000]) {
            Step::NeedMore => {}
            Step::Done(v) => break v,
            Step::Send(_) => panic!(),
        }
    };
    assert_eq!(
        v,
        Verdict::TooLong {
            stage: Stage::Greeting,
            limit: MAX_LINE
        }
    );
    // IMAP untagged lines before the tagged reply count too.
    let mut d = Dialogue::answer(Mail::starttls(MailProtocol::Imap), "x");
    d.start();
    let v = loop {
        match d.feed(b"* CAPABILITY IMAP4rev1 IMAP4rev1 IMAP4rev1 IMAP4rev1\r\n") {
            Step::NeedMore => {}
            Step::Done(v) => break v,
            Step::Send(_) => panic!(),
        }
    };
    assert!(matches!(v, Verdict::TooLong { .. }));
}

#[test]
fn quotes_are_bounded() {
    let long = format!("421 {}\r\n", "x".repeat(3000));
    let (_, v) = run(
        Dialogue::answer(Mail::starttls(MailProtocol::Smtp), "x"),
        &[long.as_bytes()],
    );
    let Verdict::Refused { reply, .. } = v else {
        panic!()
    };
    assert_eq!(reply.chars().count(), MAX_QUOTE + 1);
    assert!(reply.ends_with('…'));
}

fn any_protocol() -> impl Strategy<Value = MailProtocol> {
    prop_oneof![
        Just(MailProtocol::Smtp),
        Just(MailProtocol::Imap),
        Just(MailProtocol::Pop3)
    ]
}

proptest! {
    /// Any bytes, in any slicing, never panic, never grow the buffers past the bounds,
    /// and end in a verdict once the connection ends.
    #[test]
    fn arbitrary_bytes_never_panic(
        protocol in any_protocol(),
        preamble in any::<bool>(),
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 0..12),
    ) {
        let mut d = match preamble {
            true => Dialogue::preamble(protocol, "x"),
            false => Dialogue::answer(Mail::starttls(protocol), "x"),
        };
        d.start();
        for c in &chunks {
            let _ = d.feed(c);
            let _ = d.feed(&[]);
            prop_assert!(d.buf.len() <= MAX_LINE + 600);
            prop_assert!(d.lines.len() <= MAX_LINES);
        }
        let v = d.finish();
        prop_assert!(!v.describe(protocol).is_empty());
    }

    /// Text-like input (reply-shaped lines) never panics either.
    #[test]
    fn reply_shaped_lines_never_panic(
        protocol in any_protocol(),
        lines in proptest::collection::vec("[0-9*+a-z -]{0,12}(OK|NO|BAD|BYE|ERR|STARTTLS)?[ -~]{0,20}", 0..40),
    ) {
        let mut d = Dialogue::preamble(protocol, "x");
        for l in &lines {
            let _ = d.feed(format!("{l}\r\n").as_bytes());
        }
        let _ = d.finish();
    }
}
