//! The runtime's side of the storage seam: what it keeps through `zimbot_store` so nothing acknowledged is lost.
//!
//! - [`Storage`]: the store's trait objects and this process's [`Owner`], handed to the runtime at start (by
//!   `zimbot run`, which opens the one `SqliteStore`). Without it the runtime keeps nothing (tests, tools).
//! - [`InboxWriter`]: group commit. The webhook hands each callback to it and answers 200 only once its batch
//!   is committed; callbacks arriving while a batch commits form the next batch, so one commit carries many.
//! - [`BotJournal`]: one bot's claims (attempt counted before the hook), completions and dead letters, under
//!   the bot's lease; and its cron ticks, journaled with their schedule's last fire in one commit, so the
//!   scheduler resumes each schedule after its last fire across restarts.
//! - `retention`: the task that cleans the journals on `storage.retention.interval_secs`.
//!
//! Storage errors never stop the process: the webhook answers 503 (ZIM retries), a hook whose attempt could
//! not be counted still runs (it will be delivered again after a restart, which at-least-once allows).

mod bot_journal;
mod retention;
mod writer;

pub use bot_journal::{
    BotJournal, JournaledMembership, JournaledMessage, JournaledTick, Unfinished, MEMBERSHIP_KEY_PREFIX,
};
pub use retention::spawn_retention;
pub use writer::{InboxWriter, JournalError};

use crate::config::StorageConfig;
use std::sync::Arc;
use std::time::Duration;
use zimbot_store::{BotData, CronBook, DeadLetters, Inbox, Leases, Owner, Retention, RetentionPolicy, SqliteStore};

/// Everything the runtime keeps, behind the store's traits.
#[derive(Clone)]
pub struct Storage {
    pub inbox: Arc<dyn Inbox>,
    pub cron: Arc<dyn CronBook>,
    pub leases: Arc<dyn Leases>,
    pub dead_letters: Arc<dyn DeadLetters>,
    pub retention: Arc<dyn Retention>,
    /// Each bot's key-value data (`ctx.store()`).
    pub data: Arc<dyn BotData>,
    /// Who this process is to the store: every lease it takes names it.
    pub owner: Owner,
    /// Attempts a message's hook gets before the message is a dead letter.
    pub max_attempts: u32,
    pub retention_policy: RetentionPolicy,
    pub retention_interval: Duration,
}

impl Storage {
    /// The runtime's storage on one SQLite store, with `config`'s settings and a new owner for this process.
    pub fn sqlite(store: Arc<SqliteStore>, config: &StorageConfig) -> Self {
        Self {
            inbox: store.clone(),
            cron: store.clone(),
            leases: store.clone(),
            dead_letters: store.clone(),
            data: store.clone(),
            retention: store,
            owner: process_owner(),
            max_attempts: config.max_attempts,
            retention_policy: config.retention,
            retention_interval: config.retention_interval,
        }
    }
}

/// One owner per process: its pid and start time, unique among the processes sharing a store.
fn process_owner() -> Owner {
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
    Owner::new(format!("pid{}@{started}", std::process::id()))
}
