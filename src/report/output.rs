//! Where report files go, and how they are written without destroying anything.
//!
//! The rules (README "Output safety"):
//! - `-` is stdout. So is a path that names the very file stdout already is
//!   (`--csv /dev/stdout`): that report then takes stdout instead of the `--format`
//!   output, and two reports cannot both take it.
//! - A regular file (or a new one) is replaced atomically: the report is written to a
//!   temporary file created exclusively (`O_EXCL`, so a planted symlink is refused) with
//!   an unpredictable name in the same directory, given the old file's mode (and owner,
//!   where allowed), synced, then renamed over the target. A symlinked report path is
//!   followed: the real file is replaced and the link stays.
//! - Anything else — a FIFO, a device such as `/dev/null`, a file reached through
//!   `/dev` or `/proc` — is opened and written directly, never replaced.
//! - Every path is checked and opened before the first probe: the same file twice, a
//!   directory, a place that cannot be written are refused (exit 2) naming the path.
//! - Temporary files are registered so that a second Ctrl-C/SIGTERM can remove them
//!   before exiting ([`remove_temp_files`]).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ring::rand::{SecureRandom, SystemRandom};

/// Temporary files not yet renamed into place, for the signal handler.
static TEMP_FILES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every temporary report file still pending. Safe to call at any time.
pub fn remove_temp_files() {
    let list = match TEMP_FILES.lock() {
        Ok(mut l) => std::mem::take(&mut *l),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    for p in list {
        let _ = std::fs::remove_file(p);
    }
}

fn register(p: &Path, on: bool) {
    let mut list = TEMP_FILES.lock().unwrap_or_else(|p| p.into_inner());
    if on {
        list.push(p.to_path_buf());
    } else {
        list.retain(|q| q != p);
    }
}

/// A report destination as the user named it (`--csv out.csv`).
#[derive(Clone, Debug)]
pub struct Request {
    pub flag: &'static str,
    pub path: PathBuf,
}

impl Request {
    /// `--csv out.csv`, escaped for messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.flag, self.path.display())
    }
}

/// How a request will be written, decided before anything is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    Stdout,
    /// Opened and written in place (FIFO, device, anything not a regular file).
    Direct(PathBuf),
    /// Written to a temporary file beside `real`, then renamed over it.
    Atomic {
        real: PathBuf,
        /// Mode, uid and gid of the file being replaced.
        keep: Option<(u32, u32, u32)>,
    },
}

/// Identity of a destination, to catch the same file named twice.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    Stdout,
    /// A character device: writing it twice loses nothing (`/dev/null`, a terminal).
    Device,
    Inode(u64, u64),
    New(PathBuf),
}

/// Checks every request and decides how each is written; the error names the path.
pub fn plan(requests: &[Request]) -> Result<Vec<Plan>, String> {
    let stdout = stdout_inode();
    let mut seen: Vec<(Key, String)> = Vec::new();
    let mut plans = Vec::new();
    for r in requests {
        let (plan, key) = plan_one(r, stdout).map_err(|e| format!("{}: {e}", r.label()))?;
        let clash = seen.iter().find(|(k, _)| *k == key && key != Key::Device);
        if let Some((_, first)) = clash {
            let what = match key {
                Key::Stdout => "both write to stdout",
                _ => "name the same file",
            };
            return Err(format!("{first} and {} {what}", r.label()));
        }
        seen.push((key, r.label()));
        plans.push(plan);
    }
    Ok(plans)
}

fn stdout_inode() -> Option<(u64, u64)> {
    let fd = io::stdout().as_fd().try_clone_to_owned().ok()?;
    let m = File::from(fd).metadata().ok()?;
    Some((m.dev(), m.ino()))
}

fn plan_one(r: &Request, stdout: Option<(u64, u64)>) -> Result<(Plan, Key), String> {
    if r.path.as_os_str() == "-" {
        return Ok((Plan::Stdout, Key::Stdout));
    }
    match std::fs::metadata(&r.path) {
        Ok(m) if m.is_dir() => Err("is a directory".into()),
        Ok(m) if Some((m.dev(), m.ino())) == stdout && names_stdout(&r.path, &m) => {
            Ok((Plan::Stdout, Key::Stdout))
        }
        Ok(m) => {
            let key = match m.file_type().is_char_device() {
                true => Key::Device,
                false => Key::Inode(m.dev(), m.ino()),
            };
            let real = std::fs::canonicalize(&r.path).map_err(|e| e.to_string())?;
            if !m.is_file() || through_dev_or_proc(&r.path) {
                return Ok((Plan::Direct(r.path.clone()), key));
            }
            let keep = Some((m.mode() & 0o7777, m.uid(), m.gid()));
            Ok((Plan::Atomic { real, keep }, key))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let real = new_file_path(&r.path)?;
            Ok((
                Plan::Atomic {
                    real: real.clone(),
                    keep: None,
                },
                Key::New(real),
            ))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Whether a path that is the same file as stdout means stdout. A terminal or
/// `/dev/null` is only stdout when named so (`/dev/stdout`, `/dev/fd/1`); a pipe, FIFO or
/// regular file that stdout already writes to always is (two writers would clobber it).
fn names_stdout(path: &Path, m: &std::fs::Metadata) -> bool {
    !m.file_type().is_char_device()
        || ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
            .iter()
            .any(|p| path == Path::new(p))
}

/// Whether the path, or any symlink on the way to the file, lies in `/dev` or `/proc`
/// (`/dev/stderr` → `/proc/self/fd/2` → a log file): such a file belongs to someone's
/// open descriptor and is written in place, never replaced.
fn through_dev_or_proc(path: &Path) -> bool {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
        let dir = std::fs::canonicalize(dir.unwrap_or(Path::new(".")));
        let abs = match (dir, p.file_name()) {
            (Ok(d), Some(name)) => d.join(name),
            _ => return false,
        };
        if abs.starts_with("/dev") || abs.starts_with("/proc") {
            return true;
        }
        match std::fs::read_link(&abs) {
            Ok(target) => p = abs.parent().unwrap_or(Path::new("/")).join(target),
            Err(_) => return false,
        }
    }
    false
}

/// Where a report that does not exist yet will be created: the end of a dangling
/// symlink chain, or the path itself, in a directory that must exist.
fn new_file_path(path: &Path) -> Result<PathBuf, String> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p).map_err(|e| e.to_string())?;
                p = match p.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            }
            _ => break,
        }
    }
    let name = p.file_name().ok_or("not a file name")?.to_owned();
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = std::fs::canonicalize(dir).map_err(|e| format!("directory: {e}"))?;
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    Ok(dir.join(name))
}

/// An opened report destination.
pub struct Opened {
    label: String,
    plan: Plan,
    /// For atomic files: the temporary path and a handle kept for fsync.
    temp: Option<(PathBuf, File)>,
    writer: Option<File>,
}

impl Opened {
    /// Opens a planned destination. Blocks on a FIFO until a reader opens it.
    pub fn open(request: &Request, plan: Plan) -> Result<Self, String> {
        let label = request.label();
        let fail = |e: io::Error| format!("{label}: {e}");
        let (temp, writer) = match &plan {
            Plan::Stdout => (None, None),
            Plan::Direct(p) => {
                let f = OpenOptions::new().append(true).open(p).map_err(fail)?;
                (None, Some(f))
            }
            Plan::Atomic { real, keep } => {
                let (tmp, f) = create_temp(real).map_err(|e| {
                    let dir = real.parent().unwrap_or(Path::new("/"));
                    format!("{label}: cannot create a file in {}: {e}", dir.display())
                })?;
                let writer = f.try_clone().map_err(fail)?;
                if let Some((mode, uid, gid)) = keep {
                    // Owner first: chown may clear set-id bits that the mode restores.
                    let _ = std::os::unix::fs::fchown(&f, Some(*uid), Some(*gid));
                    let _ = f.set_permissions(std::fs::Permissions::from_mode(*mode));
                }
                (Some((tmp, f)), Some(writer))
            }
        };
        Ok(Self {
            label,
            plan,
            temp,
            writer,
        })
    }

    /// Plans and opens one destination on its own, by the same rules, for writers other
    /// than a command's sinks (`endpoints import --output`).
    pub fn single(path: &Path, flag: &'static str) -> Result<Self, String> {
        let request = Request {
            flag,
            path: path.to_path_buf(),
        };
        let planned = plan(std::slice::from_ref(&request))?;
        let Some(p) = planned.into_iter().next() else {
            return Err(format!("{}: nowhere to write", request.label()));
        };
        Self::open(&request, p)
    }

    pub fn is_stdout(&self) -> bool {
        self.plan == Plan::Stdout
    }

    /// The writer for the sink; its errors name the destination.
    pub fn writer(&mut self) -> Labeled<Box<dyn Write>> {
        let (label, inner): (String, Box<dyn Write>) = match self.writer.take() {
            Some(f) => (self.label.clone(), Box::new(BufWriter::new(f))),
            None => ("stdout".into(), Box::new(BufWriter::new(io::stdout()))),
        };
        Labeled { label, inner }
    }

    /// Puts a finished report in place: sync, then rename over the target.
    pub fn commit(mut self) -> io::Result<()> {
        let Some((tmp, file)) = self.temp.take() else {
            return Ok(());
        };
        let result = self.finish_temp(&tmp, &file);
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        register(&tmp, false);
        result.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.label)))
    }

    fn finish_temp(&self, tmp: &Path, file: &File) -> io::Result<()> {
        let Plan::Atomic { real, .. } = &self.plan else {
            return Ok(());
        };
        file.sync_all()?;
        std::fs::rename(tmp, real)?;
        // The rename itself is durable once the directory is synced; best effort.
        if let Some(dir) = real.parent().and_then(|d| File::open(d).ok()) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Drops an unfinished report: the temporary file goes, the target stays as it was.
    pub fn abandon(mut self) {
        if let Some((tmp, _)) = self.temp.take() {
            let _ = std::fs::remove_file(&tmp);
            register(&tmp, false);
        }
    }
}

/// `.NAME.<128 random bits>.tlscompat-tmp` beside `real`, created with `O_EXCL` and the
/// mode a plain create would get (0666 less the umask).
fn create_temp(real: &Path) -> io::Result<(PathBuf, File)> {
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rng = SystemRandom::new();
    let mut last = io::Error::other("no temporary name");
    for _ in 0..8 {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes)
            .map_err(|_| io::Error::other("no randomness for a temporary name"))?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = real.with_file_name(format!(".{name}.{hex}.tlscompat-tmp"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&tmp)
        {
            Ok(f) => {
                register(&tmp, true);
                return Ok((tmp, f));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// A writer whose errors say which report failed (`--csv out.csv: No space left on
/// device`); the error kind is kept, so a closed pipe stays recognisable.
pub struct Labeled<W: Write> {
    label: String,
    inner: W,
}

impl<W: Write> Labeled<W> {
    pub fn new(label: impl Into<String>, inner: W) -> Self {
        Self {
            label: label.into(),
            inner,
        }
    }

    fn wrap(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{}: {e}", self.label))
    }
}

impl<W: Write> Write for Labeled<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).map_err(|e| self.wrap(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(|e| self.wrap(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tlscompat-out-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn req(flag: &'static str, p: &Path) -> Request {
        Request {
            flag,
            path: p.to_path_buf(),
        }
    }

    #[test]
    fn plans_by_kind_of_destination() {
        let d = dir("plan");
        let file = d.join("old.csv");
        std::fs::write(&file, "x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = d.join("link.csv");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let plans = plan(&[
            req("--csv", Path::new("-")),
            req("--json", Path::new("/dev/null")),
            req("--junit", &link),
        ])
        .unwrap();
        assert_eq!(plans[0], Plan::Stdout);
        assert_eq!(plans[1], Plan::Direct("/dev/null".into()));
        assert!(through_dev_or_proc(Path::new("/dev/stderr")));
        assert!(!through_dev_or_proc(&link));
        match &plans[2] {
            Plan::Atomic { real, keep } => {
                assert_eq!(real, &std::fs::canonicalize(&file).unwrap());
                assert_eq!(keep.map(|k| k.0), Some(0o600));
            }
            p => panic!("{p:?}"),
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn refuses_duplicates_and_directories() {
        let d = dir("dup");
        let a = d.join("a.csv");
        let e = plan(&[req("--csv", &a), req("--json", &d.join("./a.csv"))]).unwrap_err();
        assert!(e.contains("name the same file"), "{e}");
        let e = plan(&[req("--csv", &d)]).unwrap_err();
        assert!(
            e.contains("is a directory") && e.contains(&*d.to_string_lossy()),
            "{e}"
        );
        let e = plan(&[req("--csv", Path::new("-")), req("--json", Path::new("-"))]).unwrap_err();
        assert!(e.contains("both write to stdout"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn atomic_write_keeps_mode_and_leaves_no_temp() {
        let d = dir("atomic");
        let file = d.join("r.json");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let r = req("--json", &file);
        let p = plan(std::slice::from_ref(&r)).unwrap().remove(0);
        let mut o = Opened::open(&r, p).unwrap();
        let mut w = o.writer();
        w.write_all(b"new").unwrap();
        w.flush().unwrap();
        drop(w);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "old", "not yet");
        o.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        let mode = std::fs::metadata(&file).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        let _ = std::fs::remove_dir_all(&d);
    }
}
