//! What a listener's limits have done, for `/metrics` and tests.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one listener; each counts the times one limit bit.
#[derive(Debug, Default)]
pub struct ListenerStats {
    pub(crate) connections: AtomicU64,
    pub(crate) header_timeouts: AtomicU64,
    pub(crate) idle_timeouts: AtomicU64,
    pub(crate) body_timeouts: AtomicU64,
    pub(crate) evicted: AtomicU64,
    pub(crate) refused_connections: AtomicU64,
    pub(crate) busy: AtomicU64,
}

impl ListenerStats {
    /// Connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
    /// Connections closed because a request head took too long.
    pub fn header_timeouts(&self) -> u64 {
        self.header_timeouts.load(Ordering::Relaxed)
    }
    /// Connections closed because they idled too long.
    pub fn idle_timeouts(&self) -> u64 {
        self.idle_timeouts.load(Ordering::Relaxed)
    }
    /// Request bodies cut off because they took too long.
    pub fn body_timeouts(&self) -> u64 {
        self.body_timeouts.load(Ordering::Relaxed)
    }
    /// Waiting connections closed to make room for a new one at the connection cap.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }
    /// New connections closed at once because every connection had a request in flight.
    pub fn refused_connections(&self) -> u64 {
        self.refused_connections.load(Ordering::Relaxed)
    }
    /// Requests answered 503 because the request cap was reached.
    pub fn busy(&self) -> u64 {
        self.busy.load(Ordering::Relaxed)
    }

    /// Each limit by name (as `/metrics` labels them) with the times it bit.
    pub fn limits(&self) -> [(&'static str, u64); 6] {
        [
            ("header_timeout", self.header_timeouts()),
            ("idle_timeout", self.idle_timeouts()),
            ("body_timeout", self.body_timeouts()),
            ("evicted", self.evicted()),
            ("refused_connection", self.refused_connections()),
            ("busy", self.busy()),
        ]
    }

    pub(crate) fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
