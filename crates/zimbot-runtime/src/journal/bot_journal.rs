//! One bot's side of the inbox journal: the entries it was handed, and the claims it makes on them under its
//! lease. Claims and completions go through the group-commit writer; the rest runs on the blocking pool.

use super::{InboxWriter, JournalError, Storage};
use std::sync::Arc;
use zimbot_abi::CronTick;
use zimbot_model::{MembershipEvent, ReceivedMessage};
use zimbot_store::{Claim, CronBook, EntryId, Inbox, Lease, StoreError, TickRecord};

/// A journaled message on its way through a bot's inbound lane.
#[derive(Debug, Clone, PartialEq)]
pub struct JournaledMessage {
    pub entry: EntryId,
    pub message: ReceivedMessage,
    /// Whether its first attempt was counted as it was journaled (see [`BotJournal::claims_when_journaled`]).
    pub claimed: bool,
}

/// A journaled cron tick on its way through a bot's inbound lane.
#[derive(Debug, Clone, PartialEq)]
pub struct JournaledTick {
    pub entry: EntryId,
    pub tick: CronTick,
    /// Whether its first attempt was counted as it was journaled (see [`BotJournal::claims_when_journaled`]).
    pub claimed: bool,
}

/// A journaled membership or presence event on its way through a bot's inbound lane.
#[derive(Debug, Clone, PartialEq)]
pub struct JournaledMembership {
    pub entry: EntryId,
    pub event: MembershipEvent,
    /// Whether its first attempt was counted as it was journaled (see [`BotJournal::claims_when_journaled`]).
    pub claimed: bool,
}

/// The dedupe keys of membership and presence events start with this (messages' with `msg:`, ticks' with
/// `cron:`): how an entry's payload is read back.
pub const MEMBERSHIP_KEY_PREFIX: &str = "member:";

/// An entry the bot had not finished before the restart.
#[derive(Debug, Clone, PartialEq)]
pub enum Unfinished {
    Message(JournaledMessage),
    Tick(JournaledTick),
    Membership(JournaledMembership),
}

/// A bot's lease on its journal entries.
pub struct BotJournal {
    inbox: Arc<dyn Inbox>,
    /// Claims and completions go through the shared group-commit writer.
    writer: InboxWriter,
    cron: Arc<dyn CronBook>,
    lease: Lease,
    max_attempts: u32,
}

impl BotJournal {
    /// Takes `bot`'s lease for this process (blocking: call it where blocking is fine, as bot start is).
    pub fn acquire(storage: &Storage, writer: InboxWriter, bot: &str) -> Result<Self, StoreError> {
        let lease = storage.leases.acquire(bot, &storage.owner)?;
        Ok(Self {
            inbox: Arc::clone(&storage.inbox),
            writer,
            cron: Arc::clone(&storage.cron),
            lease,
            max_attempts: storage.max_attempts,
        })
    }

    /// The entries the bot has not finished, oldest first, for its lane (blocking). An entry whose payload
    /// cannot be read any more is buried with that reason rather than dropped.
    pub fn unfinished(&self) -> Result<Vec<Unfinished>, StoreError> {
        let mut messages = Vec::new();
        for entry in self.inbox.pending(&self.lease)? {
            let read = if entry.dedupe_key.starts_with("cron:") {
                serde_json::from_slice::<CronTick>(&entry.payload)
                    .map(|tick| Unfinished::Tick(JournaledTick { entry: entry.id, tick, claimed: false }))
            } else if entry.dedupe_key.starts_with(MEMBERSHIP_KEY_PREFIX) {
                serde_json::from_slice::<MembershipEvent>(&entry.payload)
                    .map(|event| Unfinished::Membership(JournaledMembership { entry: entry.id, event, claimed: false }))
            } else {
                serde_json::from_slice::<ReceivedMessage>(&entry.payload)
                    .map(|message| Unfinished::Message(JournaledMessage { entry: entry.id, message, claimed: false }))
            };
            match read {
                Ok(unfinished) => messages.push(unfinished),
                Err(error) => {
                    let reason = format!("the journaled message cannot be read: {error}");
                    tracing::error!(bot = %self.lease.bot, entry = %entry.id, "{reason}; moved to the dead letters");
                    self.inbox.bury(&self.lease, entry.id, &reason, wall_ms())?;
                }
            }
        }
        Ok(messages)
    }

    /// Each of the bot's schedules with its last fire (blocking).
    pub fn last_fires(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.cron.last_fires(&self.lease)
    }

    /// Journals `tick` and records it as its schedule's last fire, in one commit.
    pub async fn record_tick(self: &Arc<Self>, tick: &CronTick) -> Result<EntryId, StoreError> {
        let record = TickRecord {
            schedule_id: tick.schedule_id.clone(),
            scheduled_at_ms: tick.scheduled_at_ms,
            fired_at_ms: tick.fired_at_ms,
            payload: serde_json::to_vec(tick).unwrap_or_default(),
            claimed: self.claims_when_journaled(),
        };
        let journal = Arc::clone(self);
        blocking(move || journal.cron.record_tick(&journal.lease, &record)).await
    }

    /// Journals `ticks` (the bot's ticks due together) as [`BotJournal::record_tick`] does each, in one commit;
    /// answers their entries in the same order.
    pub async fn record_ticks(self: &Arc<Self>, ticks: &[CronTick]) -> Result<Vec<EntryId>, StoreError> {
        let records: Vec<TickRecord> = ticks
            .iter()
            .map(|tick| TickRecord {
                schedule_id: tick.schedule_id.clone(),
                scheduled_at_ms: tick.scheduled_at_ms,
                fired_at_ms: tick.fired_at_ms,
                payload: serde_json::to_vec(tick).unwrap_or_default(),
                claimed: self.claims_when_journaled(),
            })
            .collect();
        let journal = Arc::clone(self);
        blocking(move || journal.cron.record_ticks(&journal.lease, &records)).await
    }

    /// Attempts a hook gets.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether new entries of this bot have their first attempt counted as they are journaled, so the lane runs
    /// their first hook without a claim (and a commit) of its own. Not with one attempt only: an entry still
    /// waiting at a crash would then be a dead letter that never ran.
    pub fn claims_when_journaled(&self) -> bool {
        self.max_attempts > 1
    }

    /// Gives back the attempt counted for `entry` whose hook never started (the bot stopped first), with the
    /// writer's next commit.
    pub fn release_soon(&self, entry: EntryId) {
        self.writer.release_soon(&self.lease, entry);
    }

    /// Counts an attempt on `entry` before its hook runs (see `zimbot_store::Inbox::claim`).
    pub async fn claim(self: &Arc<Self>, entry: EntryId) -> Result<Claim, JournalError> {
        self.writer.claim(&self.lease, entry, self.max_attempts, wall_ms()).await
    }

    /// The hook ran to the end: `entry` leaves the journal with the writer's next commit (not waited for; see
    /// `InboxWriter::complete_soon`).
    pub fn complete(&self, entry: EntryId) {
        self.writer.complete_soon(&self.lease, entry);
    }

    /// Ends `entries` together (the ticks of one batch whose hooks ran to the end), as [`BotJournal::complete`].
    pub fn complete_all(&self, entries: &[EntryId]) {
        self.writer.complete_all_soon(&self.lease, entries);
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
