//! Membership and presence events are journaled like messages: kept before the webhook answers 200, kept
//! while their hook runs, delivered again after a crash, and a retry of the same event is a duplicate.

mod support;

use std::sync::Arc;
use std::time::Duration;
use support::db::{open, storage};
use support::webhook::{lobby_bot, now, Webhook, SECRET};
use support::{start_journaled, start_journaled_on, Reports};
use zimbot_model::{ConversationId, MembershipEvent, RoomMember, UserId};
use zimbot_runtime::clock::{Clock, ManualClock};
use zimbot_runtime::Refusal;
use zimbot_store::Retention;
use zimbot_wire::callback_signature;

const NOW_MS: i64 = 1_000;
const REMEMBER_UNTIL_MS: i64 = i64::MAX;

fn entered(user: &str) -> MembershipEvent {
    MembershipEvent::RoomEntered(RoomMember {
        room_id: ConversationId::new("lobby"),
        user_id: UserId::new(user),
        at_ms: 7,
    })
}

#[tokio::test]
async fn a_membership_event_is_in_the_journal_while_its_hook_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&lobby_bot(&key), storage(&store));
    reports.until("start").await;
    runtime.accept_membership(entered("blocker"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.next().await, "blocking");
    assert_eq!(store.sizes().unwrap().pending, 1);
    runtime.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_membership_event_whose_hook_ended_leaves_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&lobby_bot(&key), storage(&store));
    reports.until("start").await;
    runtime.accept_membership(entered("alice"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.next().await, "entered lobby alice");
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(store.sizes().unwrap().pending, 0);
}

#[tokio::test]
async fn a_membership_event_whose_hook_was_running_at_a_crash_is_delivered_again_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let (key, mut reports) = Reports::new();
    // The first process never stops: it is taken over by the next, as a process restarted after a crash does.
    let crashed = start_journaled(&lobby_bot(&key), storage(&open(&dir)));
    reports.until("start").await;
    crashed.accept_membership(entered("blocker"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.next().await, "blocking");

    let (key, mut reports) = Reports::new();
    let restarted = start_journaled(&lobby_bot(&key), storage(&open(&dir)));
    assert_eq!(reports.until("blocking").await, ["created seen=0", "start", "blocking"]);
    restarted.shutdown(Duration::from_millis(100)).await;
    crashed.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_repeat_of_a_journaled_membership_event_is_a_duplicate_and_reaches_no_hook() {
    let dir = tempfile::tempdir().unwrap();
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&lobby_bot(&key), storage(&open(&dir)));
    reports.until("start").await;
    runtime.accept_membership(entered("alice"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    let again = runtime.accept_membership(entered("alice"), NOW_MS, REMEMBER_UNTIL_MS).await;
    assert!(matches!(again, Err(Refusal::Duplicate)), "{again:?}");
    runtime.accept_membership(entered("bob"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.until("entered lobby bob").await, ["entered lobby alice", "entered lobby bob"]);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_room_enter_callback_arriving_while_the_database_is_read_only_is_answered_503_and_taken_on_its_retry() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (key, mut reports) = Reports::new();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(chrono::DateTime::from_timestamp(now(), 0).unwrap()));
    let runtime = start_journaled_on(&lobby_bot(&key), storage(&store), clock);
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let signed = |nonce: &str| {
        let timestamp = now();
        serde_json::json!({
            "appid": "1", "event": "room_enter", "nonce": nonce, "timestamp": timestamp,
            "signature": callback_signature(SECRET, &timestamp.to_string(), nonce),
            "room_id": "lobby", "operator_account": "alice",
        })
        .to_string()
    };
    // SQLite's own read-only refusal (query_only): file permissions would not stop a test running as root.
    store.refuse_writes(true).unwrap();
    assert_eq!(hook.post(signed("n1")).await, 503);
    store.refuse_writes(false).unwrap();
    assert_eq!(hook.post(signed("n2")).await, 200, "the retry comes with a fresh signature");
    assert!(reports.next().await.starts_with("entered lobby alice"));
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}
