use super::*;
use crate::{Leases, Owner, Saved, Snapshots};

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Process).expect("open")
}

#[test]
fn a_bot_without_a_saved_snapshot_loads_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = store.acquire("poster", &Owner::new("a")).unwrap();
    assert_eq!(store.load_snapshot(&lease).unwrap(), None);
}

#[test]
fn a_saved_snapshot_is_loaded_back_after_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = store.acquire("poster", &Owner::new("a")).unwrap();
    assert_eq!(store.save_snapshot(&lease, 1, br#"{"next":1}"#).unwrap(), Saved::Kept);
    drop(store);
    let store = open(&dir);
    let lease = store.acquire("poster", &Owner::new("b")).unwrap();
    assert_eq!(store.load_snapshot(&lease).unwrap().as_deref(), Some(&br#"{"next":1}"#[..]));
}

#[test]
fn a_later_save_replaces_the_snapshot_in_the_one_row_of_the_bot() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = store.acquire("poster", &Owner::new("a")).unwrap();
    for sequence in 1..=50u64 {
        store.save_snapshot(&lease, sequence, format!(r#"{{"next":{sequence}}}"#).as_bytes()).unwrap();
    }
    assert_eq!(store.load_snapshot(&lease).unwrap().as_deref(), Some(&br#"{"next":50}"#[..]));
    let rows: i64 = store.connection.lock().query_row("SELECT count(*) FROM snapshots", [], |row| row.get(0)).unwrap();
    assert_eq!(rows, 1);
}

#[test]
fn a_save_older_than_the_kept_snapshot_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = store.acquire("poster", &Owner::new("a")).unwrap();
    store.save_snapshot(&lease, 7, br#"{"next":7}"#).unwrap();
    assert_eq!(store.save_snapshot(&lease, 6, br#"{"next":6}"#).unwrap(), Saved::Older);
    assert_eq!(store.load_snapshot(&lease).unwrap().as_deref(), Some(&br#"{"next":7}"#[..]));
}

#[test]
fn a_new_owner_saves_over_a_higher_sequence_of_the_old_owner() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let old = store.acquire("poster", &Owner::new("a")).unwrap();
    store.save_snapshot(&old, 900, br#"{"from":"a"}"#).unwrap();
    let new = store.acquire("poster", &Owner::new("b")).unwrap();
    assert_eq!(store.save_snapshot(&new, 1, br#"{"from":"b"}"#).unwrap(), Saved::Kept);
    assert_eq!(store.load_snapshot(&new).unwrap().as_deref(), Some(&br#"{"from":"b"}"#[..]));
}

#[test]
fn a_stale_owner_can_neither_save_nor_load_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let old = store.acquire("poster", &Owner::new("a")).unwrap();
    let new = store.acquire("poster", &Owner::new("b")).unwrap();
    store.save_snapshot(&new, 1, br#"{"from":"b"}"#).unwrap();
    assert!(matches!(store.save_snapshot(&old, 2, br#"{"from":"a"}"#), Err(StoreError::Fenced { .. })));
    assert!(matches!(store.load_snapshot(&old), Err(StoreError::Fenced { .. })));
    assert_eq!(store.load_snapshot(&new).unwrap().as_deref(), Some(&br#"{"from":"b"}"#[..]));
}
