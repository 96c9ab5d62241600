//! When a bot's plugin state is read: reading it is a full FFI call and a JSON round, so it happens at most once
//! per [`SNAPSHOT_INTERVAL`] after hooks that may have changed it, plus one trailing read after a burst so the
//! last change is never left out. Upload progress never causes one (it changes no state worth a rebuild), and
//! shutdown reads the state once more after `on_stop`.

use parking_lot::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// The shortest time between two reads of a bot's plugin state.
pub const SNAPSHOT_INTERVAL: Duration = Duration::from_secs(1);

/// What to do after a hook that may have changed the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Read {
    /// Read it now.
    Now,
    /// Read it at this instant (the first hook of a burst schedules it).
    At(Instant),
    /// A read is already scheduled; it will see this hook's change too.
    Scheduled,
}

/// The pacing of one bot's state reads.
#[derive(Debug, Default)]
pub(super) struct SnapshotPace {
    state: Mutex<PaceState>,
}

#[derive(Debug, Default)]
struct PaceState {
    last_read: Option<Instant>,
    scheduled: bool,
}

impl SnapshotPace {
    /// Decides, after a hook at `now`, when the state is read next.
    pub(super) fn after_hook(&self, now: Instant) -> Read {
        let mut state = self.state.lock();
        if state.scheduled {
            return Read::Scheduled;
        }
        match state.last_read {
            Some(last) if now.duration_since(last) < SNAPSHOT_INTERVAL => {
                state.scheduled = true;
                Read::At(last + SNAPSHOT_INTERVAL)
            }
            _ => {
                state.last_read = Some(now);
                Read::Now
            }
        }
    }

    /// Records that the scheduled read happened at `now`.
    pub(super) fn scheduled_read_done(&self, now: Instant) {
        let mut state = self.state.lock();
        state.scheduled = false;
        state.last_read = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_first_hook_reads_at_once() {
        assert_eq!(SnapshotPace::default().after_hook(Instant::now()), Read::Now);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_hooks_reads_once_now_and_once_when_the_interval_ends() {
        let pace = SnapshotPace::default();
        let start = Instant::now();
        assert_eq!(pace.after_hook(start), Read::Now);
        let later = start + Duration::from_millis(10);
        assert_eq!(pace.after_hook(later), Read::At(start + SNAPSHOT_INTERVAL));
        for step in 2..100 {
            assert_eq!(pace.after_hook(start + Duration::from_millis(10 * step)), Read::Scheduled);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_scheduled_read_the_interval_starts_again() {
        let pace = SnapshotPace::default();
        let start = Instant::now();
        pace.after_hook(start);
        pace.after_hook(start);
        pace.scheduled_read_done(start + SNAPSHOT_INTERVAL);
        assert_eq!(pace.after_hook(start + SNAPSHOT_INTERVAL * 2), Read::Now);
    }
}
