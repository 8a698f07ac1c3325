//! Progress bars on stderr; when stderr is not a terminal (a log file, CI),
//! one line per stage instead, so a long build's log still says where it is.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar for a training run of `what`, updated by (done, total) callbacks.
pub struct TrainingBar {
    bar: Option<ProgressBar>,
    label: String,
}

impl TrainingBar {
    /// A bar that appears on the first update.
    pub fn new() -> Self {
        TrainingBar {
            bar: None,
            label: String::new(),
        }
    }

    /// Records progress of `what`: `done` of `total` steps.
    pub fn update(&mut self, what: &str, done: usize, total: usize) {
        if self.label != what && !std::io::stderr().is_terminal() {
            eprintln!("kith: {what} ({total} steps)");
        }
        if self.label != what || self.bar.is_none() {
            if let Some(b) = self.bar.take() {
                b.finish_and_clear();
            }
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(what.to_string());
            self.bar = Some(bar);
            self.label = what.to_string();
        }
        if let Some(b) = &self.bar {
            b.set_position(done as u64);
        }
    }
}

impl TrainingBar {
    /// Runs `f` (which prints) with the bar hidden, so lines do not tear it.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }
}

impl Drop for TrainingBar {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
