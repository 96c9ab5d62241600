//! The webhook with the inbox journal, over real HTTP on loopback and a real database file: 200 means kept,
//! a journal that cannot keep a callback answers 503 (and its retry is taken once storage is back), and a
//! retry after a restart is recognised as a duplicate.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::db::{open, storage};
use support::webhook::{lobby_bot, now, room_callback, Webhook, SECRET};
use support::{start_journaled_on, Reports};
use zimbot_runtime::clock::{Clock, ManualClock};
use zimbot_runtime::Storage;
use zimbot_store::{
    Accepted, Arrival, Claim, EntryId, Inbox, InboxEntry, JournalAnswer, JournalOp, Lease, Retention, SqliteStore,
    StoreError,
};

/// An inbox that fails every `accept` while `broken` is set, as a full disk would.
struct Breakable {
    store: Arc<SqliteStore>,
    broken: AtomicBool,
}

impl Inbox for Breakable {
    fn accept(&self, arrivals: &[Arrival]) -> Result<Vec<Accepted>, StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable { path: self.store.path().to_path_buf(), source: rusqlite_full() });
        }
        self.store.accept(arrivals)
    }
    fn apply(&self, ops: &[JournalOp]) -> Result<Vec<Result<JournalAnswer, StoreError>>, StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable { path: self.store.path().to_path_buf(), source: rusqlite_full() });
        }
        self.store.apply(ops)
    }
    fn pending(&self, lease: &Lease) -> Result<Vec<InboxEntry>, StoreError> {
        self.store.pending(lease)
    }
    fn claim(&self, lease: &Lease, id: EntryId, max_attempts: u32, now_ms: i64) -> Result<Claim, StoreError> {
        self.store.claim(lease, id, max_attempts, now_ms)
    }
    fn complete(&self, lease: &Lease, id: EntryId) -> Result<(), StoreError> {
        self.store.complete(lease, id)
    }
    fn release(&self, lease: &Lease, id: EntryId) -> Result<(), StoreError> {
        self.store.release(lease, id)
    }
    fn bury(&self, lease: &Lease, id: EntryId, reason: &str, now_ms: i64) -> Result<(), StoreError> {
        self.store.bury(lease, id, reason, now_ms)
    }
}

/// SQLite's "database or disk is full".
fn rusqlite_full() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None)
}

/// The clock the test webhook reads, for the runtime too: the journal's retention ages dedupe records by it.
fn webhook_clock() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new(chrono::DateTime::from_timestamp(now(), 0).unwrap()))
}

#[tokio::test]
async fn a_callback_answered_200_is_in_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled_on(&lobby_bot(&key), storage(&store), webhook_clock());
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    assert_eq!(hook.post(room_callback("j-1", "block", SECRET, now())).await, 200);
    assert_eq!(store.sizes().unwrap().pending, 1);
    hook.stop().await;
    runtime.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_callback_the_journal_cannot_keep_is_answered_503_and_its_retry_is_taken_once_storage_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let breakable = Arc::new(Breakable { store: Arc::clone(&store), broken: AtomicBool::new(true) });
    let (key, mut reports) = Reports::new();
    let runtime =
        start_journaled_on(&lobby_bot(&key), Storage { inbox: breakable.clone(), ..storage(&store) }, webhook_clock());
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let body = room_callback("j-2", "kept later", SECRET, now());
    assert_eq!(hook.post(body.clone()).await, 503);
    assert_eq!(hook.state.stats().storage_unavailable.load(Ordering::Relaxed), 1);
    breakable.broken.store(false, Ordering::SeqCst);
    assert_eq!(hook.post(body).await, 200, "the retry is not taken for a duplicate");
    assert_eq!(reports.next().await, "room lobby kept later");
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_callback_arriving_while_the_database_is_read_only_is_answered_503_and_its_retry_is_taken_once_writable() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let (key, mut reports) = Reports::new();
    let runtime = start_journaled_on(&lobby_bot(&key), storage(&store), webhook_clock());
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    // SQLite's own read-only refusal (query_only): file permissions would not stop a test running as root.
    store.refuse_writes(true).unwrap();
    let body = room_callback("j-ro", "kept later", SECRET, now());
    assert_eq!(hook.post(body.clone()).await, 503);
    assert_eq!(hook.state.stats().storage_unavailable.load(Ordering::Relaxed), 1);
    store.refuse_writes(false).unwrap();
    assert_eq!(hook.post(body).await, 200);
    assert_eq!(reports.next().await, "room lobby kept later");
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_callback_retried_after_a_restart_is_a_duplicate_and_reaches_no_bot() {
    let dir = tempfile::tempdir().unwrap();
    let body = room_callback("j-3", "once", SECRET, now());
    let (key, mut reports) = Reports::new();
    {
        let runtime = start_journaled_on(&lobby_bot(&key), storage(&open(&dir)), webhook_clock());
        reports.until("start").await;
        let hook = Webhook::start(runtime.clone(), 1 << 20).await;
        assert_eq!(hook.post(body.clone()).await, 200);
        assert_eq!(reports.next().await, "room lobby once");
        hook.stop().await;
        runtime.shutdown(Duration::from_secs(5)).await;
    }
    let runtime = start_journaled_on(&lobby_bot(&key), storage(&open(&dir)), webhook_clock());
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    assert_eq!(hook.post(body).await, 200);
    assert_eq!(hook.state.stats().duplicates.load(Ordering::Relaxed), 1);
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(reports.drain(), ["stop"], "the retry reached no bot");
}
