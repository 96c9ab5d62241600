//! Who owns a bot, and the fencing token that proves it.
//!
//! One process owns all its bots today; a cluster will hand bots between instances. Every write names its owner
//! and fence, so when a bot changes hands the old owner's late writes are refused instead of interleaving.

use crate::StoreError;

/// The instance that owns a bot: a name unique among the instances sharing a store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner(String);

impl Owner {
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fencing token: grows by one each time a bot is acquired, so the newest owner holds the largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fence(pub u64);

/// The right to write a bot's data: its id, the owner and the fence the owner got when it acquired it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub bot: String,
    pub owner: Owner,
    pub fence: Fence,
}

/// Acquiring bots. An embedded engine grants every acquire (there is one process); a clustered one grants a bot
/// to one live owner at a time.
pub trait Leases: Send + Sync {
    /// Takes `bot` for `owner`, returning a lease with a fence larger than any granted before for that bot to
    /// another owner. An owner that holds the bot already gets the same lease again, so the parts of one process
    /// (the inbox journal, the outbox) share one lease per bot.
    fn acquire(&self, bot: &str, owner: &Owner) -> Result<Lease, StoreError>;

    /// Checks that `lease` is still the newest for its bot; `Err(StoreError::Fenced)` if another owner took it.
    fn check(&self, lease: &Lease) -> Result<(), StoreError>;
}
