//! The embedded engine: one SQLite file, WAL, versioned migrations.
//!
//! One connection behind a lock serves every operation: SQLite allows one writer at a time anyway, and each
//! operation is one short transaction. Callers on async tasks run operations on blocking threads.

mod bot_data;
mod checkpointer;
mod cron;
mod dead_letters;
mod inbox;
mod leases;
mod migrations;
mod outbox;
mod retention;
mod snapshots;

use std::path::{Path, PathBuf};
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::Connection;

use crate::{Durability, StoreError};

/// The embedded store: everything zimbot must not lose, in one file.
pub struct SqliteStore {
    path: PathBuf,
    connection: Mutex<Connection>,
    durability: Durability,
    /// Copies the WAL back into the file off the commit path (see `checkpointer`).
    _checkpointer: Option<checkpointer::Checkpointer>,
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let unavailable = |source| StoreError::Unavailable { path: path.to_path_buf(), source };
        let connection = Connection::open(path).map_err(unavailable)?;
        connection.busy_timeout(Duration::from_secs(5)).map_err(unavailable)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        connection.pragma_update(None, "synchronous", durability.synchronous()).map_err(unavailable)?;
        connection.pragma_update(None, "foreign_keys", "ON").map_err(unavailable)?;
        connection.pragma_update(None, "wal_autocheckpoint", checkpointer::BACKSTOP_PAGES).map_err(unavailable)?;
        migrations::apply(&connection, path)?;
        let checkpointer = checkpointer::Checkpointer::start(path);
        Ok(Self {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
            durability,
            _checkpointer: checkpointer,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The level commits are made at.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Makes the store refuse every write with SQLite's own read-only error (`PRAGMA query_only`), as a database
    /// on a read-only disk does, until called again with `false`; reads go on. Every part of zimbot then meets
    /// the failure it must survive (`storage_unavailable`, 503), which the tests rely on: file permissions do
    /// not stop a process running as root, this does.
    pub fn refuse_writes(&self, refuse: bool) -> Result<(), StoreError> {
        self.connection.lock().pragma_update(None, "query_only", refuse).map_err(|source| self.unavailable(source))
    }

    /// Runs `work` in one transaction on the store's connection, committing when it returns `Ok`.
    pub(crate) fn transaction<T>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.lock();
        // IMMEDIATE: the write lock is taken at the start, so a concurrent writer in another process (`zimbot
        // inbox` beside a running zimbot) is waited for (busy timeout) rather than failing the upgrade midway.
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|source| self.unavailable(source))?;
        let value = work(&transaction)?;
        transaction.commit().map_err(|source| self.unavailable(source))?;
        Ok(value)
    }

    /// Runs `work`, which only reads, in one deferred transaction: it takes no write lock, so reads go on while
    /// the database cannot be written (read-only, full) or another process writes.
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.lock();
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Deferred)
            .map_err(|source| self.unavailable(source))?;
        let value = work(&transaction)?;
        transaction.commit().map_err(|source| self.unavailable(source))?;
        Ok(value)
    }

    /// Wraps a SQLite error as this store being unavailable.
    pub(crate) fn unavailable(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Unavailable { path: self.path.clone(), source }
    }
}

#[cfg(test)]
mod bot_data_tests;
#[cfg(test)]
mod inbox_tests;
#[cfg(test)]
mod snapshots_tests;
#[cfg(test)]
mod storage_error_tests;
#[cfg(test)]
mod tests;

#[cfg(test)]
mod outbox_tests;
