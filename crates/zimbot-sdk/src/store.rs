//! `ctx.store()`: the bot's own key-value data, kept by the host (in zimbot's database, beside its journals) so
//! it survives restarts and crashes.
//!
//! Values are any `serde` type, stored as JSON of at most [`MAX_VALUE_BYTES`](zimbot_abi::store::MAX_VALUE_BYTES)
//! under keys of at most [`MAX_KEY_BYTES`](zimbot_abi::store::MAX_KEY_BYTES). Each value remembers the
//! `PluginFactory::VERSION` that wrote it ([`Entry::plugin_version`]) so a newer version can migrate what an
//! older one stored, and carries a [`Revision`] for [`BotStore::compare_and_swap`]. A write is durable once the
//! call returns.

use crate::context::BotContext;
use serde::de::DeserializeOwned;
use serde::Serialize;
use zimbot_abi::store::{StoreFailureReason, StoredEntry};
use zimbot_abi::{Action, ActionReply};

pub use zimbot_abi::store::{Revision, StoreFailure as StoreError, StoreFailureReason as StoreErrorReason, Swap};

/// A stored value with what the store knows about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<T> {
    pub key: String,
    pub value: T,
    /// The `VERSION` of the plugin that wrote it.
    pub plugin_version: String,
    /// Its revision: pass it to [`BotStore::compare_and_swap`] to write only if nobody wrote since.
    pub revision: Revision,
}

/// The bot's store, from [`BotContext::store`]. Cheap to clone; it lives as long as the context it came from.
#[derive(Clone)]
pub struct BotStore {
    context: BotContext,
}

impl BotStore {
    pub(crate) fn new(context: BotContext) -> Self {
        Self { context }
    }

    /// The value under `key`, or `None` when the key is absent.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        Ok(self.entry(key).await?.map(|entry| entry.value))
    }

    /// The value under `key` with its writer's plugin version and its revision. Read it as
    /// `serde_json::Value` to migrate what an older plugin version wrote.
    pub async fn entry<T: DeserializeOwned>(&self, key: &str) -> Result<Option<Entry<T>>, StoreError> {
        match self.submit(Action::StoreGet { key: key.to_owned() }).await? {
            ActionReply::StoreValue { entry } => entry.map(decode).transpose(),
            other => Err(unexpected("get", other)),
        }
    }

    /// Stores `value` under `key`, replacing what it held; answers the value's revision.
    pub async fn put<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<Revision, StoreError> {
        let value = encode(key, value)?;
        match self.submit(Action::StorePut { key: key.to_owned(), value }).await? {
            ActionReply::StoreWritten { revision } => Ok(revision),
            other => Err(unexpected("put", other)),
        }
    }

    /// Removes `key`; answers whether it held a value.
    pub async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        match self.submit(Action::StoreDelete { key: key.to_owned() }).await? {
            ActionReply::StoreDeleted { existed } => Ok(existed),
            other => Err(unexpected("delete", other)),
        }
    }

    /// Every entry whose key starts with `prefix` (`""`: all of them), in key order. A listing that would hold
    /// more than [`MAX_LIST_ENTRIES`](zimbot_abi::store::MAX_LIST_ENTRIES) fails with
    /// [`StoreErrorReason::TooManyEntries`].
    pub async fn list<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<Entry<T>>, StoreError> {
        match self.submit(Action::StoreList { prefix: prefix.to_owned() }).await? {
            ActionReply::StoreListed { entries } => entries.into_iter().map(decode).collect(),
            other => Err(unexpected("list", other)),
        }
    }

    /// Stores `value` under `key` only if the key still holds revision `expected` (`None`: only if it is
    /// absent). A [`Swap::Conflict`] wrote nothing and says what the key holds now: read it again and retry.
    pub async fn compare_and_swap<T: Serialize + ?Sized>(
        &self,
        key: &str,
        expected: Option<Revision>,
        value: &T,
    ) -> Result<Swap, StoreError> {
        let value = encode(key, value)?;
        match self.submit(Action::StoreCompareAndSwap { key: key.to_owned(), expected, value }).await? {
            ActionReply::StoreSwapped { swap } => Ok(swap),
            other => Err(unexpected("compare_and_swap", other)),
        }
    }

    /// Submits a store action; a failure the host reports comes back as `Err`.
    async fn submit(&self, action: Action) -> Result<ActionReply, StoreError> {
        match self.context.submit(&action).await {
            ActionReply::StoreFailed { failure } => Err(failure),
            reply => Ok(reply),
        }
    }
}

fn encode<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|error| {
        StoreError::new(
            StoreFailureReason::Unencodable,
            format!("the value for key {key:?} cannot be stored as JSON: {error}"),
        )
    })
}

fn decode<T: DeserializeOwned>(entry: StoredEntry) -> Result<Entry<T>, StoreError> {
    let StoredEntry { key, value, plugin_version, revision } = entry;
    match serde_json::from_value(value) {
        Ok(value) => Ok(Entry { key, value, plugin_version, revision }),
        Err(error) => Err(StoreError::new(
            StoreFailureReason::Undecodable,
            format!(
                "the value under key {key:?} (written by plugin version {plugin_version}, {revision}) does not \
                 decode as {}: {error}; read it as serde_json::Value to migrate it",
                std::any::type_name::<T>()
            ),
        )),
    }
}

/// A reply that is no answer to a store action: the host is older than the store (ABI 1.0 answers `error`).
fn unexpected(call: &str, reply: ActionReply) -> StoreError {
    let detail = match reply {
        ActionReply::Error { message } => message,
        other => format!("{other:?}"),
    };
    StoreError::new(
        StoreFailureReason::Unsupported,
        format!("the host did not answer the store's {call} (it may predate plugin ABI 1.1): {detail}"),
    )
}
