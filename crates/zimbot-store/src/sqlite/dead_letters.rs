//! Listing, retrying and purging inbox entries in SQLite.

use rusqlite::params;

use super::SqliteStore;
use crate::{DeadLetters, EntryId, EntryState, ListedEntry, StoreError};

impl DeadLetters for SqliteStore {
    fn list(&self, state: EntryState, bot: Option<&str>) -> Result<Vec<ListedEntry>, StoreError> {
        self.transaction(|tx| {
            let sql = |source| self.unavailable(source);
            let mut statement = tx
                .prepare_cached(
                    "SELECT id, bot, dedupe_key, attempts, arrived_at, reason, payload FROM inbox
                     WHERE dead = ?1 AND (?2 IS NULL OR bot = ?2) ORDER BY id",
                )
                .map_err(sql)?;
            let rows = statement
                .query_map(params![state == EntryState::Dead, bot], |row| {
                    Ok(ListedEntry {
                        id: EntryId(row.get(0)?),
                        bot: row.get(1)?,
                        state,
                        dedupe_key: row.get(2)?,
                        attempts: row.get(3)?,
                        arrived_at_ms: row.get(4)?,
                        reason: row.get(5)?,
                        payload: row.get(6)?,
                    })
                })
                .map_err(sql)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql)
        })
    }

    fn retry(&self, id: EntryId) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            // A new id puts it last in its bot's line, as if it had just arrived.
            let moved = tx
                .execute(
                    "INSERT INTO inbox (bot, dedupe_key, payload, arrived_at)
                     SELECT bot, dedupe_key, payload, arrived_at FROM inbox WHERE id = ?1 AND dead = 1",
                    [id.0],
                )
                .map_err(|source| self.unavailable(source))?;
            if moved == 0 {
                return Ok(false);
            }
            tx.execute("DELETE FROM inbox WHERE id = ?1", [id.0]).map_err(|source| self.unavailable(source))?;
            Ok(true)
        })
    }

    fn purge(&self, id: EntryId) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            let removed =
                tx.execute("DELETE FROM inbox WHERE id = ?1", [id.0]).map_err(|source| self.unavailable(source))?;
            Ok(removed > 0)
        })
    }
}
