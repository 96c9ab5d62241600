//! Cron ticks due at one instant reach a bot as one batch: one mailbox place for all of them, every hook run in
//! schedule order, each tick counted; with a journal, all journaled together with their schedules' last fires.
//! On a virtual clock, with the probe plugin.

mod support;

use chrono::{TimeZone, Utc};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use support::db::Db;
use support::{catalog, parse, services_with_clock, start_journaled_on, Reports};
use zimbot_model::ConversationType::Room;
use zimbot_runtime::clock::ManualClock;
use zimbot_runtime::internals::BotRunner;
use zimbot_runtime::LoopbackOutbound;
use zimbot_runtime::Runtime;

/// A bot whose mailbox holds one item, listening to `lobby`, with three schedules firing every minute.
fn three_schedules(key: &str) -> String {
    format!(
        "bots:\n  - id: a\n    user_id: \"@RBT#a\"\n    plugin: probe\n    mailbox: 1\n    hook_timeout_secs: 1\n    \
         config: {{ probe: {key} }}\n    listen: {{ rooms: [lobby] }}\n    schedules: [{{ id: s0, cron: \"* * * * *\" }}, \
         {{ id: s1, cron: \"* * * * *\" }}, {{ id: s2, cron: \"* * * * *\" }}]\n"
    )
}

/// Waits (yielding, never sleeping) until the bot has counted `ticks` cron ticks delivered.
async fn until_ticks_delivered(runner: &BotRunner, ticks: u64) {
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        while runner.stats().cron_ticks.load(Ordering::SeqCst) < ticks {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the scheduler did not deliver {ticks} ticks");
}

#[tokio::test]
async fn ticks_due_together_take_one_mailbox_place_and_all_run_in_schedule_order() {
    let (key, mut reports) = Reports::new();
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 30).unwrap()));
    let services = services_with_clock(LoopbackOutbound::new(), clock.clone());
    let runtime = Runtime::start(&parse(&three_schedules(&key)), &catalog(), services);
    reports.until("start").await;
    // The lane is held by a hook sleeping on the virtual clock (until its 1 s timeout), so the ticks wait.
    runtime.deliver(support::text(Room, "lobby", "alice", "block"));
    assert_eq!(reports.next().await, "blocking");
    clock.wait_for_sleepers(2).await;
    clock.advance(Duration::from_secs(30));

    let runner = &runtime.bots()[0];
    until_ticks_delivered(runner, 3).await;
    assert_eq!(runner.mailbox_depth(), 1, "the three ticks wait in one place");
    assert_eq!(reports.until("cron s2").await, ["cron s0", "cron s1", "cron s2"]);
    assert_eq!(runner.stats().mailbox_dropped.load(Ordering::SeqCst), 0, "none dropped from a mailbox of one");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_batch_dropped_from_a_full_mailbox_counts_each_of_its_ticks() {
    let (key, mut reports) = Reports::new();
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 30).unwrap()));
    let services = services_with_clock(LoopbackOutbound::new(), clock.clone());
    let runtime = Runtime::start(&parse(&three_schedules(&key)), &catalog(), services);
    reports.until("start").await;
    runtime.deliver(support::text(Room, "lobby", "alice", "block"));
    assert_eq!(reports.next().await, "blocking");
    clock.wait_for_sleepers(2).await;
    clock.advance(Duration::from_secs(30));
    let runner = &runtime.bots()[0];
    until_ticks_delivered(runner, 3).await;

    // A message arriving at the full mailbox (one place) pushes the waiting batch out.
    runtime.deliver(support::text(Room, "lobby", "alice", "after"));
    assert_eq!(runner.stats().mailbox_dropped.load(Ordering::SeqCst), 3);
    assert_eq!(reports.next().await, "room lobby after");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_failing_journaled_tick_of_a_batch_is_tried_again_alone_and_the_others_complete_once() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let yaml = three_schedules(&key).replace("id: s1,", "id: failing,");
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 30).unwrap()));
    let runtime = start_journaled_on(&yaml, db.storage(), clock.clone());
    reports.until("start").await;
    clock.wait_for_sleepers(2).await;
    clock.advance(Duration::from_secs(30));
    // The batch runs every hook once, in order; then the failed tick alone, until its 3 attempts are spent.
    assert_eq!(
        reports.until("cron s2").await,
        ["cron s0", "cron failing", "cron s2"],
        "the failing tick does not hold back the ones after it"
    );
    assert_eq!(reports.next().await, "cron failing");
    assert_eq!(reports.next().await, "cron failing");
    let runner = &runtime.bots()[0];
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        while runner.stats().dead_letters.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the failing tick did not become a dead letter");
    assert_eq!(runner.stats().hooks_ok.load(Ordering::SeqCst) - 1, 2, "s0 and s2 ran once each (after on_start)");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn journaled_ticks_due_together_all_run_and_each_schedule_keeps_its_last_fire() {
    use zimbot_store::{CronBook, Leases, Owner};

    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 30).unwrap()));
    let runtime = start_journaled_on(&three_schedules(&key), db.storage(), clock.clone());
    reports.until("start").await;
    // The scheduler and the journal's retention sleep on the virtual clock.
    clock.wait_for_sleepers(2).await;
    clock.advance(Duration::from_secs(30));
    assert_eq!(reports.until("cron s2").await, ["cron s0", "cron s1", "cron s2"]);
    runtime.shutdown(Duration::from_secs(5)).await;

    let lease = db.store.acquire("a", &Owner::new("reader")).unwrap();
    let mut fires = db.store.last_fires(&lease).unwrap();
    fires.sort();
    let minute = Utc.with_ymd_and_hms(2026, 3, 2, 12, 1, 0).unwrap().timestamp_millis();
    assert_eq!(fires, [("s0".to_owned(), minute), ("s1".to_owned(), minute), ("s2".to_owned(), minute)]);
}
