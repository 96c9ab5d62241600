//! Wall-clock time behind a trait, so the scheduler (and anything else that waits for a time of day) can be
//! tested on virtual time: [`SystemClock`] in production, [`ManualClock`] in tests.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{oneshot, watch};

/// A source of wall-clock time and a way to wait on it.
///
/// The wall clock may jump in either direction (NTP corrections, a user changing the time, a machine waking
/// from suspend), so [`Clock::sleep`] is only a hint: it may return early or late, and callers re-read
/// [`Clock::now`] afterwards instead of assuming how much time passed.
#[async_trait]
pub trait Clock: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> DateTime<Utc>;

    /// Waits for about `duration`; may return early. Cancel-safe (dropping the future is fine).
    async fn sleep(&self, duration: Duration);
}

/// The real clock: [`Utc::now`] and [`tokio::time::sleep`].
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

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A virtual clock for tests: time moves only when the test calls [`ManualClock::advance`] or
/// [`ManualClock::set`].
///
/// Sleepers wake when the clock reaches their deadline; [`ManualClock::set`] wakes every sleeper, whatever its
/// deadline, so they re-read a clock that may have jumped backwards. [`ManualClock::wait_for_sleepers`] lets a
/// test wait until the code under test is idle (sleeping) instead of guessing at timing.
#[derive(Debug)]
pub struct ManualClock {
    state: Mutex<ManualState>,
    /// The number of sleepers, published so tests can await it.
    sleeper_count: watch::Sender<usize>,
}

#[derive(Debug)]
struct ManualState {
    now: DateTime<Utc>,
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
        Self {
            state: Mutex::new(ManualState { now: start, sleepers: HashMap::new(), next_sleeper: 0 }),
            sleeper_count: watch::Sender::new(0),
        }
    }

    /// Moves the clock forward by `duration` and wakes the sleepers whose deadline has now passed.
    pub fn advance(&self, duration: Duration) {
        let mut state = self.state.lock();
        state.now = add(state.now, duration);
        let now = state.now;
        self.wake(&mut state, |sleeper| sleeper.deadline <= now);
    }

    /// Sets the clock to `time`, forward or backward, and wakes every sleeper so it re-reads the clock.
    pub fn set(&self, time: DateTime<Utc>) {
        let mut state = self.state.lock();
        state.now = time;
        self.wake(&mut state, |_| true);
    }

    /// How many sleeps are waiting right now.
    pub fn sleepers(&self) -> usize {
        self.state.lock().sleepers.len()
    }

    /// Resolves once at least `count` sleeps are waiting: the code under test has done all it can at the
    /// current time and is idle.
    pub async fn wait_for_sleepers(&self, count: usize) {
        let mut receiver = self.sleeper_count.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we borrow it.
        let _ = receiver.wait_for(|sleepers| *sleepers >= count).await;
    }

    /// Resolves once at most `count` sleeps are waiting: the sleeps that were cancelled (their futures dropped,
    /// which may happen after the cancelling call returned) are gone.
    pub async fn wait_for_sleepers_at_most(&self, count: usize) {
        let mut receiver = self.sleeper_count.subscribe();
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
        self.sleeper_count.send_replace(state.sleepers.len());
    }

    fn forget(&self, id: u64) {
        let mut state = self.state.lock();
        if state.sleepers.remove(&id).is_some() {
            self.sleeper_count.send_replace(state.sleepers.len());
        }
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.state.lock().now
    }

    async fn sleep(&self, duration: Duration) {
        let (id, woken) = {
            let mut state = self.state.lock();
            let deadline = add(state.now, duration);
            if deadline <= state.now {
                return;
            }
            let (wake, woken) = oneshot::channel();
            let id = state.next_sleeper;
            state.next_sleeper += 1;
            state.sleepers.insert(id, Sleeper { deadline, wake });
            self.sleeper_count.send_replace(state.sleepers.len());
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
    async fn zero_sleep_returns_at_once() {
        let clock = ManualClock::new(start());
        clock.sleep(Duration::ZERO).await;
        assert_eq!(clock.sleepers(), 0);
    }
}
