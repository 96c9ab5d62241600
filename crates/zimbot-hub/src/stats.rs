//! Counters of what the hub did since it started, served at `GET /stats`.

use crate::ServerAction;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the hub's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubStats {
    /// Messages accepted (one per receiver of a peer send).
    pub messages: u64,
    /// Media files stored.
    pub uploads: u64,
    /// Bytes of the stored media files.
    pub upload_bytes: u64,
    /// Callbacks the receiver answered with 2xx.
    pub callbacks_delivered: u64,
    /// Callbacks given up after the last retry.
    pub callbacks_failed: u64,
    /// Attempts that were retries of a failed attempt.
    pub callbacks_retried: u64,
    /// Callbacks dropped unsent because their conversation's queue was full (the oldest waiting ones).
    #[serde(default)]
    pub callbacks_dropped: u64,
    /// Requests refused with code 7, by action name.
    pub qps_violations: BTreeMap<String, u64>,
}

/// The live counters behind [`HubStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    messages: AtomicU64,
    uploads: AtomicU64,
    upload_bytes: AtomicU64,
    callbacks_delivered: AtomicU64,
    callbacks_failed: AtomicU64,
    callbacks_retried: AtomicU64,
    callbacks_dropped: AtomicU64,
    qps_violations: Mutex<BTreeMap<String, u64>>,
}

impl Counters {
    pub(crate) fn message(&self) {
        self.messages.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn upload(&self, bytes: u64) {
        self.uploads.fetch_add(1, Ordering::Relaxed);
        self.upload_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn callback_delivered(&self) {
        self.callbacks_delivered.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn callback_failed(&self) {
        self.callbacks_failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn callback_retried(&self) {
        self.callbacks_retried.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn callback_dropped(&self) {
        self.callbacks_dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn qps_violation(&self, action: ServerAction) {
        let mut violations = self.qps_violations.lock();
        *violations.entry(action.name().to_owned()).or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> HubStats {
        HubStats {
            messages: self.messages.load(Ordering::Relaxed),
            uploads: self.uploads.load(Ordering::Relaxed),
            upload_bytes: self.upload_bytes.load(Ordering::Relaxed),
            callbacks_delivered: self.callbacks_delivered.load(Ordering::Relaxed),
            callbacks_failed: self.callbacks_failed.load(Ordering::Relaxed),
            callbacks_retried: self.callbacks_retried.load(Ordering::Relaxed),
            callbacks_dropped: self.callbacks_dropped.load(Ordering::Relaxed),
            qps_violations: self.qps_violations.lock().clone(),
        }
    }
}
