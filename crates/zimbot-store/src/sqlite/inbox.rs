//! The inbox journal in SQLite: one `inbox` table (pending and dead entries, by bot and arrival) and
//! `inbox_dedupe` (keys remembered until a time).

use rusqlite::{params, Connection, OptionalExtension};

use super::leases::check_fence;
use super::SqliteStore;
use crate::{Accepted, Arrival, Claim, EntryId, Inbox, InboxEntry, Lease, StoreError};

impl Inbox for SqliteStore {
    fn accept(&self, arrivals: &[Arrival]) -> Result<Vec<Accepted>, StoreError> {
        self.transaction(|tx| {
            let sql = |source| self.unavailable(source);
            let mut remembered = tx.prepare_cached("SELECT until FROM inbox_dedupe WHERE key = ?1").map_err(sql)?;
            let mut remember = tx
                .prepare_cached(
                    "INSERT INTO inbox_dedupe (key, until) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET until = max(until, excluded.until)",
                )
                .map_err(sql)?;
            let mut journal = tx
                .prepare_cached(
                    "INSERT INTO inbox (bot, dedupe_key, payload, arrived_at) VALUES (?1, ?2, ?3, ?4) RETURNING id",
                )
                .map_err(sql)?;
            let mut answers = Vec::with_capacity(arrivals.len());
            for arrival in arrivals {
                let until: Option<i64> =
                    remembered.query_row([&arrival.dedupe_key], |row| row.get(0)).optional().map_err(sql)?;
                let duplicate = until.is_some_and(|until| until > arrival.arrived_at_ms);
                remember.execute(params![arrival.dedupe_key, arrival.remember_until_ms]).map_err(sql)?;
                if duplicate {
                    answers.push(Accepted::Duplicate);
                    continue;
                }
                let mut ids = Vec::with_capacity(arrival.bots.len());
                for bot in &arrival.bots {
                    let id: i64 = journal
                        .query_row(params![bot, arrival.dedupe_key, arrival.payload, arrival.arrived_at_ms], |row| {
                            row.get(0)
                        })
                        .map_err(sql)?;
                    ids.push(EntryId(id));
                }
                answers.push(Accepted::Journaled(ids));
            }
            Ok(answers)
        })
    }

    fn pending(&self, lease: &Lease) -> Result<Vec<InboxEntry>, StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            let sql = |source| self.unavailable(source);
            let mut statement = tx
                .prepare_cached(
                    "SELECT id, bot, dedupe_key, payload, attempts, arrived_at FROM inbox
                     WHERE bot = ?1 AND dead = 0 ORDER BY id",
                )
                .map_err(sql)?;
            let rows = statement
                .query_map([&lease.bot], |row| {
                    Ok(InboxEntry {
                        id: EntryId(row.get(0)?),
                        bot: row.get(1)?,
                        dedupe_key: row.get(2)?,
                        payload: row.get(3)?,
                        attempts: row.get(4)?,
                        arrived_at_ms: row.get(5)?,
                    })
                })
                .map_err(sql)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql)
        })
    }

    fn claim(&self, lease: &Lease, id: EntryId, max_attempts: u32, now_ms: i64) -> Result<Claim, StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            let Some(attempts) = pending_attempts(tx, lease, id).map_err(|source| self.unavailable(source))? else {
                return Ok(Claim::Gone);
            };
            if attempts >= max_attempts {
                let reason = format!(
                    "its hook was started {attempts} time(s) and never finished well (it failed, or the process \
                     died running it); max_attempts is {max_attempts}"
                );
                bury_entry(tx, id, &reason, now_ms).map_err(|source| self.unavailable(source))?;
                return Ok(Claim::Dead { attempts });
            }
            tx.prepare_cached("UPDATE inbox SET attempts = attempts + 1 WHERE id = ?1")
                .and_then(|mut statement| statement.execute([id.0]))
                .map_err(|source| self.unavailable(source))?;
            Ok(Claim::Run { attempt: attempts + 1 })
        })
    }

    fn complete(&self, lease: &Lease, id: EntryId) -> Result<(), StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            tx.prepare_cached("DELETE FROM inbox WHERE id = ?1 AND bot = ?2 AND dead = 0")
                .and_then(|mut statement| statement.execute(params![id.0, lease.bot]))
                .map_err(|source| self.unavailable(source))?;
            Ok(())
        })
    }

    fn release(&self, lease: &Lease, id: EntryId) -> Result<(), StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            tx.prepare_cached(
                "UPDATE inbox SET attempts = max(attempts - 1, 0) WHERE id = ?1 AND bot = ?2 AND dead = 0",
            )
            .and_then(|mut statement| statement.execute(params![id.0, lease.bot]))
            .map_err(|source| self.unavailable(source))?;
            Ok(())
        })
    }

    fn bury(&self, lease: &Lease, id: EntryId, reason: &str, now_ms: i64) -> Result<(), StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            if pending_attempts(tx, lease, id).map_err(|source| self.unavailable(source))?.is_some() {
                bury_entry(tx, id, reason, now_ms).map_err(|source| self.unavailable(source))?;
            }
            Ok(())
        })
    }
}

/// The attempts of the lease's bot's pending entry `id`, if there is one.
fn pending_attempts(connection: &Connection, lease: &Lease, id: EntryId) -> rusqlite::Result<Option<u32>> {
    connection
        .prepare_cached("SELECT attempts FROM inbox WHERE id = ?1 AND bot = ?2 AND dead = 0")?
        .query_row(params![id.0, lease.bot], |row| row.get(0))
        .optional()
}

fn bury_entry(connection: &Connection, id: EntryId, reason: &str, now_ms: i64) -> rusqlite::Result<usize> {
    connection
        .prepare_cached("UPDATE inbox SET dead = 1, reason = ?2, dead_at = ?3 WHERE id = ?1")?
        .execute(params![id.0, reason, now_ms])
}
