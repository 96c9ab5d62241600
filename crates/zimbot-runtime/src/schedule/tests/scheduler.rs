//! The scheduler task on a manual clock: ordering, lateness and misfires, clock jumps, shutdown, scale.
//!
//! Each test waits for the scheduler to be asleep ([`ManualClock::wait_for_sleepers`]) before looking at
//! what it sent, so nothing depends on real timing.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use zimbot_model::BotId;

use super::instant;
use crate::clock::{Clock, ManualClock};
use crate::schedule::{CronSpec, Job, Misfire, Scheduler, Tick};

/// A running scheduler on a manual clock.
struct Harness {
    clock: Arc<ManualClock>,
    ticks: mpsc::Receiver<Tick>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Harness {
    fn start(at: &str, jobs: Vec<Job>, capacity: usize) -> Self {
        let clock = Arc::new(ManualClock::new(instant(at)));
        let (sink, ticks) = mpsc::channel(capacity);
        let (stop, stopped) = oneshot::channel::<()>();
        let scheduler = Scheduler::new(clock.clone(), jobs);
        let task = tokio::spawn(scheduler.run(sink, async move {
            let _ = stopped.await;
        }));
        Self { clock, ticks, stop: Some(stop), task }
    }

    /// Waits until the scheduler has sent everything due and sleeps again.
    async fn settle(&self) {
        self.clock.wait_for_sleepers(1).await;
    }

    /// The ticks sent so far, once the scheduler has settled.
    async fn sent(&mut self) -> Vec<Tick> {
        self.settle().await;
        let mut ticks = Vec::new();
        while let Ok(tick) = self.ticks.try_recv() {
            ticks.push(tick);
        }
        ticks
    }

    /// Moves the clock forward in `step`s until `until`, letting the scheduler settle after each step, and
    /// returns the ticks sent on the way.
    async fn walk(&mut self, until: &str, step: Duration) -> Vec<Tick> {
        let until = instant(until);
        let mut ticks = self.sent().await;
        while self.clock.now() < until {
            self.clock.advance(step);
            ticks.extend(self.sent().await);
        }
        ticks
    }

    /// Jumps the clock to `to` (forward or back) in one step and returns the ticks that sends.
    async fn jump(&mut self, to: &str) -> Vec<Tick> {
        self.settle().await;
        self.clock.set(instant(to));
        self.sent().await
    }
}

fn job(bot: &str, expression: &str) -> Job {
    Job::new(BotId::from(bot), format!("{bot}-schedule"), CronSpec::parse(expression).expect("valid"))
}

fn with_misfire(mut job: Job, misfire: Misfire) -> Job {
    job.misfire = misfire;
    job
}

/// `(bot, scheduled_at)` of each tick, for comparing sequences.
fn scheduled(ticks: &[Tick]) -> Vec<(String, DateTime<Utc>)> {
    ticks.iter().map(|tick| (tick.bot.to_string(), tick.scheduled_at)).collect()
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn ticks_of_several_jobs_go_out_in_time_order_and_ties_in_job_order() {
    let mut harness = Harness::start(
        "2024-06-01T12:00:30Z",
        vec![job("every-two", "*/2 * * * *"), job("every-three", "*/3 * * * *")],
        64,
    );
    let ticks = harness.walk("2024-06-01T12:06:30Z", SECOND).await;
    assert_eq!(
        scheduled(&ticks),
        [
            ("every-two".to_owned(), instant("2024-06-01T12:02:00Z")),
            ("every-three".to_owned(), instant("2024-06-01T12:03:00Z")),
            ("every-two".to_owned(), instant("2024-06-01T12:04:00Z")),
            ("every-two".to_owned(), instant("2024-06-01T12:06:00Z")),
            ("every-three".to_owned(), instant("2024-06-01T12:06:00Z")),
        ]
    );
}

#[tokio::test]
async fn time_spent_sending_a_batch_does_not_delay_the_next_tick() {
    // Two every-second jobs and room for one tick: the clock moves on while the scheduler waits on the sink.
    let jobs = vec![job("a", "* * * * * *"), job("b", "* * * * * *")];
    let mut harness = Harness::start("2024-06-01T12:00:00Z", jobs, 1);
    harness.settle().await;
    harness.clock.advance(Duration::from_secs(1));
    let first = harness.ticks.recv().await.expect("tick a");
    harness.clock.advance(Duration::from_millis(400));
    let second = harness.ticks.recv().await.expect("tick b");
    assert_eq!((first.fired_at, second.fired_at), (instant("2024-06-01T12:00:01Z"), instant("2024-06-01T12:00:01Z")));
    harness.settle().await;
    harness.clock.advance(Duration::from_millis(600));
    for job in ["a", "b"] {
        // Received one by one: the sink holds one tick. A scheduler still asleep until 12:00:02.4 sends nothing.
        let tick = tokio::time::timeout(Duration::from_secs(5), harness.ticks.recv())
            .await
            .unwrap_or_else(|_| panic!("tick {job} did not fire at 12:00:02"))
            .expect("the scheduler runs");
        assert_eq!(tick.fired_at, instant("2024-06-01T12:00:02Z"));
    }
}

#[tokio::test]
async fn on_time_ticks_fire_at_their_scheduled_instant() {
    let mut harness = Harness::start("2024-06-01T12:00:30Z", vec![job("bot", "*/2 * * * *")], 64);
    let ticks = harness.walk("2024-06-01T12:04:30Z", SECOND).await;
    assert_eq!(ticks.len(), 2);
    assert!(ticks.iter().all(|tick| tick.fired_at == tick.scheduled_at), "{ticks:?}");
}

#[tokio::test]
async fn first_tick_is_the_first_fire_time_after_start() {
    // Starting exactly on a fire time does not fire it: only times strictly after the start count.
    let mut harness = Harness::start("2024-06-01T12:00:00Z", vec![job("bot", "* * * * *")], 64);
    let ticks = harness.walk("2024-06-01T12:01:00Z", SECOND).await;
    assert_eq!(scheduled(&ticks), [("bot".to_owned(), instant("2024-06-01T12:01:00Z"))]);
}

#[tokio::test]
async fn scheduler_never_sleeps_longer_than_thirty_seconds() {
    // The only fire time is hours away, yet the scheduler wakes after 30 s to re-read the wall clock.
    let harness = Harness::start("2024-06-01T12:00:00Z", vec![job("bot", "@daily")], 64);
    harness.settle().await;
    harness.clock.advance(Duration::from_secs(29));
    assert_eq!(harness.clock.sleepers(), 1, "still asleep after 29 s");
    harness.clock.advance(SECOND);
    assert_eq!(harness.clock.sleepers(), 0, "woken at 30 s");
    harness.settle().await;
}

#[tokio::test]
async fn tick_late_within_the_grace_simply_fires() {
    let mut harness = Harness::start("2024-06-01T08:59:00Z", vec![job("bot", "0 9 * * *")], 64);
    let ticks = harness.jump("2024-06-01T09:00:45Z").await;
    assert_eq!(ticks.len(), 1);
    assert_eq!(ticks[0].scheduled_at, instant("2024-06-01T09:00:00Z"));
    assert_eq!(ticks[0].fired_at, instant("2024-06-01T09:00:45Z"));
}

#[tokio::test]
async fn fire_once_sends_one_catch_up_tick_for_several_missed_times() {
    let mut harness =
        Harness::start("2024-06-01T08:30:00Z", vec![with_misfire(job("bot", "0 * * * *"), Misfire::FireOnce)], 64);
    // 09:00, 10:00, 11:00 and 12:00 are all missed by more than the 60 s grace.
    let ticks = harness.jump("2024-06-01T12:30:00Z").await;
    assert_eq!(scheduled(&ticks), [("bot".to_owned(), instant("2024-06-01T09:00:00Z"))]);
    assert_eq!(ticks[0].fired_at, instant("2024-06-01T12:30:00Z"));
}

#[tokio::test]
async fn fire_once_then_continues_from_now() {
    let mut harness =
        Harness::start("2024-06-01T08:30:00Z", vec![with_misfire(job("bot", "0 * * * *"), Misfire::FireOnce)], 64);
    harness.jump("2024-06-01T12:30:00Z").await;
    let ticks = harness.walk("2024-06-01T13:00:00Z", Duration::from_secs(30)).await;
    assert_eq!(scheduled(&ticks), [("bot".to_owned(), instant("2024-06-01T13:00:00Z"))]);
}

#[tokio::test]
async fn skip_drops_missed_times_and_continues_from_now() {
    let mut harness =
        Harness::start("2024-06-01T08:30:00Z", vec![with_misfire(job("bot", "0 * * * *"), Misfire::Skip)], 64);
    assert_eq!(harness.jump("2024-06-01T12:30:00Z").await, []);
    let ticks = harness.walk("2024-06-01T13:00:00Z", Duration::from_secs(30)).await;
    assert_eq!(scheduled(&ticks), [("bot".to_owned(), instant("2024-06-01T13:00:00Z"))]);
}

#[tokio::test]
async fn skip_still_fires_a_missed_time_that_is_within_the_grace() {
    let mut harness =
        Harness::start("2024-06-01T08:30:00Z", vec![with_misfire(job("bot", "0 * * * *"), Misfire::Skip)], 64);
    // 12:00 is only 30 s late; 09:00-11:00 are dropped.
    let ticks = harness.jump("2024-06-01T12:00:30Z").await;
    assert_eq!(scheduled(&ticks), [("bot".to_owned(), instant("2024-06-01T12:00:00Z"))]);
}

#[tokio::test]
async fn fire_once_catch_up_is_followed_by_a_missed_time_within_the_grace() {
    let mut harness =
        Harness::start("2024-06-01T08:30:00Z", vec![with_misfire(job("bot", "0 * * * *"), Misfire::FireOnce)], 64);
    let ticks = harness.jump("2024-06-01T12:00:30Z").await;
    assert_eq!(
        scheduled(&ticks),
        [("bot".to_owned(), instant("2024-06-01T09:00:00Z")), ("bot".to_owned(), instant("2024-06-01T12:00:00Z"))]
    );
}

#[tokio::test]
async fn longer_grace_lets_a_long_late_tick_fire_normally() {
    let mut late = with_misfire(job("bot", "0 * * * *"), Misfire::Skip);
    late.misfire_grace = Duration::from_secs(2 * 3600);
    let mut harness = Harness::start("2024-06-01T08:30:00Z", vec![late], 64);
    let ticks = harness.jump("2024-06-01T10:30:00Z").await;
    assert_eq!(
        scheduled(&ticks),
        [("bot".to_owned(), instant("2024-06-01T09:00:00Z")), ("bot".to_owned(), instant("2024-06-01T10:00:00Z"))]
    );
}

#[tokio::test]
async fn backward_clock_jump_does_not_fire_a_time_twice() {
    let mut harness = Harness::start("2024-06-01T08:55:00Z", vec![job("bot", "*/10 * * * *")], 64);
    let before_jump = harness.walk("2024-06-01T09:00:00Z", Duration::from_secs(30)).await;
    assert_eq!(scheduled(&before_jump), [("bot".to_owned(), instant("2024-06-01T09:00:00Z"))]);

    assert_eq!(harness.jump("2024-06-01T08:50:00Z").await, []);
    let after_jump = harness.walk("2024-06-01T09:10:00Z", Duration::from_secs(30)).await;
    assert_eq!(scheduled(&after_jump), [("bot".to_owned(), instant("2024-06-01T09:10:00Z"))]);
}

#[tokio::test]
async fn fall_back_repeated_time_fires_once() {
    let mut in_new_york = job("bot", "30 1 * * *");
    in_new_york.timezone = New_York;
    // 04:00 UTC is 00:00 EDT on 3 November 2024; 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST).
    let mut harness = Harness::start("2024-11-03T04:00:00Z", vec![in_new_york], 64);
    let ticks = harness.walk("2024-11-03T08:00:00Z", Duration::from_secs(30)).await;
    assert_eq!(scheduled(&ticks), [("bot".to_owned(), instant("2024-11-03T05:30:00Z"))]);
}

#[tokio::test]
async fn shutdown_ends_run() {
    let mut harness = Harness::start("2024-06-01T12:00:00Z", vec![job("bot", "* * * * *")], 64);
    harness.settle().await;
    if let Some(stop) = harness.stop.take() {
        let _ = stop.send(());
    }
    (&mut harness.task).await.expect("run returns without panicking");
}

#[tokio::test]
async fn closed_tick_channel_ends_run() {
    let harness = Harness::start("2024-06-01T12:00:00Z", vec![job("bot", "* * * * *")], 64);
    harness.settle().await;
    let Harness { clock, ticks, stop: _stop, task } = harness;
    drop(ticks);
    clock.advance(Duration::from_secs(60));
    task.await.expect("run returns without panicking");
}

#[tokio::test]
async fn ten_thousand_jobs_every_second_all_fire_in_job_order() {
    const JOBS: usize = 10_000;
    let jobs = (0..JOBS).map(|index| job(&format!("bot-{index}"), "* * * * * *")).collect();
    let mut harness = Harness::start("2024-06-01T12:00:00Z", jobs, 1024);
    for _ in 0..3 {
        harness.settle().await;
        harness.clock.advance(SECOND);
        let now = harness.clock.now();
        for index in 0..JOBS {
            let tick = harness.ticks.recv().await.expect("the scheduler keeps sending");
            assert_eq!(tick.bot.as_str(), format!("bot-{index}"));
            assert_eq!(tick.scheduled_at, now);
        }
    }
    assert_eq!(harness.sent().await, [], "exactly one tick per job per second");
}
