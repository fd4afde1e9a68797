//! Report files that never lose data (issue 9): FIFOs, devices, symlinks, modes, `-`,
//! paths refused before the scan, full disks and stderr, and Ctrl-C.

mod support;

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::cli::*;
use support::*;

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tlscompat"));
    for var in ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"] {
        cmd.env_remove(var);
    }
    cmd
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Files in `dir` other than `keep`: temporary leftovers.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

#[test]
fn fifo_report_is_written_into_the_fifo() {
    let dir = TempDir::new("fifo");
    let fifo = dir.0.join("report.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let fifo = fifo.clone();
        std::thread::spawn(move || tx.send(std::fs::read_to_string(fifo).expect("read fifo")));
    }
    let closed = closed_port().to_string();
    let out = tlscompat(&["scan", "--quiet", "--csv", s(&fifo), &closed]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let csv = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the FIFO's reader got the report (the FIFO was not replaced)");
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 1, "{csv}");
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO is still a FIFO"
    );
    assert_eq!(leftovers(&dir.0, &["report.csv"]), Vec::<String>::new());
}

#[test]
fn device_report_is_written_not_replaced() {
    // Our own null device (root can make one), so a failure cannot break /dev/null.
    let dir = TempDir::new("dev");
    let dev = dir.0.join("null");
    let made = Command::new("mknod")
        .arg(&dev)
        .args(["c", "1", "3"])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mknod not permitted here; skipping");
        return;
    }
    let closed = closed_port().to_string();
    let out = tlscompat(&["scan", "--quiet", "--csv", s(&dev), &closed]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let m = std::fs::symlink_metadata(&dev).unwrap();
    assert!(m.file_type().is_char_device(), "replaced by a regular file");
    assert_eq!(leftovers(&dir.0, &["null"]), Vec::<String>::new());
}

#[test]
fn symlinked_report_updates_the_real_file_and_keeps_mode_and_link() {
    let dir = TempDir::new("link");
    let real = dir.0.join("real.json");
    let link = dir.0.join("link.json");
    std::fs::write(&real, "old").unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    let closed = closed_port().to_string();
    let out = tlscompat(&["scan", "--quiet", "--json", s(&link), &closed]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap())
        .expect("json in the real file");
    assert_eq!(v["complete"], true);
    assert_eq!(std::fs::metadata(&real).unwrap().mode() & 0o777, 0o600);
    assert_eq!(
        leftovers(&dir.0, &["real.json", "link.json"]),
        Vec::<String>::new()
    );
}

#[test]
fn dash_means_stdout() {
    let dir = TempDir::new("dash");
    let closed = closed_port().to_string();
    let out = bin()
        .current_dir(&dir.0)
        .args(["scan", "--quiet", "--csv", "-", &closed])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let rows = csv_rows(&text(&out.stdout));
    assert_eq!(rows.len(), 1, "the CSV takes stdout instead of the table");
    assert!(!dir.0.join("-").exists(), "no file named '-'");
}

#[test]
fn bad_report_paths_are_refused_before_the_scan() {
    let dir = TempDir::new("refuse");
    let x = dir.0.join("x.out");
    let blackhole = blackhole().to_string();
    let not_a_dir = format!("{}/x.csv", s(&dir.0.join("file")));
    std::fs::write(dir.0.join("file"), "").unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--csv", s(&x), "--json", s(&x)], s(&x).to_string()),
        (
            vec!["--csv", s(&dir.0)],
            format!("--csv {}: is a directory", s(&dir.0)),
        ),
        (
            vec!["--junit", "/proc/tlscompat-report.xml"],
            "/proc/tlscompat-report.xml".into(),
        ),
        (vec!["--json", &not_a_dir], not_a_dir.clone()),
        (
            vec!["--csv", "-", "--json", "-"],
            "both write to stdout".into(),
        ),
    ];
    for (flags, needle) in cases {
        let start = Instant::now();
        let mut args = vec!["scan", "--timeout", "20s"];
        args.extend(&flags);
        args.push(&blackhole);
        let out = tlscompat(&args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(&needle), "{flags:?}: {err:?} lacks {needle:?}");
        assert!(out.stdout.is_empty(), "{flags:?}: nothing scanned");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{flags:?}: refused before probing"
        );
    }
    assert_eq!(leftovers(&dir.0, &["file"]), Vec::<String>::new());
    let root_temps: Vec<_> = leftovers(Path::new("/proc"), &[])
        .into_iter()
        .filter(|n| n.contains("tlscompat"))
        .collect();
    assert!(root_temps.is_empty());
}

#[test]
fn full_disk_and_full_stderr() {
    let closed = closed_port().to_string();
    let dir = TempDir::new("full");
    let json = dir.0.join("r.json");
    // A report on a full device (our own /dev/full, so a regression cannot replace the
    // system's): exit 3 naming it; the other report is still written.
    let full = dir.0.join("full");
    let made = Command::new("mknod")
        .arg(&full)
        .args(["c", "1", "7"])
        .status();
    if made.is_ok_and(|s| s.success()) {
        let out = tlscompat(&[
            "scan",
            "--quiet",
            "--csv",
            s(&full),
            "--json",
            s(&json),
            &closed,
        ]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        let needle = format!("--csv {}: No space left on device", s(&full));
        assert!(err.contains(&needle), "{err}");
        assert!(
            std::fs::read_to_string(&json)
                .unwrap()
                .contains("\"complete\":true")
        );
        assert!(
            std::fs::symlink_metadata(&full)
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    // stdout on a full device: exit 3 naming stdout.
    let out = bin()
        .args(["scan", "--quiet", &closed])
        .stdout(dev_full())
        .output()
        .expect("run");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("stdout: No space left on device"), "{err}");

    // stderr on a full device: no panic (101), the scan's own exit code.
    for args in [
        vec!["scan", "--format", "csv", closed.as_str()],
        vec!["scan", "--tls-min", "9"],
        vec!["scan", "--format", "json", "--quiet", closed.as_str()],
    ] {
        let out = bin()
            .args(&args)
            .stderr(dev_full())
            .stdout(Stdio::null())
            .output()
            .expect("run");
        assert!(
            matches!(out.status.code(), Some(1..=3)),
            "{args:?}: {:?}",
            out.status
        );
    }
}

#[test]
fn ctrl_c_completes_the_reports_marked_incomplete() {
    let dir = TempDir::new("sigint");
    let (json, junit, html) = (
        dir.0.join("r.json"),
        dir.0.join("r.xml"),
        dir.0.join("r.html"),
    );
    let closed = closed_port().to_string();
    let hole = blackhole().to_string();
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let child = bin()
            .args(["scan", "--quiet", "--timeout", "30s", "--json", s(&json)])
            .args(["--junit", s(&junit), "--html", s(&html), &closed, &hole])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Wait until the temporary files exist and the first record is out.
        let deadline = Instant::now() + Duration::from_secs(10);
        while leftovers(&dir.0, &["r.json", "r.xml", "r.html"]).len() < 3
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The closed port's record is out within milliseconds; leave room for a loaded
        // CI machine (the blackhole holds the scan for 30 s, so nothing else finishes).
        std::thread::sleep(Duration::from_millis(2000));
        let killed = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = child.wait_with_output().expect("wait");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{signal}: {err}");
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap())
            .expect("a whole JSON document");
        assert_eq!(v["complete"], false, "{signal}");
        // The closed port's record is normally out before the signal; on a starved
        // machine it may not be, and then the document is still whole and marked
        // incomplete. The blackhole's record can never be there.
        let records = v["records"].as_array().cloned().unwrap_or_default();
        assert!(records.len() <= 1, "{signal}: {records:?}");
        if let Some(r) = records.first() {
            assert_eq!(r["address"], "127.0.0.1", "{signal}");
            assert_eq!(
                r["port"].as_u64().map(|p| p.to_string()),
                closed.rsplit(':').next().map(str::to_string),
                "{signal}: only the closed port can have finished"
            );
        }
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains("<error type=\"interrupted\""), "{xml}");
        assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
        // Issue 23, finding 7: the HTML page says so at the top, before the matrix.
        let page = std::fs::read_to_string(&html).unwrap();
        let mark = page
            .find("id=\"incomplete\"")
            .expect("an INCOMPLETE banner");
        assert!(mark < page.find("id=\"matrix\"").unwrap(), "banner first");
        assert!(page.contains("<title>tlscompat report") && page.contains("(INCOMPLETE)"));
        assert!(page.trim_end().ends_with("</html>"));
        assert!(text(&out.stdout).contains("INCOMPLETE: the scan was stopped"));
        assert_eq!(
            leftovers(&dir.0, &["r.json", "r.xml", "r.html"]),
            Vec::<String>::new(),
            "{signal}: temporary files removed"
        );
    }
}

/// A stop keeps every finished target, also those listed after one that is not: the
/// blackhole first in the list must not hold back the three quick ones behind it.
#[test]
fn ctrl_c_keeps_the_targets_finished_behind_an_unfinished_one() {
    let dir = TempDir::new("sigint-order");
    let json = dir.0.join("r.json");
    // Its own address: the per-address connection limit must not hold the others.
    let hole = blackhole_at("127.0.0.77:0").to_string();
    let quick = [
        rustls_server(&[&rustls::version::TLS12, &rustls::version::TLS13]).to_string(),
        alert_server(40).to_string(),
        closed_port().to_string(),
    ];
    let child = bin()
        .args([
            "scan",
            "--quiet",
            "--timeout",
            "30s",
            "--json",
            s(&json),
            &hole,
        ])
        .args(&quick)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The three finish within milliseconds; leave room for a loaded CI machine.
    std::thread::sleep(Duration::from_millis(2000));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap())
        .expect("a whole JSON document");
    assert_eq!(v["complete"], false);
    let ports: Vec<String> = v["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| r["port"].to_string())
        .collect();
    let want: Vec<String> = quick
        .iter()
        .map(|a| a.rsplit(':').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(ports, want, "the finished targets, in list order: {v}");
}

/// The system's `/dev/full`, opened for writing (never created).
fn dev_full() -> std::fs::File {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full")
}

#[test]
fn a_signal_before_the_scan_removes_the_temporary_files() {
    // The JUnit report goes to a FIFO nobody reads: opening it blocks before the first
    // probe, after the CSV's temporary file exists. Ctrl-C must not leave that behind.
    let dir = TempDir::new("early");
    let fifo = dir.0.join("r.xml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let csv = dir.0.join("r.csv");
    std::fs::write(&csv, "old report").unwrap();
    let child = bin()
        .args([
            "scan",
            "--quiet",
            "--csv",
            s(&csv),
            "--junit",
            s(&fifo),
            "127.0.0.1:1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    while leftovers(&dir.0, &["r.xml", "r.csv"]).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        leftovers(&dir.0, &["r.xml", "r.csv"]).len(),
        1,
        "the CSV's temporary file"
    );
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing scanned");
    assert_eq!(leftovers(&dir.0, &["r.xml", "r.csv"]), Vec::<String>::new());
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), "old report");
}

#[test]
fn dev_stderr_into_a_log_file_is_written_in_place() {
    let dir = TempDir::new("stderr");
    let log = dir.0.join("log.txt");
    std::fs::write(&log, "earlier log\n").unwrap();
    let inode = std::fs::metadata(&log).unwrap().ino();
    let stderr = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    let closed = closed_port().to_string();
    let out = bin()
        .args(["scan", "--quiet", "--csv", "/dev/stderr", &closed])
        .stdout(Stdio::null())
        .stderr(stderr)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        std::fs::metadata(&log).unwrap().ino(),
        inode,
        "the log was replaced"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("earlier log\nhost,port,address"), "{text}");
}
