//! Cron bookkeeping: each schedule's last fire, and its ticks as inbox entries.
//!
//! A tick is journaled as an entry of its bot's inbox (claimed, completed and dead-lettered like a message) in
//! the same commit that records it as the schedule's last fire. So after a crash a tick whose hook had not
//! finished is delivered again, and the scheduler resumes each schedule after its last fire: missed fire times
//! are then late, and the schedule's misfire policy decides about them (one catch-up tick, or none).

use crate::{EntryId, Lease, StoreError};

/// One tick to journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickRecord {
    pub schedule_id: String,
    /// The fire time it stands for (ms since the Unix epoch): the schedule's new last fire.
    pub scheduled_at_ms: i64,
    /// When it was fired.
    pub fired_at_ms: i64,
    /// What the entry holds (the tick, as JSON).
    pub payload: Vec<u8>,
    /// Whether the entry's first attempt is counted as it is journaled (see [`crate::Arrival::claimed`]).
    pub claimed: bool,
}

/// The dedupe key a tick's entry carries: `cron:{schedule}@{scheduled_at_ms}`.
pub fn tick_key(schedule_id: &str, scheduled_at_ms: i64) -> String {
    format!("cron:{schedule_id}@{scheduled_at_ms}")
}

/// Cron bookkeeping.
pub trait CronBook: Send + Sync {
    /// Journals `tick` as an inbox entry of the lease's bot and records it as its schedule's last fire, in one
    /// commit.
    fn record_tick(&self, lease: &Lease, tick: &TickRecord) -> Result<EntryId, StoreError>;

    /// Journals `ticks` (the lease's bot's ticks due together) as [`CronBook::record_tick`] does each, and answers
    /// their entries in the same order. An engine that can should do it in one commit (SQLite does); this default
    /// makes one commit a tick.
    fn record_ticks(&self, lease: &Lease, ticks: &[TickRecord]) -> Result<Vec<EntryId>, StoreError> {
        ticks.iter().map(|tick| self.record_tick(lease, tick)).collect()
    }

    /// The lease's bot's schedules with their last fire time (ms since the Unix epoch).
    fn last_fires(&self, lease: &Lease) -> Result<Vec<(String, i64)>, StoreError>;
}
