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
//! Entries are fixed-size whatever the callback: a key is held as a 128-bit keyed hash of its text and a body as
//! a 64-bit keyed hash ([`Fingerprints`], drawn at random per process, so nobody outside can aim two keys at one
//! fingerprint). An entry then costs at most [`ENTRY_BYTES`]: its slot in the map and its expiry in a heap. Both
//! tables keep their room once grown, so a steady stream of callbacks allocates nothing after the first window.
//! Expired entries leave a few at a time, on the recalls that follow, and all at once only when the memory is
//! otherwise full.
//!
//! The memory is capped in entries and in bytes. When a new entry does not fit even after forgetting expired
//! ones, nothing is forgotten early: [`Recall::Full`] is returned and the webhook answers 503, so the service
//! retries once room has been made by expiry.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};

/// The most memory one entry takes: a map slot (fingerprint, expiry and digest: 32 bytes and a control byte; the
/// map is kept between 7/32 and 7/16 full, so up to 151 bytes) and two expiries in the heap (24 bytes each, up to
/// twice over in its room: 96 bytes). Typically about half of this.
pub const ENTRY_BYTES: usize = 256;

/// Expiries taken off the heap on each recall, at most; enough to keep up, since each recall adds one.
const EXPIRY_STEP: usize = 16;

/// How much the memory may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedupeLimits {
    pub max_entries: usize,
    pub max_bytes: usize,
}

impl DedupeLimits {
    /// The entries both caps allow.
    fn capacity(&self) -> usize {
        self.max_entries.min(self.max_bytes / ENTRY_BYTES)
    }
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

/// A key's fingerprint: 128 bits of two independently keyed hashes of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyPrint([u64; 2]);

impl Hash for KeyPrint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already a keyed hash: the tables use its first half as it is.
        state.write_u64(self.0[0]);
    }
}

/// The keyed hashes keys and bodies are remembered by. Computed outside the memory's lock.
#[derive(Debug, Default)]
pub struct Fingerprints {
    key_low: RandomState,
    key_high: RandomState,
    body: RandomState,
}

impl Fingerprints {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn key(&self, key: &str) -> KeyPrint {
        KeyPrint([self.key_low.hash_one(key), self.key_high.hash_one(key)])
    }

    /// The digest of a body, told apart under one signature.
    pub fn body(&self, body: &[u8]) -> u64 {
        self.body.hash_one(body)
    }
}

/// Hands a [`KeyPrint`]'s first half to the table unchanged.
#[derive(Debug, Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is reached from `KeyPrint`; anything else is folded in all the same.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type PrintHasher = BuildHasherDefault<PassThrough>;

#[derive(Debug, Clone, Copy)]
struct Entry {
    until: i64,
    digest: u64,
}

/// The bounded memory of recent keys.
#[derive(Debug)]
pub struct Dedupe {
    capacity: usize,
    entries: HashMap<KeyPrint, Entry, PrintHasher>,
    /// (expiry, key) of every entry, earliest first, and of entries since forgotten or extended: those are
    /// passed over when they come due, and cleared out when there are as many as the capacity.
    expiring: BinaryHeap<Reverse<(i64, KeyPrint)>>,
}

impl Dedupe {
    pub fn new(limits: DedupeLimits) -> Self {
        Self { capacity: limits.capacity(), entries: HashMap::default(), expiring: BinaryHeap::new() }
    }

    /// Remembers `key` with `digest` until `until` (or later, if it was remembered longer), and says what was
    /// known of it before.
    pub fn recall(&mut self, key: KeyPrint, digest: u64, until: i64, now: i64) -> Recall {
        self.expire(now, EXPIRY_STEP);
        if let Some(entry) = self.entries.get_mut(&key).filter(|entry| entry.until > now) {
            let recall = if entry.digest == digest { Recall::Same } else { Recall::Different };
            if until > entry.until {
                entry.until = until;
                self.schedule(until, key);
            }
            return recall;
        }
        if self.entries.len() >= self.capacity {
            self.expire(now, usize::MAX);
            if self.entries.len() >= self.capacity {
                return Recall::Full;
            }
        }
        // A map that entries keep leaving fills with the marks they leave (tombstones), and grows until it has
        // room for twice their number whatever is done; grown to that at once, it reaches its size in its first
        // window, not minutes later.
        let wanted = (2 * (self.entries.len() + 1)).min(2 * self.capacity);
        if self.entries.capacity() < wanted {
            self.entries.reserve(wanted - self.entries.len());
        }
        // Also replaces an entry that expired but was not yet forgotten; its expiry in the heap no longer matches.
        self.entries.insert(key, Entry { until, digest });
        self.schedule(until, key);
        Recall::New
    }

    /// Forgets `key` (a callback that was remembered but then not delivered).
    pub fn forget(&mut self, key: KeyPrint) {
        self.entries.remove(&key);
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// How many keys fit.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn schedule(&mut self, until: i64, key: KeyPrint) {
        if self.expiring.len() >= 2 * self.capacity {
            let entries = &self.entries;
            self.expiring.retain(|Reverse((until, key))| Self::is_current(entries, *until, key));
        }
        self.expiring.push(Reverse((until, key)));
    }

    /// Whether (`until`, `key`) in the heap is still the expiry of a remembered entry.
    fn is_current(entries: &HashMap<KeyPrint, Entry, PrintHasher>, until: i64, key: &KeyPrint) -> bool {
        entries.get(key).is_some_and(|entry| entry.until == until)
    }

    /// Takes up to `most` expiries whose time has come off the heap, forgetting their entries.
    fn expire(&mut self, now: i64, most: usize) {
        for _ in 0..most {
            match self.expiring.peek() {
                Some(Reverse((until, _))) if *until <= now => {}
                _ => break,
            }
            if let Some(Reverse((until, key))) = self.expiring.pop() {
                if Self::is_current(&self.entries, until, &key) {
                    self.entries.remove(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOMY: DedupeLimits = DedupeLimits { max_entries: 1000, max_bytes: 1 << 20 };
    const NONE: u64 = 0;

    fn secs(secs: i64) -> i64 {
        secs
    }

    fn key(text: &str) -> KeyPrint {
        thread_local! { static PRINTS: Fingerprints = Fingerprints::new(); }
        PRINTS.with(|prints| prints.key(text))
    }

    #[test]
    fn a_key_is_new_once_until_it_expires() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(ROOMY);
        assert_eq!(dedupe.recall(key("42"), NONE, start + secs(300), start), Recall::New);
        assert_eq!(dedupe.recall(key("42"), NONE, start + secs(300), start + secs(299)), Recall::Same);
        assert_eq!(dedupe.recall(key("42"), NONE, start + secs(600), start + secs(600)), Recall::New);
        assert_eq!(dedupe.len(), 1);
    }

    #[test]
    fn a_repeat_extends_the_memory_to_its_own_expiry() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(ROOMY);
        dedupe.recall(key("42"), NONE, start + secs(300), start);
        dedupe.recall(key("42"), NONE, start + secs(362), start + secs(62));
        assert_eq!(dedupe.recall(key("42"), NONE, start + secs(400), start + secs(350)), Recall::Same);
        assert_eq!(dedupe.recall(key("42"), NONE, start + secs(500), start + secs(400)), Recall::New);
    }

    #[test]
    fn another_digest_under_the_same_key_is_told_apart() {
        let prints = Fingerprints::new();
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(ROOMY);
        dedupe.recall(key("sig"), prints.body(b"one"), start + secs(300), start);
        assert_eq!(dedupe.recall(key("sig"), prints.body(b"two"), start + secs(300), start), Recall::Different);
        assert_eq!(dedupe.recall(key("sig"), prints.body(b"one"), start + secs(300), start), Recall::Same);
    }

    #[test]
    fn fingerprints_tell_keys_and_bodies_apart() {
        let prints = Fingerprints::new();
        assert_eq!(prints.key("msg:1"), prints.key("msg:1"));
        assert_ne!(prints.key("msg:1"), prints.key("msg:2"));
        let [low, high] = prints.key("msg:1").0;
        assert_ne!(low, high, "the two halves are keyed apart");
        assert_ne!(prints.body(b"a"), prints.body(b"b"));
        assert_ne!(Fingerprints::new().key("msg:1"), prints.key("msg:1"), "each process draws its own keys");
    }

    #[test]
    fn when_full_nothing_is_forgotten_early() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(DedupeLimits { max_entries: 2, max_bytes: 1 << 20 });
        dedupe.recall(key("a"), NONE, start + secs(300), start);
        dedupe.recall(key("b"), NONE, start + secs(300), start);
        assert_eq!(dedupe.recall(key("c"), NONE, start + secs(300), start), Recall::Full);
        assert_eq!(dedupe.recall(key("a"), NONE, start + secs(300), start), Recall::Same);
        assert_eq!(
            dedupe.recall(key("c"), NONE, start + secs(600), start + secs(300)),
            Recall::New,
            "room after expiry"
        );
    }

    #[test]
    fn the_byte_cap_counts_whole_entries() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(DedupeLimits { max_entries: 1000, max_bytes: 2 * ENTRY_BYTES + 1 });
        assert_eq!(dedupe.recall(key("a"), NONE, start + secs(300), start), Recall::New);
        assert_eq!(dedupe.recall(key(&"x".repeat(500)), NONE, start + secs(300), start), Recall::New);
        assert_eq!(dedupe.recall(key("c"), NONE, start + secs(300), start), Recall::Full);
        dedupe.forget(key("a"));
        assert_eq!(dedupe.len(), 1);
        assert_eq!(
            dedupe.recall(key("c"), NONE, start + secs(300), start),
            Recall::New,
            "a forgotten entry makes room"
        );
    }

    #[test]
    fn an_expired_entry_not_yet_forgotten_is_new_again() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(ROOMY);
        for n in 0..100 {
            dedupe.recall(key(&n.to_string()), NONE, start + secs(300), start);
        }
        // One recall forgets a few of the expired entries, not all of them.
        assert_eq!(dedupe.recall(key("fresh"), NONE, start + secs(600), start + secs(300)), Recall::New);
        assert!(dedupe.len() > 50, "{}", dedupe.len());
        assert_eq!(dedupe.recall(key("99"), NONE, start + secs(600), start + secs(300)), Recall::New);
        assert_eq!(dedupe.recall(key("99"), NONE, start + secs(600), start + secs(301)), Recall::Same);
    }

    #[test]
    fn a_full_memory_forgets_every_expired_entry_before_it_refuses() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(DedupeLimits { max_entries: 100, max_bytes: 1 << 20 });
        // Expiries left behind come due first, so the few a recall takes off free no room.
        for n in 0..EXPIRY_STEP {
            dedupe.recall(key(&format!("refused {n}")), NONE, start + secs(299), start);
            dedupe.forget(key(&format!("refused {n}")));
        }
        for n in 0..100 {
            dedupe.recall(key(&n.to_string()), NONE, start + secs(300), start);
        }
        assert_eq!(dedupe.recall(key("late"), NONE, start + secs(600), start + secs(298)), Recall::Full);
        assert_eq!(dedupe.recall(key("late"), NONE, start + secs(600), start + secs(300)), Recall::New);
        assert_eq!(dedupe.len(), 1);
    }

    #[test]
    fn expiries_left_behind_are_cleared_out_and_never_forget_a_later_entry() {
        let start = 1_700_000_000;
        let mut dedupe = Dedupe::new(DedupeLimits { max_entries: 4, max_bytes: 1 << 20 });
        // Each repeat leaves an expiry behind: more than the heap keeps before clearing them out.
        for second in 0..20 {
            dedupe.recall(key("long"), NONE, start + secs(300 + second), start + secs(second));
        }
        dedupe.recall(key("gone"), NONE, start + secs(300), start);
        dedupe.forget(key("gone"));
        assert!(dedupe.expiring.len() <= 2 * dedupe.capacity(), "{}", dedupe.expiring.len());
        assert_eq!(dedupe.recall(key("long"), NONE, start + secs(400), start + secs(310)), Recall::Same);
        assert_eq!(dedupe.recall(key("gone"), NONE, start + secs(400), start + secs(20)), Recall::New);
    }
}
