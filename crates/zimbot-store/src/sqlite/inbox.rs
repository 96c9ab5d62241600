//! The inbox journal in SQLite: one `inbox` table (pending and dead entries, by bot and arrival) and
//! `inbox_dedupe` (keys remembered until a time). Each operation is a function on an open transaction, so
//! [`Inbox::apply`] can run a whole batch of them in one commit.

use rusqlite::{params, Connection, OptionalExtension};

use super::leases::check_fence;
use super::SqliteStore;
use crate::{Accepted, Arrival, Claim, EntryId, Inbox, InboxEntry, JournalAnswer, JournalOp, Lease, StoreError};

impl Inbox for SqliteStore {
    fn accept(&self, arrivals: &[Arrival]) -> Result<Vec<Accepted>, StoreError> {
        self.transaction(|tx| arrivals.iter().map(|arrival| accept_one(self, tx, arrival)).collect())
    }

    fn apply(&self, ops: &[JournalOp]) -> Result<Vec<Result<JournalAnswer, StoreError>>, StoreError> {
        self.transaction(|tx| {
            let mut answers = Vec::with_capacity(ops.len());
            // A batch holds many claims and completions of few bots: each lease is checked once per commit.
            let mut fences = Fences::default();
            for op in ops {
                let answer = match op {
                    JournalOp::Accept(arrival) => accept_one(self, tx, arrival).map(JournalAnswer::Accepted),
                    JournalOp::Claim { lease, id, max_attempts, now_ms } => fences
                        .check(self, tx, lease)
                        .and_then(|()| claim_one(self, tx, lease, *id, *max_attempts, *now_ms))
                        .map(JournalAnswer::Claimed),
                    JournalOp::Complete { lease, id } => fences
                        .check(self, tx, lease)
                        .and_then(|()| complete_one(self, tx, lease, *id))
                        .map(|()| JournalAnswer::Completed),
                    JournalOp::Release { lease, id } => fences
                        .check(self, tx, lease)
                        .and_then(|()| release_one(self, tx, lease, *id))
                        .map(|()| JournalAnswer::Released),
                };
                match answer {
                    // A refused op leaves the others be; a failed database fails the batch (and rolls it back).
                    Err(StoreError::Unavailable { path, source }) => {
                        return Err(StoreError::Unavailable { path, source })
                    }
                    answer => answers.push(answer),
                }
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
            claim_one(self, tx, lease, id, max_attempts, now_ms)
        })
    }

    fn complete(&self, lease: &Lease, id: EntryId) -> Result<(), StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            complete_one(self, tx, lease, id)
        })
    }

    fn release(&self, lease: &Lease, id: EntryId) -> Result<(), StoreError> {
        self.transaction(|tx| {
            check_fence(self, tx, lease)?;
            release_one(self, tx, lease, id)
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

/// Journals one arrival (see [`Inbox::accept`]).
fn accept_one(store: &SqliteStore, tx: &Connection, arrival: &Arrival) -> Result<Accepted, StoreError> {
    let sql = |source| store.unavailable(source);
    // The usual case, a key never seen, in one statement; a key seen before is looked at and extended.
    let inserted = tx
        .prepare_cached("INSERT INTO inbox_dedupe (key, until) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING")
        .and_then(|mut statement| statement.execute(params![arrival.dedupe_key, arrival.remember_until_ms]))
        .map_err(sql)?;
    if inserted == 0 {
        let until: i64 = tx
            .prepare_cached("SELECT until FROM inbox_dedupe WHERE key = ?1")
            .and_then(|mut statement| statement.query_row([&arrival.dedupe_key], |row| row.get(0)))
            .map_err(sql)?;
        tx.prepare_cached("UPDATE inbox_dedupe SET until = max(until, ?2) WHERE key = ?1")
            .and_then(|mut statement| statement.execute(params![arrival.dedupe_key, arrival.remember_until_ms]))
            .map_err(sql)?;
        if until > arrival.arrived_at_ms {
            return Ok(Accepted::Duplicate);
        }
    }
    let mut journal = tx
        .prepare_cached(
            "INSERT INTO inbox (bot, dedupe_key, payload, arrived_at, attempts) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        )
        .map_err(sql)?;
    let mut ids = Vec::with_capacity(arrival.bots.len());
    for bot in &arrival.bots {
        let id: i64 = journal
            .query_row(
                params![bot, arrival.dedupe_key, arrival.payload, arrival.arrived_at_ms, u32::from(arrival.claimed)],
                |row| row.get(0),
            )
            .map_err(sql)?;
        ids.push(EntryId(id));
    }
    Ok(Accepted::Journaled(ids))
}

/// The leases a batch has checked already. A lease that passed stays good for the rest of the commit: only this
/// transaction could change the leases table meanwhile, and journal operations never do.
#[derive(Default)]
struct Fences {
    passed: Vec<Lease>,
}

impl Fences {
    fn check(&mut self, store: &SqliteStore, tx: &Connection, lease: &Lease) -> Result<(), StoreError> {
        if self.passed.contains(lease) {
            return Ok(());
        }
        check_fence(store, tx, lease)?;
        self.passed.push(lease.clone());
        Ok(())
    }
}

/// Counts an attempt, or buries an entry out of attempts (see [`Inbox::claim`]); the lease was checked.
fn claim_one(
    store: &SqliteStore,
    tx: &Connection,
    lease: &Lease,
    id: EntryId,
    max_attempts: u32,
    now_ms: i64,
) -> Result<Claim, StoreError> {
    // The usual case in one statement: a pending entry with attempts left.
    let counted: Option<u32> = tx
        .prepare_cached(
            "UPDATE inbox SET attempts = attempts + 1 WHERE id = ?1 AND bot = ?2 AND dead = 0 AND attempts < ?3
             RETURNING attempts",
        )
        .and_then(|mut statement| {
            statement.query_row(params![id.0, lease.bot, max_attempts], |row| row.get(0)).optional()
        })
        .map_err(|source| store.unavailable(source))?;
    if let Some(attempt) = counted {
        return Ok(Claim::Run { attempt });
    }
    let Some(attempts) = pending_attempts(tx, lease, id).map_err(|source| store.unavailable(source))? else {
        return Ok(Claim::Gone);
    };
    // Out of attempts: the statement above counted any pending entry that had some left.
    let reason = format!(
        "its hook was started {attempts} time(s) and never finished well (it failed, or the process died running \
         it); max_attempts is {max_attempts}"
    );
    bury_entry(tx, id, &reason, now_ms).map_err(|source| store.unavailable(source))?;
    Ok(Claim::Dead { attempts })
}

/// Deletes a finished entry (see [`Inbox::complete`]); the lease was checked.
fn complete_one(store: &SqliteStore, tx: &Connection, lease: &Lease, id: EntryId) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM inbox WHERE id = ?1 AND bot = ?2 AND dead = 0")
        .and_then(|mut statement| statement.execute(params![id.0, lease.bot]))
        .map_err(|source| store.unavailable(source))?;
    Ok(())
}

/// Gives back an attempt claimed for a hook that never started (see [`Inbox::release`]); the lease was checked.
fn release_one(store: &SqliteStore, tx: &Connection, lease: &Lease, id: EntryId) -> Result<(), StoreError> {
    tx.prepare_cached("UPDATE inbox SET attempts = max(attempts - 1, 0) WHERE id = ?1 AND bot = ?2 AND dead = 0")
        .and_then(|mut statement| statement.execute(params![id.0, lease.bot]))
        .map_err(|source| store.unavailable(source))?;
    Ok(())
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
