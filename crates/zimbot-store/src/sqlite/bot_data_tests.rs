use super::*;
use crate::{BotData, DataWrite, Lease, Leases, Owner, Swapped};

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Process).expect("open")
}

fn write<'a>(key: &'a str, value: &'a str) -> DataWrite<'a> {
    DataWrite { key, value, plugin_version: "1.0.0" }
}

fn lease(store: &SqliteStore, bot: &str) -> Lease {
    store.acquire(bot, &Owner::new("a")).unwrap()
}

#[test]
fn a_put_value_is_read_back_with_its_plugin_version_and_revision() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "counter");
    let revision = store.put(&lease, DataWrite { key: "count", value: "3", plugin_version: "2.1.0" }).unwrap();
    let entry = store.get(&lease, "count").unwrap().expect("stored");
    assert_eq!((entry.value.as_str(), entry.plugin_version.as_str(), entry.revision), ("3", "2.1.0", revision));
}

#[test]
fn a_key_never_put_reads_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.get(&lease(&store, "counter"), "count").unwrap(), None);
}

#[test]
fn bots_do_not_see_each_others_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.put(&lease(&store, "a"), write("count", "1")).unwrap();
    assert_eq!(store.get(&lease(&store, "b"), "count").unwrap(), None);
}

#[test]
fn a_put_replaces_the_value_under_a_larger_revision() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "counter");
    let first = store.put(&lease, write("count", "1")).unwrap();
    let second = store.put(&lease, write("count", "2")).unwrap();
    assert!(second > first);
    assert_eq!(store.get(&lease, "count").unwrap().unwrap().value, "2");
}

#[test]
fn delete_removes_a_key_and_says_whether_it_held_a_value() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "counter");
    store.put(&lease, write("count", "1")).unwrap();
    assert!(store.delete(&lease, "count").unwrap());
    assert!(!store.delete(&lease, "count").unwrap());
    assert_eq!(store.get(&lease, "count").unwrap(), None);
}

#[test]
fn list_answers_the_keys_with_the_prefix_in_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "notes");
    for key in ["user/bob", "user/alice", "users", "room/lobby", "user0"] {
        store.put(&lease, write(key, "true")).unwrap();
    }
    let keys: Vec<String> = store.list(&lease, "user/", 10).unwrap().into_iter().map(|entry| entry.key).collect();
    assert_eq!(keys, ["user/alice", "user/bob"]);
}

#[test]
fn list_stops_at_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "notes");
    for key in ["k1", "k2", "k3"] {
        store.put(&lease, write(key, "0")).unwrap();
    }
    assert_eq!(store.list(&lease, "k", 2).unwrap().len(), 2);
}

#[test]
fn compare_and_swap_writes_when_the_key_holds_the_expected_revision() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "counter");
    let first = store.put(&lease, write("count", "1")).unwrap();
    let Swapped::Written(second) = store.compare_and_swap(&lease, Some(first), write("count", "2")).unwrap() else {
        panic!("not written");
    };
    assert_eq!(store.get(&lease, "count").unwrap().unwrap().revision, second);
}

#[test]
fn compare_and_swap_refuses_a_stale_revision_and_names_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "counter");
    let read = store.put(&lease, write("count", "1")).unwrap();
    let current = store.put(&lease, write("count", "5")).unwrap();
    let swapped = store.compare_and_swap(&lease, Some(read), write("count", "2")).unwrap();
    assert_eq!(swapped, Swapped::Conflict(Some(current)));
    assert_eq!(store.get(&lease, "count").unwrap().unwrap().value, "5");
}

#[test]
fn compare_and_swap_expecting_absence_creates_a_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "counter");
    assert!(matches!(store.compare_and_swap(&lease, None, write("k", "1")).unwrap(), Swapped::Written(_)));
    assert!(matches!(store.compare_and_swap(&lease, None, write("k", "2")).unwrap(), Swapped::Conflict(Some(_))));
}

#[test]
fn a_key_deleted_and_written_again_never_gets_a_revision_read_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = lease(&store, "counter");
    let read = store.put(&lease, write("count", "1")).unwrap();
    store.delete(&lease, "count").unwrap();
    store.put(&lease, write("count", "1")).unwrap();
    let swapped = store.compare_and_swap(&lease, Some(read), write("count", "2")).unwrap();
    assert!(matches!(swapped, Swapped::Conflict(Some(current)) if current != read), "{swapped:?}");
}

#[test]
fn a_bot_taken_over_by_another_owner_can_no_longer_write_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let old = store.acquire("counter", &Owner::new("a")).unwrap();
    store.acquire("counter", &Owner::new("b")).unwrap();
    assert!(matches!(store.put(&old, write("count", "1")), Err(StoreError::Fenced { .. })));
    assert!(matches!(store.delete(&old, "count"), Err(StoreError::Fenced { .. })));
    assert!(matches!(store.compare_and_swap(&old, None, write("count", "1")), Err(StoreError::Fenced { .. })));
}

#[test]
fn stored_values_survive_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        store.put(&lease(&store, "counter"), write("count", "7")).unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.get(&lease(&store, "counter"), "count").unwrap().unwrap().value, "7");
}
