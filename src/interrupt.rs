//! What a run must remove if it is interrupted (SIGINT, SIGTERM, SIGHUP), and the thread that
//! removes it.
//!
//! Files a run creates are recorded here *while a lock is held*, and the signal thread takes the
//! same lock before removing them and exiting: a file is either recorded (and so removed) or not
//! yet created, never on disk unrecorded. Steps that make files final (renaming the evidence into
//! place) run under the lock too, so an interrupt either comes before them (everything removed)
//! or after them (the evidence is whole).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// The signals a run cleans up after, each with the exit status the shell reports for it.
const SIGNALS: [(i32, u8); 3] = [(SIGINT, 130), (SIGTERM, 143), (SIGHUP, 129)];

/// The line printed when an interrupt removed the run's files.
pub const INTERRUPTED: &str = "interrupted: nothing was written";

#[derive(Default)]
struct Leftovers {
    /// Temporary files; removing one that is already gone is harmless (their names are random).
    files: Vec<PathBuf>,
    /// Folders the run created, outermost first.
    dirs: Vec<PathBuf>,
    /// Set once the evidence is in place: an interrupt then removes nothing.
    finished: bool,
}

static LEFTOVERS: Mutex<Leftovers> = Mutex::new(Leftovers {
    files: Vec::new(),
    dirs: Vec::new(),
    finished: false,
});

/// Holds the lock: while a caller has it, no interrupt can remove files or end the process.
pub struct Guard(MutexGuard<'static, Leftovers>);

/// Takes the lock (a panic elsewhere must not stop the cleanup, so poisoning is ignored).
pub fn lock() -> Guard {
    Guard(LEFTOVERS.lock().unwrap_or_else(PoisonError::into_inner))
}

impl Guard {
    /// Records a file to remove on interrupt; create it while holding this guard.
    pub fn track_file(&mut self, path: &Path) {
        self.0.files.push(path.to_path_buf());
    }

    /// Records a folder this run created; an interrupt removes it and everything in it.
    pub fn track_dir(&mut self, path: &Path) {
        self.0.dirs.push(path.to_path_buf());
    }

    /// The run's output is final: an interrupt from now on removes nothing.
    pub fn finish(&mut self) {
        self.0.finished = true;
    }
}

/// Records a file to remove on interrupt. The caller creates the file inside `create`, so the
/// two happen under one lock.
pub fn create_tracked<T>(
    create: impl FnOnce() -> std::io::Result<T>,
    path_of: impl Fn(&T) -> &Path,
) -> std::io::Result<T> {
    let mut guard = lock();
    let made = create()?;
    guard.track_file(path_of(&made));
    Ok(made)
}

/// Starts the thread that waits for SIGINT, SIGTERM or SIGHUP; on one it removes what the run
/// recorded, prints [`INTERRUPTED`] and exits with 128 + the signal number.
pub fn install() -> std::io::Result<()> {
    let mut signals = signal_hook::iterator::Signals::new(SIGNALS.map(|(s, _)| s))?;
    std::thread::Builder::new()
        .name("interrupts".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                clean_up_and_exit(signal);
            }
        })?;
    Ok(())
}

fn clean_up_and_exit(signal: i32) -> ! {
    let status = SIGNALS
        .iter()
        .find(|(s, _)| *s == signal)
        .map_or(128 + signal.clamp(0, 127) as u8, |(_, code)| *code);
    // Kept held until exit: no other thread creates or renames a file from here on.
    let guard = lock();
    if guard.0.finished {
        eprintln!("interrupted: the evidence was already complete");
    } else {
        for file in &guard.0.files {
            let _ = std::fs::remove_file(file);
        }
        // Outermost first: removing it removes the folders inside it.
        for dir in &guard.0.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
        eprintln!("{INTERRUPTED}");
    }
    std::process::exit(i32::from(status));
}
