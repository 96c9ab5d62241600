//! A SQLite store in a temporary folder, opened as `zimbot run` opens it (durability `process`), and the storage
//! of a journaled runtime on it. Shared by the runtime's journal, cron and store tests.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use zimbot_runtime::config::StorageConfig;
use zimbot_runtime::Storage;
use zimbot_store::{Durability, RetentionPolicy, SqliteStore};

/// Attempts before a journaled item becomes a dead letter, unless a test says otherwise.
pub const MAX_ATTEMPTS: u32 = 3;

/// A database file in a temporary folder, removed with it.
pub struct Db {
    dir: tempfile::TempDir,
    pub store: Arc<SqliteStore>,
}

impl Db {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        Self { dir, store }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A journaled runtime's storage on this database, [`MAX_ATTEMPTS`] attempts per item.
    pub fn storage(&self) -> Storage {
        storage_with_attempts(&self.store, MAX_ATTEMPTS)
    }

    /// The same, with `max_attempts` attempts per item.
    pub fn storage_with_attempts(&self, max_attempts: u32) -> Storage {
        storage_with_attempts(&self.store, max_attempts)
    }
}

/// Opens (or opens again, as a restarted process would) `zimbot.db` in `dir`.
pub fn open(dir: &tempfile::TempDir) -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open(&dir.path().join("zimbot.db"), Durability::Process).unwrap())
}

/// A journaled runtime's storage on `store`, [`MAX_ATTEMPTS`] attempts per item.
pub fn storage(store: &Arc<SqliteStore>) -> Storage {
    storage_with_attempts(store, MAX_ATTEMPTS)
}

/// A journaled runtime's storage on `store`. Retention runs once a day, so it never runs inside a test.
pub fn storage_with_attempts(store: &Arc<SqliteStore>, max_attempts: u32) -> Storage {
    let config = StorageConfig {
        path: store.path().to_path_buf(),
        durability: Durability::Process,
        max_attempts,
        retention_interval: Duration::from_secs(24 * 3600),
        retention: RetentionPolicy { dead_letter_max_age: Duration::from_secs(3600), max_dead_letters: 100 },
    };
    Storage::sqlite(Arc::clone(store), &config)
}
