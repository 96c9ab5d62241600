//! The retry policy: how many attempts, and how long to wait between them.
//!
//! Contract: attempt `n` (1-based) that failed with a retryable error is followed by attempt `n + 1` after
//! [`RetryPolicy::delay`]`(n)`, as long as `n < max_attempts`. The delay doubles from `initial` up to `max`, and
//! each is drawn uniformly from its upper half ("equal jitter"), so many senders failing together do not retry in
//! lockstep yet none retries sooner than half the nominal delay. Which errors are retryable is the error code's
//! business ([`zimbot_model::ZimCode::is_retryable`]), not the policy's.

use rand::Rng as _;
use std::time::Duration;

/// Attempts and backoff delays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts (at least 1), delays from `initial` doubling up to `max`.
    pub fn new(max_attempts: u32, initial: Duration, max: Duration) -> Self {
        Self { max_attempts: max_attempts.max(1), initial, max: max.max(initial) }
    }

    /// Whether another attempt may follow failed attempt number `attempt`.
    pub fn allows_another(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// The nominal (jitter-free) delay after failed attempt number `attempt`.
    pub fn nominal_delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.initial.saturating_mul(1 << doublings).min(self.max)
    }

    /// The delay after failed attempt number `attempt`: between half the nominal delay and the nominal delay.
    pub fn delay(&self, attempt: u32) -> Duration {
        let nominal = self.nominal_delay(attempt);
        let half = nominal / 2;
        let spread = (nominal - half).as_micros() as u64;
        half + Duration::from_micros(rand::rng().random_range(0..=spread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(5, Duration::from_millis(200), Duration::from_secs(1))
    }

    #[test]
    fn nominal_delays_double_up_to_the_maximum() {
        let delays: Vec<_> = (1..=5).map(|attempt| policy().nominal_delay(attempt).as_millis()).collect();
        assert_eq!(delays, vec![200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn jittered_delays_stay_within_the_upper_half() {
        for attempt in 1..=5 {
            let nominal = policy().nominal_delay(attempt);
            for _ in 0..200 {
                let delay = policy().delay(attempt);
                assert!(delay >= nominal / 2 && delay <= nominal, "{delay:?} outside {nominal:?}");
            }
        }
    }

    #[test]
    fn jitter_spreads_delays() {
        let distinct: std::collections::HashSet<_> = (0..50).map(|_| policy().delay(3)).collect();
        assert!(distinct.len() > 1);
    }

    #[test]
    fn the_last_attempt_allows_no_other() {
        assert!(policy().allows_another(4));
        assert!(!policy().allows_another(5));
        assert!(!RetryPolicy::new(0, Duration::ZERO, Duration::ZERO).allows_another(1));
    }
}
