//! Cron bookkeeping in SQLite: `cron_fires` (last fire per bot and schedule), ticks as `inbox` entries.

use rusqlite::params;

use super::leases::check_fence;
use super::SqliteStore;
use crate::{tick_key, CronBook, EntryId, Lease, StoreError, TickRecord};

impl CronBook for SqliteStore {
    fn record_tick(&self, lease: &Lease, tick: &TickRecord) -> Result<EntryId, StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            self.journal_tick(tx, lease, tick)
        })
    }

    fn record_ticks(&self, lease: &Lease, ticks: &[TickRecord]) -> Result<Vec<EntryId>, StoreError> {
        // One commit for the bot's ticks due together: 10 000 schedules firing at once are 10 000 commits
        // otherwise.
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            ticks.iter().map(|tick| self.journal_tick(tx, lease, tick)).collect()
        })
    }

    fn last_fires(&self, lease: &Lease) -> Result<Vec<(String, i64)>, StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            let sql = |source| self.unavailable(source);
            let mut statement =
                tx.prepare_cached("SELECT schedule, last_fire FROM cron_fires WHERE bot = ?1").map_err(sql)?;
            let rows = statement.query_map([&lease.bot], |row| Ok((row.get(0)?, row.get(1)?))).map_err(sql)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql)
        })
    }
}

impl SqliteStore {
    /// Inserts `tick`'s inbox entry and records it as its schedule's last fire, within `tx`.
    fn journal_tick(
        &self,
        tx: &rusqlite::Transaction<'_>,
        lease: &Lease,
        tick: &TickRecord,
    ) -> Result<EntryId, StoreError> {
        let sql = |source| self.unavailable(source);
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO inbox (bot, dedupe_key, payload, arrived_at, attempts) VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING id",
            )
            .and_then(|mut statement| {
                statement.query_row(
                    params![
                        lease.bot,
                        tick_key(&tick.schedule_id, tick.scheduled_at_ms),
                        tick.payload,
                        tick.fired_at_ms,
                        u32::from(tick.claimed)
                    ],
                    |row| row.get(0),
                )
            })
            .map_err(sql)?;
        tx.prepare_cached(
            "INSERT INTO cron_fires (bot, schedule, last_fire) VALUES (?1, ?2, ?3)
             ON CONFLICT (bot, schedule) DO UPDATE SET last_fire = max(last_fire, excluded.last_fire)",
        )
        .and_then(|mut statement| statement.execute(params![lease.bot, tick.schedule_id, tick.scheduled_at_ms]))
        .map_err(sql)?;
        Ok(EntryId(id))
    }
}
