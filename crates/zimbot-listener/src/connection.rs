//! One connection's phase (waiting for a request, reading a head, handling requests) and the watchdog that
//! closes it when it waits too long in a phase.

use parking_lot::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No request in flight and no byte of the next one yet.
    Idle { since: Instant },
    /// Bytes of a request head arrived, the head is not complete.
    Head { since: Instant },
    /// This many requests are being handled (their responses not yet sent whole).
    Busy { requests: usize },
    /// Closed to make room for a newer connection.
    Evicted,
}

/// Why the watchdog ended a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    Idle,
    Header,
    Evicted,
}

/// The shared view of one connection, updated by its I/O and its requests.
#[derive(Debug)]
pub(crate) struct Tracker {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Tracker {
    pub(crate) fn new() -> Self {
        Self { phase: Mutex::new(Phase::Idle { since: Instant::now() }), changed: Notify::new() }
    }

    fn update(&self, change: impl FnOnce(&mut Phase)) {
        let mut phase = self.phase.lock();
        let before = *phase;
        change(&mut phase);
        if *phase != before {
            self.changed.notify_one();
        }
    }

    fn phase(&self) -> Phase {
        *self.phase.lock()
    }

    /// Bytes arrived: while idle, they start a request head.
    pub(crate) fn bytes_read(&self) {
        self.update(|phase| {
            if let Phase::Idle { .. } = phase {
                *phase = Phase::Head { since: Instant::now() };
            }
        });
    }

    /// A request head was read whole.
    pub(crate) fn request_started(&self) {
        self.update(|phase| {
            *phase = match *phase {
                Phase::Busy { requests } => Phase::Busy { requests: requests + 1 },
                Phase::Evicted => Phase::Evicted,
                _ => Phase::Busy { requests: 1 },
            }
        });
    }

    /// A response was sent whole (or abandoned).
    pub(crate) fn request_finished(&self) {
        self.update(|phase| {
            if let Phase::Busy { requests } = *phase {
                *phase = if requests > 1 {
                    Phase::Busy { requests: requests - 1 }
                } else {
                    Phase::Idle { since: Instant::now() }
                };
            }
        });
    }

    /// Since when the connection has waited for a request head, if it is waiting for one.
    pub(crate) fn waiting_since(&self) -> Option<Instant> {
        match self.phase() {
            Phase::Idle { since } | Phase::Head { since } => Some(since),
            Phase::Busy { .. } | Phase::Evicted => None,
        }
    }

    /// Closes the connection if it is still waiting for a request head; true if it was.
    pub(crate) fn evict_if_waiting(&self) -> bool {
        let mut evicted = false;
        self.update(|phase| {
            if matches!(phase, Phase::Idle { .. } | Phase::Head { .. }) {
                *phase = Phase::Evicted;
                evicted = true;
            }
        });
        evicted
    }

    /// Resolves when the connection has waited too long in its phase, or was evicted.
    pub(crate) async fn expired(&self, idle: Duration, header: Duration) -> Expiry {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let deadline = match self.phase() {
                Phase::Idle { since } => Some((since + idle, Expiry::Idle)),
                Phase::Head { since } => Some((since + header, Expiry::Header)),
                Phase::Busy { .. } => None,
                Phase::Evicted => return Expiry::Evicted,
            };
            match deadline {
                Some((at, expiry)) if Instant::now() >= at => return expiry,
                Some((at, _)) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = &mut changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// Marks a request finished when dropped: held by the response body until it is sent whole.
#[derive(Debug)]
pub(crate) struct RequestGuard {
    pub(crate) tracker: std::sync::Arc<Tracker>,
    pub(crate) _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.tracker.request_finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_expires_after_the_idle_timeout() {
        let tracker = Tracker::new();
        let started = Instant::now();
        assert_eq!(tracker.expired(Duration::from_secs(60), Duration::from_secs(10)).await, Expiry::Idle);
        assert_eq!(started.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn a_started_head_expires_after_the_header_timeout() {
        let tracker = Tracker::new();
        tracker.bytes_read();
        let started = Instant::now();
        assert_eq!(tracker.expired(Duration::from_secs(60), Duration::from_secs(10)).await, Expiry::Header);
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_connection_does_not_expire_until_its_request_ends() {
        let tracker = std::sync::Arc::new(Tracker::new());
        tracker.request_started();
        let watching = std::sync::Arc::clone(&tracker);
        let watchdog =
            tokio::spawn(async move { watching.expired(Duration::from_secs(60), Duration::from_secs(10)).await });
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert!(!watchdog.is_finished());
        tracker.request_finished();
        let finished = Instant::now();
        assert_eq!(watchdog.await.unwrap(), Expiry::Idle);
        assert_eq!(finished.elapsed(), Duration::from_secs(60));
    }

    #[test]
    fn only_a_waiting_connection_can_be_evicted() {
        let tracker = Tracker::new();
        tracker.request_started();
        assert!(!tracker.evict_if_waiting());
        tracker.request_finished();
        assert!(tracker.evict_if_waiting());
    }
}
