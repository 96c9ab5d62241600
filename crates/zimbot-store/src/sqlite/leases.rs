//! Leases in one process: every acquire is granted; one by a new owner bumps the bot's fence.

use rusqlite::{params, Connection, OptionalExtension};

use super::SqliteStore;
use crate::{Fence, Lease, Leases, Owner, StoreError};

impl Leases for SqliteStore {
    fn acquire(&self, bot: &str, owner: &Owner) -> Result<Lease, StoreError> {
        self.transaction(|tx| {
            let fence: i64 = tx
                .query_row(
                    "INSERT INTO leases (bot, owner, fence) VALUES (?1, ?2, 1)
                     ON CONFLICT (bot) DO UPDATE SET
                         fence = CASE WHEN owner = excluded.owner THEN fence ELSE fence + 1 END,
                         owner = excluded.owner
                     RETURNING fence",
                    params![bot, owner.as_str()],
                    |row| row.get(0),
                )
                .map_err(|source| self.unavailable(source))?;
            Ok(Lease { bot: bot.to_owned(), owner: owner.clone(), fence: Fence(fence as u64) })
        })
    }

    fn check(&self, lease: &Lease) -> Result<(), StoreError> {
        check_fence(self, &self.connection.lock(), lease)
    }
}

/// Refuses `lease` unless it is still the newest for its bot: every write of a bot's data runs this in its own
/// transaction first, so a stale owner's write never lands.
pub(super) fn check_fence(store: &SqliteStore, connection: &Connection, lease: &Lease) -> Result<(), StoreError> {
    let current: Option<(String, i64)> = connection
        .prepare_cached("SELECT owner, fence FROM leases WHERE bot = ?1")
        .and_then(|mut statement| {
            statement.query_row(params![lease.bot], |row| Ok((row.get(0)?, row.get(1)?))).optional()
        })
        .map_err(|source| store.unavailable(source))?;
    match current {
        Some((owner, fence)) if fence as u64 == lease.fence.0 && owner == lease.owner.as_str() => Ok(()),
        Some((owner, fence)) => {
            Err(StoreError::Fenced { bot: lease.bot.clone(), owner, current: fence as u64, presented: lease.fence.0 })
        }
        None => Err(StoreError::Fenced {
            bot: lease.bot.clone(),
            owner: String::new(),
            current: 0,
            presented: lease.fence.0,
        }),
    }
}
