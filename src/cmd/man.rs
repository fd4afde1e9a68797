//! `tlscompat man`: the manual page, in roff, generated from the one CLI definition
//! ([`crate::cli::Cli`]) by `clap_mangen`, so it never lags behind the flags.
//!
//! One page, `tlscompat(1)`, holds every subcommand with its options (an admin types
//! `man tlscompat` and finds `scan`'s flags there), followed by the sections clap knows
//! nothing of: exit status, environment, files. The output has no date or other
//! build-time input, so the copy the Debian package ships (`pkg/tlscompat.1`, kept
//! current by `tests/package.rs`) can be compared byte for byte.

use std::io::{self, BufWriter, Write};

use clap::CommandFactory;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::cli::Cli;
use crate::exit::{EXIT_OK, Failure};

/// What clap cannot say: the exit-code contract, the environment read, the files.
const EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
The scan finished and no record has a finding in the \fB\-\-fail\-on\fR set.
.TP
\fB1\fR
The scan finished and at least one record has a finding in the \fB\-\-fail\-on\fR set.
.TP
\fB2\fR
Invalid invocation or input (a bad flag, an unreadable or malformed endpoint list, a bad
version range or proxy URL, a report path that cannot be written); the message names the
file, line and field, and nothing was scanned.
.TP
\fB3\fR
The scan ran but a report could not be written; the message names the file or stdout.
.TP
\fB130\fR, \fB143\fR
Stopped by SIGINT or SIGTERM; the reports hold the records finished before the signal
and say they are incomplete.
.SH ENVIRONMENT
.TP
\fBHTTPS_PROXY\fR, \fBhttps_proxy\fR, \fBNO_PROXY\fR, \fBno_proxy\fR
The HTTP CONNECT proxy to scan through and the hosts to reach directly, as curl reads
them; \fB\-\-proxy\fR takes precedence and \fB\-\-no\-env\-proxy\fR ignores them.
.TP
\fBNO_COLOR\fR, \fBTERM\fR, \fBCOLUMNS\fR
Colour and width of the table on a terminal.
.TP
\fBCI\fR
Set (and not \fB0\fR or \fBfalse\fR): no progress bar.
.SH FILES
.TP
\fBendpoints.toml\fR
The Microsoft 365 activation endpoint list is compiled into the binary; print it with
\fBtlscompat endpoints\fR and give another list with \fB\-\-endpoints\fR \fIFILE\fR.
.SH "SEE ALSO"
\fBopenssl\-s_client\fR(1), \fBsslscan\fR(1), \fBtestssl\fR(1)
"#;

/// The string definitions clap_mangen puts before every part it renders; the page
/// carries them once, after `.TH`, so that the page starts with `.TH`.
const PREAMBLE: [&str; 2] = [r".ie \n(.g .ds Aq \(aq", r".el .ds Aq '"];

/// The whole page.
pub fn page() -> io::Result<Vec<u8>> {
    let mut cmd = Cli::command().bin_name("tlscompat");
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut body = Vec::new();
    man.render_name_section(&mut body)?;
    man.render_synopsis_section(&mut body)?;
    man.render_description_section(&mut body)?;
    man.render_options_section(&mut body)?;
    subcommand_list(&cmd).to_writer(&mut body)?;
    for sub in visible_subcommands(&cmd) {
        subcommand(sub, &mut body)?;
    }
    body.extend_from_slice(EXTRA.as_bytes());
    man.render_version_section(&mut body)?;
    // Written here rather than by clap_mangen, which leaves the empty date unquoted so
    // that roff shifts the fields after it. No date: the page must not change by itself.
    let mut out = Vec::new();
    writeln!(
        out,
        ".TH TLSCOMPAT 1 \"\" \"tlscompat {}\" \"User Commands\"",
        env!("CARGO_PKG_VERSION")
    )?;
    for line in PREAMBLE {
        writeln!(out, "{line}")?;
    }
    for line in without_preamble(&body) {
        writeln!(out, "{line}")?;
    }
    Ok(out)
}

fn without_preamble(roff: &[u8]) -> impl Iterator<Item = &str> {
    std::str::from_utf8(roff)
        .unwrap_or_default()
        .lines()
        .filter(|l| !PREAMBLE.contains(l))
}

fn visible_subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// `SUBCOMMANDS`: each with its one-line summary; the details follow on this page
/// (clap_mangen's own list points to one page per subcommand, which we do not ship).
fn subcommand_list(cmd: &clap::Command) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["SUBCOMMANDS"]);
    for sub in visible_subcommands(cmd) {
        let name = sub.get_bin_name().unwrap_or_else(|| sub.get_name());
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        roff.control("TP", [] as [&str; 0]);
        roff.text([bold(name)]);
        roff.text([roman(about)]);
    }
    roff
}

/// One subcommand as a section of the page (`.SH "TLSCOMPAT SCAN"`): its synopsis, its
/// description and its options, the headings clap_mangen writes demoted one level; then
/// its own subcommands (`endpoints import`) the same way.
fn subcommand(cmd: &clap::Command, out: &mut Vec<u8>) -> io::Result<()> {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
    let man = Man::new(cmd.clone());
    let mut part = Vec::new();
    man.render_synopsis_section(&mut part)?;
    man.render_description_section(&mut part)?;
    man.render_options_section(&mut part)?;
    for line in without_preamble(&part) {
        match line.strip_prefix(".SH ") {
            Some("SYNOPSIS") => {}
            Some("DESCRIPTION") => writeln!(out, ".PP")?,
            Some(heading) => writeln!(out, ".SS {heading}")?,
            None => writeln!(out, "{line}")?,
        }
    }
    for sub in visible_subcommands(cmd) {
        subcommand(sub, out)?;
    }
    Ok(())
}

pub fn run() -> Result<u8, Failure> {
    let page = page()?;
    let mut out = BufWriter::new(io::stdout().lock());
    out.write_all(&page)?;
    out.flush()?;
    Ok(EXIT_OK)
}
