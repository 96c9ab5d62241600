//! What a storage operation can fail with.

use std::path::PathBuf;

/// A storage operation's failure, said so a person can act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be opened, read or written (disk full, read-only directory, corrupt file).
    /// Callers report `storage_unavailable` to plugins and 503 to ZIM, so nothing acknowledged depends on it.
    #[error("storage unavailable at {path}: {source}")]
    Unavailable {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    /// The caller no longer owns the bot: another owner took it with a newer fencing token.
    #[error("bot '{bot}' is owned by '{owner}' with fence {current}; a write with fence {presented} was refused")]
    Fenced { bot: String, owner: String, current: u64, presented: u64 },
    /// The database was written by a newer zimbot than this one.
    #[error("storage at {path} has schema version {found}; this zimbot knows up to {known}")]
    NewerSchema { path: PathBuf, found: i64, known: i64 },
}
