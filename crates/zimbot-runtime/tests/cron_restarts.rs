//! Cron across restarts, on a virtual clock and a real database file: each tick is journaled with its
//! schedule's last fire, so a runtime restarted on the same file resumes every schedule after its last fire —
//! `fire_once` catches up exactly one missed tick, `skip` none — and a tick whose hook had not finished is
//! delivered again. A tick is journaled a little before its instant (the scheduler hands it on ahead) and reaches
//! its hook only at the instant; one readied when the runtime stops comes at the next start.

mod support;

use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;
use support::db::Db;
use support::{start_journaled_on, Reports};
use zimbot_abi::CronTick;
use zimbot_runtime::clock::ManualClock;
use zimbot_store::{CronBook, DeadLetters as _, EntryState, Inbox as _, Leases, Owner, TickRecord};

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0).unwrap()
}

fn hourly_bot(key: &str, misfire: &str) -> String {
    format!(
        "bots:\n  - id: a\n    user_id: \"@RBT#a\"\n    plugin: probe\n    config: {{ probe: {key} }}\n    \
         schedules: [{{ id: hourly, cron: \"0 * * * *\", misfire: {misfire} }}]\n"
    )
}

/// Runs a first runtime from 10:30 through the 11:00 tick, then stops it.
async fn first_run(db: &Db, yaml: &str, reports: &mut Reports) {
    let clock = Arc::new(ManualClock::new(at(10, 30)));
    let runtime = start_journaled_on(yaml, db.storage(), clock.clone());
    reports.until("start").await;
    clock.wait_for_sleepers(2).await;
    clock.set(at(11, 0));
    assert_eq!(reports.next().await, "cron hourly");
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(reports.drain(), ["stop"]);
}

/// Starts a runtime at 14:30 (12:00, 13:00 and 14:00 were missed), lets the scheduler settle, stops it, and
/// returns what the probe saw.
async fn restart_after_downtime(db: &Db, yaml: &str, reports: &mut Reports) -> Vec<String> {
    let clock = Arc::new(ManualClock::new(at(14, 30)));
    let runtime = start_journaled_on(yaml, db.storage(), clock.clone());
    reports.until("start").await;
    // The scheduler and the journal's cleaner both asleep: every due tick has been handed on.
    clock.wait_for_sleepers(2).await;
    runtime.shutdown(Duration::from_secs(5)).await;
    reports.drain()
}

#[tokio::test]
async fn fire_once_catches_up_exactly_one_missed_tick_after_downtime() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let yaml = hourly_bot(&key, "fire_once");
    first_run(&db, &yaml, &mut reports).await;
    assert_eq!(restart_after_downtime(&db, &yaml, &mut reports).await, ["cron hourly", "stop"]);
}

#[tokio::test]
async fn skip_fires_nothing_for_the_ticks_missed_during_downtime() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let yaml = hourly_bot(&key, "skip");
    first_run(&db, &yaml, &mut reports).await;
    assert_eq!(restart_after_downtime(&db, &yaml, &mut reports).await, ["stop"]);
}

#[tokio::test]
async fn a_tick_whose_hook_was_running_at_a_crash_is_delivered_again_after_restart() {
    let db = Db::new();
    let lease = db.store.acquire("a", &Owner::new("crashed")).unwrap();
    let tick = CronTick {
        schedule_id: "hourly".into(),
        scheduled_at_ms: at(11, 0).timestamp_millis(),
        fired_at_ms: at(11, 0).timestamp_millis(),
    };
    let record = TickRecord {
        schedule_id: tick.schedule_id.clone(),
        scheduled_at_ms: tick.scheduled_at_ms,
        fired_at_ms: tick.fired_at_ms,
        payload: serde_json::to_vec(&tick).unwrap(),
        claimed: false,
    };
    let entry = db.store.record_tick(&lease, &record).unwrap();
    db.store.claim(&lease, entry, 3, 0).unwrap();
    the_journaled_tick_comes_once_at_a_start_after_eleven(&db).await;
}

/// Starts a runtime at 11:00:05 (misfire `skip`) on `db`, which holds the unfinished 11:00 tick: the tick comes
/// once, and no new one before 12:00.
async fn the_journaled_tick_comes_once_at_a_start_after_eleven(db: &Db) {
    let (key, mut reports) = Reports::new();
    let clock = Arc::new(ManualClock::new(at(11, 0) + chrono::TimeDelta::seconds(5)));
    let runtime = start_journaled_on(&hourly_bot(&key, "skip"), db.storage(), clock.clone());
    assert_eq!(reports.until("cron hourly").await, ["created seen=0", "start", "cron hourly"]);
    clock.wait_for_sleepers(2).await;
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(reports.drain(), ["stop"], "the unfinished tick once, and no new tick before 12:00");
}

/// The journaled ticks of bot a not yet finished: (schedule, scheduled at, attempts counted).
fn pending_ticks(db: &Db) -> Vec<(String, i64, u32)> {
    let pending = db.store.list(EntryState::Pending, Some("a")).unwrap();
    pending
        .into_iter()
        .map(|entry| {
            let tick: CronTick = serde_json::from_slice(&entry.payload).unwrap();
            (tick.schedule_id, tick.scheduled_at_ms, entry.attempts)
        })
        .collect()
}

/// Starts a journaled runtime at 10:59 and sets the clock to 100 ms before 11:00, within the scheduler's lead:
/// the 11:00 tick is handed on and journaled, and waits for its instant.
async fn readied_before_eleven(
    db: &Db,
    yaml: &str,
    reports: &mut Reports,
) -> (Arc<ManualClock>, Arc<zimbot_runtime::Runtime>) {
    let clock = Arc::new(ManualClock::new(at(10, 59)));
    let runtime = start_journaled_on(yaml, db.storage(), clock.clone());
    reports.until("start").await;
    clock.wait_for_sleepers(2).await;
    clock.set(at(11, 0) - chrono::TimeDelta::milliseconds(100));
    // The scheduler (until 12:00), the journal's cleaner, and the tick waiting for 11:00.
    tokio::time::timeout(Duration::from_secs(20), clock.wait_for_sleepers(3))
        .await
        .expect("the 11:00 tick was not readied to wait for its instant");
    (clock, runtime)
}

#[tokio::test]
async fn a_tick_is_journaled_before_its_instant_and_its_hook_runs_at_the_instant_not_before() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let (clock, runtime) = readied_before_eleven(&db, &hourly_bot(&key, "skip"), &mut reports).await;
    assert_eq!(pending_ticks(&db), [("hourly".to_owned(), at(11, 0).timestamp_millis(), 1)]);
    assert_eq!(reports.drain(), Vec::<String>::new(), "no hook before 11:00");
    // Setting the clock wakes every sleeper; short of 11:00, the tick goes back to waiting.
    clock.set(at(11, 0) - chrono::TimeDelta::milliseconds(50));
    tokio::time::timeout(Duration::from_secs(20), clock.wait_for_sleepers(3))
        .await
        .expect("the 11:00 tick did not go back to waiting for its instant");
    assert_eq!(reports.drain(), Vec::<String>::new(), "no hook before 11:00, after the clock was set either");
    clock.set(at(11, 0));
    assert_eq!(reports.next().await, "cron hourly");
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(reports.drain(), ["stop"]);
    assert_eq!(pending_ticks(&db), [], "the tick's entry is completed after its hook");
}

#[tokio::test]
async fn a_tick_readied_when_the_runtime_stops_gets_its_attempt_back_and_comes_at_the_next_start() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let yaml = hourly_bot(&key, "skip");
    let (_clock, runtime) = readied_before_eleven(&db, &yaml, &mut reports).await;
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(reports.drain(), ["stop"], "the stop does not wait for 11:00, nor run the tick early");
    assert_eq!(pending_ticks(&db), [("hourly".to_owned(), at(11, 0).timestamp_millis(), 0)]);
    // Started again after 11:00: the journaled tick comes once, as a first delivery (its attempt was given back),
    // and the schedule resumes after it.
    the_journaled_tick_comes_once_at_a_start_after_eleven(&db).await;
}
