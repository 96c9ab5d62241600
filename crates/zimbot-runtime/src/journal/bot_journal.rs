//! One bot's side of the inbox journal: the entries it was handed, and the claims it makes on them under its
//! lease. Every store call runs on the blocking pool.

use super::Storage;
use std::sync::Arc;
use zimbot_model::ReceivedMessage;
use zimbot_store::{Claim, EntryId, Inbox, Lease, StoreError};

/// A journaled message on its way through a bot's inbound lane.
#[derive(Debug, Clone, PartialEq)]
pub struct JournaledMessage {
    pub entry: EntryId,
    pub message: ReceivedMessage,
}

/// A bot's lease on its journal entries.
pub struct BotJournal {
    inbox: Arc<dyn Inbox>,
    lease: Lease,
    max_attempts: u32,
}

impl BotJournal {
    /// Takes `bot`'s lease for this process (blocking: call it where blocking is fine, as bot start is).
    pub fn acquire(storage: &Storage, bot: &str) -> Result<Self, StoreError> {
        let lease = storage.leases.acquire(bot, &storage.owner)?;
        Ok(Self { inbox: Arc::clone(&storage.inbox), lease, max_attempts: storage.max_attempts })
    }

    /// The entries the bot has not finished, oldest first, as messages for its lane (blocking). An entry whose
    /// payload is not a message any more is buried with that reason rather than dropped.
    pub fn unfinished(&self) -> Result<Vec<JournaledMessage>, StoreError> {
        let mut messages = Vec::new();
        for entry in self.inbox.pending(&self.lease)? {
            match serde_json::from_slice::<ReceivedMessage>(&entry.payload) {
                Ok(message) => messages.push(JournaledMessage { entry: entry.id, message }),
                Err(error) => {
                    let reason = format!("the journaled message cannot be read: {error}");
                    tracing::error!(bot = %self.lease.bot, entry = %entry.id, "{reason}; moved to the dead letters");
                    self.inbox.bury(&self.lease, entry.id, &reason, wall_ms())?;
                }
            }
        }
        Ok(messages)
    }

    /// Attempts a hook gets.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Counts an attempt on `entry` before its hook runs (see `zimbot_store::Inbox::claim`).
    pub async fn claim(self: &Arc<Self>, entry: EntryId) -> Result<Claim, StoreError> {
        let journal = Arc::clone(self);
        blocking(move || journal.inbox.claim(&journal.lease, entry, journal.max_attempts, wall_ms())).await
    }

    /// The hook ran to the end: `entry` leaves the journal.
    pub async fn complete(self: &Arc<Self>, entry: EntryId) -> Result<(), StoreError> {
        let journal = Arc::clone(self);
        blocking(move || journal.inbox.complete(&journal.lease, entry)).await
    }

    /// The last attempt failed: `entry` becomes a dead letter with `reason`.
    pub async fn bury(self: &Arc<Self>, entry: EntryId, reason: String) -> Result<(), StoreError> {
        let journal = Arc::clone(self);
        blocking(move || journal.inbox.bury(&journal.lease, entry, &reason, wall_ms())).await
    }
}

/// Runs a store call on the blocking pool. A panic in the store is a bug; it reaches the caller as a panic.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// When an entry died, by the wall clock (retention ages dead letters by it).
fn wall_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
