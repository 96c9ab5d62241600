//! Per-bot key-value data: what a plugin keeps with `ctx.store()`.
//!
//! The model: each bot has its own keys (text) holding JSON text. Every write stamps the value with the version
//! of the plugin that wrote it, so a newer version can tell what it must migrate, and with a revision: a number
//! that grows with every write of the bot's data and is never reused, not even after a delete (so a
//! compare-and-swap can never mistake a deleted-then-rewritten key for the one it read).
//!
//! Every call carries the bot's [`Lease`] and is refused with [`StoreError::Fenced`] once another owner took the
//! bot, reads included (a stale owner's reads could be older than the new owner's writes). The size and shape of
//! keys and values are the hosts' to check (`zimbot_abi::store`): this seam stores what it is given.

use crate::{Lease, StoreError};

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataEntry {
    pub key: String,
    /// The value's JSON text.
    pub value: String,
    /// The version of the plugin that wrote it.
    pub plugin_version: String,
    pub revision: u64,
}

/// A value to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataWrite<'a> {
    pub key: &'a str,
    /// The value's JSON text.
    pub value: &'a str,
    pub plugin_version: &'a str,
}

/// What [`BotData::compare_and_swap`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swapped {
    /// Written, under this revision.
    Written(u64),
    /// The key held another revision (`None`: it was absent); nothing was written.
    Conflict(Option<u64>),
}

/// The per-bot key-value store.
pub trait BotData: Send + Sync {
    /// The value under `key`, if any.
    fn get(&self, lease: &Lease, key: &str) -> Result<Option<DataEntry>, StoreError>;

    /// Writes `write`, replacing what its key held; answers the new revision.
    fn put(&self, lease: &Lease, write: DataWrite<'_>) -> Result<u64, StoreError>;

    /// Removes `key`; answers whether it held a value.
    fn delete(&self, lease: &Lease, key: &str) -> Result<bool, StoreError>;

    /// The entries whose key starts with `prefix`, in key order, at most `limit` of them (a caller that must
    /// know whether there are more asks for one more than it shows).
    fn list(&self, lease: &Lease, prefix: &str, limit: usize) -> Result<Vec<DataEntry>, StoreError>;

    /// Writes `write` only if its key holds revision `expected` (`None`: only if the key is absent), in one
    /// transaction.
    fn compare_and_swap(
        &self,
        lease: &Lease,
        expected: Option<u64>,
        write: DataWrite<'_>,
    ) -> Result<Swapped, StoreError>;
}
