//! The safety margin added to every send window: fixed, or adapted to the spread of measured request latencies.
//!
//! Why a margin at all: the limiter stamps a send when it starts it, the service counts it when it arrives. A
//! send that starts at `t` arrives at `t + d`, where `d` (dispatch, connection, network) varies from request to
//! request. Two starts `limit` places apart are at least `window + margin` apart, so their arrivals are at least
//! `window + margin - (d_max - d_min)` apart: the service never counts more than `limit` in its window as long as
//! the margin covers the spread `d_max - d_min`.
//!
//! What is measured: the time from a send's start stamp to its answer. That round trip holds the one-way delay
//! to the service plus the way back, so the spread of round trips bounds the spread of arrivals from above (a
//! slower way back only makes the margin larger). The margin is that spread over the last [`SAMPLES`] answers,
//! plus a quarter for what the samples have not shown yet, kept between a floor and a ceiling. Until
//! [`MIN_SAMPLES`] answers have come back nothing is known, and the margin is the ceiling.
//!
//! Contract:
//! - [`SafetyMargin::Fixed`] is always its own value; samples are ignored.
//! - [`SafetyMargin::Adaptive`] is `clamp(spread + spread / 4, floor, ceiling)` of the last [`SAMPLES`] samples,
//!   or `ceiling` with fewer than [`MIN_SAMPLES`]. One slow answer raises the margin at once; it falls again only
//!   once that answer is [`SAMPLES`] answers old.

use std::collections::VecDeque;
use std::time::Duration;

/// Answers the spread is measured over.
pub const SAMPLES: usize = 128;
/// Answers needed before the spread is trusted.
pub const MIN_SAMPLES: usize = 4;

/// The margin's setting, from `client.safety_margin_ms` (fixed) or the floor and ceiling (adaptive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafetyMargin {
    Fixed(Duration),
    Adaptive { floor: Duration, ceiling: Duration },
}

/// The margin in force, with the latency samples it is measured from.
#[derive(Debug)]
pub struct MeasuredMargin {
    setting: SafetyMargin,
    samples: VecDeque<Duration>,
    current: Duration,
}

impl MeasuredMargin {
    /// A margin following `setting`, with no samples yet.
    pub fn new(setting: SafetyMargin) -> Self {
        let current = match setting {
            SafetyMargin::Fixed(margin) => margin,
            SafetyMargin::Adaptive { ceiling, .. } => ceiling,
        };
        Self { setting, samples: VecDeque::with_capacity(SAMPLES), current }
    }

    /// The margin in force.
    pub fn current(&self) -> Duration {
        self.current
    }

    /// Adds the latency of one answer (from the send's start stamp); returns whether the margin changed.
    pub fn record(&mut self, latency: Duration) -> bool {
        let SafetyMargin::Adaptive { floor, ceiling } = self.setting else {
            return false;
        };
        if self.samples.len() == SAMPLES {
            self.samples.pop_front();
        }
        self.samples.push_back(latency);
        let next = if self.samples.len() < MIN_SAMPLES {
            ceiling
        } else {
            let (min, max) = self
                .samples
                .iter()
                .fold((Duration::MAX, Duration::ZERO), |(min, max), &sample| (min.min(sample), max.max(sample)));
            let spread = max - min;
            (spread + spread / 4).clamp(floor, ceiling.max(floor))
        };
        let changed = next != self.current;
        self.current = next;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOOR: Duration = Duration::from_millis(5);
    const CEILING: Duration = Duration::from_millis(250);

    fn adaptive() -> MeasuredMargin {
        MeasuredMargin::new(SafetyMargin::Adaptive { floor: FLOOR, ceiling: CEILING })
    }

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn an_adaptive_margin_starts_at_the_ceiling() {
        let mut margin = adaptive();
        assert_eq!(margin.current(), CEILING);
        for _ in 0..MIN_SAMPLES - 1 {
            margin.record(ms(1));
        }
        assert_eq!(margin.current(), CEILING, "too few samples to trust");
    }

    #[test]
    fn the_margin_is_the_spread_of_latencies_and_a_quarter() {
        let mut margin = adaptive();
        for latency in [10, 50, 30, 20] {
            margin.record(ms(latency));
        }
        assert_eq!(margin.current(), ms(50));
    }

    #[test]
    fn a_narrow_spread_gives_the_floor() {
        let mut margin = adaptive();
        for latency in [2, 3, 2, 3, 2] {
            margin.record(ms(latency));
        }
        assert_eq!(margin.current(), FLOOR);
    }

    #[test]
    fn a_wide_spread_gives_the_ceiling() {
        let mut margin = adaptive();
        for latency in [1, 2, 3, 900] {
            margin.record(ms(latency));
        }
        assert_eq!(margin.current(), CEILING);
    }

    #[test]
    fn one_slow_answer_raises_the_margin_until_it_is_old() {
        let mut margin = adaptive();
        for _ in 0..MIN_SAMPLES {
            margin.record(ms(1));
        }
        assert!(margin.record(ms(81)));
        assert_eq!(margin.current(), ms(100));
        for _ in 0..SAMPLES - 1 {
            margin.record(ms(1));
        }
        assert_eq!(margin.current(), ms(100), "the slow answer is still among the last samples");
        assert!(margin.record(ms(1)));
        assert_eq!(margin.current(), FLOOR);
    }

    #[test]
    fn a_fixed_margin_ignores_latencies() {
        let mut margin = MeasuredMargin::new(SafetyMargin::Fixed(ms(20)));
        for latency in [1, 500, 3, 7] {
            assert!(!margin.record(ms(latency)));
        }
        assert_eq!(margin.current(), ms(20));
    }
}
