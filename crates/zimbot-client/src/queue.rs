//! The fair queue: per-bot queues served by deficit round robin, higher priority first, in order per lane.
//!
//! Contract:
//! - Items are pushed under a *key* (a bot), a *priority class* and a *lane* (a conversation). [`FairQueue::pop`]
//!   takes one item that the caller's `ready` test accepts, or `None` when no item is ready.
//! - **Order per lane.** Items of one key and lane are taken in push order, and a lane whose item was taken is
//!   *busy* until [`FairQueue::finish`] (or [`FairQueue::requeue`]) is called for it: a later item never overtakes
//!   an earlier one that is not ready or still in flight. Different lanes of one key do not wait for each other;
//!   among them the earliest pushed ready item goes first.
//! - **Priority.** A ready item of a higher class is always taken before any item of a lower class.
//! - **Fairness within a class.** Keys are served by deficit round robin (each turn a key may take `quantum`
//!   items, one item costing one unit), so `k` backlogged keys each get one item in every `k` takes. As in
//!   FQ-CoDel, a key that becomes active goes to a *new* list served before the backlogged (*old*) ones for one
//!   quantum: a bot sending a single message waits behind at most the items already taken, not behind every
//!   flooding bot. Among new keys the one with the fewest waiting items goes first, so that when many bots become
//!   active at once (a start-up flood) a single send is not kept behind all of them. A new key that empties moves
//!   to the old list, and an old key leaves that list only when its turn finds it empty, so a bot cannot stay
//!   "new" by trickling one send at a time.
//! - Keys whose items are all unready pass their turn without banking credit.
//!
//! The queue is plain data (no I/O, no clock); the client holds it under its lock.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use zimbot_model::Priority;

/// An item taken from the queue, with what is needed to finish or requeue it.
#[derive(Debug)]
pub struct Taken<K, L, T> {
    pub key: K,
    pub lane: L,
    pub item: T,
    /// Push order, kept so a requeued item returns to its place.
    seq: u64,
}

/// Per-key queues served fairly. See the module documentation for the contract.
#[derive(Debug)]
pub struct FairQueue<K, L, T> {
    quantum: i64,
    next_seq: u64,
    keys: HashMap<K, KeyQueue<L, T>>,
    /// Rings of active keys, indexed by priority class (low, medium, high).
    classes: [Rings<K>; 3],
    len: usize,
}

#[derive(Debug)]
struct Rings<K> {
    new: VecDeque<K>,
    old: VecDeque<K>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ring {
    New,
    Old,
}

#[derive(Debug)]
struct KeyQueue<L, T> {
    class: usize,
    lanes: HashMap<L, VecDeque<(u64, T)>>,
    busy: HashSet<L>,
    len: usize,
    deficit: i64,
    ring: Option<Ring>,
}

fn class_of(priority: Priority) -> usize {
    match priority {
        Priority::Low => 0,
        Priority::Medium => 1,
        Priority::High => 2,
    }
}

impl<L: Eq + Hash + Clone, T> KeyQueue<L, T> {
    fn new(class: usize) -> Self {
        Self { class, lanes: HashMap::new(), busy: HashSet::new(), len: 0, deficit: 0, ring: None }
    }

    /// Takes the earliest pushed ready head of a lane that is not busy, and marks that lane busy.
    fn take_ready(&mut self, ready: &mut impl FnMut(&T) -> bool) -> Option<(u64, L, T)> {
        let mut best: Option<(u64, &L)> = None;
        for (lane, items) in &self.lanes {
            if self.busy.contains(lane) {
                continue;
            }
            if let Some((seq, item)) = items.front() {
                if best.is_none_or(|(best_seq, _)| *seq < best_seq) && ready(item) {
                    best = Some((*seq, lane));
                }
            }
        }
        let lane = best?.1.clone();
        let items = self.lanes.get_mut(&lane)?;
        let (seq, item) = items.pop_front()?;
        if items.is_empty() {
            self.lanes.remove(&lane);
        }
        self.len -= 1;
        self.busy.insert(lane.clone());
        Some((seq, lane, item))
    }

    fn is_idle(&self) -> bool {
        self.len == 0 && self.busy.is_empty() && self.ring.is_none()
    }
}

impl<K: Eq + Hash + Clone, L: Eq + Hash + Clone, T> Default for FairQueue<K, L, T> {
    fn default() -> Self {
        Self::new(1)
    }
}

impl<K: Eq + Hash + Clone, L: Eq + Hash + Clone, T> FairQueue<K, L, T> {
    /// An empty queue; each key may take `quantum` items per turn (at least 1).
    pub fn new(quantum: u32) -> Self {
        let rings = || Rings { new: VecDeque::new(), old: VecDeque::new() };
        Self {
            quantum: i64::from(quantum.max(1)),
            next_seq: 0,
            keys: HashMap::new(),
            classes: [rings(), rings(), rings()],
            len: 0,
        }
    }

    /// Items waiting (not taken) in all keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Items waiting under `key`.
    pub fn len_of(&self, key: &K) -> usize {
        self.keys.get(key).map_or(0, |queue| queue.len)
    }

    /// Adds `item` at the back of `key`'s `lane`, in `priority`'s class.
    pub fn push(&mut self, key: K, priority: Priority, lane: L, item: T) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.insert(key, class_of(priority), lane, seq, item, false);
    }

    /// Puts a taken item back at the head of its lane (to be retried) and frees the lane.
    pub fn requeue(&mut self, taken: Taken<K, L, T>) {
        let class = self.keys.get(&taken.key).map_or(class_of(Priority::default()), |queue| queue.class);
        if let Some(queue) = self.keys.get_mut(&taken.key) {
            queue.busy.remove(&taken.lane);
        }
        self.insert(taken.key, class, taken.lane, taken.seq, taken.item, true);
    }

    fn insert(&mut self, key: K, class: usize, lane: L, seq: u64, item: T, at_front: bool) {
        let queue = self.keys.entry(key.clone()).or_insert_with(|| KeyQueue::new(class));
        if queue.class != class {
            // The bot's priority changed: move it to the other class's old list.
            if queue.ring.is_some() {
                let rings = &mut self.classes[queue.class];
                rings.new.retain(|other| other != &key);
                rings.old.retain(|other| other != &key);
                self.classes[class].old.push_back(key.clone());
                queue.ring = Some(Ring::Old);
            }
            queue.class = class;
        }
        let items = queue.lanes.entry(lane).or_default();
        if at_front {
            items.push_front((seq, item));
        } else {
            items.push_back((seq, item));
        }
        queue.len += 1;
        self.len += 1;
        if queue.ring.is_none() {
            // A requeued retry is not a newly active bot: it joins the backlogged ones.
            if at_front {
                self.classes[class].old.push_back(key);
                queue.ring = Some(Ring::Old);
            } else {
                self.classes[class].new.push_back(key);
                queue.ring = Some(Ring::New);
            }
            queue.deficit = self.quantum;
        }
    }

    /// Frees `key`'s `lane` after its taken item finished, so the lane's next item may be taken.
    pub fn finish(&mut self, key: &K, lane: &L) {
        if let Some(queue) = self.keys.get_mut(key) {
            queue.busy.remove(lane);
            if queue.is_idle() {
                self.keys.remove(key);
            }
        }
    }

    /// Removes the first waiting item of `key`'s `lane` that `matches` accepts (a send that failed before it was
    /// taken), and returns it.
    pub fn remove(&mut self, key: &K, lane: &L, mut matches: impl FnMut(&T) -> bool) -> Option<T> {
        let queue = self.keys.get_mut(key)?;
        let items = queue.lanes.get_mut(lane)?;
        let index = items.iter().position(|(_, item)| matches(item))?;
        let (_, item) = items.remove(index)?;
        if items.is_empty() {
            queue.lanes.remove(lane);
        }
        queue.len -= 1;
        self.len -= 1;
        // An emptied key leaves its ring on its next turn.
        Some(item)
    }

    /// Takes the next ready item: highest class first, new keys before old ones, old keys by deficit round robin.
    pub fn pop(&mut self, mut ready: impl FnMut(&T) -> bool) -> Option<Taken<K, L, T>> {
        for class in (0..self.classes.len()).rev() {
            if let Some(taken) = self.pop_new(class, &mut ready).or_else(|| self.pop_old(class, &mut ready)) {
                self.len -= 1;
                return Some(taken);
            }
        }
        None
    }

    fn pop_new(&mut self, class: usize, ready: &mut impl FnMut(&T) -> bool) -> Option<Taken<K, L, T>> {
        let quantum = self.quantum;
        let rings = &mut self.classes[class];
        let keys = &mut self.keys;
        // A new key that emptied joins the old list (and leaves it on its next turn there).
        let mut index = 0;
        while index < rings.new.len() {
            match keys.get_mut(&rings.new[index]) {
                None => {
                    rings.new.remove(index);
                }
                Some(queue) if queue.len == 0 => {
                    queue.ring = Some(Ring::Old);
                    if let Some(key) = rings.new.remove(index) {
                        rings.old.push_back(key);
                    }
                }
                Some(_) => index += 1,
            }
        }
        // Fewest waiting first, then arrival: when many bots become active at once, a bot with a single send is
        // not kept behind bots that have just queued many.
        let mut order: Vec<(usize, usize)> = rings
            .new
            .iter()
            .enumerate()
            .map(|(index, key)| (keys.get(key).map_or(0, |queue| queue.len), index))
            .collect();
        order.sort_unstable();
        for (_, index) in order {
            let key = rings.new[index].clone();
            let Some(queue) = keys.get_mut(&key) else {
                continue;
            };
            if let Some((seq, lane, item)) = queue.take_ready(ready) {
                queue.deficit -= 1;
                if queue.len == 0 || queue.deficit <= 0 {
                    rings.new.remove(index);
                    rings.old.push_back(key.clone());
                    queue.ring = Some(Ring::Old);
                    queue.deficit += quantum;
                }
                return Some(Taken { key, lane, item, seq });
            }
        }
        None
    }

    fn pop_old(&mut self, class: usize, ready: &mut impl FnMut(&T) -> bool) -> Option<Taken<K, L, T>> {
        let quantum = self.quantum;
        let rings = &mut self.classes[class];
        let mut visits = rings.old.len();
        while visits > 0 {
            visits -= 1;
            let key = rings.old.front()?.clone();
            let Some(queue) = self.keys.get_mut(&key) else {
                rings.old.pop_front();
                continue;
            };
            if queue.len == 0 {
                rings.old.pop_front();
                queue.ring = None;
                queue.deficit = 0;
                if queue.is_idle() {
                    self.keys.remove(&key);
                }
                continue;
            }
            if queue.deficit > 0 {
                if let Some((seq, lane, item)) = queue.take_ready(ready) {
                    queue.deficit -= 1;
                    // A key that just emptied stays on the old list until its next turn finds it still empty (as
                    // FQ-CoDel does): a bot that sends again at once gets no "new" boost.
                    if queue.len == 0 || queue.deficit <= 0 {
                        rings.old.rotate_left(1);
                        queue.deficit = (queue.deficit + quantum).min(quantum);
                    }
                    return Some(Taken { key, lane, item, seq });
                }
            }
            // Turn over: nothing ready, or the quantum is spent. Credit never exceeds one quantum.
            rings.old.rotate_left(1);
            queue.deficit = (queue.deficit + quantum).min(quantum);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Queue = FairQueue<&'static str, &'static str, u32>;

    fn take_all(queue: &mut Queue) -> Vec<(&'static str, u32)> {
        let mut order = Vec::new();
        while let Some(taken) = queue.pop(|_| true) {
            order.push((taken.key, taken.item));
            queue.finish(&taken.key, &taken.lane);
        }
        order
    }

    #[test]
    fn one_lane_is_served_in_push_order() {
        let mut queue = Queue::default();
        for item in 0..5 {
            queue.push("bot", Priority::Medium, "room", item);
        }
        assert_eq!(take_all(&mut queue).into_iter().map(|(_, item)| item).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_busy_lane_holds_its_next_item_until_finished() {
        let mut queue = Queue::default();
        queue.push("bot", Priority::Medium, "room", 1);
        queue.push("bot", Priority::Medium, "room", 2);
        let first = queue.pop(|_| true).unwrap();
        assert!(queue.pop(|_| true).is_none());
        queue.finish(&first.key, &first.lane);
        assert_eq!(queue.pop(|_| true).unwrap().item, 2);
    }

    #[test]
    fn an_unready_item_holds_later_items_of_its_lane_but_not_of_other_lanes() {
        let mut queue = Queue::default();
        queue.push("bot", Priority::Medium, "room", 1); // a big upload, not ready yet
        queue.push("bot", Priority::Medium, "room", 2);
        queue.push("bot", Priority::Medium, "group", 3);
        let taken = queue.pop(|item| *item != 1).unwrap();
        assert_eq!(taken.item, 3);
        queue.finish(&taken.key, &taken.lane);
        assert!(queue.pop(|item| *item != 1).is_none());
        assert_eq!(queue.pop(|_| true).unwrap().item, 1);
    }

    #[test]
    fn a_requeued_item_goes_back_to_the_head_of_its_lane() {
        let mut queue = Queue::default();
        queue.push("bot", Priority::Medium, "room", 1);
        queue.push("bot", Priority::Medium, "room", 2);
        let first = queue.pop(|_| true).unwrap();
        queue.requeue(first);
        assert_eq!(take_all(&mut queue), vec![("bot", 1), ("bot", 2)]);
    }

    #[test]
    fn backlogged_bots_take_turns() {
        let mut queue = Queue::default();
        for item in 0..3 {
            queue.push("a", Priority::Medium, "room", item);
            queue.push("b", Priority::Medium, "room", item);
        }
        let keys: Vec<_> = take_all(&mut queue).into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, vec!["a", "b", "a", "b", "a", "b"]);
    }

    #[test]
    fn a_newly_active_bot_is_served_next_even_behind_many_flooding_bots() {
        let mut queue = FairQueue::<String, u32, u32>::default();
        for bot in 0..100 {
            for item in 0..50 {
                queue.push(format!("flood-{bot}"), Priority::Medium, item, item);
            }
        }
        for _ in 0..250 {
            let taken = queue.pop(|_| true).unwrap();
            queue.finish(&taken.key, &taken.lane);
        }
        queue.push("light".to_owned(), Priority::Medium, 0, 0);
        assert_eq!(queue.pop(|_| true).unwrap().key, "light");
    }

    #[test]
    fn a_single_send_goes_before_bots_that_became_active_with_many() {
        let mut queue = FairQueue::<String, u32, u32>::default();
        for bot in 0..100 {
            for item in 0..3 {
                queue.push(format!("flood-{bot}"), Priority::Medium, item, item);
            }
        }
        for _ in 0..5 {
            let taken = queue.pop(|_| true).unwrap();
            queue.finish(&taken.key, &taken.lane);
        }
        queue.push("light".to_owned(), Priority::Medium, 0, 0);
        assert_eq!(queue.pop(|_| true).unwrap().key, "light");
    }

    #[test]
    fn a_trickling_bot_does_not_stay_new() {
        let mut queue = Queue::default();
        for item in 0..10 {
            queue.push("flood", Priority::Medium, "room", item);
        }
        // "trickle" sends one message, waits for it, and sends the next.
        queue.push("trickle", Priority::Medium, "room", 100);
        let mut trickle_turns = 0;
        for _ in 0..6 {
            let taken = queue.pop(|_| true).unwrap();
            if taken.key == "trickle" {
                trickle_turns += 1;
                queue.finish(&taken.key, &taken.lane);
                queue.push("trickle", Priority::Medium, "room", 100);
            } else {
                queue.finish(&taken.key, &taken.lane);
            }
        }
        assert_eq!(trickle_turns, 3, "trickle must alternate with flood, not take every turn");
    }

    #[test]
    fn a_higher_class_always_goes_first() {
        let mut queue = Queue::default();
        queue.push("low", Priority::Low, "room", 1);
        queue.push("medium", Priority::Medium, "room", 2);
        queue.push("high", Priority::High, "room", 3);
        queue.push("high", Priority::High, "room", 4);
        let keys: Vec<_> = take_all(&mut queue).into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, vec!["high", "high", "medium", "low"]);
    }

    #[test]
    fn a_larger_quantum_lets_a_bot_take_several_items_per_turn() {
        let mut queue = Queue::new(2);
        for item in 0..4 {
            queue.push("a", Priority::Medium, "room", item);
            queue.push("b", Priority::Medium, "room", item);
        }
        let keys: Vec<_> = take_all(&mut queue).into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, vec!["a", "a", "b", "b", "a", "a", "b", "b"]);
    }

    #[test]
    fn a_removed_item_is_never_taken() {
        let mut queue = Queue::default();
        queue.push("bot", Priority::Medium, "room", 1);
        queue.push("bot", Priority::Medium, "room", 2);
        assert_eq!(queue.remove(&"bot", &"room", |item| *item == 1), Some(1));
        assert_eq!(take_all(&mut queue), vec![("bot", 2)]);
        assert!(queue.is_empty());
    }
}
