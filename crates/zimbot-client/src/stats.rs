//! Counters of the client, for `/metrics`.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A snapshot of the client's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientStats {
    /// Sends the service accepted.
    pub sent: u64,
    /// Accepted sends that ended failed (including those cancelled by `close`).
    pub failed: u64,
    /// Attempts repeated after a retryable error (sends and uploads).
    pub retried: u64,
    /// Sends refused at once.
    pub rejected: u64,
    /// Sends waiting to start (uploading, waiting for their turn or for the limiter).
    pub queue_depth: usize,
    /// Accepted sends without a terminal event yet.
    pub in_progress: usize,
    /// Total time ready sends were held back by the limiter.
    pub limiter_wait: Duration,
    /// Bytes of files the media store acknowledged.
    pub uploaded_bytes: u64,
    /// Sends the limiter let start in breach of its window (an internal check: always 0).
    pub window_violations: u64,
    /// Rooms created again because a send found them gone (destroyed once empty for their destroy delay).
    pub rooms_recreated: u64,
    /// Bot users whose registration has not been made yet (their sends wait; see `Client::start_registration`).
    pub users_registering: usize,
    /// Bot users whose registration failed for good (their sends fail).
    pub users_registration_failed: usize,
}

/// The counters that are not derived from the client's state.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub sent: AtomicU64,
    pub failed: AtomicU64,
    pub retried: AtomicU64,
    pub rejected: AtomicU64,
    pub limiter_wait_micros: AtomicU64,
    pub uploaded_bytes: AtomicU64,
    pub rooms_recreated: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    pub fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
