//! The send limiter: at most N sends start in any window, counted with a sliding log of start times.
//!
//! Contract:
//! - [`WindowLimiter::acquire`] returns at most `limit` times in any half-open interval of length `window`
//!   (`[t, t + window)`), for every `t`. This holds for bursts too: after an idle spell `limit` sends may start at
//!   once, and the next one waits until the oldest of them is a full window old. A token bucket refilled at
//!   `limit / window` would let `2 * limit - 1` through in one window; a log of the last `limit` start times cannot.
//! - Starts are granted in call order when several callers wait (`acquire` takes `&mut self`, so the owner
//!   decides the order).
//! - [`WindowLimiter::pause_for`] holds every start until the pause is over (used when the service answers with a
//!   rate-limit code); pauses only ever extend.
//! - A *paced* limiter ([`WindowLimiter::paced`]) lets a burst after an idle spell start at once only up to half
//!   the limit; while the counted window holds half the limit or more, starts are spaced one *slot*
//!   (`counted window / limit`) apart, on a grid that timer lateness does not shift. A backlog then starts one send
//!   a slot instead of `limit` sends at once per window: the same rate (each start is one window after the start
//!   `limit` places back), but a slot opens every `window / limit`, so a send made at any moment (a bot under its
//!   fair share, which the fair queue serves first) waits at most one slot, not one window.
//! - Time is tokio's clock, so tests run it on virtual time (`start_paused`).
//!
//! Starts are counted over the service's window plus a safety margin ([`WindowLimiter::set_margin`], see
//! `safety_margin`): starts spaced that way still look spaced by more than the service's window after network
//! jitter smaller than the margin. The margin may change at any time; it applies to the starts already logged.
//!
//! A limiter that *counts answers* ([`WindowLimiter::counting_answers`]) also takes each start's answer
//! ([`WindowLimiter::record_answer`]): a request reaches the service before its answer comes back, so a start
//! counts until the earlier of its answer and its start plus the margin. Over a fast path (loopback, a close
//! region) the answer comes long before the margin runs out, and the window reopens one round trip after a
//! window, rather than one margin after it. The rule that keeps every service window within the limit: a send may
//! start once the `limit`-th latest of the logged starts' counted-until instants is a window old (see
//! [`WindowLimiter::next_start`]); a later send arrives after its own start, so no `limit + 1` arrivals fit in one
//! window.

use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// One logged start, and its answer once it came.
#[derive(Debug, Clone, Copy)]
struct Logged {
    started: Instant,
    answered: Option<Instant>,
}

/// A sliding-log limiter of send starts.
#[derive(Debug)]
pub struct WindowLimiter {
    limit: usize,
    window: Duration,
    margin: Duration,
    paced: bool,
    /// Whether a start counts only until its answer, when that comes before the margin runs out.
    answers: bool,
    /// The next slot of the pacing grid.
    next_slot: Option<Instant>,
    /// The starts that may still hold a window closed (at least the last `limit`), in start order.
    starts: VecDeque<Logged>,
    paused_until: Option<Instant>,
    /// Starts that would have broken the contract (an internal check; stays 0).
    violations: u64,
}

impl WindowLimiter {
    /// A limiter allowing `limit` starts per `window`, with no margin. A `limit` of 0 is treated as 1 so the client
    /// never stalls.
    pub fn new(limit: u32, window: Duration) -> Self {
        let limit = (limit.max(1)) as usize;
        Self {
            limit,
            window,
            margin: Duration::ZERO,
            paced: false,
            answers: false,
            next_slot: None,
            starts: VecDeque::with_capacity(limit + 1),
            paused_until: None,
            violations: 0,
        }
    }

    /// Like [`Self::new`], paced: past half the limit in a window, one start a slot (see the module documentation).
    pub fn paced(limit: u32, window: Duration) -> Self {
        Self { paced: true, ..Self::new(limit, window) }
    }

    /// This limiter, counting each start only until its answer when that comes first (see the module
    /// documentation); the caller reports answers with [`Self::record_answer`].
    pub fn counting_answers(self) -> Self {
        Self { answers: true, ..self }
    }

    /// The pacing slot: the counted window divided by the limit. Counting answers, the service's window divided
    /// by the limit: the window rule, not the grid, then spaces the starts by the round trips.
    pub fn slot(&self) -> Duration {
        if self.answers {
            self.window / self.limit as u32
        } else {
            self.window() / self.limit as u32
        }
    }

    /// Until when a logged start counts: its start plus the margin, or its answer when that came sooner.
    fn counted_until(&self, logged: &Logged) -> Instant {
        let by_margin = logged.started + self.margin;
        match (self.answers, logged.answered) {
            (true, Some(answered)) => answered.min(by_margin),
            _ => by_margin,
        }
    }

    /// The `k`-th latest counted-until instant of the log (`k` ≥ 1), if it holds `k` starts.
    fn kth_latest(&self, k: usize) -> Option<Instant> {
        if self.starts.len() < k {
            return None;
        }
        let mut until: Vec<Instant> = self.starts.iter().map(|logged| self.counted_until(logged)).collect();
        let index = until.len() - k;
        Some(*until.select_nth_unstable(index).1)
    }

    /// The instant from which the window holds less than half the limit again (a burst may start), if it is
    /// half full now.
    fn half_empties(&self) -> Option<Instant> {
        let half = (self.limit / 2).max(1);
        self.kth_latest(half).map(|until| until + self.window)
    }

    /// Counts starts over the window plus `margin` from now on.
    pub fn set_margin(&mut self, margin: Duration) {
        self.margin = margin;
    }

    /// The counted window: the service's window plus the margin.
    pub fn window(&self) -> Duration {
        self.window + self.margin
    }

    /// The earliest instant at or after `now` when a start is allowed.
    pub fn next_start(&self, now: Instant) -> Instant {
        let mut earliest = now;
        if let Some(until) = self.kth_latest(self.limit) {
            // The start `limit` places back must leave the window before another may begin.
            earliest = earliest.max(until + self.window);
        }
        if let (true, Some(next_slot), Some(half_empties)) = (self.paced, self.next_slot, self.half_empties()) {
            // Paced until the next slot, or until enough starts left the window for a new burst.
            earliest = earliest.max(next_slot.min(half_empties));
        }
        if let Some(paused_until) = self.paused_until {
            earliest = earliest.max(paused_until);
        }
        earliest
    }

    /// Records a start at `now`. The caller must have waited for [`Self::next_start`]; a start that breaks the
    /// contract is still recorded, and counted in [`Self::violations`].
    pub fn record_start(&mut self, now: Instant) {
        if self.next_start(now) > now {
            self.violations += 1;
        }
        if self.paced {
            let slot = self.slot();
            let on_grid = self.half_empties().is_some_and(|half_empties| half_empties > now);
            self.next_slot = Some(match self.next_slot {
                // A paced start a little late (a timer tick) keeps the grid, so lateness does not add up.
                Some(next_slot) if on_grid && next_slot + slot / 4 >= now => next_slot + slot,
                _ => now + slot,
            });
        }
        self.starts.push_back(Logged { started: now, answered: None });
        // The oldest start stops mattering once `limit` later ones are logged and its count is over. (Counting
        // answers, a later start can stop counting before an earlier one, so the log may hold more than `limit`.)
        while self.starts.len() > self.limit
            && self.starts.front().is_some_and(|oldest| self.counted_until(oldest) + self.window <= now)
        {
            self.starts.pop_front();
        }
        if !self.answers {
            while self.starts.len() > self.limit {
                self.starts.pop_front();
            }
        }
    }

    /// The answer to the start logged at `started` came at `answered` (any outcome: the request went out). Only
    /// a limiter [`Self::counting_answers`] uses it; an answer to a start no longer logged changes nothing.
    pub fn record_answer(&mut self, started: Instant, answered: Instant) {
        if !self.answers {
            return;
        }
        // Starts logged at the same instant are alike: whichever of them is marked, the log says the same.
        if let Some(logged) =
            self.starts.iter_mut().find(|logged| logged.started == started && logged.answered.is_none())
        {
            logged.answered = Some(answered.max(started));
        }
    }

    #[cfg(test)]
    /// Waits until a start is allowed, records it, and returns how long it waited.
    pub async fn acquire(&mut self) -> Duration {
        let asked = Instant::now();
        loop {
            let at = self.next_start(Instant::now());
            if at <= Instant::now() {
                break;
            }
            tokio::time::sleep_until(at).await;
        }
        let now = Instant::now();
        self.record_start(now);
        now - asked
    }

    /// Holds every start until `duration` from `now` has passed (a pause already longer is kept).
    pub fn pause_for(&mut self, now: Instant, duration: Duration) {
        let until = now + duration;
        self.paused_until = Some(self.paused_until.map_or(until, |current| current.max(until)));
    }

    /// Starts recorded although they broke the contract; 0 unless the caller skipped [`Self::next_start`].
    pub fn violations(&self) -> u64 {
        self.violations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest number of `starts` inside any half-open window of length `window`.
    fn busiest_window(starts: &[Instant], window: Duration) -> usize {
        starts
            .iter()
            .map(|&from| starts.iter().filter(|&&at| at >= from && at < from + window).count())
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_limit_starts_goes_at_once() {
        let mut limiter = WindowLimiter::new(10, Duration::from_secs(1));
        let begin = Instant::now();
        for _ in 0..10 {
            limiter.acquire().await;
        }
        assert_eq!(Instant::now(), begin);
    }

    #[tokio::test(start_paused = true)]
    async fn the_start_after_a_burst_waits_a_full_window() {
        let mut limiter = WindowLimiter::new(10, Duration::from_secs(1));
        let begin = Instant::now();
        for _ in 0..10 {
            limiter.acquire().await;
        }
        let waited = limiter.acquire().await;
        assert_eq!(waited, Duration::from_secs(1));
        assert_eq!(Instant::now() - begin, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_ever_holds_more_than_the_limit() {
        let mut limiter = WindowLimiter::new(10, Duration::from_millis(1020));
        let mut starts = Vec::new();
        // Irregular demand: bursts, gaps shorter and longer than the window.
        for round in 0..40u64 {
            let burst = 1 + (round * 7) % 13;
            for _ in 0..burst {
                limiter.acquire().await;
                starts.push(Instant::now());
            }
            tokio::time::advance(Duration::from_millis((round * 137) % 900)).await;
        }
        assert_eq!(busiest_window(&starts, Duration::from_millis(1020)), 10);
        assert_eq!(limiter.violations(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn steady_demand_reaches_the_limit_rate() {
        let mut limiter = WindowLimiter::new(10, Duration::from_secs(1));
        let begin = Instant::now();
        for _ in 0..100 {
            limiter.acquire().await;
        }
        // 100 starts: ten bursts of ten, one window apart; the last burst begins at 9 s.
        assert_eq!(Instant::now() - begin, Duration::from_secs(9));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_the_next_start() {
        let mut limiter = WindowLimiter::new(10, Duration::from_secs(1));
        limiter.acquire().await;
        limiter.pause_for(Instant::now(), Duration::from_millis(700));
        assert_eq!(limiter.acquire().await, Duration::from_millis(700));
    }

    #[tokio::test(start_paused = true)]
    async fn a_shorter_pause_does_not_shorten_a_longer_one() {
        let mut limiter = WindowLimiter::new(10, Duration::from_secs(1));
        let now = Instant::now();
        limiter.pause_for(now, Duration::from_millis(900));
        limiter.pause_for(now, Duration::from_millis(100));
        assert_eq!(limiter.next_start(now), now + Duration::from_millis(900));
    }

    #[tokio::test(start_paused = true)]
    async fn the_margin_lengthens_the_counted_window() {
        let mut limiter = WindowLimiter::new(2, Duration::from_secs(1));
        limiter.set_margin(Duration::from_millis(30));
        limiter.acquire().await;
        limiter.acquire().await;
        assert_eq!(limiter.acquire().await, Duration::from_millis(1030));
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_limiter_lets_half_the_limit_go_at_once_then_one_a_slot() {
        let mut limiter = WindowLimiter::paced(10, Duration::from_secs(1));
        let begin = Instant::now();
        let mut offsets = Vec::new();
        for _ in 0..8 {
            limiter.acquire().await;
            offsets.push((Instant::now() - begin).as_millis());
        }
        assert_eq!(offsets, vec![0, 0, 0, 0, 0, 100, 200, 300]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_backlog_starts_one_a_slot_at_the_full_rate() {
        let mut limiter = WindowLimiter::paced(10, Duration::from_secs(1));
        limiter.set_margin(Duration::from_millis(5));
        let begin = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..100 {
            limiter.acquire().await;
            starts.push(Instant::now());
        }
        // After the first window, the starts follow a grid of one slot (100.5 ms): 10 per counted window. Timers
        // fire on whole milliseconds, so a start may be up to 1 ms behind its slot, but the lateness never adds up.
        for (index, start) in starts.iter().enumerate().skip(10) {
            let slot = begin + Duration::from_millis(1005) + Duration::from_micros(100_500) * (index as u32 - 10);
            assert!(*start >= slot && *start - slot < Duration::from_millis(1), "start {index}: {:?}", *start - slot);
        }
        assert_eq!(limiter.violations(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_paced_limiter_bursts_again_after_an_idle_spell() {
        let mut limiter = WindowLimiter::paced(10, Duration::from_secs(1));
        for _ in 0..30 {
            limiter.acquire().await;
        }
        tokio::time::advance(Duration::from_secs(5)).await;
        let begin = Instant::now();
        for _ in 0..5 {
            assert_eq!(limiter.acquire().await, Duration::ZERO);
        }
        assert_eq!(Instant::now(), begin);
    }

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    #[test]
    fn counting_answers_a_start_counts_until_its_answer() {
        let mut limiter = WindowLimiter::new(2, Duration::from_secs(1)).counting_answers();
        limiter.set_margin(ms(50));
        let begin = Instant::now();
        limiter.record_start(begin);
        limiter.record_start(begin);
        assert_eq!(limiter.next_start(begin), begin + ms(1050), "unanswered, they count by the margin");
        limiter.record_answer(begin, begin + ms(3));
        // The third start may follow the answered one by a window: it arrives after it starts, so no window of
        // the service holds all three.
        assert_eq!(limiter.next_start(begin), begin + ms(1003));
    }

    #[test]
    fn an_answer_after_the_margin_leaves_the_margin_in_force() {
        let mut limiter = WindowLimiter::new(1, Duration::from_secs(1)).counting_answers();
        limiter.set_margin(ms(50));
        let begin = Instant::now();
        limiter.record_start(begin);
        limiter.record_answer(begin, begin + ms(80));
        assert_eq!(limiter.next_start(begin), begin + ms(1050));
    }

    #[test]
    fn a_limiter_not_counting_answers_ignores_them() {
        let mut limiter = WindowLimiter::new(1, Duration::from_secs(1));
        limiter.set_margin(ms(50));
        let begin = Instant::now();
        limiter.record_start(begin);
        limiter.record_answer(begin, begin + ms(2));
        assert_eq!(limiter.next_start(begin), begin + ms(1050));
    }

    #[test]
    fn answers_out_of_order_hold_the_window_by_the_latest_counted_starts() {
        // Limit 2: the window reopens once the second-latest counted-until instant is a window old. The later
        // start was answered first, so it is the earlier start's answer that holds the window.
        let mut limiter = WindowLimiter::new(2, Duration::from_secs(1)).counting_answers();
        limiter.set_margin(ms(100));
        let begin = Instant::now();
        limiter.record_start(begin);
        limiter.record_start(begin + ms(10));
        limiter.record_answer(begin + ms(10), begin + ms(12));
        limiter.record_answer(begin, begin + ms(40));
        assert_eq!(limiter.next_start(begin + ms(10)), begin + ms(1012));
        limiter.record_start(begin + ms(1012));
        limiter.record_answer(begin + ms(1012), begin + ms(1013));
        assert_eq!(limiter.next_start(begin + ms(1012)), begin + ms(1040), "the earlier start's answer");
    }

    #[tokio::test(start_paused = true)]
    async fn counting_instant_answers_a_paced_backlog_reaches_the_full_limit() {
        let mut limiter = WindowLimiter::paced(10, Duration::from_secs(1)).counting_answers();
        limiter.set_margin(ms(50));
        let begin = Instant::now();
        for _ in 0..100 {
            limiter.acquire().await;
            let now = Instant::now();
            limiter.record_answer(now, now);
        }
        // Ten in the first window, then one a slot of 100 ms: the 100th at 1 s + 89 slots.
        assert_eq!(Instant::now() - begin, ms(1000) + ms(100) * 89);
        assert_eq!(limiter.violations(), 0);
    }

    #[test]
    fn a_start_that_skips_the_wait_is_counted_as_a_violation() {
        let mut limiter = WindowLimiter::new(2, Duration::from_secs(1));
        let now = Instant::now();
        for _ in 0..3 {
            limiter.record_start(now);
        }
        assert_eq!(limiter.violations(), 1);
    }
}
