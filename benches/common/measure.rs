//! Runs a program and measures it the way `/usr/bin/time -v` does: wall time, and the
//! child's own user and system CPU time and peak RSS from `wait4(2)`'s `rusage`
//! (microsecond CPU resolution, unlike the 10 ms ticks of `/proc/self/stat`), plus the
//! CPU time a set of other processes (the servers) spent meanwhile.

#![allow(dead_code)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of a program cost.
#[derive(Clone, Debug, Default)]
pub struct Cost {
    pub wall: Duration,
    /// User + system CPU seconds of the process (and of the children it waited for).
    pub cpu: f64,
    pub user: f64,
    pub sys: f64,
    /// Peak resident set, KiB.
    pub peak_rss_kib: u64,
}

impl Cost {
    /// Adds a process that ran alongside (wall is the caller's business).
    pub fn add(&mut self, other: &Cost) {
        self.cpu += other.cpu;
        self.user += other.user;
        self.sys += other.sys;
        self.peak_rss_kib = self.peak_rss_kib.max(other.peak_rss_kib);
    }
}

/// A finished run: exit status, output and cost.
pub struct Ran {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub cost: Cost,
}

fn seconds(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6
}

/// Runs `cmd` to the end, collecting its output, and reaps it with `wait4` for its
/// resource usage. The peak RSS comes from GNU `time` wrapped around it when
/// `/usr/bin/time` exists: `wait4`'s `ru_maxrss` of a child spawned with vfork (as
/// std spawns) starts at this bench's own peak — exec records the old address space's
/// high-water mark, and that space is the parent's — so every tool, even a shell
/// script, showed the bench's ~35 MiB. `time` forks from its own small image.
pub fn run(cmd: &mut Command) -> Ran {
    let rss_file = time_wrapper().then(|| {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        std::env::temp_dir().join(format!("measure-{}-{n}.rss", std::process::id()))
    });
    let mut wrapped;
    let cmd = match &rss_file {
        None => cmd,
        Some(file) => {
            wrapped = Command::new("/usr/bin/time");
            wrapped
                .args(["-f", "%M", "-o"])
                .arg(file)
                .arg("--")
                .arg(cmd.get_program())
                .args(cmd.get_args());
            for (k, v) in cmd.get_envs() {
                match v {
                    Some(v) => wrapped.env(k, v),
                    None => wrapped.env_remove(k),
                };
            }
            if let Some(dir) = cmd.get_current_dir() {
                wrapped.current_dir(dir);
            }
            &mut wrapped
        }
    };
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let mut stdout = Vec::new();
    let _ = out.read_to_end(&mut stdout);
    let stderr = err_reader.join().unwrap_or_default();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child,
    // which std has not reaped (we never call `wait` on it).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4 {cmd:?}");
    let wall = start.elapsed();
    let (user, sys) = (seconds(usage.ru_utime), seconds(usage.ru_stime));
    // `child` is dropped without `wait`: it was reaped above.
    drop(child);
    let exited = libc::WIFEXITED(status);
    let code = exited.then(|| libc::WEXITSTATUS(status));
    let peak_rss_kib = match &rss_file {
        None => usage.ru_maxrss as u64,
        Some(file) => {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let _ = std::fs::remove_file(file);
            // `time` writes "Command exited with non-zero status N" first on failure.
            text.lines()
                .filter_map(|l| l.trim().parse::<u64>().ok())
                .next_back()
                .unwrap_or(0)
        }
    };
    Ran {
        ok: code == Some(0),
        code,
        stdout,
        stderr,
        cost: Cost {
            wall,
            cpu: user + sys,
            user,
            sys,
            peak_rss_kib,
        },
    }
}

/// GNU `time` is there to measure the peak RSS of a child (see [`run`]).
fn time_wrapper() -> bool {
    std::path::Path::new("/usr/bin/time").exists()
}

/// User + system CPU seconds spent so far by the processes `pids` (from
/// `/proc/PID/stat`, 10 ms ticks: good enough for servers measured over a whole run).
pub fn cpu_of(pids: &[u32]) -> f64 {
    let ticks = pids
        .iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let fields: Vec<&str> = after_comm.split_whitespace().collect();
            // After the comm field: state is field 3, utime 14 and stime 15 (1-based).
            let field = |i: usize| {
                fields
                    .get(i - 3)
                    .and_then(|f| f.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            field(14) + field(15)
        })
        .sum::<f64>();
    ticks / clock_ticks()
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// The processes whose parent is `parent` (nginx's workers under its master).
pub fn children_of(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            // After the comm field: state, then ppid.
            after_comm.split_whitespace().nth(1) == Some(&parent.to_string())
        })
        .collect()
}

/// The median of `values` by `key` (the upper one of an even count).
pub fn median_by<T, K: PartialOrd>(values: &[T], key: impl Fn(&T) -> K) -> &T {
    let mut refs: Vec<&T> = values.iter().collect();
    refs.sort_by(|a, b| {
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    refs[refs.len() / 2]
}
