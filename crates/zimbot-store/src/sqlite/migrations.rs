//! The schema, as a list of numbered steps. A database records how many it has applied (`user_version`); opening
//! applies the rest in one transaction each. Steps are only ever appended: a released step never changes.

use std::path::Path;

use rusqlite::Connection;

use crate::StoreError;

/// Every step, in order. Step N (1-based) brings the schema to version N.
const STEPS: &[&str] = &[
    // 1: bot ownership and fencing.
    "CREATE TABLE leases (
        bot   TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        fence INTEGER NOT NULL
    );",
    // 2: the outbox of accepted sends. Ids are never reused (AUTOINCREMENT): they are the sends' local ids.
    "CREATE TABLE outbox (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        bot          TEXT NOT NULL,
        conversation TEXT NOT NULL,
        payload      TEXT NOT NULL,
        accepted_ms  INTEGER NOT NULL,
        deadline_ms  INTEGER,
        state        TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'sent', 'failed')),
        attempts     INTEGER NOT NULL,
        outcome      TEXT,
        finished_ms  INTEGER,
        fence        INTEGER NOT NULL
    );
    CREATE INDEX outbox_open ON outbox (bot, conversation, id) WHERE state IN ('queued', 'claimed');
    CREATE INDEX outbox_finished ON outbox (state, finished_ms) WHERE finished_ms IS NOT NULL;",
    // 3: the inbox journal (pending and dead entries) and the callback dedupe records.
    "CREATE TABLE inbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        bot         TEXT NOT NULL,
        dedupe_key  TEXT NOT NULL,
        payload     BLOB NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        dead        INTEGER NOT NULL DEFAULT 0,
        reason      TEXT,
        arrived_at  INTEGER NOT NULL,
        dead_at     INTEGER
    );
    CREATE INDEX inbox_by_bot ON inbox (bot, dead, id);
    CREATE INDEX inbox_dead_by_age ON inbox (dead, dead_at);
    CREATE TABLE inbox_dedupe (
        key   TEXT PRIMARY KEY,
        until INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX inbox_dedupe_by_until ON inbox_dedupe (until);",
    // 4: cron bookkeeping: each schedule's last fire (its ticks are inbox entries).
    "CREATE TABLE cron_fires (
        bot       TEXT NOT NULL,
        schedule  TEXT NOT NULL,
        last_fire INTEGER NOT NULL,
        PRIMARY KEY (bot, schedule)
    ) WITHOUT ROWID;",
    // 5: per-bot key-value data (`ctx.store()`), and each bot's last revision (revisions outlive deletes).
    "CREATE TABLE bot_data (
        bot            TEXT NOT NULL,
        key            TEXT NOT NULL,
        value          TEXT NOT NULL,
        plugin_version TEXT NOT NULL,
        revision       INTEGER NOT NULL,
        PRIMARY KEY (bot, key)
    ) WITHOUT ROWID;
    CREATE TABLE bot_data_revisions (
        bot  TEXT PRIMARY KEY,
        last INTEGER NOT NULL
    ) WITHOUT ROWID;",
    // 6: plugin snapshots: one row per bot, replaced newest-wins by (fence, sequence).
    "CREATE TABLE snapshots (
        bot      TEXT PRIMARY KEY,
        snapshot BLOB NOT NULL,
        fence    INTEGER NOT NULL,
        sequence INTEGER NOT NULL
    ) WITHOUT ROWID;",
    // 7: dead letters are indexed by age alone: the index of step 3 took a write for every live entry's
    // journaling and completion, which retention never looks at.
    "DROP INDEX inbox_dead_by_age;
    CREATE INDEX inbox_dead_by_age ON inbox (dead_at) WHERE dead = 1;",
];

/// Applies the steps the database has not seen yet.
pub(super) fn apply(connection: &Connection, path: &Path) -> Result<(), StoreError> {
    let unavailable = |source| StoreError::Unavailable { path: path.to_path_buf(), source };
    let known = STEPS.len() as i64;
    let found: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(unavailable)?;
    if found > known {
        return Err(StoreError::NewerSchema { path: path.to_path_buf(), found, known });
    }
    for (index, step) in STEPS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let apply_step = || -> rusqlite::Result<()> {
            connection.execute_batch("BEGIN IMMEDIATE")?;
            connection.execute_batch(step)?;
            connection.pragma_update(None, "user_version", version)?;
            connection.execute_batch("COMMIT")
        };
        if let Err(source) = apply_step() {
            let _ = connection.execute_batch("ROLLBACK");
            return Err(unavailable(source));
        }
    }
    Ok(())
}
