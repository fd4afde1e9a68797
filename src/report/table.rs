//! The human table: one row per address, a column per version, the findings, the
//! summary line. Rows are kept until the end so columns can be aligned (the table is for
//! people; lists are short).
//!
//! Width-aware: when the full table (a reason in every cell) is wider than the terminal,
//! cells shrink to short words (`yes`, `no`, `t/o`…) with a footnote mark, and each
//! distinct reason is printed once below the table (`[1] alert handshake_failure (40)`),
//! which is what makes a 388-column table fit in 120. If that is still too wide, the
//! cipher column goes, then the certificate and host columns are abbreviated with `…`.
//! Without a known width (output to a file or pipe) the full table is written.
//!
//! Colour (ANSI) only on a terminal unless `--color always`; `NO_COLOR` (any non-empty
//! value) and `--color never` turn it off. Every network-derived string passes through
//! [`crate::safe::terminal`] first.

use std::io::{self, IsTerminal, Write};

use super::matrix::Matrix;
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

enum Row {
    Cells(Vec<Cell>),
    /// Host and port, then a sentence instead of cells (a name that did not resolve).
    Note(String, String, String),
}

pub struct TableSink<W: Write> {
    out: W,
    ctx: ScanContext,
    style: TableStyle,
    header: Vec<String>,
    rows: Vec<Row>,
    findings: Vec<(bool, String)>,
    /// The host × client profile matrix, on a terminal (see [`TableSink::matrix_mode`]).
    matrix: Matrix,
}

impl<W: Write> TableSink<W> {
    pub fn new(out: W, ctx: ScanContext) -> Self {
        let mut header = vec!["HOST".to_string(), "PORT".into(), "ADDRESS".into()];
        header.extend(ctx.versions.iter().map(|v| v.to_string().to_uppercase()));
        header.extend(["BEST".into(), "CIPHER".into(), "CERT".into()]);
        Self {
            out,
            ctx,
            style: TableStyle::default(),
            header,
            rows: Vec::new(),
            findings: Vec::new(),
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
            self.rows.push(Row::Note(
                host.clone(),
                r.port.to_string(),
                format!("did not resolve: {}", safe(why)),
            ));
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
            self.rows.push(Row::Cells(row));
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
            let text = match (matrix, f.kind) {
                (true, FindingKind::ClientIncompatible) => {
                    format!("{} (see the client matrix below)", f.kind)
                }
                _ => f.to_string(),
            };
            self.findings.push((
                fail,
                format!("{mark} {host}:{}{at}: {}", r.port, safe(&text)),
            ));
        }
        for n in &r.notes {
            self.findings
                .push((false, format!("note {host}:{}{at}: {}", r.port, safe(n))));
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
                self.findings.push((false, text));
            }
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let lines = self.layout();
        let color = self.style.color;
        let paint = |tone: Tone, s: &str| -> String {
            if color && tone != Tone::Plain {
                format!("{}{s}\x1b[0m", tone.code())
            } else {
                s.to_string()
            }
        };
        let max = self.style.width;
        for line in lines {
            match line {
                Line::Text(t) => {
                    for l in wrap(&t, max) {
                        writeln!(self.out, "{}", l.trim_end())?;
                    }
                }
                cells => writeln!(self.out, "{}", cells.render(&paint).trim_end())?,
            }
        }
        if !self.findings.is_empty() {
            writeln!(self.out)?;
            for (fail, line) in &self.findings {
                let t = if *fail { Tone::Bad } else { Tone::Warn };
                for l in wrap(line, max) {
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
                    for l in wrap(&format!("  {title}: {}", safe(item)), max) {
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
                for l in wrap(&line, max) {
                    writeln!(self.out, "{}", l.trim_end())?;
                }
            }
        }
        writeln!(self.out)?;
        for l in wrap(&summary.line(), max) {
            writeln!(self.out, "{l}")?;
        }
        if summary.interrupted {
            writeln!(
                self.out,
                "INCOMPLETE: interrupted; only the records finished before the signal are shown"
            )?;
        }
        // The answer per client ends the output, terminal or not.
        if !summary.clients.is_empty() {
            writeln!(self.out)?;
            for line in summary.clients.lines() {
                for l in wrap(&safe(&line), max) {
                    writeln!(self.out, "{l}")?;
                }
            }
        }
        self.out.flush()
    }
}

/// A laid-out output line: cells padded to widths, or free text.
enum Line {
    Cells(Vec<(String, Tone)>),
    Text(String),
}

impl Line {
    fn render(&self, paint: &dyn Fn(Tone, &str) -> String) -> String {
        match self {
            Line::Text(t) => t.clone(),
            Line::Cells(cells) => cells
                .iter()
                .map(|(s, t)| paint(*t, s))
                .collect::<Vec<_>>()
                .join("  "),
        }
    }
}

/// Breaks a long line at spaces (or anywhere, for a long word) to `max` columns, with
/// the continuation lines indented.
fn wrap(line: &str, max: Option<usize>) -> Vec<String> {
    let Some(max) = max.filter(|_| !line.is_empty()) else {
        return vec![line.to_string()];
    };
    const INDENT: &str = "    ";
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

impl<W: Write> TableSink<W> {
    fn widths(&self, text: impl Fn(&Cell) -> String) -> Vec<usize> {
        (0..self.header.len())
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|r| match r {
                        Row::Cells(c) => Some(width(&text(&c[i]))),
                        Row::Note(..) => None,
                    })
                    .chain([width(&self.header[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    fn layout(&self) -> Vec<Line> {
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        let full = self.widths(|c| c.full.clone());
        let fits = self.style.width.is_none_or(|max| total(&full) <= max);
        if fits {
            let mut lines = self.lines(&full, |c| (c.full.clone(), c.tone), &[]);
            lines.push(Line::Text(String::new()));
            lines.push(Line::Text(
                "yes = accepted; no: how the server refused; timeout = no answer in time; - = outside the probed range".into(),
            ));
            return lines;
        }
        let max = self.style.width.unwrap_or(usize::MAX);
        // Compact: one footnote per distinct reason.
        let mut reasons: Vec<String> = Vec::new();
        for r in &self.rows {
            if let Row::Cells(cells) = r {
                for c in cells.iter().filter_map(|c| c.reason.as_ref()) {
                    if !reasons.contains(c) {
                        reasons.push(c.clone());
                    }
                }
            }
        }
        let short = |c: &Cell| match &c.reason {
            Some(r) => {
                let n = reasons.iter().position(|x| x == r).map_or(0, |i| i + 1);
                format!("{}[{n}]", c.short)
            }
            None => c.short.clone(),
        };
        let mut widths = self.widths(short);
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
        let mut lines = self.lines(&widths, |c| (short(c), c.tone), &hidden);
        lines.push(Line::Text(String::new()));
        lines.push(Line::Text(
            "yes = accepted; yes? = accepted, not provable; no = refused; refused = the mail service refused after the handshake; t/o = no answer in time; unreach = no connection; noroute = no route from here; err = error; n/p = not probed (the proxy refused); - = outside the probed range; [n] = reason below".into(),
        ));
        for (i, r) in reasons.iter().enumerate() {
            lines.push(Line::Text(format!("[{}] {r}", i + 1)));
        }
        lines
    }

    fn lines(
        &self,
        widths: &[usize],
        text: impl Fn(&Cell) -> (String, Tone),
        hidden: &[usize],
    ) -> Vec<Line> {
        let shown = |i: &usize| !hidden.contains(i);
        let mut out = vec![Line::Cells(
            (0..self.header.len())
                .filter(shown)
                .map(|i| {
                    (
                        pad(&abbreviate(&self.header[i], widths[i]), widths[i]),
                        Tone::Plain,
                    )
                })
                .collect(),
        )];
        for row in &self.rows {
            out.push(match row {
                Row::Note(host, port, why) => Line::Text(format!(
                    "{}  {}  {why}",
                    pad(&abbreviate(host, widths[0]), widths[0]),
                    pad(port, widths[1])
                )),
                Row::Cells(cells) => Line::Cells(
                    cells
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| shown(i))
                        .map(|(i, c)| {
                            let (s, t) = text(c);
                            (pad(&abbreviate(&s, widths[i]), widths[i]), t)
                        })
                        .collect(),
                ),
            });
        }
        out
    }
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
            format!(
                "untrusted: {}",
                r.trust_public_detail.as_deref().unwrap_or("?")
            ),
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
