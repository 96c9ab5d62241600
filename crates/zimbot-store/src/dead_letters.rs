//! The dead-letter list: inbox entries that will not be delivered again on their own, kept so a person can look
//! at them and retry or purge them (`zimbot inbox`).
//!
//! An entry lands here when its attempts ran out (its hook failed, or crashed the process, `max_attempts`
//! times) or when it could not be delivered at all. Retrying puts it back at the end of its bot's pending
//! entries with its attempts reset; the bot takes it at its next start.

use crate::{EntryId, StoreError};

/// Which entries a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryState {
    Pending,
    Dead,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Dead => "dead",
        }
    }
}

/// One entry as `zimbot inbox` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedEntry {
    pub id: EntryId,
    pub bot: String,
    pub state: EntryState,
    pub dedupe_key: String,
    pub attempts: u32,
    pub arrived_at_ms: i64,
    /// Why it is dead (dead entries only).
    pub reason: Option<String>,
    pub payload: Vec<u8>,
}

/// Looking at and acting on journaled entries from outside the bots (an operator's tool). These calls take no
/// lease: they work on a stopped store as well as a running one, and a running bot sees a retried entry at its
/// next start.
pub trait DeadLetters: Send + Sync {
    /// Entries in `state`, of `bot` when given, oldest first.
    fn list(&self, state: EntryState, bot: Option<&str>) -> Result<Vec<ListedEntry>, StoreError>;

    /// Puts dead entry `id` back in its bot's pending entries, attempts reset and last in line. False when there
    /// is no dead entry `id`.
    fn retry(&self, id: EntryId) -> Result<bool, StoreError>;

    /// Deletes entry `id` (pending or dead). False when there is none.
    fn purge(&self, id: EntryId) -> Result<bool, StoreError>;
}
