//! The outbox in SQLite: one row per send, its id the row id (`AUTOINCREMENT`, so never reused).

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::SqliteStore;
use crate::outbox::{Claim, Listing, NewSend, Outbox, Outcome, SendId, SendState, StoredSend};
use crate::{Lease, StoreError};

const COLUMNS: &str = "id, bot, conversation, payload, accepted_ms, deadline_ms, state, attempts, outcome, finished_ms";

fn stored(row: &Row<'_>) -> rusqlite::Result<StoredSend> {
    let state: String = row.get(6)?;
    Ok(StoredSend {
        id: SendId(row.get::<_, i64>(0)? as u64),
        bot: row.get(1)?,
        conversation: row.get(2)?,
        payload: row.get(3)?,
        accepted_ms: row.get(4)?,
        deadline_ms: row.get(5)?,
        // The column's CHECK admits only the four words.
        state: SendState::parse(&state).unwrap_or(SendState::Failed),
        attempts: row.get::<_, i64>(7)? as u32,
        outcome: row.get(8)?,
        finished_ms: row.get(9)?,
    })
}

impl SqliteStore {
    /// Refuses a write whose lease is no longer the newest for its bot, inside the write's own transaction.
    fn fenced(&self, tx: &Transaction<'_>, lease: &Lease) -> Result<(), StoreError> {
        let current: Option<(String, i64)> = tx
            .query_row("SELECT owner, fence FROM leases WHERE bot = ?1", params![lease.bot], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(|source| self.unavailable(source))?;
        match current {
            Some((owner, fence)) if owner == lease.owner.as_str() && fence as u64 == lease.fence.0 => Ok(()),
            Some((owner, fence)) => Err(StoreError::Fenced {
                bot: lease.bot.clone(),
                owner,
                current: fence as u64,
                presented: lease.fence.0,
            }),
            None => Err(StoreError::Fenced {
                bot: lease.bot.clone(),
                owner: String::new(),
                current: 0,
                presented: lease.fence.0,
            }),
        }
    }
}

impl Outbox for SqliteStore {
    fn enqueue(&self, lease: &Lease, send: NewSend) -> Result<SendId, StoreError> {
        self.transaction(|tx| {
            self.fenced(tx, lease)?;
            tx.execute(
                "INSERT INTO outbox (bot, conversation, payload, accepted_ms, deadline_ms, state, attempts, fence)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'queued', 0, ?6)",
                params![lease.bot, send.conversation, send.payload, send.accepted_ms, send.deadline_ms, lease.fence.0],
            )
            .map_err(|source| self.unavailable(source))?;
            Ok(SendId(tx.last_insert_rowid() as u64))
        })
    }

    fn claim(&self, lease: &Lease, id: SendId) -> Result<Claim, StoreError> {
        self.transaction(|tx| {
            self.fenced(tx, lease)?;
            // The next of its conversation: the oldest open send there, and queued (not already claimed).
            let next: Option<(i64, String)> = tx
                .query_row(
                    "SELECT o.id, o.state FROM outbox o
                     WHERE o.bot = ?1 AND o.state IN ('queued', 'claimed')
                       AND o.conversation = (SELECT conversation FROM outbox WHERE id = ?2 AND bot = ?1)
                     ORDER BY o.id LIMIT 1",
                    params![lease.bot, id.0 as i64],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()
                .map_err(|source| self.unavailable(source))?;
            if next.as_ref().is_none_or(|(next, state)| *next as u64 != id.0 || state != "queued") {
                return Ok(Claim::NotNext);
            }
            let attempt: i64 = tx
                .query_row(
                    "UPDATE outbox SET state = 'claimed', attempts = attempts + 1, fence = ?2 WHERE id = ?1
                     RETURNING attempts",
                    params![id.0 as i64, lease.fence.0],
                    |row| row.get(0),
                )
                .map_err(|source| self.unavailable(source))?;
            Ok(Claim::Claimed { attempt: attempt as u32 })
        })
    }

    fn complete(&self, lease: &Lease, id: SendId, outcome: Outcome, finished_ms: i64) -> Result<(), StoreError> {
        let (state, detail) = match outcome {
            Outcome::Sent(detail) => ("sent", detail),
            Outcome::Failed(detail) => ("failed", detail),
        };
        self.transaction(|tx| {
            self.fenced(tx, lease)?;
            tx.execute(
                "UPDATE outbox SET state = ?2, outcome = ?3, finished_ms = ?4, fence = ?5
                 WHERE id = ?1 AND bot = ?6 AND state IN ('queued', 'claimed')",
                params![id.0 as i64, state, detail, finished_ms, lease.fence.0, lease.bot],
            )
            .map_err(|source| self.unavailable(source))?;
            Ok(())
        })
    }

    fn release(&self, lease: &Lease, id: SendId) -> Result<(), StoreError> {
        self.transaction(|tx| {
            self.fenced(tx, lease)?;
            tx.execute(
                "UPDATE outbox SET state = 'queued', fence = ?2 WHERE id = ?1 AND bot = ?3 AND state = 'claimed'",
                params![id.0 as i64, lease.fence.0, lease.bot],
            )
            .map_err(|source| self.unavailable(source))?;
            Ok(())
        })
    }

    fn unfinished(&self, bot: &str) -> Result<Vec<StoredSend>, StoreError> {
        let connection = self.connection.lock();
        let mut statement = connection
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM outbox WHERE bot = ?1 AND state IN ('queued', 'claimed') ORDER BY id"
            ))
            .map_err(|source| self.unavailable(source))?;
        let rows = statement.query_map(params![bot], stored).map_err(|source| self.unavailable(source))?;
        rows.collect::<Result<_, _>>().map_err(|source| self.unavailable(source))
    }

    fn bots_with_unfinished(&self) -> Result<Vec<String>, StoreError> {
        let connection = self.connection.lock();
        let mut statement = connection
            .prepare_cached("SELECT DISTINCT bot FROM outbox WHERE state IN ('queued', 'claimed') ORDER BY bot")
            .map_err(|source| self.unavailable(source))?;
        let rows = statement.query_map([], |row| row.get(0)).map_err(|source| self.unavailable(source))?;
        rows.collect::<Result<_, _>>().map_err(|source| self.unavailable(source))
    }

    fn list(&self, listing: Listing, bot: Option<&str>) -> Result<Vec<StoredSend>, StoreError> {
        let states = match listing {
            Listing::Open => "state IN ('queued', 'claimed')",
            Listing::Failed => "state = 'failed'",
            Listing::All => "1",
        };
        let connection = self.connection.lock();
        let mut statement = connection
            .prepare(&format!("SELECT {COLUMNS} FROM outbox WHERE {states} AND (?1 IS NULL OR bot = ?1) ORDER BY id"))
            .map_err(|source| self.unavailable(source))?;
        let rows = statement.query_map(params![bot], stored).map_err(|source| self.unavailable(source))?;
        rows.collect::<Result<_, _>>().map_err(|source| self.unavailable(source))
    }

    fn retry(&self, id: SendId) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            let changed = tx
                .execute(
                    "UPDATE outbox SET state = 'queued', attempts = 0, outcome = NULL, finished_ms = NULL
                     WHERE id = ?1 AND state = 'failed'",
                    params![id.0 as i64],
                )
                .map_err(|source| self.unavailable(source))?;
            Ok(changed == 1)
        })
    }

    fn purge(&self, id: SendId) -> Result<bool, StoreError> {
        self.transaction(|tx| {
            let changed = tx
                .execute("DELETE FROM outbox WHERE id = ?1 AND state = 'failed'", params![id.0 as i64])
                .map_err(|source| self.unavailable(source))?;
            Ok(changed == 1)
        })
    }

    fn remove_finished(&self, sent_before_ms: i64, failed_before_ms: i64) -> Result<usize, StoreError> {
        self.transaction(|tx| {
            tx.execute(
                "DELETE FROM outbox WHERE (state = 'sent' AND finished_ms < ?1)
                                       OR (state = 'failed' AND finished_ms < ?2)",
                params![sent_before_ms, failed_before_ms],
            )
            .map_err(|source| self.unavailable(source))
        })
    }
}
