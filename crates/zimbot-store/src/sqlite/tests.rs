use super::*;
use crate::{Leases, Owner};

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Process).expect("open")
}

#[test]
fn each_acquire_of_a_bot_gets_a_larger_fence() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let first = store.acquire("echo", &Owner::new("a")).unwrap();
    let second = store.acquire("echo", &Owner::new("b")).unwrap();
    assert!(second.fence > first.fence);
}

#[test]
fn a_lease_taken_over_by_another_owner_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let old = store.acquire("echo", &Owner::new("a")).unwrap();
    let new = store.acquire("echo", &Owner::new("b")).unwrap();
    assert!(matches!(store.check(&old), Err(StoreError::Fenced { .. })));
    store.check(&new).expect("the newest lease holds");
}

#[test]
fn fences_survive_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let before = open(&dir).acquire("echo", &Owner::new("first run")).unwrap();
    let after = open(&dir).acquire("echo", &Owner::new("second run")).unwrap();
    assert!(after.fence > before.fence);
}

#[test]
fn the_owner_holding_a_bot_gets_the_same_lease_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let inbox = store.acquire("echo", &Owner::new("a")).unwrap();
    let outbox = store.acquire("echo", &Owner::new("a")).unwrap();
    assert_eq!(inbox, outbox);
    store.check(&inbox).expect("both parts of the owner keep writing");
}

#[test]
fn a_database_from_a_newer_zimbot_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zimbot.db");
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let error = SqliteStore::open(&path, Durability::Process).err().expect("refused");
    assert!(error.to_string().contains("schema version 999"), "{error}");
}

#[test]
fn power_durability_syncs_every_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Power).unwrap();
    let synchronous: i64 = store.connection.lock().pragma_query_value(None, "synchronous", |row| row.get(0)).unwrap();
    assert_eq!(synchronous, 2, "FULL");
}

#[test]
fn committed_pages_reach_the_database_file_without_a_commit_checkpointing() {
    use crate::Snapshots;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let lease = store.acquire("poster", &Owner::new("a")).unwrap();
    // 1 MiB in the WAL: below the writer's backstop, so only the checkpoint thread copies it into the file.
    store.save_snapshot(&lease, 1, &vec![b'x'; 1 << 20]).unwrap();
    let file = dir.path().join("zimbot.db");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::metadata(&file).unwrap().len() < 1 << 20 {
        assert!(std::time::Instant::now() < deadline, "the WAL was never checkpointed into {}", file.display());
        std::thread::sleep(checkpointer::INTERVAL / 5);
    }
}
