//! zimbot's storage seam: everything zimbot acknowledges and must not lose.
//!
//! What it is: the traits the runtime and the client write through — the outbox of accepted sends, the inbox
//! journal of acknowledged callbacks, cron bookkeeping, per-bot key-value data, plugin snapshots, callback dedupe
//! and the dead-letter list — and [`SqliteStore`], the embedded engine (one file under the state dir, WAL,
//! versioned migrations) that implements them for one process.
//!
//! What it is not: a cache or a general database. Every operation is made so that a clustered engine can
//! implement it later without a redesign: it names the [`Owner`] of the bot it touches and carries that owner's
//! [`Fence`] (a fencing token that grows each time a bot changes hands, so a stale owner's writes are refused),
//! and work is taken by explicit claims (claim, complete, release) rather than assumed to belong to the only process.
//!
//! Main types: [`Owner`], [`Fence`], [`Lease`], [`Durability`], [`StoreError`], [`SqliteStore`]; the outbox of
//! accepted sends ([`Outbox`]); the inbox journal
//! ([`Inbox`], with callback dedupe inside its commits), [`DeadLetters`] and [`Retention`]; each bot's
//! key-value data ([`BotData`]); each bot's plugin snapshot ([`Snapshots`]).

mod bot_data;
mod cron;
mod dead_letters;
mod durability;
mod error;
mod inbox;
mod lease;
mod outbox;
mod retention;
mod snapshots;
mod sqlite;

pub use bot_data::{BotData, DataEntry, DataWrite, Swapped};
pub use cron::{tick_key, CronBook, TickRecord};
pub use dead_letters::{DeadLetters, EntryState, ListedEntry};
pub use durability::Durability;
pub use error::StoreError;
pub use inbox::{Accepted, Arrival, Claim, EntryId, Inbox, InboxEntry, JournalAnswer, JournalOp};
pub use lease::{Fence, Lease, Leases, Owner};
pub use outbox::{Claim as SendClaim, Listing, NewSend, Outbox, Outcome, SendId, SendState, StoredSend};
pub use retention::{Cleaned, JournalSizes, Retention, RetentionPolicy};
pub use snapshots::{Saved, Snapshots};
pub use sqlite::SqliteStore;
