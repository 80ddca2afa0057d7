//! Progress on a terminal for long reads: one bar per capture, naming the file, its place in
//! the run ("2 of 8"), bytes read, throughput and time left. Nothing is drawn when standard
//! error is not a terminal (CI logs, pipes) or for captures read in a blink.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::capture::OnProgress;

/// Captures smaller than this are read before a bar would be worth drawing.
pub const MIN_BYTES: u64 = 16 << 20;

/// Before this much time, or this share of the bytes, the rate says nothing yet: the first
/// reads come from the page cache or wait for the disk, and an estimate of hours (or of a
/// second) would be drawn for a run of a minute.
const ETA_AFTER: Duration = Duration::from_secs(2);
const ETA_AFTER_SHARE: f64 = 0.02;

/// The bars of one command.
pub struct Progress {
    /// `None` when nothing is drawn.
    multi: Option<MultiProgress>,
}

/// One capture's bar: `passes` reads of `len` bytes each (sanitize and check read a capture
/// twice).
pub struct FileBar {
    bar: Option<ProgressBar>,
    len: u64,
}

impl Progress {
    /// Bars on standard error when it is a terminal.
    pub fn on_terminal() -> Progress {
        use std::io::IsTerminal;
        Progress {
            multi: std::io::stderr()
                .is_terminal()
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// A bar for the capture `name` of `len` bytes, the `nth` of a run (1-based) of
    /// `count`, read `passes` times by `verb`.
    pub fn file(
        &self,
        verb: &str,
        name: &str,
        (nth, count): (usize, usize),
        len: u64,
        passes: u64,
    ) -> FileBar {
        let bar = self
            .multi
            .as_ref()
            .filter(|_| len >= MIN_BYTES)
            .map(|multi| {
                let bar = multi.add(ProgressBar::new(len.saturating_mul(passes)));
                if let Ok(style) = ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {decimal_bytes}/{decimal_total_bytes} \
                     {decimal_bytes_per_sec}, {time_left}",
                ) {
                    let style = style.with_key(
                        "time_left",
                        |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&time_left(
                                state.elapsed(),
                                state.fraction(),
                                state.eta(),
                            ));
                        },
                    );
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_prefix(label(verb, name, nth, count));
                bar
            });
        FileBar { bar, len }
    }
}

/// What the bar says of the time left: an estimate once the rate means something.
fn time_left(elapsed: Duration, fraction: f32, eta: Duration) -> String {
    if elapsed < ETA_AFTER || f64::from(fraction) < ETA_AFTER_SHARE {
        "estimating time left".to_string()
    } else {
        format!("{} left", indicatif::HumanDuration(eta))
    }
}

/// `sanitize capture.pcap`, or `sanitize b.pcap (2 of 8)` when a run has several.
pub fn label(verb: &str, name: &str, nth: usize, count: usize) -> String {
    if count > 1 {
        format!("{verb} {name} ({nth} of {count})")
    } else {
        format!("{verb} {name}")
    }
}

impl FileBar {
    /// What the reader of pass `pass` (0-based) reports to, if a bar is drawn.
    pub fn pass(&self, pass: u64) -> Option<OnProgress> {
        let bar = self.bar.clone()?;
        let base = self.len.saturating_mul(pass);
        Some(Box::new(move |read: u64| bar.set_position(base + read)))
    }

    /// Removes the bar: the run's result is what stays on the screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_file_and_its_place() {
        assert_eq!(label("sanitize", "a.pcap", 1, 1), "sanitize a.pcap");
        assert_eq!(label("check", "b.pcap", 2, 8), "check b.pcap (2 of 8)");
    }

    #[test]
    fn time_left_waits_for_a_meaningful_rate() {
        let s = Duration::from_secs;
        // The first reads: no estimate, whatever the rate says.
        assert_eq!(time_left(s(0), 0.3, s(3600)), "estimating time left");
        assert_eq!(time_left(s(10), 0.01, s(3600)), "estimating time left");
        assert_eq!(time_left(s(3), 0.25, s(9)), "9 seconds left");
    }
}
