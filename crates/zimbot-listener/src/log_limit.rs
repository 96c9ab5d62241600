//! A warning that is logged at most once per interval, so an attack cannot fill the disk with log lines.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Lets one event through per `every`; the events in between are counted and the next line reports them.
#[derive(Debug)]
pub struct RateLimitedLog {
    every: Duration,
    last: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl RateLimitedLog {
    /// At most one line per `every`.
    pub fn new(every: Duration) -> Self {
        Self { every, last: Mutex::new(None), suppressed: AtomicU64::new(0) }
    }

    /// Calls `log` with the number of events not logged since the last line, or counts this event instead when
    /// a line was written less than `every` ago.
    pub fn log(&self, log: impl FnOnce(u64)) {
        let now = Instant::now();
        let mut last = self.last.lock();
        if last.is_some_and(|at| now.duration_since(at) < self.every) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        *last = Some(now);
        drop(last);
        log(self.suppressed.swap(0, Ordering::Relaxed));
    }
}

impl Default for RateLimitedLog {
    /// One line per ten seconds.
    fn default() -> Self {
        Self::new(Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_line_per_interval_reports_what_it_left_out() {
        let log = RateLimitedLog::new(Duration::from_secs(10));
        let mut lines = Vec::new();
        for _ in 0..5 {
            log.log(|suppressed| lines.push(suppressed));
        }
        tokio::time::advance(Duration::from_secs(10)).await;
        log.log(|suppressed| lines.push(suppressed));
        assert_eq!(lines, vec![0, 4]);
    }
}
