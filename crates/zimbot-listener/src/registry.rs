//! The open connections of one listener, so the oldest waiting one can be closed at the connection cap.

use crate::connection::Tracker;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// The open connections by id.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    connections: Mutex<HashMap<u64, Arc<Tracker>>>,
}

impl Registry {
    pub(crate) fn len(&self) -> usize {
        self.connections.lock().len()
    }

    pub(crate) fn insert(&self, id: u64, tracker: Arc<Tracker>) {
        self.connections.lock().insert(id, tracker);
    }

    pub(crate) fn remove(&self, id: u64) {
        self.connections.lock().remove(&id);
    }

    /// Closes the connection that has waited longest for a request head; false when every one is busy.
    pub(crate) fn evict_oldest_waiting(&self) -> bool {
        let connections = self.connections.lock();
        let mut waiting: Vec<_> =
            connections.values().filter_map(|tracker| tracker.waiting_since().map(|since| (since, tracker))).collect();
        waiting.sort_by_key(|(since, _)| *since);
        // A connection may turn busy between the look and the eviction; the next oldest is tried then.
        waiting.into_iter().any(|(_, tracker)| tracker.evict_if_waiting())
    }
}
