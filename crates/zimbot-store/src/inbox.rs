//! The inbox journal: callbacks the webhook acknowledged, kept until each bot's hook has run for them.
//!
//! The model: the webhook hands a batch of [`Arrival`]s to [`Inbox::accept`], which journals them in one commit
//! (group commit) and answers only then, so a callback answered 200 is on disk. Each arrival names the bots it
//! goes to; each bot gets its own [`InboxEntry`], and a bot's entries are delivered in arrival order (their ids
//! grow with arrival). An arrival whose dedupe key was journaled before (and not yet expired) is a duplicate:
//! nothing is journaled for it.
//!
//! Work is taken by explicit claims carrying the bot's [`Lease`]: [`Inbox::claim`] counts an attempt in the
//! journal BEFORE the hook runs (so a hook that crashes the process is counted too), [`Inbox::complete`] ends
//! the entry, [`Inbox::release`] gives back an attempt that was claimed but never started. An entry whose
//! attempts reached the limit is not run again: the claim moves it to the dead-letter list
//! (see [`crate::DeadLetters`]). Every call with a stale lease is refused with [`StoreError::Fenced`].
//!
//! An arrival may instead count its entries' first attempt as it is journaled ([`Arrival::claimed`]): a runtime
//! that hands entries straight to their hooks then makes one commit per message fewer. Later attempts (after
//! a failure or a restart) are claimed as above.

use crate::{Lease, StoreError};

/// An entry's id: unique in the store, growing with arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryId(pub i64);

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One acknowledged callback, as handed to [`Inbox::accept`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// What makes a repeat of this callback recognisable (`msg:{msg_id}`).
    pub dedupe_key: String,
    /// Until when (ms since the Unix epoch) the key is remembered.
    pub remember_until_ms: i64,
    /// When it arrived (ms since the Unix epoch).
    pub arrived_at_ms: i64,
    /// What the entries hold (the received message, as JSON).
    pub payload: Vec<u8>,
    /// The bots it goes to: one entry each.
    pub bots: Vec<String>,
    /// Whether each entry's first attempt is counted as it is journaled (its attempts start at 1), for a caller
    /// that hands the entries straight to their bots, which then run the first hook without a claim of their own
    /// (one commit fewer per message, and no wait for it before the hook). The price: an entry still waiting
    /// when the process dies has used one attempt it never ran. [`Inbox::release`] gives it back when its hook
    /// never starts (an orderly stop).
    pub claimed: bool,
}

/// What [`Inbox::accept`] did with one arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Journaled: one entry per bot, in the order the arrival named them.
    Journaled(Vec<EntryId>),
    /// Its dedupe key was remembered: nothing journaled.
    Duplicate,
}

/// A journaled entry, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    pub id: EntryId,
    pub bot: String,
    pub dedupe_key: String,
    pub payload: Vec<u8>,
    /// Attempts counted so far (each claim counts one before its hook runs).
    pub attempts: u32,
    pub arrived_at_ms: i64,
}

/// What a claim gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Run the hook: this is attempt number `attempt` (1 for the first; more is a redelivery).
    Run { attempt: u32 },
    /// The entry had used up its attempts and is now a dead letter; do not run it.
    Dead { attempts: u32 },
    /// No such pending entry (completed, dead, or purged meanwhile).
    Gone,
}

/// One operation of a batch for [`Inbox::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalOp {
    Accept(Arrival),
    Claim {
        lease: Lease,
        id: EntryId,
        max_attempts: u32,
        now_ms: i64,
    },
    Complete {
        lease: Lease,
        id: EntryId,
    },
    /// See [`Inbox::release`].
    Release {
        lease: Lease,
        id: EntryId,
    },
}

/// What one operation of a batch gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalAnswer {
    Accepted(Accepted),
    Claimed(Claim),
    Completed,
    Released,
}

/// The inbox journal. Implementations must make `accept` and `apply` one atomic commit per batch.
pub trait Inbox: Send + Sync {
    /// Journals `arrivals` in one commit, remembering their dedupe keys; answers one [`Accepted`] per arrival, in
    /// order. Once it returns `Ok`, every journaled entry survives a crash (at the store's durability level).
    fn accept(&self, arrivals: &[Arrival]) -> Result<Vec<Accepted>, StoreError>;

    /// Runs a batch of operations — arrivals, claims and completions of any bots — in one commit (group commit
    /// for the whole journal), answering each in order. An operation refused on its own (a stale lease) is
    /// answered with its error and the others go on; a database that fails fails the whole batch.
    fn apply(&self, ops: &[JournalOp]) -> Result<Vec<Result<JournalAnswer, StoreError>>, StoreError>;

    /// The lease's bot's pending entries (not completed, not dead), oldest first.
    fn pending(&self, lease: &Lease) -> Result<Vec<InboxEntry>, StoreError>;

    /// Counts an attempt on `id` before its hook runs; an entry that already had `max_attempts` becomes a dead
    /// letter instead, dead since `now_ms` (its earlier attempts never finished: they failed or the process died
    /// running them).
    fn claim(&self, lease: &Lease, id: EntryId, max_attempts: u32, now_ms: i64) -> Result<Claim, StoreError>;

    /// The hook ran to the end for `id`: the entry leaves the journal.
    fn complete(&self, lease: &Lease, id: EntryId) -> Result<(), StoreError>;

    /// `id` was claimed but its hook never started (the bot is stopping): the attempt is given back.
    fn release(&self, lease: &Lease, id: EntryId) -> Result<(), StoreError>;

    /// Moves `id` to the dead-letter list with `reason` (its last attempt failed and no attempt is left).
    fn bury(&self, lease: &Lease, id: EntryId, reason: &str, now_ms: i64) -> Result<(), StoreError>;
}
