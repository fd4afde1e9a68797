//! JUnit XML for CI dashboards: one testsuite per scan, one testcase per
//! (host, port, address), one `<failure>` per finding in the `--fail-on` set. Findings
//! outside the set are listed in the testcase's `<system-out>`, so they are visible
//! without failing the build.
//!
//! With `--clients`, one more testsuite per client profile (`client win7-tls12`): a
//! testcase per address, failed where the client fails, and the profile's verdict line
//! in the suite's `<system-out>`, so a dashboard shows "win7-tls12: 7 of 26 failed"
//! with the reasons.
//!
//! All text passes through [`crate::safe::xml_text`]: one hostile certificate name must
//! not make the whole file unparsable. A scan stopped by a signal gets one `<error>`
//! testcase, `scan interrupted`, so dashboards show that the report is partial.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::summary::Summary;
use super::{ScanContext, Sink};
use crate::record::Record;
use crate::safe::xml_text;

pub struct JunitSink<W: Write> {
    out: W,
    ctx: ScanContext,
    cases: String,
    tests: usize,
    failures: usize,
    /// Testsuites of their own (a check's `case_suites`), in the order first seen.
    suites: Vec<Suite>,
}

/// A testsuite of one check case across the addresses (one client profile).
struct Suite {
    name: String,
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
            suites: Vec::new(),
        }
    }
}

impl<W: Write> JunitSink<W> {
    /// One testcase of the suite `suite` for the address `name`.
    fn suite_case(
        &mut self,
        suite: &str,
        check: &str,
        host: &str,
        name: &str,
        failure: Option<&str>,
    ) {
        let i = match self.suites.iter().position(|x| x.name == suite) {
            Some(i) => i,
            None => {
                self.suites.push(Suite {
                    name: suite.to_string(),
                    cases: String::new(),
                    tests: 0,
                    failures: 0,
                });
                self.suites.len() - 1
            }
        };
        let x = &mut self.suites[i];
        x.tests += 1;
        x.failures += usize::from(failure.is_some());
        check_case(
            &mut x.cases,
            &format!("{check}.{host}"),
            name,
            check,
            failure,
        );
    }
}

/// One testcase of a check: `classname` and `name` as given, a `<failure>` of type
/// `check` when it failed.
fn check_case(out: &mut String, classname: &str, name: &str, check: &str, failure: Option<&str>) {
    let _ = writeln!(
        out,
        "    <testcase classname=\"tlscompat.{}\" name=\"{}\">",
        xml_text(classname),
        xml_text(name)
    );
    if let Some(msg) = failure {
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{}\">{}</failure>",
            xml_text(check),
            xml_text(msg),
            xml_text(msg)
        );
    }
    out.push_str("    </testcase>\n");
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
            xml_text(&r.host),
            xml_text(&name)
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
                xml_text(&f.to_string()),
                xml_text(&f.detail)
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
            xml_text(&out)
        );
        self.cases.push_str("    </testcase>\n");
        // One testcase per check case, e.g. per (endpoint, client profile).
        for check in &r.checks {
            if check.case_suites {
                for (case, failure) in &check.cases {
                    self.suite_case(case, &check.check, &r.host, &name, failure.as_deref());
                }
                continue;
            }
            for (case, failure) in &check.cases {
                self.tests += 1;
                self.failures += usize::from(failure.is_some());
                check_case(
                    &mut self.cases,
                    &format!("{}.{}", r.host, check.check),
                    &format!("{name} {case}"),
                    &check.check,
                    failure.as_deref(),
                );
            }
        }
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let suite_tests: usize = self.suites.iter().map(|x| x.tests).sum();
        let suite_failures: usize = self.suites.iter().map(|x| x.failures).sum();
        let time = s.elapsed.as_secs_f64();
        let errors = usize::from(s.interrupted);
        if s.interrupted {
            self.tests += 1;
            self.cases.push_str(
                "    <testcase classname=\"tlscompat\" name=\"scan interrupted\">\n      \
                 <error type=\"interrupted\" message=\"the scan was stopped by a signal; \
                 this report holds only the records finished before it\"/>\n    </testcase>\n",
            );
        }
        writeln!(self.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            self.out,
            "<testsuites name=\"tlscompat\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" time=\"{time:.3}\">",
            self.tests + suite_tests,
            self.failures + suite_failures
        )?;
        writeln!(
            self.out,
            "  <testsuite name=\"tlscompat scan\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\" skipped=\"0\" time=\"{time:.3}\">",
            self.tests, self.failures
        )?;
        self.out.write_all(self.cases.as_bytes())?;
        writeln!(self.out, "  </testsuite>")?;
        for suite in &self.suites {
            writeln!(
                self.out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">",
                xml_text(&suite.name),
                suite.tests,
                suite.failures
            )?;
            self.out.write_all(suite.cases.as_bytes())?;
            // The verdict line of a client profile's suite.
            let profile = suite.name.strip_prefix("client ").unwrap_or(&suite.name);
            if let Some(line) = s.clients.line_of(profile) {
                writeln!(self.out, "    <system-out>{}</system-out>", xml_text(&line))?;
            }
            writeln!(self.out, "  </testsuite>")?;
        }
        writeln!(self.out, "</testsuites>")?;
        self.out.flush()
    }
}
