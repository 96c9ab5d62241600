//! The scheduler's heap of next fire times: one entry per live job, earliest first, so finding what is due
//! costs O(log jobs) however many jobs there are.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};

/// A job's next fire time. Ties go to the job listed first, so the order of ticks is deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Due {
    pub(crate) at: DateTime<Utc>,
    /// Index of the job in the scheduler's job list.
    pub(crate) job: usize,
}

/// Pending fire times, earliest first.
#[derive(Debug, Default)]
pub(crate) struct FireQueue {
    heap: BinaryHeap<Reverse<Due>>,
}

impl FireQueue {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self { heap: BinaryHeap::with_capacity(capacity) }
    }

    pub(crate) fn push(&mut self, due: Due) {
        self.heap.push(Reverse(due));
    }

    /// The earliest entry if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: DateTime<Utc>) -> Option<Due> {
        let Reverse(earliest) = self.heap.peek()?;
        if earliest.at > now {
            return None;
        }
        self.heap.pop().map(|Reverse(due)| due)
    }

    /// When the earliest entry is due; `None` when no job will fire again.
    pub(crate) fn next_at(&self) -> Option<DateTime<Utc>> {
        self.heap.peek().map(|Reverse(due)| due.at)
    }
}
