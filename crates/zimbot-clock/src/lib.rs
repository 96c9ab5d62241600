//! The one clock of zimbot, read by the runtime, the client and the hub: wall time ([`Clock::now`]) for what
//! happens at a time of day or outlives the process (cron schedules, callback timestamps, the outbox's
//! deadlines), monotonic time ([`Clock::instant`]) for intervals (QPS windows, a room's destroy delay, send
//! pacing), and a way to wait. [`SystemClock`] in production, [`ManualClock`] in tests, which moves both by hand.
//!
//! The monotonic side is tokio's clock ([`tokio::time::Instant`]), so code that reads tokio's time directly
//! (the client's send windows) and code that reads a [`SystemClock`] agree, and tests on tokio's paused time move
//! both. What this crate is not: a timer wheel or a scheduler; it only tells the time and sleeps.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

/// A source of wall-clock and monotonic time and a way to wait on it.
///
/// The wall clock may jump in either direction (NTP corrections, a user changing the time, a machine waking
/// from suspend), so [`Clock::sleep`] is only a hint: it may return early or late, and callers re-read
/// [`Clock::now`] afterwards instead of assuming how much time passed. Intervals are measured with
/// [`Clock::instant`], which never goes back.
#[async_trait]
pub trait Clock: Send + Sync + Debug + 'static {
    /// The current wall-clock time.
    fn now(&self) -> DateTime<Utc>;

    /// The current monotonic instant.
    fn instant(&self) -> Instant;

    /// Waits for about `duration`; may return early. Cancel-safe (dropping the future is fine).
    async fn sleep(&self, duration: Duration);

    /// As [`Clock::sleep`], as close to `duration` as the platform allows: for waits that end at an instant
    /// someone measures (cron ticks released at their second). [`Clock::sleep`] unless a clock does better.
    async fn sleep_precisely(&self, duration: Duration) {
        self.sleep(duration).await;
    }
}

/// How far before its end a precise sleep leaves tokio's timer, whose wheel turns in whole milliseconds and
/// rounds a deadline up (so it wakes up to a millisecond late).
const TIMER_WHEEL_SLACK: Duration = Duration::from_millis(2);

/// The real clock: [`Utc::now`], tokio's [`Instant::now`] and [`tokio::time::sleep`].
///
/// Tokio sleeps on a monotonic clock that may stand still while the machine is suspended, which is why long
/// waits should be cut into short sleeps that each re-read [`Clock::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    /// Tokio's timer up to [`TIMER_WHEEL_SLACK`] before the end, then the operating system's own sleep (late by
    /// tens of microseconds) on the blocking pool, so no worker thread is held.
    async fn sleep_precisely(&self, duration: Duration) {
        let end = Instant::now() + duration;
        if let Some(coarse) = duration.checked_sub(TIMER_WHEEL_SLACK) {
            tokio::time::sleep(coarse).await;
        }
        let rest = end.saturating_duration_since(Instant::now());
        if rest.is_zero() {
            return;
        }
        if tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await.is_err() {
            // No blocking pool to sleep on (a runtime shutting down): tokio's timer will do.
            tokio::time::sleep_until(end).await;
        }
    }
}

/// A virtual clock for tests: time moves only when the test calls [`ManualClock::advance`] (wall and monotonic
/// time together) or [`ManualClock::set`] (the wall clock alone jumps, as when someone sets the time). Clones share
/// one time, so a test keeps a clone to move the clock it handed to the code under test.
///
/// Sleepers wake when the clock reaches their deadline; [`ManualClock::set`] wakes every sleeper, whatever its
/// deadline, so they re-read a clock that may have jumped backwards. [`ManualClock::wait_for_sleepers`] lets a
/// test wait until the code under test is idle (sleeping) instead of guessing at timing.
#[derive(Debug, Clone)]
pub struct ManualClock {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<ManualState>,
    /// The number of sleepers, published so tests can await it.
    sleeper_count: watch::Sender<usize>,
    /// The monotonic instant the clock started at; [`Clock::instant`] is this plus what was advanced.
    started: Instant,
}

#[derive(Debug)]
struct ManualState {
    now: DateTime<Utc>,
    advanced: Duration,
    sleepers: HashMap<u64, Sleeper>,
    next_sleeper: u64,
}

#[derive(Debug)]
struct Sleeper {
    deadline: DateTime<Utc>,
    wake: oneshot::Sender<()>,
}

impl ManualClock {
    /// A clock that reads `start` until moved.
    pub fn new(start: DateTime<Utc>) -> Self {
        let state = ManualState { now: start, advanced: Duration::ZERO, sleepers: HashMap::new(), next_sleeper: 0 };
        Self {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                sleeper_count: watch::Sender::new(0),
                started: Instant::now(),
            }),
        }
    }

    /// Moves the clock (wall and monotonic) forward by `duration` and wakes the sleepers whose deadline has now
    /// passed.
    pub fn advance(&self, duration: Duration) {
        let mut state = self.shared.state.lock();
        state.now = add(state.now, duration);
        state.advanced = state.advanced.saturating_add(duration);
        let now = state.now;
        self.wake(&mut state, |sleeper| sleeper.deadline <= now);
    }

    /// Sets the clock to `time`, forward or backward, and wakes every sleeper so it re-reads the clock.
    pub fn set(&self, time: DateTime<Utc>) {
        let mut state = self.shared.state.lock();
        state.now = time;
        self.wake(&mut state, |_| true);
    }

    /// How many sleeps are waiting right now.
    pub fn sleepers(&self) -> usize {
        self.shared.state.lock().sleepers.len()
    }

    /// Resolves once at least `count` sleeps are waiting: the code under test has done all it can at the
    /// current time and is idle.
    pub async fn wait_for_sleepers(&self, count: usize) {
        let mut receiver = self.shared.sleeper_count.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we borrow it.
        let _ = receiver.wait_for(|sleepers| *sleepers >= count).await;
    }

    /// Resolves once at most `count` sleeps are waiting: the sleeps that were cancelled (their futures dropped,
    /// which may happen after the cancelling call returned) are gone.
    pub async fn wait_for_sleepers_at_most(&self, count: usize) {
        let mut receiver = self.shared.sleeper_count.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we borrow it.
        let _ = receiver.wait_for(|sleepers| *sleepers <= count).await;
    }

    fn wake(&self, state: &mut ManualState, due: impl Fn(&Sleeper) -> bool) {
        let woken: Vec<u64> = state.sleepers.iter().filter(|(_, sleeper)| due(sleeper)).map(|(id, _)| *id).collect();
        for id in woken {
            if let Some(sleeper) = state.sleepers.remove(&id) {
                // The sleeper may already have been dropped; then there is no one to wake.
                let _ = sleeper.wake.send(());
            }
        }
        self.shared.sleeper_count.send_replace(state.sleepers.len());
    }

    fn forget(&self, id: u64) {
        let mut state = self.shared.state.lock();
        if state.sleepers.remove(&id).is_some() {
            self.shared.sleeper_count.send_replace(state.sleepers.len());
        }
    }
}

impl Default for ManualClock {
    /// A clock reading 2024-01-01T00:00:00Z until moved.
    fn default() -> Self {
        Self::new(DateTime::<Utc>::from_timestamp(1_704_067_200, 0).unwrap_or_default())
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.shared.state.lock().now
    }

    fn instant(&self) -> Instant {
        let advanced = self.shared.state.lock().advanced;
        self.shared.started.checked_add(advanced).unwrap_or(self.shared.started)
    }

    async fn sleep(&self, duration: Duration) {
        let (id, woken) = {
            let mut state = self.shared.state.lock();
            let deadline = add(state.now, duration);
            if deadline <= state.now {
                return;
            }
            let (wake, woken) = oneshot::channel();
            let id = state.next_sleeper;
            state.next_sleeper += 1;
            state.sleepers.insert(id, Sleeper { deadline, wake });
            self.shared.sleeper_count.send_replace(state.sleepers.len());
            (id, woken)
        };
        // Deregisters the sleep if this future is dropped before it wakes, so the count stays true.
        let _registration = Registration { clock: self, id };
        let _ = woken.await;
    }
}

/// Removes a sleeper from the clock when its sleep ends or is cancelled.
struct Registration<'clock> {
    clock: &'clock ManualClock,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        self.clock.forget(self.id);
    }
}

/// `time + duration`, saturating at the latest representable time.
fn add(time: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(duration)
        .ok()
        .and_then(|delta| time.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-06-01T12:00:00Z").expect("valid").with_timezone(&Utc)
    }

    #[test]
    fn manual_clock_reads_what_it_was_set_to() {
        let clock = ManualClock::new(start());
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now(), start() + TimeDelta::seconds(90));
        clock.set(start() - TimeDelta::hours(1));
        assert_eq!(clock.now(), start() - TimeDelta::hours(1));
    }

    #[test]
    fn advancing_moves_the_monotonic_time_and_setting_the_wall_clock_does_not() {
        let clock = ManualClock::new(start());
        let before = clock.instant();
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.instant() - before, Duration::from_millis(1500));
        clock.set(start() - TimeDelta::days(1));
        assert_eq!(clock.instant() - before, Duration::from_millis(1500), "a wall clock jump is not an interval");
    }

    #[test]
    fn clones_share_one_time() {
        let clock = ManualClock::default();
        let handed_out: Arc<dyn Clock> = Arc::new(clock.clone());
        clock.advance(Duration::from_secs(5));
        assert_eq!(handed_out.now(), clock.now());
        assert_eq!(handed_out.instant(), clock.instant());
    }

    #[tokio::test]
    async fn a_cancelled_sleep_no_longer_counts_as_a_sleeper() {
        let clock = Arc::new(ManualClock::new(start()));
        let sleeping = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_secs(3600)).await }
        });
        clock.wait_for_sleepers(1).await;
        sleeping.abort();
        clock.wait_for_sleepers_at_most(0).await;
        assert_eq!(clock.sleepers(), 0);
    }

    #[tokio::test]
    async fn sleeper_wakes_when_the_clock_reaches_its_deadline() {
        let clock = Arc::new(ManualClock::new(start()));
        let sleeping = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_secs(10)).await }
        });
        clock.wait_for_sleepers(1).await;
        clock.advance(Duration::from_secs(9));
        assert_eq!(clock.sleepers(), 1, "9 s is short of the 10 s deadline");
        clock.advance(Duration::from_secs(1));
        assert_eq!(clock.sleepers(), 0);
        sleeping.await.expect("the sleep ends");
    }

    #[tokio::test]
    async fn setting_the_clock_wakes_every_sleeper() {
        let clock = Arc::new(ManualClock::new(start()));
        let sleeping = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep(Duration::from_secs(3600)).await }
        });
        clock.wait_for_sleepers(1).await;
        clock.set(start() - TimeDelta::hours(2));
        sleeping.await.expect("the sleep ends although its deadline is far off");
    }

    #[tokio::test]
    async fn cancelled_sleep_is_no_longer_counted() {
        let clock = ManualClock::new(start());
        let sleep = clock.sleep(Duration::from_secs(5));
        tokio::select! {
            biased;
            () = sleep => panic!("a virtual sleep cannot end on its own"),
            () = clock.wait_for_sleepers(1) => {}
        }
        assert_eq!(clock.sleepers(), 0);
    }

    #[tokio::test]
    async fn a_precise_sleep_of_the_system_clock_never_ends_early() {
        // Shorter and longer than the part left to the operating system's sleep.
        for millis in [1, 5] {
            let duration = Duration::from_millis(millis);
            let started = std::time::Instant::now();
            SystemClock.sleep_precisely(duration).await;
            assert!(started.elapsed() >= duration, "{millis} ms: woke after {:?}", started.elapsed());
        }
    }

    #[tokio::test]
    async fn a_precise_sleep_of_the_manual_clock_waits_for_the_clock() {
        let clock = ManualClock::new(start());
        let sleeper = tokio::spawn({
            let clock = clock.clone();
            async move { clock.sleep_precisely(Duration::from_secs(1)).await }
        });
        clock.wait_for_sleepers(1).await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(1));
        sleeper.await.expect("the sleeper ends once the clock reaches its deadline");
    }

    #[tokio::test]
    async fn zero_sleep_returns_at_once() {
        let clock = ManualClock::new(start());
        clock.sleep(Duration::ZERO).await;
        assert_eq!(clock.sleepers(), 0);
    }
}
