//! `Scheduler::run_batches`: the ticks due at one wake-up go out together, in order, at most `MAX_BATCH` at a
//! time, the last of an instant marked; with a lead, an instant's ticks go out that much before it. On a manual
//! clock, waiting for the scheduler to sleep rather than for time to pass.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use zimbot_model::BotId;

use super::instant;
use crate::clock::ManualClock;
use crate::schedule::scheduler::{MAX_BATCH, MAX_LEAD};
use crate::schedule::{CronSpec, Job, Scheduler, Tick, TickBatch};

struct Harness {
    clock: Arc<ManualClock>,
    batches: mpsc::Receiver<TickBatch>,
    _stop: oneshot::Sender<()>,
}

impl Harness {
    fn start(at: &str, jobs: Vec<Job>) -> Self {
        Self::start_with_lead(at, jobs, Duration::ZERO)
    }

    fn start_with_lead(at: &str, jobs: Vec<Job>, lead: Duration) -> Self {
        let clock = Arc::new(ManualClock::new(instant(at)));
        let (sink, batches) = mpsc::channel(64);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(Scheduler::new(clock.clone(), jobs).preparing_ahead(lead).run_batches(sink, async move {
            let _ = stopped.await;
        }));
        Self { clock, batches, _stop: stop }
    }

    /// Advances the clock by `by` and returns the ticks of the batches sent until the scheduler sleeps again.
    async fn advance(&mut self, by: Duration) -> Vec<Vec<Tick>> {
        self.advance_batches(by).await.into_iter().map(|batch| batch.ticks).collect()
    }

    /// Advances the clock by `by` and returns the batches sent until the scheduler sleeps again.
    async fn advance_batches(&mut self, by: Duration) -> Vec<TickBatch> {
        self.clock.wait_for_sleepers(1).await;
        self.clock.advance(by);
        // The scheduler wakes (no sleeper), sends, and sleeps again.
        self.clock.wait_for_sleepers_at_most(0).await;
        self.clock.wait_for_sleepers(1).await;
        let mut batches = Vec::new();
        while let Ok(batch) = self.batches.try_recv() {
            batches.push(batch);
        }
        batches
    }
}

fn job(bot: &str, schedule: &str, expression: &str) -> Job {
    Job::new(BotId::from(bot), schedule, CronSpec::parse(expression).expect("valid"))
}

fn names(batch: &[Tick]) -> Vec<String> {
    batch.iter().map(|tick| format!("{}/{}", tick.bot, tick.schedule_id)).collect()
}

#[tokio::test]
async fn ticks_due_at_one_instant_go_out_as_one_batch_in_job_order() {
    let jobs = vec![job("a", "one", "* * * * *"), job("b", "one", "* * * * *"), job("a", "two", "* * * * *")];
    let mut harness = Harness::start("2024-06-01T12:00:30Z", jobs);
    let batches = harness.advance(Duration::from_secs(30)).await;
    assert_eq!(batches.len(), 1);
    assert_eq!(names(&batches[0]), ["a/one", "b/one", "a/two"]);
}

#[tokio::test]
async fn the_ticks_of_a_batch_share_their_fired_at() {
    let jobs = vec![job("a", "minute", "* * * * *"), job("b", "hour", "0 * * * *")];
    let mut harness = Harness::start("2024-06-01T12:59:30Z", jobs);
    let batches = harness.advance(Duration::from_secs(45)).await;
    let fired: Vec<_> = batches.concat().iter().map(|tick| tick.fired_at).collect();
    assert_eq!(fired, [instant("2024-06-01T13:00:15Z"), instant("2024-06-01T13:00:15Z")]);
}

#[tokio::test]
async fn ticks_not_yet_due_wait_for_their_own_batch() {
    let jobs = vec![job("a", "minute", "* * * * *"), job("b", "hour", "0 * * * *")];
    let mut harness = Harness::start("2024-06-01T12:58:30Z", jobs);
    let first = harness.advance(Duration::from_secs(30)).await;
    assert_eq!(first.iter().map(|batch| names(batch)).collect::<Vec<_>>(), [["a/minute"]]);
    let second = harness.advance(Duration::from_secs(60)).await;
    assert_eq!(second.len(), 1);
    assert_eq!(names(&second[0]), ["a/minute", "b/hour"]);
}

#[tokio::test]
async fn a_batch_holds_at_most_max_batch_ticks_and_the_rest_follow_in_order() {
    let jobs: Vec<Job> = (0..MAX_BATCH + 10).map(|index| job("a", &format!("s{index}"), "* * * * *")).collect();
    let mut harness = Harness::start("2024-06-01T12:00:30Z", jobs);
    let batches = harness.advance(Duration::from_secs(30)).await;
    assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [MAX_BATCH, 10]);
    let order: Vec<String> = batches.concat().iter().map(|tick| tick.schedule_id.clone()).collect();
    let expected: Vec<String> = (0..MAX_BATCH + 10).map(|index| format!("s{index}")).collect();
    assert_eq!(order, expected);
}

#[tokio::test]
async fn jobs_of_one_expression_in_different_zones_keep_their_own_fire_times() {
    let mut paris = job("a", "paris", "0 9 * * *");
    paris.timezone = chrono_tz::Europe::Paris;
    let utc = job("b", "utc", "0 9 * * *");
    let mut harness = Harness::start("2024-06-01T06:59:30Z", vec![paris, utc]);
    let paris_nine = harness.advance(Duration::from_secs(30)).await;
    assert_eq!(
        paris_nine.concat().iter().map(|tick| tick.scheduled_at).collect::<Vec<_>>(),
        [instant("2024-06-01T07:00:00Z")]
    );
    let utc_nine = harness.advance(Duration::from_secs(2 * 3600)).await;
    let names: Vec<String> = utc_nine.concat().iter().map(|tick| tick.schedule_id.clone()).collect();
    assert_eq!(names, ["utc"]);
}

#[tokio::test]
async fn only_the_last_batch_of_an_instant_is_marked_last() {
    let jobs: Vec<Job> = (0..MAX_BATCH + 10).map(|index| job("a", &format!("s{index}"), "* * * * *")).collect();
    let mut harness = Harness::start("2024-06-01T12:00:30Z", jobs);
    let batches = harness.advance_batches(Duration::from_secs(30)).await;
    assert_eq!(batches.iter().map(|batch| batch.last).collect::<Vec<_>>(), [false, true]);
}

#[tokio::test]
async fn with_a_lead_an_instants_ticks_go_out_that_much_before_it_marked_with_the_instant() {
    let jobs = vec![job("a", "minute", "* * * * *"), job("b", "minute", "* * * * *")];
    let lead = Duration::from_millis(250);
    let mut harness = Harness::start_with_lead("2024-06-01T12:00:30Z", jobs, lead);
    // A millisecond short of the lead before 12:01, the scheduler still sleeps.
    harness.clock.wait_for_sleepers(1).await;
    harness.clock.advance(Duration::from_millis(29_749));
    assert_eq!(harness.clock.sleepers(), 1);
    assert!(harness.batches.try_recv().is_err());
    let batches = harness.advance_batches(Duration::from_millis(1)).await;
    assert_eq!(batches.len(), 1);
    let batch = &batches[0];
    assert_eq!((batch.release_at, batch.last), (instant("2024-06-01T12:01:00Z"), true));
    assert_eq!(names(&batch.ticks), ["a/minute", "b/minute"]);
    let fired: Vec<_> = batch.ticks.iter().map(|tick| (tick.scheduled_at, tick.fired_at)).collect();
    let minute = instant("2024-06-01T12:01:00Z");
    assert_eq!(fired, [(minute, minute), (minute, minute)]);
    // The next instant is not handed on with it: it goes out its own lead before 12:02.
    let next = harness.advance_batches(Duration::from_secs(60)).await;
    assert_eq!(next.iter().map(|batch| batch.release_at).collect::<Vec<_>>(), [instant("2024-06-01T12:02:00Z")]);
}

#[tokio::test]
async fn with_a_lead_ticks_already_due_go_out_released_at_once() {
    let jobs = vec![job("a", "minute", "* * * * *")];
    let mut harness = Harness::start_with_lead("2024-06-01T12:00:30Z", jobs, Duration::from_millis(250));
    // The clock jumps past 12:01 (a suspend): the tick is late, released on waking.
    let batches = harness.advance_batches(Duration::from_secs(35)).await;
    let now = instant("2024-06-01T12:01:05Z");
    assert_eq!(batches.iter().map(|batch| (batch.release_at, batch.last)).collect::<Vec<_>>(), [(now, true)]);
    assert_eq!(batches[0].ticks[0].fired_at, now);
    assert_eq!(batches[0].ticks[0].scheduled_at, instant("2024-06-01T12:01:00Z"));
}

#[test]
fn a_lead_is_kept_under_a_second_so_instants_never_overlap() {
    let clock = Arc::new(ManualClock::new(instant("2024-06-01T12:00:00Z")));
    let scheduler = Scheduler::new(clock, Vec::new()).preparing_ahead(Duration::from_secs(5));
    assert_eq!(scheduler.lead, MAX_LEAD);
    assert!(MAX_LEAD < Duration::from_secs(1));
}
