//! What the webhook remembers about recent callbacks, so retried and doubled callbacks reach bots once and a
//! captured signature cannot carry another body.
//!
//! Two kinds of entries share one bounded memory: each delivered `msg_id`, and each accepted signature
//! (timestamp, nonce, signature) with a digest of the body it came with. An entry is kept at least as long as a
//! callback carrying it could still pass the timestamp check (the caller passes that as `until`), and never less
//! than the dedupe window. Repeating an entry extends it to the later of the two times.
//!
//! Times are unix seconds of the webhook's clock, the clock the timestamp check reads.
//!
//! The memory is capped in entries and in bytes. When a new entry does not fit even after forgetting expired
//! ones, nothing is forgotten early: [`Recall::Full`] is returned and the webhook answers 503, so the service
//! retries once room has been made by expiry.

use std::collections::{BTreeSet, HashMap};

/// Bytes counted per entry beyond its key: the map and order entries, the digest and the times.
const ENTRY_OVERHEAD_BYTES: usize = 96;

/// How much the memory may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupeLimits {
    pub max_entries: usize,
    pub max_bytes: usize,
}

/// What the memory knew of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recall {
    /// Not seen: now remembered.
    New,
    /// Seen with the same digest.
    Same,
    /// Seen with another digest (for a signature: another body).
    Different,
    /// Not seen, and there is no room to remember it.
    Full,
}

#[derive(Debug)]
struct Entry {
    until: i64,
    sequence: u64,
    digest: [u8; 20],
}

/// The bounded memory of recent keys.
#[derive(Debug)]
pub struct Dedupe {
    limits: DedupeLimits,
    entries: HashMap<String, Entry>,
    /// (expiry, sequence, key), earliest first.
    order: BTreeSet<(i64, u64, String)>,
    bytes: usize,
    next_sequence: u64,
}

impl Dedupe {
    pub fn new(limits: DedupeLimits) -> Self {
        Self { limits, entries: HashMap::new(), order: BTreeSet::new(), bytes: 0, next_sequence: 0 }
    }

    /// Remembers `key` with `digest` until `until` (or later, if it was remembered longer), and says what was
    /// known of it before.
    pub fn recall(&mut self, key: &str, digest: [u8; 20], until: i64, now: i64) -> Recall {
        self.expire(now);
        if let Some(entry) = self.entries.get_mut(key) {
            let recall = if entry.digest == digest { Recall::Same } else { Recall::Different };
            if until > entry.until {
                self.order.remove(&(entry.until, entry.sequence, key.to_owned()));
                entry.until = until;
                self.order.insert((until, entry.sequence, key.to_owned()));
            }
            return recall;
        }
        let cost = Self::cost(key);
        if self.entries.len() >= self.limits.max_entries || self.bytes + cost > self.limits.max_bytes {
            return Recall::Full;
        }
        self.next_sequence += 1;
        self.entries.insert(key.to_owned(), Entry { until, sequence: self.next_sequence, digest });
        self.order.insert((until, self.next_sequence, key.to_owned()));
        self.bytes += cost;
        Recall::New
    }

    /// Forgets `key` (a callback that was remembered but then not delivered).
    pub fn forget(&mut self, key: &str) {
        if let Some(entry) = self.entries.remove(key) {
            self.order.remove(&(entry.until, entry.sequence, key.to_owned()));
            self.bytes -= Self::cost(key);
        }
    }

    #[cfg(test)]
    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    /// The bytes counted against `max_bytes`.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The key is held twice (map and order).
    fn cost(key: &str) -> usize {
        2 * key.len() + ENTRY_OVERHEAD_BYTES
    }

    fn expire(&mut self, now: i64) {
        while let Some((until, _, _)) = self.order.first() {
            if *until > now {
                break;
            }
            if let Some((_, _, key)) = self.order.pop_first() {
                self.entries.remove(&key);
                self.bytes -= Self::cost(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOMY: DedupeLimits = DedupeLimits { max_entries: 1000, max_bytes: 1 << 20 };
    const NONE: [u8; 20] = [0; 20];

    fn secs(secs: i64) -> i64 {
        secs
    }

    #[test]
    fn a_key_is_new_once_until_it_expires() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(ROOMY);
        assert_eq!(dedupe.recall("42", NONE, start + secs(300), start), Recall::New);
        assert_eq!(dedupe.recall("42", NONE, start + secs(300), start + secs(299)), Recall::Same);
        assert_eq!(dedupe.recall("42", NONE, start + secs(600), start + secs(600)), Recall::New);
    }

    #[test]
    fn a_repeat_extends_the_memory_to_its_own_expiry() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(ROOMY);
        dedupe.recall("42", NONE, start + secs(300), start);
        dedupe.recall("42", NONE, start + secs(362), start + secs(62));
        assert_eq!(dedupe.recall("42", NONE, start + secs(400), start + secs(350)), Recall::Same);
    }

    #[test]
    fn another_digest_under_the_same_key_is_told_apart() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(ROOMY);
        dedupe.recall("sig", [1; 20], start + secs(300), start);
        assert_eq!(dedupe.recall("sig", [2; 20], start + secs(300), start), Recall::Different);
        assert_eq!(dedupe.recall("sig", [1; 20], start + secs(300), start), Recall::Same);
    }

    #[test]
    fn when_full_nothing_is_forgotten_early() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(DedupeLimits { max_entries: 2, max_bytes: 1 << 20 });
        dedupe.recall("a", NONE, start + secs(300), start);
        dedupe.recall("b", NONE, start + secs(300), start);
        assert_eq!(dedupe.recall("c", NONE, start + secs(300), start), Recall::Full);
        assert_eq!(dedupe.recall("a", NONE, start + secs(300), start), Recall::Same);
        assert_eq!(dedupe.recall("c", NONE, start + secs(600), start + secs(300)), Recall::New, "room after expiry");
    }

    #[test]
    fn the_byte_cap_counts_the_keys() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(DedupeLimits { max_entries: 1000, max_bytes: 900 });
        let long = "x".repeat(500);
        assert_eq!(dedupe.recall(&long, NONE, start + secs(300), start), Recall::Full);
        assert_eq!(dedupe.recall("short", NONE, start + secs(300), start), Recall::New);
        assert_eq!(dedupe.bytes(), 10 + ENTRY_OVERHEAD_BYTES);
        dedupe.forget("short");
        assert_eq!((dedupe.len(), dedupe.bytes()), (0, 0));
    }
}
