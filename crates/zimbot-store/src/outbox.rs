//! The outbox: every send a plugin was told is accepted, until it has a final outcome.
//!
//! Model: a send is *enqueued* before its plugin hears `Accepted`, and the store gives it its id (stable across
//! restarts). Sends of one bot to one conversation form a line that is worked in id order: the sender *claims*
//! the next send of a conversation right before its request goes on the wire, and then either *completes* it with
//! its final outcome (sent or failed) or *releases* it (the attempt was answered and may be made again later).
//! A claimed send that is neither completed nor released had its request on the wire when its owner stopped: its
//! outcome is unknown, and whoever resumes the bot decides (send again, or report it failed).
//!
//! Contract:
//! - Every write carries the bot's [`Lease`]; a lease another owner took over is refused with
//!   [`StoreError::Fenced`], so a stale owner never interleaves with the new one.
//! - [`Outbox::claim`] takes a send only when it is the oldest unfinished send of its conversation and no other
//!   send of that conversation is claimed; otherwise it answers [`Claim::NotNext`], and nothing changes.
//! - The payload is opaque to the store (the caller's serialized request, whatever fields it has).
//! - Finished sends stay listed until [`Outbox::remove_finished`] removes them (the retention schedule), failed
//!   ones until they are retried or purged.

use crate::{Lease, StoreError};

/// A send's id, allocated by the store: unique in the store, never reused, stable across restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SendId(pub u64);

/// Where a send is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendState {
    /// Accepted, waiting to be sent (or to be sent again after an answered attempt).
    Queued,
    /// Its request is (or was, at a crash) on the wire.
    Claimed,
    /// Delivered: final.
    Sent,
    /// Ended without being delivered: final, until retried.
    Failed,
}

impl SendState {
    /// Whether the send still has to be worked on.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Queued | Self::Claimed)
    }

    /// The word the store and `zimbot outbox` use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Claimed => "claimed",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// Reads [`SendState::as_str`]'s words back.
    pub fn parse(word: &str) -> Option<Self> {
        [Self::Queued, Self::Claimed, Self::Sent, Self::Failed].into_iter().find(|state| state.as_str() == word)
    }
}

/// A send to store: what the store needs to order it, and the caller's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSend {
    /// The conversation (the caller's key for it): the unit of ordering within the bot.
    pub conversation: String,
    /// The caller's serialized send, returned as is.
    pub payload: String,
    /// When it was accepted, in milliseconds since the Unix epoch.
    pub accepted_ms: i64,
    /// After this (ms since the Unix epoch) it must not go out any more.
    pub deadline_ms: Option<i64>,
}

/// A stored send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSend {
    pub id: SendId,
    pub bot: String,
    pub conversation: String,
    pub payload: String,
    pub accepted_ms: i64,
    pub deadline_ms: Option<i64>,
    pub state: SendState,
    /// Claims made so far (requests put on the wire).
    pub attempts: u32,
    /// The final outcome's detail, for finished sends (the caller's serialized result or failure).
    pub outcome: Option<String>,
    pub finished_ms: Option<i64>,
}

/// A final outcome: sent or failed, with the caller's serialized detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent(String),
    Failed(String),
}

/// What [`Outbox::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Claimed: this is the attempt's number (1 for the first).
    Claimed { attempt: u32 },
    /// Not claimable now: an earlier send of its conversation is unfinished, another is claimed, or the send is
    /// finished or gone.
    NotNext,
}

/// Which sends [`Outbox::list`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Queued and claimed sends.
    Open,
    /// Failed sends (the dead list).
    Failed,
    /// Every stored send.
    All,
}

/// The durable outbox. See the module documentation for the model and the contract.
pub trait Outbox: Send + Sync {
    /// Stores `send` as `lease`'s bot's, queued, and returns its new id.
    fn enqueue(&self, lease: &Lease, send: NewSend) -> Result<SendId, StoreError>;

    /// Claims `id` for an attempt on the wire, if it is the next send of its conversation.
    fn claim(&self, lease: &Lease, id: SendId) -> Result<Claim, StoreError>;

    /// Ends `id` with its final outcome, at `finished_ms`.
    fn complete(&self, lease: &Lease, id: SendId, outcome: Outcome, finished_ms: i64) -> Result<(), StoreError>;

    /// Puts a claimed `id` back in the queue: its attempt was answered and it may be claimed again.
    fn release(&self, lease: &Lease, id: SendId) -> Result<(), StoreError>;

    /// Every unfinished send of `bot`, in id order (which is each conversation's order).
    fn unfinished(&self, bot: &str) -> Result<Vec<StoredSend>, StoreError>;

    /// The bots that have unfinished sends.
    fn bots_with_unfinished(&self) -> Result<Vec<String>, StoreError>;

    /// Sends of `listing`, optionally of one bot, in id order.
    fn list(&self, listing: Listing, bot: Option<&str>) -> Result<Vec<StoredSend>, StoreError>;

    /// Queues a failed send again (an operator's retry; attempts start over). Returns whether it was failed.
    fn retry(&self, id: SendId) -> Result<bool, StoreError>;

    /// Removes a failed send for good. Returns whether it was failed (open and sent ones are left alone).
    fn purge(&self, id: SendId) -> Result<bool, StoreError>;

    /// Retention: removes sent sends finished before `sent_before_ms` and failed ones finished before
    /// `failed_before_ms`. Returns how many were removed.
    fn remove_finished(&self, sent_before_ms: i64, failed_before_ms: i64) -> Result<usize, StoreError>;
}
