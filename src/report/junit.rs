//! JUnit XML for CI dashboards: one testsuite per scan, one testcase per
//! (host, port, address), one `<failure>` per finding in the `--fail-on` set. Findings
//! outside the set are listed in the testcase's `<system-out>`, so they are visible
//! without failing the build.
//!
//! All text passes through [`crate::safe::xml_text`]: one hostile certificate name must
//! not make the whole file unparsable. A scan stopped by a signal gets one `<error>`
//! testcase, `scan interrupted`, so dashboards show that the report is partial.

use std::io::{self, Write};

use super::spool::Spool;
use super::summary::Summary;
use super::{ScanContext, Sink};
use crate::record::Record;
use crate::safe::xml_text;

pub struct JunitSink<W: Write> {
    out: W,
    ctx: ScanContext,
    /// The test cases, written as they come (out of memory past a size: [`Spool`]);
    /// the counts go before them, at the end.
    cases: Spool,
    tests: usize,
    failures: usize,
}

impl<W: Write> JunitSink<W> {
    pub fn new(out: W, ctx: ScanContext) -> Self {
        Self {
            out,
            ctx,
            cases: Spool::new(),
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
        writeln!(
            self.cases,
            "    <testcase classname=\"tlscompat.{}\" name=\"{}\">",
            xml_text(&r.host),
            xml_text(&name)
        )?;
        let (failing, other): (Vec<_>, Vec<_>) = r
            .findings
            .iter()
            .partition(|f| self.ctx.fail_on.contains(&f.kind));
        self.failures += usize::from(!failing.is_empty());
        for f in failing {
            writeln!(
                self.cases,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                f.kind,
                xml_text(&f.to_string()),
                xml_text(&f.detail)
            )?;
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
            out.push_str(&format!("\nnote: {f}"));
        }
        writeln!(
            self.cases,
            "      <system-out>{}</system-out>",
            xml_text(&out)
        )?;
        self.cases.write_all(b"    </testcase>\n")?;
        // One testcase per check case, e.g. per (endpoint, client profile).
        for check in &r.checks {
            for (case, failure) in &check.cases {
                self.tests += 1;
                writeln!(
                    self.cases,
                    "    <testcase classname=\"tlscompat.{}.{}\" name=\"{} {}\">",
                    xml_text(&r.host),
                    xml_text(&check.check),
                    xml_text(&name),
                    xml_text(case)
                )?;
                if let Some(msg) = failure {
                    self.failures += 1;
                    writeln!(
                        self.cases,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        xml_text(&check.check),
                        xml_text(msg),
                        xml_text(msg)
                    )?;
                }
                self.cases.write_all(b"    </testcase>\n")?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let time = s.elapsed.as_secs_f64();
        let errors = usize::from(s.incomplete.is_some());
        if let Some(why) = &s.incomplete {
            self.tests += 1;
            write!(
                self.cases,
                "    <testcase classname=\"tlscompat\" name=\"scan interrupted\">\n      \
                 <error type=\"interrupted\" message=\"{}\"/>\n    </testcase>\n",
                xml_text(&format!("incomplete: {why}"))
            )?;
        }
        writeln!(self.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            self.out,
            "<testsuites name=\"tlscompat\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" time=\"{time:.3}\">",
            self.tests, self.failures
        )?;
        writeln!(
            self.out,
            "  <testsuite name=\"tlscompat scan\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" skipped=\"0\" time=\"{time:.3}\">",
            self.tests, self.failures
        )?;
        std::mem::take(&mut self.cases).copy_to(&mut self.out)?;
        writeln!(self.out, "  </testsuite>\n</testsuites>")?;
        self.out.flush()
    }
}
