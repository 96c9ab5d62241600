//! A bot's `ctx.store()` on the host side: the store actions a plugin submits, carried out on the runtime's
//! [`BotData`] under the bot's lease.
//!
//! Keys and values are checked with `zimbot_abi::store`'s rules (the SDK's test harness applies the same ones),
//! every write is stamped with the plugin's version, and each call runs on the blocking pool (SQLite waits for
//! the disk). The lease is taken when the bot starts (an owner that holds the bot already, as the journal does,
//! gets the same lease), and kept: once another owner takes the bot over, writes through it are refused as
//! `fenced`. A store that fails (read-only, full) answers `storage_unavailable`, and the bot keeps running.

use crate::journal::Storage;
use parking_lot::Mutex;
use std::sync::Arc;
use zimbot_abi::store::{
    check_key, check_put, too_many_entries, Revision, StoreFailure, StoreFailureReason, StoredEntry, Swap,
    MAX_LIST_ENTRIES,
};
use zimbot_abi::{Action, ActionReply};
use zimbot_store::{DataEntry, DataWrite, Lease, StoreError, Swapped};

/// One bot's store, as its plugin instances reach it.
pub(super) struct BotStoreHost {
    storage: Option<Arc<Storage>>,
    bot: String,
    plugin_version: String,
    lease: Mutex<Option<Lease>>,
}

impl BotStoreHost {
    /// The bot's store; its lease is taken now when it can be (a read-only database still serves reads then),
    /// else at the first call.
    pub(super) fn new(storage: Option<Arc<Storage>>, bot: String, plugin_version: String) -> Self {
        let lease = storage.as_ref().and_then(|storage| storage.leases.acquire(&bot, &storage.owner).ok());
        Self { storage, bot, plugin_version, lease: Mutex::new(lease) }
    }

    /// Carries out a store action (see `zimbot_abi::store::is_store_action`).
    pub(super) async fn answer(self: Arc<Self>, action: Action) -> ActionReply {
        let answered = tokio::task::spawn_blocking(move || self.carry_out(action)).await;
        match answered {
            Ok(Ok(reply)) => reply,
            Ok(Err(failure)) => ActionReply::StoreFailed { failure },
            Err(error) => ActionReply::StoreFailed {
                failure: StoreFailure::new(StoreFailureReason::StorageUnavailable, format!("the call failed: {error}")),
            },
        }
    }

    fn carry_out(&self, action: Action) -> Result<ActionReply, StoreFailure> {
        let Some(storage) = &self.storage else {
            return Err(StoreFailure::new(
                StoreFailureReason::StorageUnavailable,
                "this host was started without storage, so it keeps no bot data",
            ));
        };
        let data = &storage.data;
        Ok(match action {
            Action::StoreGet { key } => {
                check_key(&key)?;
                let entry = data.get(&self.lease(storage)?, &key).map_err(|error| self.failure(&key, error))?;
                ActionReply::StoreValue { entry: entry.map(|entry| stored(entry, &key)).transpose()? }
            }
            Action::StorePut { key, value } => {
                let text = check_put(&key, &value)?;
                let lease = self.lease(storage)?;
                let revision = data.put(&lease, self.write(&key, &text)).map_err(|error| self.failure(&key, error))?;
                ActionReply::StoreWritten { revision: Revision(revision) }
            }
            Action::StoreDelete { key } => {
                check_key(&key)?;
                let existed = data.delete(&self.lease(storage)?, &key).map_err(|error| self.failure(&key, error))?;
                ActionReply::StoreDeleted { existed }
            }
            Action::StoreList { prefix } => {
                let lease = self.lease(storage)?;
                let entries =
                    data.list(&lease, &prefix, MAX_LIST_ENTRIES + 1).map_err(|error| self.failure(&prefix, error))?;
                if entries.len() > MAX_LIST_ENTRIES {
                    return Err(too_many_entries(&prefix));
                }
                let entries = entries.into_iter().map(|entry| stored(entry, &prefix)).collect::<Result<_, _>>()?;
                ActionReply::StoreListed { entries }
            }
            Action::StoreCompareAndSwap { key, expected, value } => {
                let text = check_put(&key, &value)?;
                let lease = self.lease(storage)?;
                let swapped = data
                    .compare_and_swap(&lease, expected.map(|revision| revision.0), self.write(&key, &text))
                    .map_err(|error| self.failure(&key, error))?;
                ActionReply::StoreSwapped {
                    swap: match swapped {
                        Swapped::Written(revision) => Swap::Swapped { revision: Revision(revision) },
                        Swapped::Conflict(current) => Swap::Conflict { current: current.map(Revision) },
                    },
                }
            }
            other => ActionReply::Error { message: format!("not a store action: {other:?}") },
        })
    }

    fn write<'a>(&'a self, key: &'a str, text: &'a str) -> DataWrite<'a> {
        DataWrite { key, value: text, plugin_version: &self.plugin_version }
    }

    /// The bot's lease, taken at the first call.
    fn lease(&self, storage: &Storage) -> Result<Lease, StoreFailure> {
        let mut lease = self.lease.lock();
        if let Some(lease) = &*lease {
            return Ok(lease.clone());
        }
        let taken = storage.leases.acquire(&self.bot, &storage.owner).map_err(|error| self.failure("", error))?;
        *lease = Some(taken.clone());
        Ok(taken)
    }

    /// A store error as the plugin hears it; logged here, as the plugin may not log it.
    fn failure(&self, key: &str, error: StoreError) -> StoreFailure {
        let reason = match error {
            StoreError::Fenced { .. } => StoreFailureReason::Fenced,
            StoreError::Unavailable { .. } | StoreError::NewerSchema { .. } => StoreFailureReason::StorageUnavailable,
        };
        tracing::error!(bot = %self.bot, key, "store call failed: {error}");
        StoreFailure::new(reason, format!("the store call for key {key:?} failed: {error}"))
    }
}

/// A stored entry as the plugin reads it. Its text was JSON when it was checked in, so a value that no longer
/// reads as JSON means the database was changed by hand.
fn stored(entry: DataEntry, asked: &str) -> Result<StoredEntry, StoreFailure> {
    let value = serde_json::from_str(&entry.value).map_err(|error| {
        StoreFailure::new(
            StoreFailureReason::StorageUnavailable,
            format!("the stored value of key {:?} (asked: {asked:?}) is not JSON: {error}", entry.key),
        )
    })?;
    Ok(StoredEntry { key: entry.key, value, plugin_version: entry.plugin_version, revision: Revision(entry.revision) })
}
