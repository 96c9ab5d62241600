//! The tables, created on first open.

use rusqlite::Connection;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    user_id    TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    avatar     TEXT NOT NULL DEFAULT '',
    is_bot     INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
    conv_type    INTEGER NOT NULL,
    first        TEXT NOT NULL,
    second       TEXT NOT NULL,
    last_seq     INTEGER NOT NULL,
    last_time_ms INTEGER NOT NULL,
    PRIMARY KEY (conv_type, first, second)
);
CREATE TABLE IF NOT EXISTS messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    conv_type     INTEGER NOT NULL,
    first         TEXT NOT NULL,
    second        TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    conv_id       TEXT NOT NULL,
    from_user     TEXT NOT NULL,
    msg_type      INTEGER NOT NULL,
    sub_msg_type  INTEGER NOT NULL,
    body          TEXT NOT NULL,
    text          TEXT,
    media_kind    TEXT,
    media_url     TEXT,
    file_name     TEXT,
    file_size     INTEGER,
    extended_data TEXT NOT NULL,
    source        INTEGER NOT NULL,
    time_ms       INTEGER NOT NULL,
    UNIQUE (conv_type, first, second, seq)
);
-- Who was in a room when each of its messages was sent: the only people it reached, and the only ones whose
-- room history shows it (the service delivers room messages to the members online then and keeps no history).
CREATE TABLE IF NOT EXISTS room_receipts (
    user_id    TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, message_id)
);
CREATE TABLE IF NOT EXISTS media (
    uid        TEXT NOT NULL,
    file_name  TEXT NOT NULL,
    uploader   TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (uid, file_name)
);
-- A group's row stays after it is disbanded (disbanded_ms set), so its id is never used again.
CREATE TABLE IF NOT EXISTS groups (
    group_id     TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    owner        TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    disbanded_ms INTEGER
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id  TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    joined_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
";

/// Creates missing tables. WAL keeps readers from waiting on the writer.
pub(super) fn prepare(connection: &Connection) -> rusqlite::Result<()> {
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.execute_batch(SCHEMA)
}
