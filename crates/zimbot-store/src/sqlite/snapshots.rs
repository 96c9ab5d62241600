//! Plugin snapshots in SQLite: `snapshots`, one row per bot, replaced in place.

use rusqlite::{params, OptionalExtension};

use super::leases::check_fence;
use super::SqliteStore;
use crate::{Lease, Saved, Snapshots, StoreError};

impl Snapshots for SqliteStore {
    fn load_snapshot(&self, lease: &Lease) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|tx| {
            check_fence(self, tx, lease)?;
            tx.prepare_cached("SELECT snapshot FROM snapshots WHERE bot = ?1")
                .and_then(|mut statement| statement.query_row([&lease.bot], |row| row.get(0)).optional())
                .map_err(|source| self.unavailable(source))
        })
    }

    fn save_snapshot(&self, lease: &Lease, sequence: u64, snapshot: &[u8]) -> Result<Saved, StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            // Newest wins: a row from a newer fence, or from the same fence and a later sequence, stays.
            let written = tx
                .prepare_cached(
                    "INSERT INTO snapshots (bot, snapshot, fence, sequence) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (bot) DO UPDATE SET
                         snapshot = excluded.snapshot, fence = excluded.fence, sequence = excluded.sequence
                     WHERE (excluded.fence, excluded.sequence) >= (snapshots.fence, snapshots.sequence)",
                )
                .and_then(|mut statement| {
                    statement.execute(params![lease.bot, snapshot, lease.fence.0 as i64, sequence as i64])
                })
                .map_err(|source| self.unavailable(source))?;
            Ok(if written > 0 { Saved::Kept } else { Saved::Older })
        })
    }
}
