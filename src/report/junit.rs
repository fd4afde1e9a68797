//! JUnit XML for CI dashboards: one testsuite per scan, one testcase per
//! (host, port, address), one `<failure>` per finding in the `--fail-on` set. Findings
//! outside the set are listed in the testcase's `<system-out>`, so they are visible
//! without failing the build.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::summary::Summary;
use super::{ScanContext, Sink};
use crate::record::Record;

pub struct JunitSink<W: Write> {
    out: W,
    ctx: ScanContext,
    cases: String,
    tests: usize,
    failures: usize,
}

impl<W: Write> JunitSink<W> {
    pub fn new(out: W, ctx: ScanContext) -> Self {
        Self {
            out,
            ctx,
            cases: String::new(),
            tests: 0,
            failures: 0,
        }
    }
}

impl<W: Write> Sink for JunitSink<W> {
    fn record(&mut self, r: &Record) -> io::Result<()> {
        self.tests += 1;
        let address = if r.address.is_empty() {
            "unresolved"
        } else {
            &r.address
        };
        let name = format!("{}:{} [{address}]", r.host, r.port);
        let _ = writeln!(
            self.cases,
            "    <testcase classname=\"tlscompat.{}\" name=\"{}\">",
            escape(&r.host),
            escape(&name)
        );
        let (failing, other): (Vec<_>, Vec<_>) = r
            .findings
            .iter()
            .partition(|f| self.ctx.fail_on.contains(&f.kind));
        self.failures += usize::from(!failing.is_empty());
        for f in failing {
            let _ = writeln!(
                self.cases,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                f.kind,
                escape(&f.to_string()),
                escape(&f.detail)
            );
        }
        let mut out = String::new();
        let versions: Vec<String> = self
            .ctx
            .versions
            .iter()
            .map(|v| format!("{}: {}", v, super::cell_text(r.cell(*v))))
            .collect();
        out.push_str(&versions.join("\n"));
        for f in other {
            let _ = write!(out, "\nnote: {f}");
        }
        let _ = writeln!(
            self.cases,
            "      <system-out>{}</system-out>",
            escape(&out)
        );
        self.cases.push_str("    </testcase>\n");
        // One testcase per check case, e.g. per (endpoint, client profile).
        for check in &r.checks {
            for (case, failure) in &check.cases {
                self.tests += 1;
                let _ = writeln!(
                    self.cases,
                    "    <testcase classname=\"tlscompat.{}.{}\" name=\"{} {}\">",
                    escape(&r.host),
                    escape(&check.check),
                    escape(&name),
                    escape(case)
                );
                if let Some(msg) = failure {
                    self.failures += 1;
                    let _ = writeln!(
                        self.cases,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        escape(&check.check),
                        escape(msg),
                        escape(msg)
                    );
                }
                self.cases.push_str("    </testcase>\n");
            }
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let time = s.elapsed.as_secs_f64();
        writeln!(self.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            self.out,
            "<testsuites name=\"tlscompat\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{time:.3}\">",
            self.tests, self.failures
        )?;
        writeln!(
            self.out,
            "  <testsuite name=\"tlscompat scan\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">",
            self.tests, self.failures
        )?;
        self.out.write_all(self.cases.as_bytes())?;
        writeln!(self.out, "  </testsuite>\n</testsuites>")?;
        self.out.flush()
    }
}

/// XML text/attribute escaping; control characters (invalid in XML 1.0) become '?'.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(escape("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;?");
    }
}
