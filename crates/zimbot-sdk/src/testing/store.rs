//! The harness's per-bot store: in memory, with the runtime's rules and errors (the same key and size checks
//! from `zimbot_abi::store`, revisions that grow with every write and outlive deletes), so a plugin's store code
//! is tested as it will run. It outlives [`super::TestBot::restart`], as the runtime's database outlives an
//! instance.

use std::collections::BTreeMap;
use zimbot_abi::store::{
    check_key, check_put, too_many_entries, Revision, StoreFailure, StoreFailureReason, StoredEntry, Swap,
    MAX_LIST_ENTRIES,
};
use zimbot_abi::{Action, ActionReply};

#[derive(Default)]
pub(super) struct MemoryStore {
    entries: BTreeMap<String, StoredEntry>,
    last_revision: u64,
    /// Set by the test: every call fails as a read-only or full database makes the runtime's fail.
    pub(super) unavailable: bool,
}

impl MemoryStore {
    /// Answers a store action (see `zimbot_abi::store::is_store_action`) for a plugin of `plugin_version`.
    pub(super) fn answer(&mut self, action: Action, plugin_version: &str) -> ActionReply {
        match self.carry_out(action, plugin_version) {
            Ok(reply) => reply,
            Err(failure) => ActionReply::StoreFailed { failure },
        }
    }

    fn carry_out(&mut self, action: Action, plugin_version: &str) -> Result<ActionReply, StoreFailure> {
        if self.unavailable {
            return Err(StoreFailure::new(
                StoreFailureReason::StorageUnavailable,
                "the test made the store unavailable (TestBot::set_store_unavailable)",
            ));
        }
        Ok(match action {
            Action::StoreGet { key } => {
                check_key(&key)?;
                ActionReply::StoreValue { entry: self.entries.get(&key).cloned() }
            }
            Action::StorePut { key, value } => {
                check_put(&key, &value)?;
                ActionReply::StoreWritten { revision: self.write(key, value, plugin_version) }
            }
            Action::StoreDelete { key } => {
                check_key(&key)?;
                ActionReply::StoreDeleted { existed: self.entries.remove(&key).is_some() }
            }
            Action::StoreList { prefix } => {
                let entries: Vec<StoredEntry> = self
                    .entries
                    .range(prefix.clone()..)
                    .take_while(|(key, _)| key.starts_with(&prefix))
                    .take(MAX_LIST_ENTRIES + 1)
                    .map(|(_, entry)| entry.clone())
                    .collect();
                if entries.len() > MAX_LIST_ENTRIES {
                    return Err(too_many_entries(&prefix));
                }
                ActionReply::StoreListed { entries }
            }
            Action::StoreCompareAndSwap { key, expected, value } => {
                check_put(&key, &value)?;
                let current = self.entries.get(&key).map(|entry| entry.revision);
                let swap = match current == expected {
                    true => Swap::Swapped { revision: self.write(key, value, plugin_version) },
                    false => Swap::Conflict { current },
                };
                ActionReply::StoreSwapped { swap }
            }
            other => ActionReply::Error { message: format!("not a store action: {other:?}") },
        })
    }

    /// Stores `value` under `key` as written by `plugin_version`, under the next revision.
    pub(super) fn write(&mut self, key: String, value: serde_json::Value, plugin_version: &str) -> Revision {
        self.last_revision += 1;
        let revision = Revision(self.last_revision);
        let entry = StoredEntry { key: key.clone(), value, plugin_version: plugin_version.to_owned(), revision };
        self.entries.insert(key, entry);
        revision
    }

    pub(super) fn entry(&self, key: &str) -> Option<StoredEntry> {
        self.entries.get(key).cloned()
    }
}
