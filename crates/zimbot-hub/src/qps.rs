//! Request limits over a sliding one-second window, counted on arrival: per action of the app, and per group for
//! `InviteUsersIntoGroup` (the same limiter keyed by group id).
//!
//! Each key keeps a log of the instants its admitted requests arrived. A request is admitted when fewer than
//! the limit arrived in the second before it, so exactly `limit` requests pass in ANY one-second window (a burst of
//! `limit` is fine, `limit + 1` is not). Refused requests are not logged: a client that backs off after code 7 gets
//! through as soon as the window has room again.

use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The window the service counts in.
const WINDOW: Duration = Duration::from_secs(1);

/// Keys with more logs than this trigger a sweep of the logs whose window has passed.
const SWEEP_AT: usize = 1024;

/// The sliding-window limiter of a set of keys (actions, or groups).
#[derive(Debug)]
pub(crate) struct QpsLimiter<K> {
    limits: HashMap<K, u32>,
    /// The limit of keys `limits` does not list.
    every_key: Option<u32>,
    clock: Arc<dyn Clock>,
    arrivals: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Hash + Eq + Clone> QpsLimiter<K> {
    /// A limiter with a limit per listed key; other keys are not limited.
    pub(crate) fn new(limits: HashMap<K, u32>, clock: Arc<dyn Clock>) -> Self {
        Self { limits, every_key: None, clock, arrivals: Mutex::new(HashMap::new()) }
    }

    /// A limiter giving every key the same limit.
    pub(crate) fn per_key(limit: u32, clock: Arc<dyn Clock>) -> Self {
        Self { limits: HashMap::new(), every_key: Some(limit), clock, arrivals: Mutex::new(HashMap::new()) }
    }

    /// The limit of `key`, if it has one.
    pub(crate) fn limit(&self, key: &K) -> Option<u32> {
        self.limits.get(key).copied().or(self.every_key)
    }

    /// Records a request of `key` arriving now; `false` when it is over the limit and must be refused.
    pub(crate) fn admit(&self, key: &K) -> bool {
        let Some(limit) = self.limit(key) else {
            return true;
        };
        let now = self.clock.instant();
        let mut arrivals = self.arrivals.lock();
        if arrivals.len() > SWEEP_AT {
            arrivals.retain(|_, log| log.back().is_some_and(|&last| now.saturating_duration_since(last) < WINDOW));
        }
        let log = arrivals.entry(key.clone()).or_default();
        while log.front().is_some_and(|&arrived| now.saturating_duration_since(arrived) >= WINDOW) {
            log.pop_front();
        }
        if log.len() >= limit as usize {
            return false;
        }
        log.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    use crate::ServerAction as Action;

    fn limiter(limit: u32) -> (QpsLimiter<Action>, ManualClock) {
        let clock = ManualClock::default();
        let limits = HashMap::from([(Action::SendRoomMessage, limit)]);
        (QpsLimiter::new(limits, Arc::new(clock.clone())), clock)
    }

    #[test]
    fn exactly_the_limit_passes_within_one_window() {
        let (limiter, _clock) = limiter(3);
        assert!((0..3).all(|_| limiter.admit(&Action::SendRoomMessage)));
        assert!(!limiter.admit(&Action::SendRoomMessage));
    }

    #[test]
    fn the_window_slides_instead_of_resetting() {
        let (limiter, clock) = limiter(2);
        assert!(limiter.admit(&Action::SendRoomMessage));
        clock.advance(Duration::from_millis(600));
        assert!(limiter.admit(&Action::SendRoomMessage));
        clock.advance(Duration::from_millis(399));
        assert!(!limiter.admit(&Action::SendRoomMessage), "the first arrival is still inside the window");
        clock.advance(Duration::from_millis(1));
        assert!(limiter.admit(&Action::SendRoomMessage), "the first arrival has left the window");
        assert!(!limiter.admit(&Action::SendRoomMessage));
    }

    #[test]
    fn refused_requests_do_not_extend_the_wait() {
        let (limiter, clock) = limiter(1);
        assert!(limiter.admit(&Action::SendRoomMessage));
        for _ in 0..5 {
            clock.advance(Duration::from_millis(100));
            assert!(!limiter.admit(&Action::SendRoomMessage));
        }
        clock.advance(Duration::from_millis(500));
        assert!(limiter.admit(&Action::SendRoomMessage));
    }

    #[test]
    fn a_per_key_limiter_counts_each_key_alone() {
        let clock = ManualClock::default();
        let limiter = QpsLimiter::per_key(1, Arc::new(clock.clone()));
        assert!(limiter.admit(&"team".to_owned()));
        assert!(!limiter.admit(&"team".to_owned()));
        assert!(limiter.admit(&"family".to_owned()));
    }

    #[test]
    fn actions_without_a_limit_always_pass() {
        let (limiter, _clock) = limiter(1);
        assert!((0..100).all(|_| limiter.admit(&Action::UserRegister)));
    }
}
