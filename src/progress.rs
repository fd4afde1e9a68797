//! The progress bar for people at a terminal: probes done / planned, rate, ETA and the
//! host being probed, on stderr. Never drawn when stderr is not a terminal, under CI
//! (`CI` set to anything but `false`/`0`), or with `--quiet` / `--no-progress`.
//!
//! The rate is shown with three significant digits (`62.4/s`, `1530/s`), not the raw
//! float. indicatif's ETA extrapolates the rate, which says `0s` while the last probes
//! sit on addresses that never answer; so when no probe has finished for a while and
//! addresses are still in flight, the bar says what it is waiting for and the most it
//! can take ("waiting on 1 silent address, ≤ 6 s"), from the timeout and retry budget.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::scan::Observer;

/// After this long without a finished probe, the remaining addresses count as silent.
const IDLE: Duration = Duration::from_millis(1500);

pub struct Progress {
    bar: ProgressBar,
    shared: Arc<Mutex<Shared>>,
}

/// What the ETA field needs besides indicatif's state.
#[derive(Clone, Copy, Debug)]
struct Shared {
    last_done: Instant,
    /// Addresses being probed now.
    in_flight: usize,
    /// Longest one probe can take: every attempt's connect and handshake timeouts.
    probe_budget: Duration,
    per_address: u64,
}

/// Whether a bar should be drawn, given the flags.
pub fn wanted(quiet: bool, no_progress: bool) -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    !quiet && !no_progress && !ci && std::io::stderr().is_terminal()
}

/// `1530/s`, `62.4/s`, `0.52/s`: three significant digits at most.
pub fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        return "-/s".into();
    }
    match per_sec {
        r if r >= 100.0 => format!("{r:.0}/s"),
        r if r >= 10.0 => format!("{r:.1}/s"),
        r => format!("{r:.2}/s"),
    }
}

/// The ETA field: indicatif's estimate, or what the scan waits on when it is idle.
/// `remaining` probes are left; `idle` is the time since the last one finished.
pub fn eta_text(
    remaining: u64,
    eta: Duration,
    idle: Duration,
    in_flight: usize,
    budget: Duration,
    per_address: u64,
) -> String {
    if remaining == 0 {
        return "done".into();
    }
    if idle < IDLE || in_flight == 0 {
        return format!("ETA {}", indicatif::HumanDuration(eta));
    }
    let lanes = (in_flight as u64 * per_address.max(1)).max(1);
    let waves = remaining.div_ceil(lanes).max(1) as u32;
    let bound = budget
        .saturating_mul(waves)
        .saturating_sub(idle)
        .max(Duration::from_secs(1));
    let plural = if in_flight == 1 { "" } else { "es" };
    format!(
        "waiting on {in_flight} silent address{plural}, ≤ {} s",
        bound.as_secs_f64().ceil() as u64
    )
}

impl Progress {
    /// `timeout` and `retries` as given to the scan; `per_address` its connection cap.
    pub fn new(timeout: Duration, retries: u32, per_address: u64) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            last_done: Instant::now(),
            in_flight: 0,
            probe_budget: timeout.saturating_mul(2).saturating_mul(retries + 1),
            per_address,
        }));
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let eta_state = shared.clone();
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} probes {rate} {wait} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&rate_text(s.per_sec()));
        })
        .with_key(
            "wait",
            move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let shared = *eta_state.lock().unwrap_or_else(|e| e.into_inner());
                let remaining = s.len().unwrap_or(0).saturating_sub(s.pos());
                let _ = write!(
                    w,
                    "{}",
                    eta_text(
                        remaining,
                        s.eta(),
                        shared.last_done.elapsed(),
                        shared.in_flight,
                        shared.probe_budget,
                        shared.per_address
                    )
                );
            },
        );
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar, shared }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn update(&self, f: impl FnOnce(&mut Shared)) {
        f(&mut self.shared.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

impl Observer for Progress {
    fn planned(&self, n: u64) {
        self.bar.inc_length(n);
    }

    fn done(&self, host: &str, n: u64) {
        self.update(|s| s.last_done = Instant::now());
        self.bar
            .set_message(crate::safe::terminal(host).into_owned());
        self.bar.inc(n);
    }

    fn address_started(&self) {
        self.update(|s| s.in_flight += 1);
    }

    fn address_finished(&self) {
        self.update(|s| s.in_flight = s.in_flight.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_sensible_precision() {
        assert_eq!(rate_text(62.4246), "62.4/s");
        assert_eq!(rate_text(1530.77), "1531/s");
        assert_eq!(rate_text(0.5234), "0.52/s");
        assert_eq!(rate_text(0.0), "-/s");
        assert_eq!(rate_text(f64::NAN), "-/s");
    }

    #[test]
    fn silent_addresses_replace_eta_zero() {
        let s = Duration::from_secs;
        // Busy: indicatif's ETA.
        assert!(eta_text(10, s(3), Duration::from_millis(100), 2, s(6), 4).starts_with("ETA 3"));
        // Idle with one address in flight, 2 probes left, 6 s budget, 2 s idle: ≤ 4 s.
        assert_eq!(
            eta_text(2, s(0), s(2), 1, s(6), 4),
            "waiting on 1 silent address, ≤ 4 s"
        );
        assert_eq!(
            eta_text(9, s(0), s(2), 2, s(6), 4),
            "waiting on 2 silent addresses, ≤ 10 s"
        );
        // Never claims less than a second, never "ETA 0s" while waiting.
        assert_eq!(
            eta_text(1, s(0), s(60), 1, s(6), 4),
            "waiting on 1 silent address, ≤ 1 s"
        );
        assert_eq!(eta_text(0, s(0), s(60), 0, s(6), 4), "done");
    }
}
