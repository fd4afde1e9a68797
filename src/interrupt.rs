//! Ctrl-C and SIGTERM during a scan.
//!
//! The first signal stops the scan: the pipeline finishes every sink with what it has
//! (JSON `"complete": false`, a JUnit error, a table footer), the reports are put in
//! place, and the exit code is 128 + the signal number (130, 143), as shells report it.
//! Before the scan has started, and on a second signal at any time (a report stuck on a
//! FIFO nobody reads), the process exits at once after removing its temporary files.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::report::output::remove_temp_files;

/// The signal handler's state, shared with the scan.
pub struct Interrupt {
    signal: watch::Receiver<Option<i32>>,
    scanning: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the handler, on a thread of its own: the scan's runtime has one thread
    /// (`cmd/scan.rs`), and a sink blocked on a FIFO nobody reads, or a report file
    /// being opened, must not keep the signal from being heard.
    pub fn install() -> std::io::Result<Self> {
        let (tx, rx) = watch::channel(None);
        let scanning = Arc::new(AtomicBool::new(false));
        let live = scanning.clone();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build();
                let runtime = match runtime {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(watch_signals(tx, live, ready_tx));
            })?;
        ready_rx.recv().map_err(|_| {
            std::io::Error::other("the signal handler's thread ended before it was ready")
        })??;
        Ok(Self {
            signal: rx,
            scanning,
        })
    }

    /// From now on the first signal stops the scan instead of ending the process.
    pub fn scanning(&self) {
        self.scanning.store(true, Ordering::SeqCst);
    }

    /// Completes when a signal asks the scan to stop.
    pub async fn stopped(&self) {
        let mut rx = self.signal.clone();
        if rx.wait_for(Option::is_some).await.is_err() {
            // The handler is gone (runtime shutting down): no signal will come.
            std::future::pending::<()>().await;
        }
    }

    /// The exit code for the signal received, if any (128 + signal number).
    pub fn exit_code(&self) -> Option<u8> {
        (*self.signal.borrow()).and_then(|s| u8::try_from(128 + s).ok())
    }
}

/// The handler proper: the first signal stops a running scan (or ends the process
/// before the scan has started), the second ends it.
async fn watch_signals(
    tx: watch::Sender<Option<i32>>,
    live: Arc<AtomicBool>,
    ready: std::sync::mpsc::Sender<std::io::Result<()>>,
) {
    let registered =
        signal(SignalKind::interrupt()).and_then(|int| Ok((int, signal(SignalKind::terminate())?)));
    let (mut int, mut term) = match registered {
        Ok(pair) => pair,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let first = tokio::select! {
        _ = int.recv() => 2,
        _ = term.recv() => 15,
    };
    if live.load(Ordering::SeqCst) {
        let _ = tx.send(Some(first));
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
    }
    remove_temp_files();
    std::process::exit(128 + first);
}
