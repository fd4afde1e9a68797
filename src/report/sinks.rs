//! The sinks of one command (`scan`, `merge`): the stdout format and every report file
//! of the command line, planned together, opened together and put in place together.
//! Rules for report paths: [`crate::report::output`].

use std::io::{self, BufWriter, Write};

use super::csv::CsvSink;
use super::html::HtmlSink;
use super::json::JsonSink;
use super::junit::JunitSink;
use super::output::{self, Labeled, Opened, Request, plan};
use super::table::{TableSink, TableStyle};
use super::{ScanContext, Sink};
use crate::cli::{Format, ReportArgs};
use crate::exit::{Failure, UsageError};

/// Every sink of a command, and the report destinations to put in place when it ends.
pub struct Outputs {
    pub sinks: Vec<Box<dyn Sink>>,
    files: Vec<Opened>,
}

#[derive(Clone, Copy)]
pub enum Kind {
    Csv,
    Json,
    Junit,
    Html,
}

/// The planned report destinations.
pub type Plans = Vec<(Kind, Request, output::Plan)>;

/// The report paths of the command line, checked together (same file twice, a
/// directory, stdout named twice) before anything is opened.
pub fn report_plans(flags: &ReportArgs) -> Result<Plans, UsageError> {
    let requests: Vec<(Kind, Request)> = [
        (Kind::Csv, "--csv", &flags.csv),
        (Kind::Json, "--json", &flags.json),
        (Kind::Junit, "--junit", &flags.junit),
        (Kind::Html, "--html", &flags.html),
    ]
    .into_iter()
    .filter_map(|(kind, flag, path)| {
        let path = path.clone()?;
        Some((kind, Request { flag, path }))
    })
    .collect();
    let only: Vec<Request> = requests.iter().map(|(_, r)| r.clone()).collect();
    let plans = plan(&only).map_err(UsageError)?;
    Ok(requests
        .into_iter()
        .zip(plans)
        .map(|((k, r), p)| (k, r, p))
        .collect())
}

fn sink(kind: Kind, w: Labeled<Box<dyn Write>>, ctx: &ScanContext) -> io::Result<Box<dyn Sink>> {
    Ok(match kind {
        Kind::Csv => Box::new(CsvSink::new(w, ctx)?),
        Kind::Json => Box::new(JsonSink::new(w, ctx)?),
        Kind::Junit => Box::new(JunitSink::new(w, ctx.clone())),
        Kind::Html => Box::new(HtmlSink::new(w, ctx.clone())),
    })
}

impl Outputs {
    /// Plans and opens every report destination, then the sinks (for `merge`).
    pub fn open(flags: &ReportArgs, ctx: &ScanContext) -> Result<Self, Failure> {
        let plans = report_plans(flags)?;
        Self::open_planned(flags, plans, ctx)
    }

    /// Opens every planned destination (exit 2 naming the path when one cannot be),
    /// then the sinks. A report sent to stdout (`-`) takes the place of `--format`.
    pub fn open_planned(
        flags: &ReportArgs,
        plans: Plans,
        ctx: &ScanContext,
    ) -> Result<Self, Failure> {
        let mut out = Self {
            sinks: Vec::new(),
            files: Vec::new(),
        };
        let mut kinds = Vec::new();
        for (kind, request, plan) in plans {
            match Opened::open(&request, plan) {
                Ok(o) => {
                    out.files.push(o);
                    kinds.push(kind);
                }
                Err(e) => {
                    out.abandon();
                    return Err(UsageError(e).into());
                }
            }
        }
        let stdout_taken = out.files.iter().any(Opened::is_stdout);
        if !stdout_taken {
            let w = Labeled::new("stdout", BufWriter::new(io::stdout()));
            let main: Box<dyn Sink> = match flags.format {
                Format::Table => Box::new(
                    TableSink::new(w, ctx.clone()).styled(TableStyle::for_stdout(flags.color)),
                ),
                Format::Csv => Box::new(CsvSink::new(w, ctx)?),
                Format::Json => Box::new(JsonSink::new(w, ctx)?),
            };
            out.sinks.push(main);
        }
        for (i, kind) in kinds.into_iter().enumerate() {
            let w = out.files[i].writer();
            match sink(kind, w, ctx) {
                Ok(s) => out.sinks.push(s),
                Err(e) => {
                    out.abandon();
                    return Err(e.into());
                }
            }
        }
        Ok(out)
    }

    /// Puts the finished reports in place.
    pub fn commit(self) -> io::Result<()> {
        self.commit_except(&[])
    }

    /// Puts the finished reports in place, except those whose sink failed (`failed`
    /// holds sink indices): a half-written report never replaces an earlier one. The
    /// first failure to commit is returned; the other reports are still committed.
    pub fn commit_except(self, failed: &[usize]) -> io::Result<()> {
        let offset = self.sinks.len() - self.files.len();
        drop(self.sinks);
        let mut first = Ok(());
        for (i, f) in self.files.into_iter().enumerate() {
            if failed.contains(&(i + offset)) {
                f.abandon();
                continue;
            }
            if let Err(e) = f.commit()
                && first.is_ok()
            {
                first = Err(e);
            }
        }
        first
    }

    pub fn abandon(self) {
        drop(self.sinks);
        self.files.into_iter().for_each(Opened::abandon);
    }
}
