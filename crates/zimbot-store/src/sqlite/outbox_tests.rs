//! The SQLite outbox against the `Outbox` contract.

use super::*;
use crate::{Lease, Leases, Listing, NewSend, Outbox, Outcome, Owner, SendClaim as Claim, SendState};

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Process).expect("open")
}

fn lease(store: &SqliteStore, bot: &str) -> Lease {
    store.acquire(bot, &Owner::new("test")).unwrap()
}

fn send(conversation: &str, payload: &str) -> NewSend {
    NewSend { conversation: conversation.into(), payload: payload.into(), accepted_ms: 1_000, deadline_ms: None }
}

#[test]
fn enqueued_sends_come_back_after_reopening_in_their_order_with_their_ids_and_payloads() {
    let dir = tempfile::tempdir().unwrap();
    let ids = {
        let store = open(&dir);
        let lease = lease(&store, "echo");
        ["a", "b", "c"].map(|payload| store.enqueue(&lease, send("room", payload)).unwrap())
    };
    let unfinished = open(&dir).unfinished("echo").unwrap();
    assert_eq!(unfinished.iter().map(|send| send.id).collect::<Vec<_>>(), ids);
    assert_eq!(unfinished.iter().map(|send| send.payload.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
}

#[test]
fn ids_are_never_reused_after_sends_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "echo");
    let first = store.enqueue(&lease, send("room", "a")).unwrap();
    store.complete(&lease, first, Outcome::Sent("{}".into()), 2_000).unwrap();
    assert_eq!(store.remove_finished(i64::MAX, i64::MAX).unwrap(), 1);
    drop(store);
    let store = open(&dir);
    let lease = self::lease(&store, "echo");
    assert!(store.enqueue(&lease, send("room", "b")).unwrap() > first);
}

#[test]
fn only_the_oldest_open_send_of_a_conversation_can_be_claimed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "echo");
    let first = store.enqueue(&lease, send("room", "a")).unwrap();
    let second = store.enqueue(&lease, send("room", "b")).unwrap();
    let other = store.enqueue(&lease, send("peer", "c")).unwrap();
    assert_eq!(store.claim(&lease, second).unwrap(), Claim::NotNext);
    assert_eq!(store.claim(&lease, other).unwrap(), Claim::Claimed { attempt: 1 });
    assert_eq!(store.claim(&lease, first).unwrap(), Claim::Claimed { attempt: 1 });
    assert_eq!(store.claim(&lease, second).unwrap(), Claim::NotNext, "the first is still on the wire");
    store.complete(&lease, first, Outcome::Sent("{}".into()), 2_000).unwrap();
    assert_eq!(store.claim(&lease, second).unwrap(), Claim::Claimed { attempt: 1 });
}

#[test]
fn a_released_send_is_claimed_again_with_the_next_attempt_number() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "echo");
    let id = store.enqueue(&lease, send("room", "a")).unwrap();
    store.claim(&lease, id).unwrap();
    store.release(&lease, id).unwrap();
    assert_eq!(store.unfinished("echo").unwrap()[0].state, SendState::Queued);
    assert_eq!(store.claim(&lease, id).unwrap(), Claim::Claimed { attempt: 2 });
}

#[test]
fn a_claim_left_open_by_a_crash_is_found_claimed_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        let lease = lease(&store, "echo");
        let id = store.enqueue(&lease, send("room", "a")).unwrap();
        store.claim(&lease, id).unwrap();
    }
    let unfinished = open(&dir).unfinished("echo").unwrap();
    assert_eq!((unfinished[0].state, unfinished[0].attempts), (SendState::Claimed, 1));
}

#[test]
fn a_completed_send_is_no_longer_unfinished_and_keeps_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "echo");
    let id = store.enqueue(&lease, send("room", "a")).unwrap();
    store.complete(&lease, id, Outcome::Failed("why".into()), 2_000).unwrap();
    assert!(store.unfinished("echo").unwrap().is_empty());
    let failed = store.list(Listing::Failed, Some("echo")).unwrap();
    assert_eq!((failed[0].state, failed[0].outcome.as_deref()), (SendState::Failed, Some("why")));
}

#[test]
fn a_write_with_a_lease_taken_over_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let old = lease(&store, "echo");
    let _new = store.acquire("echo", &Owner::new("other")).unwrap();
    assert!(matches!(store.enqueue(&old, send("room", "a")), Err(StoreError::Fenced { .. })));
}

#[test]
fn a_retried_failed_send_is_open_again_with_its_attempts_reset() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "echo");
    let id = store.enqueue(&lease, send("room", "a")).unwrap();
    store.claim(&lease, id).unwrap();
    store.complete(&lease, id, Outcome::Failed("why".into()), 2_000).unwrap();
    assert!(store.retry(id).unwrap());
    let open = store.list(Listing::Open, None).unwrap();
    assert_eq!((open[0].id, open[0].state, open[0].attempts), (id, SendState::Queued, 0));
}

#[test]
fn purge_removes_failed_sends_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "echo");
    let queued = store.enqueue(&lease, send("room", "a")).unwrap();
    let failed = store.enqueue(&lease, send("peer", "b")).unwrap();
    store.complete(&lease, failed, Outcome::Failed("why".into()), 2_000).unwrap();
    assert!(!store.purge(queued).unwrap());
    assert!(store.purge(failed).unwrap());
    assert_eq!(store.list(Listing::All, None).unwrap().len(), 1);
}

#[test]
fn retention_removes_sent_and_failed_sends_by_their_own_horizons_and_never_open_ones() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "echo");
    let open_send = store.enqueue(&lease, send("a", "open")).unwrap();
    let sent = store.enqueue(&lease, send("b", "sent")).unwrap();
    let failed = store.enqueue(&lease, send("c", "failed")).unwrap();
    store.complete(&lease, sent, Outcome::Sent("{}".into()), 2_000).unwrap();
    store.complete(&lease, failed, Outcome::Failed("why".into()), 2_000).unwrap();
    assert_eq!(store.remove_finished(3_000, 1_000).unwrap(), 1, "only the sent one is past its horizon");
    let left: Vec<_> = store.list(Listing::All, None).unwrap().into_iter().map(|send| send.id).collect();
    assert_eq!(left, vec![open_send, failed]);
}
