//! The human table: one row per address, a column per version, the findings, the
//! summary line. Rows are kept until the end so columns can be aligned — in a
//! [`Spool`], not in memory, with only the column widths and footnotes held — so a
//! merged scan of 100,000 records draws in bounded memory.
//!
//! Width-aware: when the full table (a reason in every cell) is wider than the terminal,
//! cells shrink to short words (`yes`, `no`, `t/o`…) with a footnote mark, and each
//! distinct reason is printed once below the table (`[1] alert handshake_failure (40)`),
//! which is what makes a 388-column table fit in 120. If that is still too wide, the
//! cipher column goes, then the certificate and host columns are abbreviated with `…`.
//! Without a known width (output to a file or pipe) the full table is written.
//!
//! Whatever the width, no cell is wider than [`MAX_CELL`] characters and no line of
//! text longer than [`MAX_LINE`]: a certificate name of 17,000 control characters
//! (68,000 once escaped) is cut with `…` like any long name, before padding, which is
//! done by hand (a `{:<w$}` width above 65,535 panics). The JSON report keeps the whole.
//!
//! Colour (ANSI) only on a terminal unless `--color always`; `NO_COLOR` (any non-empty
//! value) and `--color never` turn it off. Every network-derived string passes through
//! [`crate::safe::terminal`] first.

use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal, Write};

use super::matrix::Matrix;
use super::spool::Spool;
use super::summary::Summary;
use super::text::{abbreviate, pad, width};
use super::{ScanContext, Sink, cell_text};
use crate::checks::clients;
use crate::cli::ColorChoice;
use crate::findings::FindingKind;
use crate::probe::outcome::CellState;
use crate::record::Record;
use crate::safe::terminal as safe;
use crate::version::TlsVersion;

/// The widest a cell gets, in characters (a DNS name is at most 253).
pub const MAX_CELL: usize = 120;
/// The longest a line of text (a finding, a note, a footnote) gets, in characters.
pub const MAX_LINE: usize = 1_000;

/// How the table is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStyle {
    pub color: bool,
    /// Columns available; `None` = unlimited (not a terminal).
    pub width: Option<usize>,
}

impl TableStyle {
    /// The style for stdout: its terminal width (or `COLUMNS`), colour per `--color`
    /// and `NO_COLOR`.
    pub fn for_stdout(choice: ColorChoice) -> Self {
        let tty = io::stdout().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color && !dumb,
        };
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok());
        let width = columns
            .or_else(|| {
                tty.then(|| {
                    console::Term::stdout()
                        .size_checked()
                        .map(|(_, w)| w as usize)
                })
                .flatten()
            })
            .filter(|w| *w >= 20);
        Self { color, width }
    }
}

/// Colours, as the HTML report uses them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tone {
    Good,
    Warn,
    Bad,
    Dim,
    Plain,
}

impl Tone {
    fn code(self) -> &'static str {
        match self {
            Tone::Good => "\x1b[32m",
            Tone::Warn => "\x1b[33m",
            Tone::Bad => "\x1b[31m",
            Tone::Dim => "\x1b[2m",
            Tone::Plain => "",
        }
    }
}

fn tone(v: TlsVersion, s: CellState) -> Tone {
    match (s, v.is_legacy()) {
        (CellState::Accepted, true) => Tone::Warn,
        (CellState::Accepted, false) | (CellState::Rejected | CellState::Refused, true) => {
            Tone::Good
        }
        (CellState::Skipped | CellState::NoRoute, _) => Tone::Dim,
        _ => Tone::Bad,
    }
}

/// One table cell: full text, short word, the reason it abbreviates, its colour.
#[derive(Clone)]
struct Cell {
    full: String,
    short: String,
    reason: Option<String>,
    tone: Tone,
}

impl Cell {
    fn plain(s: String) -> Self {
        Self {
            short: s.clone(),
            full: s,
            reason: None,
            tone: Tone::Plain,
        }
    }
}

/// Most distinct reasons the compact table numbers; cells beyond refer to `[*]`.
const MAX_REASONS: usize = 999;

/// Separators of a spooled row: between cells, and between a cell's two forms. Cell
/// text has been through [`safe`], which escapes every control character, so neither
/// can occur in it.
const CELL_SEP: char = '\u{1f}';
const FORM_SEP: char = '\u{1e}';

pub struct TableSink<W: Write> {
    out: W,
    ctx: ScanContext,
    style: TableStyle,
    header: Vec<String>,
    /// One line per row (see [`TableSink::spool_row`]): rows are kept out of memory
    /// until the end, when the column widths are known.
    rows: Spool,
    /// Per column, the widest full text and the widest short form (with its `[n]`).
    full_widths: Vec<usize>,
    short_widths: Vec<usize>,
    /// The compact table's footnotes, numbered in order of first use.
    reasons: Vec<String>,
    reason_ids: HashMap<String, usize>,
    /// More distinct reasons than [`MAX_REASONS`] were seen.
    reasons_overflow: bool,
    /// Lines after the table: `1` (FAIL) or `0` (note), then the text.
    findings: Spool,
    /// The host × client profile matrix, on a terminal (see [`TableSink::matrix_mode`]).
    matrix: Matrix,
}

impl<W: Write> TableSink<W> {
    pub fn new(out: W, ctx: ScanContext) -> Self {
        let mut header = vec!["HOST".to_string(), "PORT".into(), "ADDRESS".into()];
        header.extend(ctx.versions.iter().map(|v| v.to_string().to_uppercase()));
        header.extend(["BEST".into(), "CIPHER".into(), "CERT".into()]);
        let widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
        Self {
            out,
            ctx,
            style: TableStyle::default(),
            header,
            rows: Spool::new(),
            full_widths: widths.clone(),
            short_widths: widths,
            reasons: Vec::new(),
            reason_ids: HashMap::new(),
            reasons_overflow: false,
            findings: Spool::new(),
            matrix: Matrix::default(),
        }
    }

    pub fn styled(mut self, style: TableStyle) -> Self {
        self.style = style;
        self
    }

    /// On a terminal (a known width) the client verdicts are a host × profile matrix;
    /// written to a file or a pipe, each address keeps its detail lines
    /// (`clients host:443 [addr]: win7: fail …`), which is what a log should hold.
    /// Either way the verdict lines end the output.
    fn matrix_mode(&self) -> bool {
        self.style.width.is_some()
    }

    /// The footnote mark of a reason: `[n]`, or `[*]` past [`MAX_REASONS`].
    fn reason_mark(&mut self, reason: &str) -> String {
        if let Some(n) = self.reason_ids.get(reason) {
            return format!("[{n}]");
        }
        if self.reasons.len() >= MAX_REASONS {
            self.reasons_overflow = true;
            return "[*]".into();
        }
        self.reasons.push(bounded_line(reason.to_string()));
        let n = self.reasons.len();
        self.reason_ids.insert(reason.to_string(), n);
        format!("[{n}]")
    }

    /// Spools one row of cells, each cut to [`MAX_CELL`], and widens the columns.
    fn spool_row(&mut self, cells: Vec<Cell>) -> io::Result<()> {
        let mut line = String::from("C");
        for (i, c) in cells.into_iter().enumerate() {
            let full = abbreviate(&c.full, MAX_CELL);
            let short = match &c.reason {
                Some(r) => format!("{}{}", c.short, self.reason_mark(r)),
                None => c.short.clone(),
            };
            let short = abbreviate(&short, MAX_CELL);
            if let (Some(f), Some(s)) = (self.full_widths.get_mut(i), self.short_widths.get_mut(i))
            {
                *f = (*f).max(width(&full));
                *s = (*s).max(width(&short));
            }
            line.push(CELL_SEP);
            line.push(tone_char(c.tone));
            line.push_str(&full);
            line.push(FORM_SEP);
            line.push_str(&short);
        }
        line.push('\n');
        self.rows.write_all(line.as_bytes())
    }

    fn spool_note(&mut self, host: &str, port: &str, why: &str) -> io::Result<()> {
        let line = format!(
            "N{CELL_SEP}{}{CELL_SEP}{port}{CELL_SEP}{}\n",
            abbreviate(host, MAX_CELL),
            bounded_line(why.to_string())
        );
        self.rows.write_all(line.as_bytes())
    }

    fn finding(&mut self, fail: bool, text: String) -> io::Result<()> {
        let line = format!("{}{}\n", u8::from(fail), bounded_line(text));
        self.findings.write_all(line.as_bytes())
    }
}

fn tone_char(t: Tone) -> char {
    match t {
        Tone::Good => 'g',
        Tone::Warn => 'w',
        Tone::Bad => 'b',
        Tone::Dim => 'd',
        Tone::Plain => 'p',
    }
}

fn tone_of(c: char) -> Tone {
    match c {
        'g' => Tone::Good,
        'w' => Tone::Warn,
        'b' => Tone::Bad,
        'd' => Tone::Dim,
        _ => Tone::Plain,
    }
}

fn short_word(s: CellState) -> &'static str {
    match s {
        CellState::Accepted => "yes",
        CellState::Rejected => "no",
        CellState::Refused => "refused",
        CellState::Timeout => "t/o",
        CellState::Unreachable => "unreach",
        CellState::NoRoute => "noroute",
        CellState::Error => "err",
        CellState::Skipped => "-",
        CellState::NotProbed => "n/p",
    }
}

impl<W: Write> Sink for TableSink<W> {
    fn record(&mut self, r: &Record) -> io::Result<()> {
        let host = safe(&r.host).into_owned();
        if r.address.is_empty() {
            let why = r.error.as_deref().unwrap_or("no address");
            let why = why.strip_prefix("dns: ").unwrap_or(why);
            let why = format!("did not resolve: {}", safe(why));
            self.spool_note(&host, &r.port.to_string(), &why)?;
        } else {
            let mut row = vec![
                Cell::plain(host.clone()),
                Cell::plain(r.port.to_string()),
                Cell::plain(safe(&r.address).into_owned()),
            ];
            for v in &self.ctx.versions {
                let c = r.cell(*v);
                let reason = (!c.detail.is_empty() && c.state != CellState::Unreachable)
                    .then(|| safe(&c.detail).into_owned());
                let unproven = c.state == CellState::Accepted
                    && matches!(c.proof, Some(crate::probe::proof::Proof::Unproven(_)));
                row.push(Cell {
                    full: safe(&cell_text(c)).into_owned(),
                    short: if unproven {
                        "yes?"
                    } else {
                        short_word(c.state)
                    }
                    .into(),
                    reason,
                    tone: match tone(*v, c.state) {
                        // As in the HTML: a refused TLS 1.2 beside an accepted TLS 1.3.
                        Tone::Bad
                            if matches!(c.state, CellState::Rejected | CellState::Refused)
                                && r.best_version.is_some_and(|b| !b.is_legacy()) =>
                        {
                            Tone::Warn
                        }
                        t => t,
                    },
                });
            }
            row.push(Cell::plain(
                r.best_version
                    .map_or("-".into(), |v| v.number().to_string()),
            ));
            row.push(Cell::plain(r.cipher.map_or("-".into(), |c| c.to_string())));
            let (cert, bad) = cert_text(r);
            row.push(Cell {
                tone: if bad { Tone::Bad } else { Tone::Plain },
                ..Cell::plain(safe(&cert).into_owned())
            });
            self.spool_row(row)?;
        }
        let at = if r.address.is_empty() {
            String::new()
        } else {
            format!(" [{}]", safe(&r.address))
        };
        let matrix = self.matrix_mode();
        for f in &r.findings {
            let fail = self.ctx.fail_on.contains(&f.kind);
            let mark = if fail { "FAIL" } else { "note" };
            // The matrix says which clients fail and why; the finding need not.
            let what = match (matrix, f.kind) {
                (true, FindingKind::ClientIncompatible) => {
                    format!("{} (see the client matrix below)", f.kind)
                }
                _ => f.to_string(),
            };
            let text = format!("{mark} {host}:{}{at}: {}", r.port, safe(&what));
            self.finding(fail, text)?;
        }
        for n in &r.notes {
            self.finding(false, format!("note {host}:{}{at}: {}", r.port, safe(n)))?;
        }
        for check in &r.checks {
            if matrix && check.check == clients::CHECK {
                let label = match r.port {
                    crate::target::DEFAULT_PORT => r.host.clone(),
                    port => format!("{}:{port}", r.host),
                };
                self.matrix.add(&label, &clients::verdicts(check));
                continue;
            }
            for line in &check.lines {
                let text = format!("{} {host}:{}{at}: {}", check.check, r.port, safe(line));
                self.finding(false, text)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let color = self.style.color;
        let paint = |tone: Tone, s: &str| -> String {
            if color && tone != Tone::Plain {
                format!("{}{s}\x1b[0m", tone.code())
            } else {
                s.to_string()
            }
        };
        let max = self.style.width;
        let layout = self.layout();
        let header = layout.render_header(&self.header);
        writeln!(self.out, "{}", header.trim_end())?;
        let rows = std::mem::take(&mut self.rows).into_reader()?;
        for line in rows.lines() {
            let line = line?;
            let text = layout.render_row(&line, &paint);
            match text {
                Rendered::Cells(t) => writeln!(self.out, "{}", t.trim_end())?,
                Rendered::Text(t) => {
                    for l in wrap(&t, max) {
                        writeln!(self.out, "{}", l.trim_end())?;
                    }
                }
            }
        }
        for t in self.legend(&layout) {
            for l in wrap(&t, max) {
                writeln!(self.out, "{}", l.trim_end())?;
            }
        }
        let findings = std::mem::take(&mut self.findings);
        if !findings.is_empty() {
            writeln!(self.out)?;
            for line in findings.into_reader()?.lines() {
                let line = line?;
                let (fail, text) = line.split_at(line.len().min(1));
                let t = if fail == "1" { Tone::Bad } else { Tone::Warn };
                for l in wrap(text, max) {
                    writeln!(self.out, "{}", paint(t, &l))?;
                }
            }
        }
        if let Some(b) = &summary.baseline {
            writeln!(self.out)?;
            writeln!(
                self.out,
                "Compared with {}: {} record(s) drifted",
                safe(&b.baseline),
                b.drifted
            )?;
            for (title, list) in [
                ("appeared", &b.appeared),
                ("disappeared", &b.disappeared),
                ("address churn (not drift)", &b.address_churn),
            ] {
                for item in list.iter() {
                    let line = bounded_line(format!("  {title}: {}", safe(item)));
                    for l in wrap(&line, max) {
                        writeln!(self.out, "{l}")?;
                    }
                }
            }
        }
        if !self.matrix.is_empty() {
            writeln!(self.out)?;
            // The grid fits by construction; the legend and the reasons wrap.
            let (grid, notes) = self.matrix.render(max, color);
            for line in grid {
                writeln!(self.out, "{line}")?;
            }
            writeln!(self.out)?;
            for line in notes {
                for l in wrap(&bounded_line(line), max) {
                    writeln!(self.out, "{}", l.trim_end())?;
                }
            }
        }
        writeln!(self.out)?;
        for l in wrap(&summary.line(), max) {
            writeln!(self.out, "{l}")?;
        }
        if let Some(why) = &summary.incomplete {
            for l in wrap(&bounded_line(format!("INCOMPLETE: {}", safe(why))), max) {
                writeln!(self.out, "{}", paint(Tone::Bad, &l))?;
            }
        }
        // The answer per client ends the output, terminal or not.
        if !summary.clients.is_empty() {
            writeln!(self.out)?;
            for line in summary.clients.lines() {
                for l in wrap(&bounded_line(safe(&line).into_owned()), max) {
                    writeln!(self.out, "{l}")?;
                }
            }
        }
        self.out.flush()
    }
}

/// How the rows are drawn: full or compact cells, the column widths, hidden columns.
struct Layout {
    compact: bool,
    widths: Vec<usize>,
    hidden: Vec<usize>,
}

/// A drawn row: aligned cells, or a free-text line (a note row).
enum Rendered {
    Cells(String),
    Text(String),
}

impl Layout {
    fn shown(&self, i: usize) -> bool {
        !self.hidden.contains(&i)
    }

    fn render_header(&self, header: &[String]) -> String {
        let cells: Vec<String> = (0..header.len())
            .filter(|i| self.shown(*i))
            .map(|i| pad(&abbreviate(&header[i], self.widths[i]), self.widths[i]))
            .collect();
        cells.join("  ")
    }

    /// One spooled row (see [`TableSink::spool_row`]), drawn.
    fn render_row(&self, line: &str, paint: &dyn Fn(Tone, &str) -> String) -> Rendered {
        let mut fields = line.split(CELL_SEP);
        let kind = fields.next().unwrap_or("");
        if kind == "N" {
            let host = fields.next().unwrap_or("");
            let port = fields.next().unwrap_or("");
            let why = fields.next().unwrap_or("");
            let (w0, w1) = (self.widths[0], self.widths.get(1).copied().unwrap_or(0));
            return Rendered::Text(format!(
                "{}  {}  {why}",
                pad(&abbreviate(host, w0), w0),
                pad(port, w1)
            ));
        }
        let cells: Vec<String> = fields
            .enumerate()
            .filter(|(i, _)| self.shown(*i) && *i < self.widths.len())
            .map(|(i, f)| {
                let mut chars = f.chars();
                let tone = tone_of(chars.next().unwrap_or('p'));
                let rest = chars.as_str();
                let (full, short) = rest.split_once(FORM_SEP).unwrap_or((rest, rest));
                let text = if self.compact { short } else { full };
                paint(
                    tone,
                    &pad(&abbreviate(text, self.widths[i]), self.widths[i]),
                )
            })
            .collect();
        Rendered::Cells(cells.join("  "))
    }
}

impl<W: Write> TableSink<W> {
    /// Full cells when they fit the width (or no width is known), else compact ones
    /// with footnotes, then without the cipher, then with the certificate, host and
    /// address cut (down to floors).
    fn layout(&self) -> Layout {
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        let fits = self
            .style
            .width
            .is_none_or(|max| total(&self.full_widths) <= max);
        if fits {
            return Layout {
                compact: false,
                widths: self.full_widths.clone(),
                hidden: Vec::new(),
            };
        }
        let max = self.style.width.unwrap_or(usize::MAX);
        let mut widths = self.short_widths.clone();
        let cipher = self.header.len() - 2;
        let cert = self.header.len() - 1;
        let mut hidden = Vec::new();
        if total(&widths) > max {
            hidden.push(cipher);
            widths[cipher] = 0;
        }
        let visible = |w: &[usize], hidden: &[usize]| total(w) - 2 * hidden.len();
        for (col, floor) in [(cert, 16), (0, 18), (2, 15)] {
            let over = visible(&widths, &hidden).saturating_sub(max);
            if over > 0 {
                widths[col] = widths[col].saturating_sub(over).max(floor.min(widths[col]));
            }
        }
        Layout {
            compact: true,
            widths,
            hidden,
        }
    }

    /// The lines under the rows: what the words mean, and the footnotes.
    fn legend(&self, layout: &Layout) -> Vec<String> {
        let mut lines = vec![String::new()];
        if !layout.compact {
            lines.push(
                "yes = accepted; no: how the server refused; timeout = no answer in time; - = outside the probed range".into(),
            );
            return lines;
        }
        lines.push(
            "yes = accepted; yes? = accepted, not provable; no = refused; refused = the mail service refused after the handshake; t/o = no answer in time; unreach = no connection; noroute = no route from here; err = error; n/p = not probed (the proxy refused); - = outside the probed range; [n] = reason below".into(),
        );
        for (i, r) in self.reasons.iter().enumerate() {
            lines.push(bounded_line(format!("[{}] {r}", i + 1)));
        }
        if self.reasons_overflow {
            lines.push(format!(
                "[*] more than {MAX_REASONS} distinct reasons: see the CSV or JSON report"
            ));
        }
        lines
    }
}

/// Breaks a long line at spaces (or anywhere, for a long word) to `max` columns, with
/// the continuation lines indented.
fn wrap(line: &str, max: Option<usize>) -> Vec<String> {
    let Some(max) = max.filter(|_| !line.is_empty()) else {
        return vec![line.to_string()];
    };
    const INDENT: &str = "    ";
    // Room for at least a few characters after the indent, whatever `max` says.
    let max = max.max(2 * INDENT.len());
    let mut out = Vec::new();
    let mut rest: Vec<char> = line.chars().collect();
    let mut first = true;
    while !rest.is_empty() {
        let room = if first { max } else { max - INDENT.len() };
        let prefix = if first { "" } else { INDENT };
        if rest.len() <= room {
            out.push(format!("{prefix}{}", rest.iter().collect::<String>()));
            break;
        }
        let cut = rest[..room]
            .iter()
            .rposition(|c| *c == ' ')
            .filter(|at| *at > room / 4)
            .unwrap_or(room);
        out.push(format!(
            "{prefix}{}",
            rest[..cut].iter().collect::<String>()
        ));
        let skip = usize::from(rest.get(cut) == Some(&' '));
        rest.drain(..cut + skip);
        first = false;
    }
    out
}

/// A line of text cut to [`MAX_LINE`], saying how much went.
fn bounded_line(s: String) -> String {
    let n = width(&s);
    if n <= MAX_LINE {
        return s;
    }
    let mut out: String = s.chars().take(MAX_LINE).collect();
    out.push_str(&format!(
        "… ({} more characters in the JSON report)",
        n - MAX_LINE
    ));
    out
}

/// The certificate column, and whether it is bad news.
fn cert_text(r: &Record) -> (String, bool) {
    let Some(leaf) = r.chain.first() else {
        return ("-".into(), false);
    };
    let issuer = leaf.issuer_cn.as_deref().unwrap_or(&leaf.issuer);
    let (trust, bad) = match (r.trusted_public, r.trusted_local) {
        (Some(true), _) => ("trusted".to_string(), false),
        (_, Some(true)) => ("trusted locally only".to_string(), false),
        _ => (
            format!("untrusted: {}", r.untrusted_reason().unwrap_or("?")),
            true,
        ),
    };
    let intercepted = r.intercepted == Some(true);
    let verdict = if intercepted { "; INTERCEPTED" } else { "" };
    (
        format!("by {issuer} ({trust}{verdict})"),
        bad || intercepted,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviates_with_a_mark() {
        assert_eq!(abbreviate("login.microsoftonline.com", 10), "login.mic…");
        assert_eq!(abbreviate("short", 10), "short");
    }

    /// Finding 1 of issue 23: a name escaping to more than 65,535 characters panicked
    /// in `{:<w$}`. Every layout cuts it; no line is unbounded.
    #[test]
    fn huge_names_are_cut_in_every_layout() {
        use crate::cert::CertSummary;
        use crate::target::Host;
        let huge = "\u{1}".repeat(17_000);
        let host = Host::parse("a.example").unwrap();
        let mut r = Record::empty(&host, 443, "192.0.2.1".into());
        r.chain = vec![CertSummary {
            subject: huge.clone(),
            issuer: huge.clone(),
            issuer_cn: Some(huge.clone()),
            sans: vec![],
            not_before: String::new(),
            not_after: String::new(),
            not_before_unix: 0,
            not_after_unix: 0,
            key: String::new(),
            signature_algorithm: String::new(),
            sha256: String::new(),
            sha1: String::new(),
            self_issued: false,
        }];
        r.notes.push(huge.clone());
        r.address = "\u{202e}".repeat(30_000);
        for width in [None, Some(120), Some(20)] {
            let ctx = ScanContext {
                versions: TlsVersion::ALL.to_vec(),
                fail_on: Vec::new(),
                options: serde_json::Value::Null,
                clients: Vec::new(),
            };
            let mut out = Vec::new();
            let mut sink = TableSink::new(&mut out, ctx).styled(TableStyle {
                color: false,
                width,
            });
            sink.record(&r).unwrap();
            sink.finish(&Summary::default()).unwrap();
            drop(sink);
            let text = String::from_utf8(out).unwrap();
            let widest = text.lines().map(width_of).max().unwrap_or(0);
            assert!(widest <= MAX_LINE + 60, "{width:?}: {widest}");
            assert!(text.contains('…'), "{width:?}");
        }
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abcdef");
    }

    fn width_of(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn wraps_to_the_width() {
        let lines = wrap(
            "note host: legacy-accepted (TLS 1.0, TLS 1.1) and a long tail",
            Some(24),
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 24), "{lines:?}");
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            words(&lines.join(" ")),
            words("note host: legacy-accepted (TLS 1.0, TLS 1.1) and a long tail")
        );
        assert!(lines.len() > 1 && lines[1].starts_with("    "), "{lines:?}");
        assert_eq!(wrap("x", None), ["x"]);
        assert!(
            wrap(&"y".repeat(50), Some(20))
                .iter()
                .all(|l| l.chars().count() <= 20)
        );
    }
}
