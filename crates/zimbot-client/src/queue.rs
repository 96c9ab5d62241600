//! The fair queue: per-bot queues served in whole rounds, higher priority first, in order per lane.
//!
//! Contract:
//! - Items are pushed under a *key* (a bot), a *priority class* and a *lane* (a conversation). [`FairQueue::pop`]
//!   takes one item that the caller's `ready` test accepts, or `None` when no item is ready.
//! - **Order per lane.** Items of one key and lane are taken in push order, and a lane whose item was taken is
//!   *busy* until [`FairQueue::finish`] (or [`FairQueue::requeue`]) is called for it: a later item never overtakes
//!   an earlier one that is not ready or still in flight. Different lanes of one key do not wait for each other;
//!   among them the earliest pushed ready item goes first.
//! - **Priority.** A ready item of a higher class is always taken before any item of a lower class.
//! - **Whole rounds within a class.** Every backlogged key has a round number; items are taken from the lowest
//!   round first, in the order the keys entered it, and a key moves to the next round once it has taken `quantum`
//!   items. So no key takes a second turn in a round while another key of that round has a ready item: `k`
//!   backlogged keys each get `quantum` items in every `k × quantum` takes, and the rounds stay whole however the
//!   keys' readiness comes and goes. The frontier is the highest round served so far; a key served in a round below
//!   it moves to the frontier itself (it catches up one turn that its unready items made it miss, never more: keys
//!   whose items are all unready pass their turn without banking credit).
//! - **Bots under their fair share go next.** As in FQ-CoDel, a key that becomes active goes to a *new* list served
//!   before the rounds for its first turn: a bot sending a single message waits behind at most the items already
//!   taken, not behind every flooding bot. Among new keys the one with the fewest waiting items goes first, so that
//!   when many bots become active at once (a start-up flood) a single send is not kept behind all of them. After
//!   its first turn a key joins the round after the one being served. A key leaves the rounds only when its turn
//!   finds it empty, so a bot cannot stay "new" by trickling one send at a time. (The client paces sends once
//!   a window is half full, so that the next slot such a bot gets is never far: see `limiter`.)
//!
//! The queue is plain data (no I/O, no clock); the client holds it under its lock.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
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
    /// Active keys, indexed by priority class (low, medium, high).
    classes: [Class<K>; 3],
    len: usize,
}

/// The active keys of one priority class.
#[derive(Debug)]
struct Class<K> {
    new: VecDeque<K>,
    /// Keys that had their first turn, by round, each round in the order the keys entered it.
    rounds: BTreeMap<u64, VecDeque<K>>,
    /// The highest round an item was taken in.
    frontier: u64,
}

impl<K: Eq> Class<K> {
    fn empty() -> Self {
        Self { new: VecDeque::new(), rounds: BTreeMap::new(), frontier: 0 }
    }

    /// The round being served: the lowest holding keys (keys left far behind by unready items aside), or the
    /// frontier when none does.
    fn current(&self) -> u64 {
        self.rounds.keys().next().copied().unwrap_or(self.frontier).max(self.frontier.saturating_sub(1))
    }

    /// The round a key that became active in round `activated` joins after its first turn: the next one, or the
    /// frontier's if it waited longer than that (one turn caught up, never more).
    fn after_first_turn(&self, activated: u64) -> u64 {
        (activated + 1).max(self.frontier)
    }

    fn enter(&mut self, round: u64, key: K) {
        self.rounds.entry(round).or_default().push_back(key);
    }

    fn leave(&mut self, key: &K) {
        self.new.retain(|other| other != key);
        for keys in self.rounds.values_mut() {
            keys.retain(|other| other != key);
        }
        self.rounds.retain(|_, keys| !keys.is_empty());
    }
}

/// Where an active key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// On the new list since the given round was being served.
    New(u64),
    Round(u64),
}

#[derive(Debug)]
struct KeyQueue<L, T> {
    class: usize,
    lanes: HashMap<L, VecDeque<(u64, T)>>,
    busy: HashSet<L>,
    len: usize,
    /// Items it may still take in its current turn.
    deficit: i64,
    place: Option<Place>,
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
        Self { class, lanes: HashMap::new(), busy: HashSet::new(), len: 0, deficit: 0, place: None }
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

    /// The round being served when the key became active (for a key on the new list).
    fn activated(&self) -> u64 {
        match self.place {
            Some(Place::New(round)) => round,
            _ => 0,
        }
    }

    fn is_idle(&self) -> bool {
        self.len == 0 && self.busy.is_empty() && self.place.is_none()
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
        Self {
            quantum: i64::from(quantum.max(1)),
            next_seq: 0,
            keys: HashMap::new(),
            classes: [Class::empty(), Class::empty(), Class::empty()],
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
            // The bot's priority changed: it joins the other class's round being served.
            if queue.place.is_some() {
                self.classes[queue.class].leave(&key);
                let round = self.classes[class].current();
                self.classes[class].enter(round, key.clone());
                queue.place = Some(Place::Round(round));
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
        if queue.place.is_none() {
            let rings = &mut self.classes[class];
            // A requeued retry is not a newly active bot: it joins the round being served.
            let round = rings.current();
            if at_front {
                rings.enter(round, key);
                queue.place = Some(Place::Round(round));
            } else {
                rings.new.push_back(key);
                queue.place = Some(Place::New(round));
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
        // An emptied key leaves its round on its next turn.
        Some(item)
    }

    /// Takes the next ready item: highest class first, new keys before the rounds, the lowest round first.
    pub fn pop(&mut self, mut ready: impl FnMut(&T) -> bool) -> Option<Taken<K, L, T>> {
        for class in (0..self.classes.len()).rev() {
            if let Some(taken) = self.pop_new(class, &mut ready).or_else(|| self.pop_rounds(class, &mut ready)) {
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
        // A new key that emptied joins the rounds (and leaves them on its next turn there).
        let mut index = 0;
        while index < rings.new.len() {
            match keys.get_mut(&rings.new[index]) {
                None => {
                    rings.new.remove(index);
                }
                Some(queue) if queue.len == 0 => {
                    let round = rings.after_first_turn(queue.activated());
                    queue.place = Some(Place::Round(round));
                    if let Some(key) = rings.new.remove(index) {
                        rings.enter(round, key);
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
                    let round = rings.after_first_turn(queue.activated());
                    rings.new.remove(index);
                    rings.enter(round, key.clone());
                    queue.place = Some(Place::Round(round));
                    queue.deficit = quantum;
                }
                return Some(Taken { key, lane, item, seq });
            }
        }
        None
    }

    fn pop_rounds(&mut self, class: usize, ready: &mut impl FnMut(&T) -> bool) -> Option<Taken<K, L, T>> {
        let quantum = self.quantum;
        let rings = &mut self.classes[class];
        let rounds: Vec<u64> = rings.rounds.keys().copied().collect();
        for round in rounds {
            let mut index = 0;
            while let Some(key) = rings.rounds.get(&round).and_then(|keys| keys.get(index)).cloned() {
                let Some(queue) = self.keys.get_mut(&key) else {
                    Self::drop_from_round(rings, round, index);
                    continue;
                };
                if queue.len == 0 {
                    // Its turn found it empty: it leaves the rounds (and is new when it sends again).
                    Self::drop_from_round(rings, round, index);
                    queue.place = None;
                    queue.deficit = 0;
                    if queue.is_idle() {
                        self.keys.remove(&key);
                    }
                    continue;
                }
                let Some((seq, lane, item)) = queue.take_ready(ready) else {
                    // Nothing ready: it keeps its place in this round.
                    index += 1;
                    continue;
                };
                rings.frontier = rings.frontier.max(round);
                queue.deficit -= 1;
                if queue.deficit <= 0 || queue.len == 0 {
                    // Served below the frontier, it catches up one turn in the frontier's round, never more.
                    let next = (round + 1).max(rings.frontier);
                    Self::drop_from_round(rings, round, index);
                    rings.enter(next, key.clone());
                    queue.place = Some(Place::Round(next));
                    queue.deficit = quantum;
                }
                return Some(Taken { key, lane, item, seq });
            }
        }
        None
    }

    fn drop_from_round(rings: &mut Class<K>, round: u64, index: usize) {
        if let Some(keys) = rings.rounds.get_mut(&round) {
            keys.remove(index);
            if keys.is_empty() {
                rings.rounds.remove(&round);
            }
        }
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

    /// Takes `count` items, finishing each at once; returns the keys in take order.
    fn take_keys(queue: &mut FairQueue<String, u32, u32>, count: usize, ready: impl Fn(&str) -> bool) -> Vec<String> {
        let mut keys = Vec::new();
        for _ in 0..count {
            let Some(taken) = queue.pop(|item| ready(&format!("flood-{}", item / 1000))) else {
                break;
            };
            queue.finish(&taken.key, &taken.lane);
            keys.push(taken.key);
        }
        keys
    }

    fn flood(bots: u32, items: u32) -> FairQueue<String, u32, u32> {
        let mut queue = FairQueue::default();
        for bot in 0..bots {
            for item in 0..items {
                queue.push(format!("flood-{bot}"), Priority::Medium, 0, bot * 1000 + item);
            }
        }
        queue
    }

    fn assert_whole_rounds(keys: &[String], bots: usize) {
        for (index, round) in keys.chunks(bots).enumerate() {
            let distinct: HashSet<&String> = round.iter().collect();
            assert_eq!(distinct.len(), round.len(), "round {index} holds a bot twice: {round:?}");
        }
    }

    #[test]
    fn backlogged_bots_are_served_in_whole_rounds() {
        let mut queue = flood(100, 10);
        let keys = take_keys(&mut queue, 1000, |_| true);
        assert_eq!(keys.len(), 1000);
        assert_whole_rounds(&keys, 100);
    }

    #[test]
    fn a_bot_whose_item_was_not_ready_catches_up_its_turn_and_the_rounds_stay_whole() {
        let mut queue = flood(100, 10);
        // At start-up some uploads have not finished: bot 7's items are not ready for the first 150 takes.
        let mut keys = take_keys(&mut queue, 150, |key| key != "flood-7");
        assert!(!keys[..99].contains(&"flood-7".to_owned()));
        keys.extend(take_keys(&mut queue, 850, |_| true));
        assert_eq!(keys.len(), 1000);
        // Bot 7 is served as soon as it is ready, and again in the round being served (the turn its unready item
        // made it miss), before any bot takes a third turn: after 200 takes every bot has had two, and from there
        // on the rounds are whole.
        assert_eq!(keys.iter().position(|key| key == "flood-7"), Some(150));
        let mut counts: HashMap<&String, usize> = HashMap::new();
        keys[..200].iter().for_each(|key| *counts.entry(key).or_default() += 1);
        assert!(counts.len() == 100 && counts.values().all(|count| *count == 2), "{counts:?}");
        assert_whole_rounds(&keys[200..], 100);
    }

    #[test]
    fn a_bot_unready_for_many_rounds_banks_no_more_than_one_turn() {
        let mut queue = flood(10, 20);
        let mut keys = take_keys(&mut queue, 50, |key| key != "flood-3");
        keys.extend(take_keys(&mut queue, 16, |_| true));
        // Five rounds and a half of nine, then flood-3: its first turn at once, one caught up in the round being
        // served, and one in the next round like every bot.
        assert_eq!(keys[50], "flood-3");
        assert_eq!(keys[51..56].iter().filter(|key| *key == "flood-3").count(), 1, "{:?}", &keys[50..]);
        assert_eq!(keys[56..66].iter().filter(|key| *key == "flood-3").count(), 1, "{:?}", &keys[50..]);
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
