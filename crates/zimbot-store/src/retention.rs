//! Keeping the journals bounded: what is cleaned, and when.
//!
//! Completed inbox entries leave the journal when they complete. What else would grow under steady load is
//! cleaned by [`Retention::clean`], which the runtime calls on a schedule (`storage.retention.interval_secs`):
//! - dedupe records past their `remember_until` (they can no longer stop a retry: such a callback would fail
//!   the timestamp check);
//! - dead letters older than `dead_letter_max_age`, and the oldest beyond `max_dead_letters`.

use std::time::Duration;

use crate::StoreError;

/// How long cleaned records are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub dead_letter_max_age: Duration,
    pub max_dead_letters: u64,
}

/// What one cleaning removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cleaned {
    pub dedupe_records: u64,
    pub dead_letters: u64,
}

/// How many rows each journal holds, for metrics and for tests that check the bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalSizes {
    pub pending: u64,
    pub dead: u64,
    pub dedupe_records: u64,
}

/// Cleaning the journals.
pub trait Retention: Send + Sync {
    /// Removes what `policy` no longer keeps at `now_ms` (ms since the Unix epoch).
    fn clean(&self, policy: &RetentionPolicy, now_ms: i64) -> Result<Cleaned, StoreError>;

    /// The rows in each journal now.
    fn sizes(&self) -> Result<JournalSizes, StoreError>;
}
