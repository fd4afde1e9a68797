//! The host × client profile matrix the table shows on a terminal (DESIGN.md "The
//! activation verdict"): one row per host and port, one column per profile, `✔` where
//! the client connects at every address of the host, `✘[n]` where it fails, with the
//! reasons numbered below, like the version table's footnotes. It fits the terminal
//! (120 columns for 14 profiles): profiles that send the same hello (aliases, e.g.
//! `ws2022` of `win11-21h2`) and got the same answers everywhere share a column, named
//! once in a legend; then columns are lettered; a host name too long for the room
//! beside the columns gets a line of its own above its cells (never cut: it is the key
//! the admin reads); columns that still do not fit are drawn in bands, one under the
//! other.
//!
//! Pure text: the table sink feeds it verdicts and prints its lines. Every string from
//! the network passes through [`crate::safe::terminal`] first.

use super::text::pad;
use crate::checks::clients::{ClientVerdict, Why};
use crate::safe::terminal as safe;

/// One cell: how many addresses of the host the client connects at, and why it fails
/// at the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Tally {
    ok: usize,
    fails: Vec<Why>,
}

#[derive(Debug)]
struct Row {
    label: String,
    cells: Vec<Tally>,
}

/// The matrix, filled one record at a time.
#[derive(Debug, Default)]
pub struct Matrix {
    /// (profile, the profile whose hello it sends), in the order first seen.
    profiles: Vec<(String, String)>,
    rows: Vec<Row>,
}

impl Matrix {
    /// Adds one record's verdicts to the row `label` (`host` or `host:port`): records of
    /// the same host arrive one after another, and share the row.
    pub fn add(&mut self, label: &str, verdicts: &[ClientVerdict]) {
        if self.rows.last().is_none_or(|r| r.label != label) {
            self.rows.push(Row {
                label: label.to_string(),
                cells: Vec::new(),
            });
        }
        for v in verdicts {
            let col = match self.profiles.iter().position(|(p, _)| *p == v.profile) {
                Some(c) => c,
                None => {
                    let key = v.alias_of.clone().unwrap_or_else(|| v.profile.clone());
                    self.profiles.push((v.profile.clone(), key));
                    self.profiles.len() - 1
                }
            };
            let Some(row) = self.rows.last_mut() else {
                return;
            };
            if row.cells.len() <= col {
                row.cells.resize(col + 1, Tally::default());
            }
            let cell = &mut row.cells[col];
            match (&v.why, v.connects) {
                (_, true) => cell.ok += 1,
                (Some(w), false) => cell.fails.push(w.clone()),
                (None, false) => cell.fails.push(Why::Refused {
                    how: v.reason.clone().unwrap_or_default(),
                }),
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() || self.profiles.is_empty()
    }

    fn cell(&self, row: &Row, col: usize) -> Tally {
        row.cells.get(col).cloned().unwrap_or_default()
    }

    /// The columns: for each, the profiles it stands for (an alias joins the column of
    /// the profile whose hello it sends when every cell is the same).
    fn columns(&self) -> Vec<Vec<usize>> {
        let mut columns: Vec<Vec<usize>> = Vec::new();
        for j in 0..self.profiles.len() {
            let same = columns.iter_mut().find(|c| {
                let i = c[0];
                self.profiles[i].1 == self.profiles[j].1
                    && self.rows.iter().all(|r| self.cell(r, i) == self.cell(r, j))
            });
            match same {
                Some(c) => c.push(j),
                None => columns.push(vec![j]),
            }
        }
        columns
    }

    /// The lines to print: the grid, within `width` columns when it is known, and the
    /// legend and numbered reasons (for the caller to wrap).
    pub fn render(&self, width: Option<usize>, color: bool) -> (Vec<String>, Vec<String>) {
        let columns = self.columns();
        let mut reasons: Vec<Why> = Vec::new();
        let mut grid: Vec<(String, Vec<(String, bool)>)> = Vec::new();
        for row in &self.rows {
            let mut cells = Vec::new();
            for col in &columns {
                let t = self.cell(row, col[0]);
                if t.fails.is_empty() {
                    cells.push(("✔".to_string(), true));
                    continue;
                }
                let mut marks = Vec::new();
                for w in &t.fails {
                    let n = match reasons.iter().position(|r| r == w) {
                        Some(i) => i + 1,
                        None => {
                            reasons.push(w.clone());
                            reasons.len()
                        }
                    };
                    if !marks.contains(&n) {
                        marks.push(n);
                    }
                }
                let marks: Vec<String> = marks.iter().map(|n| n.to_string()).collect();
                let some = if t.ok > 0 { "*" } else { "" };
                cells.push((format!("✘[{}]{some}", marks.join(",")), false));
            }
            grid.push((safe(&row.label).into_owned(), cells));
        }
        let names: Vec<String> = columns
            .iter()
            .map(|c| safe(&self.profiles[c[0]].0).into_owned())
            .collect();
        let (headers, lettered) = self.fit(&grid, &names, width);
        let chars = |s: &str| s.chars().count();
        let widths: Vec<usize> = (0..columns.len())
            .map(|c| {
                grid.iter()
                    .map(|(_, cells)| chars(&cells[c].0))
                    .chain([chars(&headers[c])])
                    .max()
                    .unwrap_or(1)
            })
            .collect();
        let limit = width.unwrap_or(usize::MAX);
        let all_columns: usize = widths.iter().map(|x| x + 2).sum();
        // The host column: the longest name when it fits beside the columns, else the
        // longest that does (a longer name gets a line of its own above its cells); when
        // even the columns alone are too wide, they are drawn in bands.
        let room = limit.saturating_sub(all_columns);
        let host_w = grid
            .iter()
            .map(|(l, _)| chars(l))
            .chain([4])
            .filter(|w| *w <= room)
            .max()
            .unwrap_or(0);
        let paint = |s: String, good: bool| match (color, good) {
            (false, _) => s,
            (true, true) => format!("\x1b[32m{s}\x1b[0m"),
            (true, false) => format!("\x1b[31m{s}\x1b[0m"),
        };
        let mut out = Vec::new();
        for band in bands(&widths, limit.saturating_sub(host_w)) {
            if !out.is_empty() {
                out.push(String::new());
            }
            let mut line = pad(if host_w >= 4 { "HOST" } else { "" }, host_w);
            for c in band.clone() {
                line.push_str(&format!("  {}", pad(&headers[c], widths[c])));
            }
            out.push(line.trim_end().to_string());
            for (label, cells) in &grid {
                let mut line = if chars(label) > host_w {
                    // Never cut: the name is the key the admin reads.
                    out.extend(chunks(label, limit));
                    pad("", host_w)
                } else {
                    pad(label, host_w)
                };
                for c in band.clone() {
                    let (text, good) = &cells[c];
                    line.push_str("  ");
                    line.push_str(&paint(pad(text, widths[c]), *good));
                }
                out.push(line.trim_end().to_string());
            }
        }
        let grid_lines = out;
        let mut out = Vec::new();
        out.push(
            "✔ = the client connects at every address of the host; ✘[n] = it fails, reason n \
             below; * = at some of the host's addresses only"
                .into(),
        );
        for (c, col) in columns.iter().enumerate() {
            let head = if lettered {
                format!("{} = {}", headers[c], names[c])
            } else {
                names[c].clone()
            };
            let also: Vec<String> = col[1..]
                .iter()
                .map(|j| safe(&self.profiles[*j].0).into_owned())
                .collect();
            match (also.is_empty(), lettered) {
                (true, false) => {}
                (true, true) => out.push(head),
                (false, _) => out.push(format!(
                    "{head}: also {} (the same hello, the same answers)",
                    also.join(", ")
                )),
            }
        }
        for (i, w) in reasons.iter().enumerate() {
            out.push(format!("[{}] {}", i + 1, safe(&w.short())));
        }
        (grid_lines, out)
    }

    /// The column headers: the profile names when the matrix fits `width` with host
    /// names of 12 characters or more, else letters (`A`, `B`, …) explained below.
    fn fit(
        &self,
        grid: &[(String, Vec<(String, bool)>)],
        names: &[String],
        width: Option<usize>,
    ) -> (Vec<String>, bool) {
        let Some(width) = width else {
            return (names.to_vec(), false);
        };
        let cell_w = |c: usize| {
            grid.iter()
                .map(|(_, cells)| cells[c].0.chars().count())
                .max()
                .unwrap_or(1)
        };
        let need: usize = (0..names.len())
            .map(|c| cell_w(c).max(names[c].chars().count()) + 2)
            .sum::<usize>()
            + 12;
        if need <= width {
            return (names.to_vec(), false);
        }
        let letters = (0..names.len())
            .map(|c| {
                let n = u8::try_from(c % 26).unwrap_or(0);
                let letter = char::from(b'A' + n);
                if c < 26 {
                    letter.to_string()
                } else {
                    format!("{letter}{}", c / 26)
                }
            })
            .collect();
        (letters, true)
    }
}

/// The columns in groups that fit `room` characters each (two of separator each), at
/// least one column a group: a matrix too wide for the terminal is drawn in bands.
fn bands(widths: &[usize], room: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = 0;
    for (c, w) in widths.iter().enumerate() {
        if c > start && used + w + 2 > room {
            out.push(start..c);
            start = c;
            used = 0;
        }
        used += w + 2;
    }
    if start < widths.len() || out.is_empty() {
        out.push(start..widths.len());
    }
    out
}

/// `s` in pieces of at most `max` characters (a name longer than the terminal).
fn chunks(s: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(max.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::profiles;

    fn verdict(p: &profiles::Profile, why: Option<Why>) -> ClientVerdict {
        let mut v: ClientVerdict = serde_json::from_value(serde_json::json!({
            "profile": p.name,
            "alias_of": p.alias.as_ref().map(|a| &a.of),
            "connects": why.is_none(),
            "version": why.is_none().then_some("TLS 1.2"),
            "cipher": why.is_none().then_some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            "reason": why.as_ref().map(|_| "because"),
            "outcome": "x",
        }))
        .unwrap();
        v.why = why;
        v
    }

    fn all(why: impl Fn(&profiles::Profile) -> Option<Why>) -> Vec<ClientVerdict> {
        profiles::ALL.iter().map(|p| verdict(p, why(p))).collect()
    }

    /// 14 profiles and 35-character host names within 120 columns: aliases share their
    /// column, the reasons are numbered once.
    #[test]
    fn every_profile_fits_120_columns() {
        let v13 = Why::NeedsNewer {
            version: "TLS 1.3".into(),
        };
        let mut m = Matrix::default();
        let needs13 = |p: &profiles::Profile| {
            (p.max() < crate::version::TlsVersion::Tls13).then(|| v13.clone())
        };
        m.add("secure.aadcdn.microsoftonline-p.com", &all(needs13));
        m.add("secure.aadcdn.microsoftonline-p.com", &all(needs13));
        m.add("ols.officeapps.live.com", &all(|_| None));
        let down = Why::Unreachable {
            how: "connection refused".into(),
        };
        m.add("closed.example:8443", &all(|_| Some(down.clone())));
        let (lines, notes) = m.render(Some(120), false);
        for l in &lines {
            assert!(l.chars().count() <= 120, "{l}");
        }
        assert_eq!(
            lines[0],
            "HOST                                 win7  win7-tls12  win81  win10-1607  win10  win11-21h2  win11"
        );
        assert_eq!(
            lines[1],
            "secure.aadcdn.microsoftonline-p.com  ✘[1]  ✘[1]        ✘[1]   ✘[1]        ✘[1]   ✔           ✔"
        );
        assert!(lines[2].starts_with("ols.officeapps.live.com              ✔     ✔"));
        assert!(notes.contains(
            &"win7: also ws2008r2, ws2012 (the same hello, the same answers)".to_string()
        ));
        assert!(
            notes.contains(
                &"win11-21h2: also ws2022 (the same hello, the same answers)".to_string()
            )
        );
        assert!(notes.contains(&"[1] needs TLS 1.3".to_string()));
        assert!(notes.contains(&"[2] unreachable (connection refused)".to_string()));
    }

    #[test]
    fn an_alias_with_other_answers_keeps_its_column_and_narrow_terminals_get_letters() {
        let mut m = Matrix::default();
        let odd = Why::Refused {
            how: "alert handshake_failure (40)".into(),
        };
        // ws2022 failing where win11-21h2 connects (a flaky server): its own column.
        m.add(
            "a.example",
            &all(|p| (p.name == "ws2022").then(|| odd.clone())),
        );
        m.add("a.example", &all(|_| None));
        let (lines, _) = m.render(Some(200), false);
        assert!(lines[0].ends_with("ws2022"), "{}", lines[0]);
        assert_eq!(lines[1].matches('✔').count(), 7, "{}", lines[1]);
        assert!(lines[1].ends_with("✘[1]*"), "{}", lines[1]);
        let (grid, narrow) = m.render(Some(40), false);
        assert!(grid[0].starts_with("HOST"), "{}", grid[0]);
        assert!(grid[0].contains("  A  "), "{}", grid[0]);
        assert!(grid.iter().all(|l| l.chars().count() <= 40), "{grid:?}");
        assert!(
            narrow.contains(
                &"A = win7: also ws2008r2, ws2012 (the same hello, the same answers)".to_string()
            ),
            "{narrow:?}"
        );
        assert!(narrow.contains(&"H = ws2022".to_string()), "{narrow:?}");
    }

    /// Acceptance review of issue 23: at 80 columns every line of the grid fits, with
    /// 14 profiles failing for different reasons and host names longer than the room
    /// beside them; no host name is cut.
    #[test]
    fn fits_80_columns_without_cutting_a_host() {
        let mut m = Matrix::default();
        let hosts = [
            "login.microsoftonline.com",
            "activation-retired-endpoint.sls.microsoft.com:8443",
            "officecdn-microsoft-com.akamaized.net",
        ];
        for (i, h) in hosts.iter().enumerate() {
            m.add(
                h,
                &all(|p| {
                    let n = p.name.len() + i;
                    (n % 3 != 0).then(|| Why::Refused {
                        how: format!("alert {n}"),
                    })
                }),
            );
        }
        for width in [80, 60] {
            let (grid, _) = m.render(Some(width), false);
            for l in &grid {
                assert!(
                    l.chars().count() <= width,
                    "{width}: {l}\n{}",
                    grid.join("\n")
                );
            }
            for h in hosts {
                assert!(
                    grid.iter().any(|l| l.split_whitespace().next() == Some(h)),
                    "{width}: {h} cut\n{}",
                    grid.join("\n")
                );
            }
        }
    }
}
