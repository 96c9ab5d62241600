//! Remembering which message ids were delivered recently, so retried and doubled callbacks reach bots once.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// The ids seen within the last `window`, forgotten in arrival order.
pub struct Dedupe {
    window: Duration,
    seen: HashMap<String, Instant>,
    order: VecDeque<(Instant, String)>,
}

impl Dedupe {
    pub fn new(window: Duration) -> Self {
        Self { window, seen: HashMap::new(), order: VecDeque::new() }
    }

    /// Records `id` at `now`; false if it was already seen within the window.
    pub fn first_time(&mut self, id: &str, now: Instant) -> bool {
        self.expire(now);
        if self.seen.contains_key(id) {
            return false;
        }
        self.seen.insert(id.to_owned(), now);
        self.order.push_back((now, id.to_owned()));
        true
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.order.front() {
            if now.duration_since(*at) <= self.window {
                break;
            }
            if let Some((_, id)) = self.order.pop_front() {
                self.seen.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_new_once_within_the_window_and_new_again_after_it() {
        let start = Instant::now();
        let mut dedupe = Dedupe::new(Duration::from_secs(120));
        assert!(dedupe.first_time("42", start));
        assert!(!dedupe.first_time("42", start + Duration::from_secs(62)));
        assert!(dedupe.first_time("43", start + Duration::from_secs(62)));
        assert!(dedupe.first_time("42", start + Duration::from_secs(121)));
        assert_eq!(dedupe.len(), 2, "the first 42 was forgotten, the second remembered with 43");
    }
}
