//! Per-action request limits over a sliding one-second window, counted on arrival.
//!
//! Each action keeps a log of the instants its admitted requests arrived. A request is admitted when fewer than
//! the limit arrived in the second before it, so exactly `limit` requests pass in ANY one-second window (a burst of
//! `limit` is fine, `limit + 1` is not). Refused requests are not logged: a client that backs off after code 7 gets
//! through as soon as the window has room again.

use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zimbot_model::wire::Action;

/// The window the service counts in.
const WINDOW: Duration = Duration::from_secs(1);

/// The sliding-window limiter of all actions.
#[derive(Debug)]
pub(crate) struct QpsLimiter {
    limits: HashMap<Action, u32>,
    clock: Arc<dyn Clock>,
    arrivals: Mutex<HashMap<Action, VecDeque<Instant>>>,
}

impl QpsLimiter {
    pub(crate) fn new(limits: HashMap<Action, u32>, clock: Arc<dyn Clock>) -> Self {
        Self { limits, clock, arrivals: Mutex::new(HashMap::new()) }
    }

    /// The limit of `action`, if it has one.
    pub(crate) fn limit(&self, action: Action) -> Option<u32> {
        self.limits.get(&action).copied()
    }

    /// Records a request of `action` arriving now; `false` when it is over the limit and must be refused.
    pub(crate) fn admit(&self, action: Action) -> bool {
        let Some(limit) = self.limit(action) else {
            return true;
        };
        let now = self.clock.now();
        let mut arrivals = self.arrivals.lock();
        let log = arrivals.entry(action).or_default();
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

    fn limiter(limit: u32) -> (QpsLimiter, ManualClock) {
        let clock = ManualClock::new();
        let limits = HashMap::from([(Action::SendRoomMessage, limit)]);
        (QpsLimiter::new(limits, Arc::new(clock.clone())), clock)
    }

    #[test]
    fn exactly_the_limit_passes_within_one_window() {
        let (limiter, _clock) = limiter(3);
        assert!((0..3).all(|_| limiter.admit(Action::SendRoomMessage)));
        assert!(!limiter.admit(Action::SendRoomMessage));
    }

    #[test]
    fn the_window_slides_instead_of_resetting() {
        let (limiter, clock) = limiter(2);
        assert!(limiter.admit(Action::SendRoomMessage));
        clock.advance(Duration::from_millis(600));
        assert!(limiter.admit(Action::SendRoomMessage));
        clock.advance(Duration::from_millis(399));
        assert!(!limiter.admit(Action::SendRoomMessage), "the first arrival is still inside the window");
        clock.advance(Duration::from_millis(1));
        assert!(limiter.admit(Action::SendRoomMessage), "the first arrival has left the window");
        assert!(!limiter.admit(Action::SendRoomMessage));
    }

    #[test]
    fn refused_requests_do_not_extend_the_wait() {
        let (limiter, clock) = limiter(1);
        assert!(limiter.admit(Action::SendRoomMessage));
        for _ in 0..5 {
            clock.advance(Duration::from_millis(100));
            assert!(!limiter.admit(Action::SendRoomMessage));
        }
        clock.advance(Duration::from_millis(500));
        assert!(limiter.admit(Action::SendRoomMessage));
    }

    #[test]
    fn actions_without_a_limit_always_pass() {
        let (limiter, _clock) = limiter(1);
        assert!((0..100).all(|_| limiter.admit(Action::UserRegister)));
    }
}
