//! Cleaning the journals in SQLite (see `crate::retention`).

use rusqlite::params;

use super::SqliteStore;
use crate::{Cleaned, JournalSizes, Retention, RetentionPolicy, StoreError};

impl Retention for SqliteStore {
    fn clean(&self, policy: &RetentionPolicy, now_ms: i64) -> Result<Cleaned, StoreError> {
        self.transaction(|tx| {
            let sql = |source| self.unavailable(source);
            let dedupe_records = tx.execute("DELETE FROM inbox_dedupe WHERE until <= ?1", [now_ms]).map_err(sql)?;
            let max_age_ms = i64::try_from(policy.dead_letter_max_age.as_millis()).unwrap_or(i64::MAX);
            let too_old = now_ms.saturating_sub(max_age_ms);
            let mut dead_letters =
                tx.execute("DELETE FROM inbox WHERE dead = 1 AND dead_at <= ?1", [too_old]).map_err(sql)?;
            let keep = i64::try_from(policy.max_dead_letters).unwrap_or(i64::MAX);
            dead_letters += tx
                .execute(
                    "DELETE FROM inbox WHERE dead = 1 AND id NOT IN
                     (SELECT id FROM inbox WHERE dead = 1 ORDER BY dead_at DESC, id DESC LIMIT ?1)",
                    params![keep],
                )
                .map_err(sql)?;
            Ok(Cleaned { dedupe_records: dedupe_records as u64, dead_letters: dead_letters as u64 })
        })
    }

    fn sizes(&self) -> Result<JournalSizes, StoreError> {
        self.transaction(|tx| {
            let count = |query: &str| -> Result<u64, StoreError> {
                tx.query_row(query, [], |row| row.get::<_, i64>(0))
                    .map(|count| count as u64)
                    .map_err(|source| self.unavailable(source))
            };
            Ok(JournalSizes {
                pending: count("SELECT count(*) FROM inbox WHERE dead = 0")?,
                dead: count("SELECT count(*) FROM inbox WHERE dead = 1")?,
                dedupe_records: count("SELECT count(*) FROM inbox_dedupe")?,
            })
        })
    }
}
