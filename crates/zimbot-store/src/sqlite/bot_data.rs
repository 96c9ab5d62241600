//! Per-bot data in SQLite: `bot_data` (one row per bot and key) and `bot_data_revisions` (each bot's last
//! revision, so revisions grow across deletes).

use rusqlite::{params, Connection, OptionalExtension};

use super::leases::check_fence;
use super::SqliteStore;
use crate::{BotData, DataEntry, DataWrite, Lease, StoreError, Swapped};

impl BotData for SqliteStore {
    fn get(&self, lease: &Lease, key: &str) -> Result<Option<DataEntry>, StoreError> {
        self.read(|tx| {
            check_fence(self, tx, lease)?;
            read(tx, &lease.bot, key).map_err(|source| self.unavailable(source))
        })
    }

    fn put(&self, lease: &Lease, write: DataWrite<'_>) -> Result<u64, StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            store(tx, &lease.bot, write).map_err(|source| self.unavailable(source))
        })
    }

    fn delete(&self, lease: &Lease, key: &str) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            let deleted = tx
                .prepare_cached("DELETE FROM bot_data WHERE bot = ?1 AND key = ?2")
                .and_then(|mut statement| statement.execute(params![lease.bot, key]))
                .map_err(|source| self.unavailable(source))?;
            Ok(deleted > 0)
        })
    }

    fn list(&self, lease: &Lease, prefix: &str, limit: usize) -> Result<Vec<DataEntry>, StoreError> {
        self.read(|tx| {
            check_fence(self, tx, lease)?;
            let sql = |source| self.unavailable(source);
            // A range on the primary key: keys compare as bytes in SQLite as in Rust, so the keys with `prefix`
            // are the run starting at `prefix`.
            let mut statement = tx
                .prepare_cached(
                    "SELECT key, value, plugin_version, revision FROM bot_data
                     WHERE bot = ?1 AND key >= ?2 ORDER BY key",
                )
                .map_err(sql)?;
            let mut rows = statement.query(params![lease.bot, prefix]).map_err(sql)?;
            let mut entries = Vec::new();
            while entries.len() < limit {
                let Some(row) = rows.next().map_err(sql)? else { break };
                let entry = entry_of(row).map_err(sql)?;
                if !entry.key.starts_with(prefix) {
                    break;
                }
                entries.push(entry);
            }
            Ok(entries)
        })
    }

    fn compare_and_swap(
        &self,
        lease: &Lease,
        expected: Option<u64>,
        write: DataWrite<'_>,
    ) -> Result<Swapped, StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            let sql = |source| self.unavailable(source);
            let current = read(tx, &lease.bot, write.key).map_err(sql)?.map(|entry| entry.revision);
            if current != expected {
                return Ok(Swapped::Conflict(current));
            }
            store(tx, &lease.bot, write).map(Swapped::Written).map_err(sql)
        })
    }
}

fn read(connection: &Connection, bot: &str, key: &str) -> rusqlite::Result<Option<DataEntry>> {
    connection
        .prepare_cached("SELECT key, value, plugin_version, revision FROM bot_data WHERE bot = ?1 AND key = ?2")?
        .query_row(params![bot, key], entry_of)
        .optional()
}

fn store(connection: &Connection, bot: &str, write: DataWrite<'_>) -> rusqlite::Result<u64> {
    let revision: i64 = connection
        .prepare_cached(
            "INSERT INTO bot_data_revisions (bot, last) VALUES (?1, 1)
             ON CONFLICT (bot) DO UPDATE SET last = last + 1 RETURNING last",
        )?
        .query_row([bot], |row| row.get(0))?;
    connection
        .prepare_cached(
            "INSERT INTO bot_data (bot, key, value, plugin_version, revision) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (bot, key) DO UPDATE SET
                 value = excluded.value, plugin_version = excluded.plugin_version, revision = excluded.revision",
        )?
        .execute(params![bot, write.key, write.value, write.plugin_version, revision])?;
    Ok(revision as u64)
}

fn entry_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<DataEntry> {
    Ok(DataEntry {
        key: row.get(0)?,
        value: row.get(1)?,
        plugin_version: row.get(2)?,
        revision: row.get::<_, i64>(3)? as u64,
    })
}
