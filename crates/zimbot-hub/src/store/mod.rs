//! The history database: users, conversations with their seq counters, and messages, in one SQLite file.
//!
//! One connection sits behind a mutex; every query runs on tokio's blocking pool so a slow disk never stalls the
//! async workers. Seqs live in the `conversations` table and are bumped in the same transaction that inserts the
//! message, so they survive a restart and never repeat.

mod callback_queue;
mod conversations;
mod groups;
mod media;
mod messages;
mod schema;
mod users;

pub(crate) use callback_queue::{PendingCallback, QueuedBody, StoredEvent};
pub(crate) use groups::{GroupStatus, LeaveOutcome, NewGroup};
pub(crate) use messages::{HistoryWindow, NewMessage};
pub(crate) use users::RegisterOutcome;

use parking_lot::Mutex;
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("history database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("history database task stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A handle to the history database; clones share the connection.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    connection: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub(crate) fn open(path: &Path) -> Result<Self, rusqlite::Error> {
        let connection = Connection::open(path)?;
        schema::prepare(&connection)?;
        callback_queue::prepare(&connection)?;
        Ok(Self { connection: Arc::new(Mutex::new(connection)) })
    }

    /// Runs `work` with the connection on the blocking pool.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        let result = tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite half-written (transactions roll back), so the
            // next caller may use the connection (the lock does not poison).
            let mut connection = connection.lock();
            work(&mut connection)
        })
        .await?;
        Ok(result?)
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
