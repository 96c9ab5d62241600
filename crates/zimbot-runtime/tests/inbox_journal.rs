//! The inbox journal through a real runtime and a real database file: a message is kept until its hook ends,
//! unfinished ones are delivered again after a restart (marked as redeliveries), attempts are counted before
//! the hook so a crash-looping message ends in the dead letters, and `msg_id` dedupe survives restarts.

mod support;

use std::sync::Arc;
use std::time::Duration;
use support::db::Db;
use support::{start_journaled, text, Reports};
use zimbot_model::ConversationType::Peer;
use zimbot_model::ReceivedMessage;
use zimbot_runtime::Refusal;
use zimbot_store::{Accepted, Arrival, DeadLetters, EntryState, Inbox, Leases, Owner, Retention};

const NOW_MS: i64 = 1_000;
const REMEMBER_UNTIL_MS: i64 = i64::MAX;

/// What the webhook and a crashed process would have left in the journal.
trait Journal {
    fn journal(&self, bot: &str, message: &ReceivedMessage) -> zimbot_store::EntryId;
    fn crash_during_hook(&self, bot: &str, entry: zimbot_store::EntryId, attempts: u32);
    fn pending(&self) -> u64;
}

impl Journal for Db {
    /// Journals `message` for `bot` as the webhook would have before a crash.
    fn journal(&self, bot: &str, message: &ReceivedMessage) -> zimbot_store::EntryId {
        let arrival = Arrival {
            dedupe_key: format!("msg:{}", message.message_id),
            remember_until_ms: REMEMBER_UNTIL_MS,
            arrived_at_ms: 0,
            payload: serde_json::to_vec(message).unwrap(),
            bots: vec![bot.to_owned()],
            claimed: false,
        };
        match &self.store.accept(&[arrival]).unwrap()[0] {
            Accepted::Journaled(entries) => entries[0],
            Accepted::Duplicate => panic!("journaled twice"),
        }
    }

    /// Counts `attempts` attempts on `entry`, as runs that crashed the process would have.
    fn crash_during_hook(&self, bot: &str, entry: zimbot_store::EntryId, attempts: u32) {
        let lease = self.store.acquire(bot, &Owner::new("crashed")).unwrap();
        for _ in 0..attempts {
            self.store.claim(&lease, entry, u32::MAX, 0).unwrap();
        }
    }

    fn pending(&self) -> u64 {
        self.store.sizes().unwrap().pending
    }
}

/// The attempts counted for each of bot a's pending entries, by the words of its message, in arrival order.
fn attempts_of_pending(db: &Db) -> Vec<(String, u32)> {
    let words = |payload: &[u8]| match serde_json::from_slice::<ReceivedMessage>(payload).unwrap().content {
        zimbot_model::MessageContent::Text { text } => text,
        other => panic!("not a text message: {other:?}"),
    };
    let pending = db.store.list(EntryState::Pending, Some("a")).unwrap();
    pending.into_iter().map(|entry| (words(&entry.payload), entry.attempts)).collect()
}

fn one_bot(key: &str, mailbox: usize) -> String {
    format!(
        "bots:\n  - id: a\n    user_id: \"@RBT#a\"\n    plugin: probe\n    hook_timeout_secs: 5\n    mailbox: {mailbox}\n    listen: {{ peers: ['*'] }}\n    \
         config: {{ probe: {key} }}\n"
    )
}

fn to_a(words: &str) -> ReceivedMessage {
    text(Peer, "@RBT#a", "alice", words)
}

#[tokio::test]
async fn a_message_is_in_the_journal_once_accepted_and_while_its_hook_runs() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 16), db.storage());
    reports.until("start").await;
    runtime.accept(to_a("block"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.next().await, "blocking");
    assert_eq!(db.pending(), 1);
    runtime.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_message_whose_hook_ended_leaves_the_journal() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 16), db.storage());
    reports.until("start").await;
    runtime.accept(to_a("hello"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.next().await, "peer @RBT#a hello");
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(db.pending(), 0);
}

#[tokio::test]
async fn a_message_acknowledged_but_not_started_before_a_crash_is_delivered_at_start_as_a_first_delivery() {
    let db = Db::new();
    db.journal("a", &to_a("kept"));
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 16), db.storage());
    assert_eq!(reports.until("peer @RBT#a kept").await, ["created seen=0", "start", "peer @RBT#a kept"]);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_message_whose_hook_was_running_at_a_crash_is_delivered_again_marked_as_a_redelivery() {
    let db = Db::new();
    let entry = db.journal("a", &to_a("interrupted"));
    db.crash_during_hook("a", entry, 1);
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 16), db.storage());
    reports.until("start").await;
    assert_eq!(reports.next().await, "again peer @RBT#a interrupted");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn unfinished_messages_are_delivered_again_in_arrival_order_before_new_ones() {
    let db = Db::new();
    for words in ["one", "two", "three"] {
        db.journal("a", &to_a(words));
    }
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 16), db.storage());
    runtime.accept(to_a("four"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    let seen = reports.until("peer @RBT#a four").await;
    assert_eq!(seen[2..], ["peer @RBT#a one", "peer @RBT#a two", "peer @RBT#a three", "peer @RBT#a four"]);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_message_that_crashed_the_process_max_attempts_times_is_a_dead_letter_and_not_run() {
    let db = Db::new();
    let entry = db.journal("a", &to_a("poison"));
    db.crash_during_hook("a", entry, 3);
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 16), db.storage());
    runtime.accept(to_a("after"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.until("peer @RBT#a after").await, ["created seen=0", "start", "peer @RBT#a after"]);
    runtime.shutdown(Duration::from_secs(5)).await;
    let dead = db.store.list(EntryState::Dead, Some("a")).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
}

#[tokio::test]
async fn a_hook_that_keeps_failing_is_tried_max_attempts_times_then_dead_lettered_and_the_lane_moves_on() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 16), db.storage());
    reports.until("start").await;
    runtime.accept(to_a("fail"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    runtime.accept(to_a("next"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.next().await, "peer @RBT#a next");
    runtime.shutdown(Duration::from_secs(5)).await;
    let stats = runtime.bot(&"a".into()).unwrap().stats();
    assert_eq!(stats.hook_errors.load(std::sync::atomic::Ordering::Relaxed), 3);
    let dead = db.store.list(EntryState::Dead, Some("a")).unwrap();
    assert!(dead[0].reason.as_deref().unwrap().contains("failed 3 time(s)"), "{:?}", dead[0].reason);
}

#[tokio::test]
async fn a_msg_id_already_kept_is_a_duplicate_after_a_restart() {
    let db = Db::new();
    let message = to_a("once");
    let (key, mut reports) = Reports::new();
    let first = start_journaled(&one_bot(&key, 16), db.storage());
    first.accept(message.clone(), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    reports.until("peer @RBT#a once").await;
    first.shutdown(Duration::from_secs(5)).await;
    let second = start_journaled(&one_bot(&key, 16), db.storage());
    assert_eq!(second.accept(message, NOW_MS, REMEMBER_UNTIL_MS).await, Err(Refusal::Duplicate));
    second.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_full_mailbox_refuses_a_message_as_busy_instead_of_dropping_one() {
    let db = Db::new();
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 1), db.storage());
    reports.until("start").await;
    runtime.accept(to_a("block"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.next().await, "blocking");
    runtime.accept(to_a("waits"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    let refused = runtime.accept(to_a("refused"), NOW_MS, REMEMBER_UNTIL_MS).await;
    assert_eq!(refused, Err(Refusal::Busy("a".into())));
    assert_eq!(db.pending(), 2, "the refused message was not kept: the service retries it");
    runtime.shutdown(Duration::from_millis(100)).await;
}

/// A journaled runtime whose bot is in the hook of "block" (which waits), with "waits" in its mailbox behind it.
async fn blocked_with_one_waiting(storage: zimbot_runtime::Storage) -> (Arc<zimbot_runtime::Runtime>, Reports) {
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled(&one_bot(&key, 16), storage);
    reports.until("start").await;
    runtime.accept(to_a("block"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    assert_eq!(reports.next().await, "blocking");
    runtime.accept(to_a("waits"), NOW_MS, REMEMBER_UNTIL_MS).await.unwrap();
    (runtime, reports)
}

#[tokio::test]
async fn a_message_has_its_first_attempt_counted_as_it_is_journaled_so_waiting_ones_show_it_too() {
    let db = Db::new();
    let (runtime, _reports) = blocked_with_one_waiting(db.storage()).await;
    assert_eq!(attempts_of_pending(&db), [("block".to_owned(), 1), ("waits".to_owned(), 1)]);
    runtime.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_message_still_waiting_at_an_orderly_stop_gets_its_attempt_back_and_comes_as_a_first_delivery() {
    let db = Db::new();
    let (first, _reports) = blocked_with_one_waiting(db.storage()).await;
    first.shutdown(Duration::from_millis(100)).await;
    // The hook that had started keeps its attempt: it may have acted.
    assert_eq!(attempts_of_pending(&db), [("block".to_owned(), 1), ("waits".to_owned(), 0)]);
    let blocked = db.store.list(EntryState::Pending, Some("a")).unwrap()[0].id;
    assert!(db.store.purge(blocked).unwrap());
    let (key, mut reports) = Reports::new();
    let second = start_journaled(&one_bot(&key, 16), db.storage());
    assert_eq!(reports.until("peer @RBT#a waits").await, ["created seen=0", "start", "peer @RBT#a waits"]);
    second.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn with_one_attempt_a_message_is_claimed_only_when_its_hook_starts() {
    let db = Db::new();
    let (runtime, _reports) = blocked_with_one_waiting(db.storage_with_attempts(1)).await;
    // A crash now must not make "waits" a dead letter that never ran.
    assert_eq!(attempts_of_pending(&db), [("block".to_owned(), 1), ("waits".to_owned(), 0)]);
    runtime.shutdown(Duration::from_millis(100)).await;
}
