//! The inbox journal, dead letters and retention on a real database file.

use std::time::Duration;

use super::*;
use crate::{
    Accepted, Arrival, Claim, CronBook, DeadLetters, EntryId, EntryState, Inbox, Lease, Leases, Owner, Retention,
    RetentionPolicy, TickRecord,
};

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Process).expect("open")
}

fn arrival(key: &str, at: i64, bots: &[&str]) -> Arrival {
    Arrival {
        dedupe_key: key.to_owned(),
        remember_until_ms: at + 300_000,
        arrived_at_ms: at,
        payload: key.as_bytes().to_vec(),
        bots: bots.iter().map(|bot| bot.to_string()).collect(),
        claimed: false,
    }
}

/// A tick of `schedule` due and fired at `at`, with an empty payload.
fn tick(schedule: &str, at: i64) -> TickRecord {
    TickRecord { schedule_id: schedule.into(), scheduled_at_ms: at, fired_at_ms: at, payload: vec![], claimed: false }
}

fn ids(accepted: &Accepted) -> Vec<EntryId> {
    match accepted {
        Accepted::Journaled(ids) => ids.clone(),
        Accepted::Duplicate => panic!("a duplicate"),
    }
}

fn lease(store: &SqliteStore, bot: &str) -> Lease {
    store.acquire(bot, &Owner::new("test")).unwrap()
}

/// `bot` taken over by another owner (another process), which makes the leases taken before stale.
fn taken_over(store: &SqliteStore, bot: &str) -> Lease {
    store.acquire(bot, &Owner::new("another process")).unwrap()
}

#[test]
fn an_arrival_gets_one_entry_per_bot() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let accepted = store.accept(&[arrival("msg:1", 1_000, &["a", "b"])]).unwrap();
    assert_eq!(ids(&accepted[0]).len(), 2);
    assert_eq!(store.pending(&lease(&store, "a")).unwrap().len(), 1);
    assert_eq!(store.pending(&lease(&store, "b")).unwrap().len(), 1);
}

#[test]
fn a_batch_is_journaled_in_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let batch: Vec<_> = (0..5).map(|n| arrival(&format!("msg:{n}"), 1_000, &["a"])).collect();
    store.accept(&batch).unwrap();
    let keys: Vec<_> = store.pending(&lease(&store, "a")).unwrap().into_iter().map(|entry| entry.dedupe_key).collect();
    assert_eq!(keys, ["msg:0", "msg:1", "msg:2", "msg:3", "msg:4"]);
}

#[test]
fn a_repeated_key_is_a_duplicate_across_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    open(&dir).accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap();
    let again = open(&dir).accept(&[arrival("msg:1", 2_000, &["a"])]).unwrap();
    assert_eq!(again, [Accepted::Duplicate]);
}

#[test]
fn a_repeat_within_one_batch_is_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let answers = store.accept(&[arrival("msg:1", 1_000, &["a"]), arrival("msg:1", 1_000, &["a"])]).unwrap();
    assert_eq!(answers[1], Accepted::Duplicate);
}

#[test]
fn a_key_past_its_memory_is_new_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap();
    let later = store.accept(&[arrival("msg:1", 1_000 + 300_000, &["a"])]).unwrap();
    assert!(matches!(later[0], Accepted::Journaled(_)));
}

#[test]
fn each_claim_counts_an_attempt_before_the_hook_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    let lease = lease(&store, "a");
    assert_eq!(store.claim(&lease, id, 3, 0).unwrap(), Claim::Run { attempt: 1 });
    assert_eq!(store.claim(&lease, id, 3, 0).unwrap(), Claim::Run { attempt: 2 });
    assert_eq!(store.pending(&lease).unwrap()[0].attempts, 2);
}

#[test]
fn a_claim_past_max_attempts_makes_a_dead_letter() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    let lease = lease(&store, "a");
    store.claim(&lease, id, 1, 0).unwrap();
    assert_eq!(store.claim(&lease, id, 1, 0).unwrap(), Claim::Dead { attempts: 1 });
    assert!(store.pending(&lease).unwrap().is_empty());
    let dead = store.list(EntryState::Dead, Some("a")).unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.as_deref().unwrap().contains("max_attempts is 1"), "{:?}", dead[0].reason);
}

#[test]
fn a_completed_entry_leaves_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    let lease = lease(&store, "a");
    store.claim(&lease, id, 3, 0).unwrap();
    store.complete(&lease, id).unwrap();
    assert!(store.pending(&lease).unwrap().is_empty());
    assert_eq!(store.claim(&lease, id, 3, 0).unwrap(), Claim::Gone);
}

#[test]
fn a_released_claim_gives_its_attempt_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    let lease = lease(&store, "a");
    store.claim(&lease, id, 3, 0).unwrap();
    store.release(&lease, id).unwrap();
    assert_eq!(store.pending(&lease).unwrap()[0].attempts, 0);
}

#[test]
fn a_stale_lease_cannot_claim() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    let old = lease(&store, "a");
    let _new = taken_over(&store, "a");
    assert!(matches!(store.claim(&old, id, 3, 0), Err(StoreError::Fenced { .. })));
}

#[test]
fn a_retried_dead_letter_is_pending_again_last_in_line_with_no_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    store.accept(&[arrival("msg:2", 1_000, &["a"])]).unwrap();
    let lease = lease(&store, "a");
    store.bury(&lease, first, "failed", 0).unwrap();
    let dead = store.list(EntryState::Dead, None).unwrap();
    assert!(store.retry(dead[0].id).unwrap());
    let pending = store.pending(&lease).unwrap();
    assert_eq!(pending.iter().map(|entry| entry.dedupe_key.as_str()).collect::<Vec<_>>(), ["msg:2", "msg:1"]);
    assert_eq!(pending[1].attempts, 0);
}

#[test]
fn purge_deletes_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    assert!(store.purge(id).unwrap());
    assert!(!store.purge(id).unwrap());
    assert!(store.list(EntryState::Pending, None).unwrap().is_empty());
}

#[test]
fn cleaning_removes_expired_dedupe_records_and_old_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "a");
    let old = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    let young = ids(&store.accept(&[arrival("msg:2", 500_000, &["a"])]).unwrap()[0])[0];
    store.bury(&lease, old, "failed", 1_000).unwrap();
    store.bury(&lease, young, "failed", 500_000).unwrap();
    let policy = RetentionPolicy { dead_letter_max_age: Duration::from_secs(100), max_dead_letters: 10 };
    let cleaned = store.clean(&policy, 400_000).unwrap();
    assert_eq!((cleaned.dedupe_records, cleaned.dead_letters), (1, 1));
    let sizes = store.sizes().unwrap();
    assert_eq!((sizes.dedupe_records, sizes.dead), (1, 1));
}

#[test]
fn cleaning_keeps_at_most_max_dead_letters_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "a");
    for n in 0..5 {
        let id = ids(&store.accept(&[arrival(&format!("msg:{n}"), 1_000, &["a"])]).unwrap()[0])[0];
        store.bury(&lease, id, "failed", 1_000 + n).unwrap();
    }
    let policy = RetentionPolicy { dead_letter_max_age: Duration::from_secs(3600), max_dead_letters: 2 };
    store.clean(&policy, 2_000).unwrap();
    let kept: Vec<_> = store.list(EntryState::Dead, None).unwrap().into_iter().map(|entry| entry.dedupe_key).collect();
    assert_eq!(kept, ["msg:3", "msg:4"]);
}

#[test]
fn under_steady_load_with_regular_cleaning_every_journal_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "a");
    let policy = RetentionPolicy { dead_letter_max_age: Duration::from_secs(60), max_dead_letters: 50 };
    // One simulated second per round: 100 callbacks, each remembered 5 s; one in ten fails for good.
    let mut largest = crate::JournalSizes::default();
    for second in 0..120_i64 {
        let now = second * 1_000;
        let batch: Vec<_> = (0..100)
            .map(|n| Arrival { remember_until_ms: now + 5_000, ..arrival(&format!("msg:{second}:{n}"), now, &["a"]) })
            .collect();
        for (n, accepted) in store.accept(&batch).unwrap().iter().enumerate() {
            let id = ids(accepted)[0];
            store.claim(&lease, id, 3, now).unwrap();
            if n % 10 == 0 {
                store.bury(&lease, id, "failed", now).unwrap();
            } else {
                store.complete(&lease, id).unwrap();
            }
        }
        store.clean(&policy, now).unwrap();
        let sizes = store.sizes().unwrap();
        largest.pending = largest.pending.max(sizes.pending);
        largest.dead = largest.dead.max(sizes.dead);
        largest.dedupe_records = largest.dedupe_records.max(sizes.dedupe_records);
    }
    assert_eq!(largest.pending, 0);
    assert_eq!(largest.dead, 50, "capped at max_dead_letters");
    assert_eq!(largest.dedupe_records, 500, "five seconds of ids");
}

#[test]
fn a_recorded_tick_is_a_pending_entry_and_its_schedules_last_fire() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "a");
    let tick = TickRecord { fired_at_ms: 3_600_010, ..tick("hourly", 3_600_000) };
    store.record_tick(&lease, &tick).unwrap();
    assert_eq!(store.pending(&lease).unwrap()[0].dedupe_key, "cron:hourly@3600000");
    assert_eq!(store.last_fires(&lease).unwrap(), [("hourly".to_owned(), 3_600_000)]);
}

#[test]
fn ticks_recorded_together_are_pending_entries_in_order_with_each_schedules_last_fire() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "a");
    let entries = store.record_ticks(&lease, &[tick("s1", 60_000), tick("s2", 60_000)]).unwrap();
    let pending = store.pending(&lease).unwrap();
    assert_eq!(pending.iter().map(|entry| entry.id).collect::<Vec<_>>(), entries);
    let keys: Vec<&str> = pending.iter().map(|entry| entry.dedupe_key.as_str()).collect();
    assert_eq!(keys, ["cron:s1@60000", "cron:s2@60000"]);
    let mut fires = store.last_fires(&lease).unwrap();
    fires.sort();
    assert_eq!(fires, [("s1".to_owned(), 60_000), ("s2".to_owned(), 60_000)]);
}

#[test]
fn ticks_recorded_under_a_stale_lease_are_refused_and_none_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let stale = lease(&store, "a");
    let current = taken_over(&store, "a");
    assert!(store.record_ticks(&stale, &[tick("s1", 60_000), tick("s1", 60_000)]).is_err());
    assert!(store.pending(&current).unwrap().is_empty());
    assert!(store.last_fires(&current).unwrap().is_empty());
}

#[test]
fn a_batch_of_operations_of_several_bots_is_answered_in_order_and_a_stale_lease_refuses_only_its_own() {
    use crate::{JournalAnswer, JournalOp};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    let stale = lease(&store, "b");
    let current_a = lease(&store, "a");
    let _current_b = taken_over(&store, "b");
    let answers = store
        .apply(&[
            JournalOp::Claim { lease: current_a.clone(), id: first, max_attempts: 3, now_ms: 0 },
            JournalOp::Claim { lease: stale, id: first, max_attempts: 3, now_ms: 0 },
            JournalOp::Accept(arrival("msg:2", 1_000, &["a"])),
            JournalOp::Complete { lease: current_a.clone(), id: first },
        ])
        .unwrap();
    assert_eq!(answers[0].as_ref().unwrap(), &JournalAnswer::Claimed(Claim::Run { attempt: 1 }));
    assert!(matches!(answers[1], Err(StoreError::Fenced { .. })));
    assert!(matches!(answers[2], Ok(JournalAnswer::Accepted(Accepted::Journaled(_)))));
    assert_eq!(answers[3].as_ref().unwrap(), &JournalAnswer::Completed);
    let left: Vec<_> = store.pending(&current_a).unwrap().into_iter().map(|entry| entry.dedupe_key).collect();
    assert_eq!(left, ["msg:2"]);
}

#[test]
fn in_one_batch_a_stale_lease_is_refused_after_the_current_lease_of_its_bot_passed() {
    use crate::{JournalAnswer, JournalOp};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = ids(&store.accept(&[arrival("msg:1", 1_000, &["a"])]).unwrap()[0])[0];
    let stale = lease(&store, "a");
    let current = taken_over(&store, "a");
    let answers = store
        .apply(&[
            JournalOp::Claim { lease: current, id: first, max_attempts: 3, now_ms: 0 },
            JournalOp::Complete { lease: stale, id: first },
        ])
        .unwrap();
    assert_eq!(answers[0].as_ref().unwrap(), &JournalAnswer::Claimed(Claim::Run { attempt: 1 }));
    assert!(matches!(answers[1], Err(StoreError::Fenced { .. })));
}

#[test]
fn an_arrival_journaled_as_claimed_has_its_first_attempt_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.accept(&[Arrival { claimed: true, ..arrival("msg:1", 1_000, &["a", "b"]) }]).unwrap();
    for bot in ["a", "b"] {
        assert_eq!(store.pending(&lease(&store, bot)).unwrap()[0].attempts, 1, "bot {bot}");
    }
}

#[test]
fn a_claimed_entry_whose_hook_never_started_is_released_to_no_attempts() {
    use crate::{JournalAnswer, JournalOp};
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = ids(&store.accept(&[Arrival { claimed: true, ..arrival("msg:1", 1_000, &["a"]) }]).unwrap()[0])[0];
    let lease = lease(&store, "a");
    let answers = store.apply(&[JournalOp::Release { lease: lease.clone(), id }]).unwrap();
    assert!(matches!(answers[..], [Ok(JournalAnswer::Released)]), "{answers:?}");
    assert_eq!(store.pending(&lease).unwrap()[0].attempts, 0);
}

#[test]
fn a_claimed_arrival_counts_toward_the_attempt_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let id = ids(&store.accept(&[Arrival { claimed: true, ..arrival("msg:1", 1_000, &["a"]) }]).unwrap()[0])[0];
    let lease = lease(&store, "a");
    assert_eq!(store.claim(&lease, id, 2, 0).unwrap(), Claim::Run { attempt: 2 });
    assert_eq!(store.claim(&lease, id, 2, 0).unwrap(), Claim::Dead { attempts: 2 });
}

#[test]
fn a_tick_recorded_as_claimed_has_its_first_attempt_counted() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "a");
    store.record_ticks(&lease, &[TickRecord { claimed: true, ..tick("s1", 60_000) }]).unwrap();
    assert_eq!(store.pending(&lease).unwrap()[0].attempts, 1);
}
