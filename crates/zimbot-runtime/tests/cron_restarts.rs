//! Cron across restarts, on a virtual clock and a real database file: each tick is journaled with its
//! schedule's last fire, so a runtime restarted on the same file resumes every schedule after its last fire —
//! `fire_once` catches up exactly one missed tick, `skip` none — and a tick whose hook had not finished is
//! delivered again.

mod support;

use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;
use support::db::Db;
use support::{start_journaled_on, Reports};
use zimbot_abi::CronTick;
use zimbot_runtime::clock::ManualClock;
use zimbot_store::{CronBook, Inbox as _, Leases, Owner, TickRecord};

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
    let (key, mut reports) = Reports::new();
    let clock = Arc::new(ManualClock::new(at(11, 0) + chrono::TimeDelta::seconds(5)));
    let runtime = start_journaled_on(&hourly_bot(&key, "skip"), db.storage(), clock.clone());
    assert_eq!(reports.until("cron hourly").await, ["created seen=0", "start", "cron hourly"]);
    clock.wait_for_sleepers(2).await;
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(reports.drain(), ["stop"], "the interrupted tick once, and no new tick before 12:00");
}
