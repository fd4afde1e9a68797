//! The progress bar for people at a terminal: probes done / planned, rate, ETA and the
//! host being probed, on stderr. Never drawn when stderr is not a terminal, under CI
//! (`CI` set to anything but `false`/`0`), or with `--quiet` / `--no-progress`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::scan::Observer;

pub struct Progress {
    bar: ProgressBar,
}

/// Whether a bar should be drawn, given the flags.
pub fn wanted(quiet: bool, no_progress: bool) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    !quiet && !no_progress && !ci && std::io::stderr().is_terminal()
}

impl Progress {
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} probes {per_sec} ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for Progress {
    fn planned(&self, n: u64) {
        self.bar.inc_length(n);
    }

    fn done(&self, host: &str, n: u64) {
        self.bar
            .set_message(crate::safe::terminal(host).into_owned());
        self.bar.inc(n);
    }
}
