//! A database that cannot be written: read-only (SQLite's `query_only`, which holds for root too, unlike file
//! permissions) or full (`max_page_count`, SQLite's own "database or disk is full"). Writes fail as
//! `StoreError::Unavailable` naming the file; reads go on.

use super::*;
use crate::{Arrival, BotData, DataWrite, Inbox, Leases, Owner};

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Process).expect("open")
}

fn arrival(key: &str) -> Arrival {
    Arrival {
        dedupe_key: key.to_owned(),
        remember_until_ms: i64::MAX,
        arrived_at_ms: 0,
        payload: b"{}".to_vec(),
        bots: vec!["echo".to_owned()],
        claimed: false,
    }
}

#[test]
fn a_read_only_database_refuses_a_write_as_unavailable_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = store.acquire("echo", &Owner::new("a")).unwrap();
    store.refuse_writes(true).unwrap();
    let error = store.put(&lease, DataWrite { key: "k", value: "1", plugin_version: "1" }).unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error}");
    assert!(error.to_string().contains("zimbot.db") && error.to_string().contains("readonly"), "{error}");
}

#[test]
fn a_read_only_database_still_answers_reads() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = store.acquire("echo", &Owner::new("a")).unwrap();
    store.put(&lease, DataWrite { key: "k", value: "1", plugin_version: "1" }).unwrap();
    store.refuse_writes(true).unwrap();
    assert_eq!(store.get(&lease, "k").unwrap().map(|entry| entry.value), Some("1".to_owned()));
}

#[test]
fn a_read_only_database_journals_nothing_and_takes_writes_again_once_writable() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store.refuse_writes(true).unwrap();
    assert!(matches!(store.accept(&[arrival("msg:1")]), Err(StoreError::Unavailable { .. })));
    store.refuse_writes(false).unwrap();
    assert!(matches!(store.accept(&[arrival("msg:1")]).unwrap()[0], crate::Accepted::Journaled(_)));
}

#[test]
fn a_full_database_refuses_a_write_as_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = store.acquire("echo", &Owner::new("a")).unwrap();
    {
        let connection = store.connection.lock();
        let pages: i64 = connection.pragma_query_value(None, "page_count", |row| row.get(0)).unwrap();
        connection.pragma_update(None, "max_page_count", pages).unwrap();
    }
    // Larger than a page: it needs pages the database may not grow by.
    let value = format!("\"{}\"", "x".repeat(60_000));
    let error = store.put(&lease, DataWrite { key: "k", value: &value, plugin_version: "1" }).unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error}");
    assert!(error.to_string().contains("full"), "{error}");
}
