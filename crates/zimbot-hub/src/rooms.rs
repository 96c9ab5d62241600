//! The rooms that exist, kept as the service keeps them: a room exists once it is created (by `CreateRoom`, or by
//! a person entering it through the client API), creating it makes nobody a member, and a room with no members is
//! destroyed once its destroy delay has passed since it emptied (or since it was created empty).
//!
//! Rooms live in memory: a room on the service lives only as long as its members are connected, and a hub restart
//! disconnects everyone, so every room is gone after one (a bot's next room send gets 660300001 and creates it
//! again, as on the service after a room was destroyed).
//!
//! Time comes from the hub's [`Clock`], so tests move it by hand. Expiry is evaluated whenever the rooms are
//! consulted and by the hub's sweeper (every second), so a destroyed room is never seen, and its `room_destroy`
//! callback goes out within a second even when nobody asks. Every change (created, destroyed, entered, left) is
//! recorded for the caller to fire as callbacks ([`Rooms::take_changes`]).

use crate::clock::Clock;
use parking_lot::Mutex;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The documented longest `DestroyDelayTime`, in seconds.
pub(crate) const MAX_DESTROY_DELAY_SECS: u64 = 10_800;

/// Something that happened to a room, for its callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RoomChange {
    Created { room_id: String, name: String, by: String },
    Destroyed { room_id: String },
    Entered { room_id: String, user_id: String, members: usize },
    Left { room_id: String, user_id: String, members: usize },
}

/// What is known of one room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoomView {
    pub(crate) room_id: String,
    pub(crate) name: String,
    pub(crate) members: Vec<String>,
    /// How long the room stays once empty (already shortened to the hub's cap).
    pub(crate) destroy_delay: Duration,
}

#[derive(Debug)]
struct Room {
    name: String,
    destroy_delay: Duration,
    members: BTreeSet<String>,
    /// When the room last became empty (or was created empty); `None` while it has members.
    empty_since: Option<Instant>,
}

/// The room `room_id` exists already (CreateRoom answers 660300014).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoomExists;

/// Every room of the hub.
#[derive(Debug)]
pub(crate) struct Rooms {
    clock: Arc<dyn Clock>,
    /// The longest destroy delay any room gets (the documented 10 800 s, or a hub setting below it).
    delay_cap: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    rooms: HashMap<String, Room>,
    changes: Vec<RoomChange>,
}

impl Rooms {
    pub(crate) fn new(clock: Arc<dyn Clock>, delay_cap: Duration) -> Self {
        let delay_cap = delay_cap.min(Duration::from_secs(MAX_DESTROY_DELAY_SECS));
        Self { clock, delay_cap, state: Mutex::new(State::default()) }
    }

    /// Creates the empty room `room_id`, destroyed after `destroy_delay` unless someone enters.
    pub(crate) fn create(
        &self,
        room_id: &str,
        name: &str,
        destroy_delay: Duration,
        by: &str,
    ) -> Result<(), RoomExists> {
        let now = self.clock.instant();
        let mut state = self.state.lock();
        state.expire(now);
        if state.rooms.contains_key(room_id) {
            return Err(RoomExists);
        }
        let room = Room {
            name: name.to_owned(),
            destroy_delay: destroy_delay.min(self.delay_cap),
            members: BTreeSet::new(),
            empty_since: Some(now),
        };
        state.rooms.insert(room_id.to_owned(), room);
        state.changes.push(RoomChange::Created {
            room_id: room_id.to_owned(),
            name: name.to_owned(),
            by: by.to_owned(),
        });
        Ok(())
    }

    /// The room `room_id`, if it exists now.
    pub(crate) fn get(&self, room_id: &str) -> Option<RoomView> {
        let mut state = self.state.lock();
        state.expire(self.clock.instant());
        state.rooms.get(room_id).map(|room| view(room_id, room))
    }

    /// Every room that exists now, by id.
    pub(crate) fn list(&self) -> Vec<RoomView> {
        let mut state = self.state.lock();
        state.expire(self.clock.instant());
        let mut rooms: Vec<RoomView> = state.rooms.iter().map(|(room_id, room)| view(room_id, room)).collect();
        rooms.sort_by(|one, other| one.room_id.cmp(&other.room_id));
        rooms
    }

    /// `user_id` enters `room_id`, which is created (named after its id, destroyed as soon as it empties, as a
    /// room a client creates by entering) when it does not exist. `false` when the user was in it already.
    pub(crate) fn enter(&self, room_id: &str, user_id: &str) -> bool {
        let now = self.clock.instant();
        let mut state = self.state.lock();
        state.expire(now);
        if !state.rooms.contains_key(room_id) {
            let room = Room {
                name: room_id.to_owned(),
                destroy_delay: Duration::ZERO,
                members: BTreeSet::new(),
                empty_since: None,
            };
            state.rooms.insert(room_id.to_owned(), room);
            let change =
                RoomChange::Created { room_id: room_id.to_owned(), name: room_id.to_owned(), by: user_id.to_owned() };
            state.changes.push(change);
        }
        let Some(room) = state.rooms.get_mut(room_id) else {
            return false;
        };
        if !room.members.insert(user_id.to_owned()) {
            return false;
        }
        room.empty_since = None;
        let members = room.members.len();
        state.changes.push(RoomChange::Entered { room_id: room_id.to_owned(), user_id: user_id.to_owned(), members });
        true
    }

    /// `user_id` leaves `room_id`; `false` when it was not a member (or the room does not exist).
    pub(crate) fn leave(&self, room_id: &str, user_id: &str) -> bool {
        let now = self.clock.instant();
        let mut state = self.state.lock();
        state.expire(now);
        let Some(room) = state.rooms.get_mut(room_id) else {
            return false;
        };
        if !room.members.remove(user_id) {
            return false;
        }
        let members = room.members.len();
        if members == 0 {
            room.empty_since = Some(now);
        }
        state.changes.push(RoomChange::Left { room_id: room_id.to_owned(), user_id: user_id.to_owned(), members });
        // A room with no delay goes at once.
        state.expire(now);
        true
    }

    /// `user_id` leaves every room it is in (its client went offline or logged out); the rooms it left.
    pub(crate) fn leave_everywhere(&self, user_id: &str) -> Vec<String> {
        let in_rooms: Vec<String> = {
            let mut state = self.state.lock();
            state.expire(self.clock.instant());
            state.rooms.iter().filter(|(_, room)| room.members.contains(user_id)).map(|(id, _)| id.clone()).collect()
        };
        in_rooms.into_iter().filter(|room_id| self.leave(room_id, user_id)).collect()
    }

    /// Destroys the rooms whose delay has passed (the sweeper calls this every second).
    pub(crate) fn sweep(&self) {
        self.state.lock().expire(self.clock.instant());
    }

    /// The changes since the last call, oldest first.
    pub(crate) fn take_changes(&self) -> Vec<RoomChange> {
        std::mem::take(&mut self.state.lock().changes)
    }
}

impl State {
    fn expire(&mut self, now: Instant) {
        let expired: Vec<String> = self
            .rooms
            .iter()
            .filter(|(_, room)| {
                room.empty_since.is_some_and(|since| now.saturating_duration_since(since) >= room.destroy_delay)
            })
            .map(|(room_id, _)| room_id.clone())
            .collect();
        for room_id in expired {
            self.rooms.remove(&room_id);
            self.changes.push(RoomChange::Destroyed { room_id });
        }
    }
}

fn view(room_id: &str, room: &Room) -> RoomView {
    RoomView {
        room_id: room_id.to_owned(),
        name: room.name.clone(),
        members: room.members.iter().cloned().collect(),
        destroy_delay: room.destroy_delay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn rooms(cap_secs: u64) -> (Rooms, ManualClock) {
        let clock = ManualClock::default();
        (Rooms::new(Arc::new(clock.clone()), Duration::from_secs(cap_secs)), clock)
    }

    #[test]
    fn a_created_room_has_no_members() {
        let (rooms, _clock) = rooms(MAX_DESTROY_DELAY_SECS);
        rooms.create("lobby", "Lobby", Duration::from_secs(60), "@RBT#a").unwrap();
        assert_eq!(rooms.get("lobby").unwrap().members, Vec::<String>::new());
    }

    #[test]
    fn creating_an_existing_room_is_refused() {
        let (rooms, _clock) = rooms(MAX_DESTROY_DELAY_SECS);
        rooms.create("lobby", "Lobby", Duration::from_secs(60), "@RBT#a").unwrap();
        assert_eq!(rooms.create("lobby", "Lobby", Duration::from_secs(60), "@RBT#a"), Err(RoomExists));
    }

    #[test]
    fn an_empty_room_is_destroyed_once_its_delay_has_passed() {
        let (rooms, clock) = rooms(MAX_DESTROY_DELAY_SECS);
        rooms.create("lobby", "Lobby", Duration::from_secs(60), "@RBT#a").unwrap();
        clock.advance(Duration::from_secs(59));
        assert!(rooms.get("lobby").is_some());
        clock.advance(Duration::from_secs(1));
        assert!(rooms.get("lobby").is_none());
        assert_eq!(rooms.take_changes().last(), Some(&RoomChange::Destroyed { room_id: "lobby".into() }));
    }

    #[test]
    fn a_room_with_a_member_is_kept_past_its_delay() {
        let (rooms, clock) = rooms(MAX_DESTROY_DELAY_SECS);
        rooms.create("lobby", "Lobby", Duration::from_secs(60), "@RBT#a").unwrap();
        rooms.enter("lobby", "alice");
        clock.advance(Duration::from_secs(3600));
        assert!(rooms.get("lobby").is_some());
    }

    #[test]
    fn the_delay_counts_from_when_the_last_member_left() {
        let (rooms, clock) = rooms(MAX_DESTROY_DELAY_SECS);
        rooms.create("lobby", "Lobby", Duration::from_secs(60), "@RBT#a").unwrap();
        rooms.enter("lobby", "alice");
        clock.advance(Duration::from_secs(600));
        rooms.leave("lobby", "alice");
        clock.advance(Duration::from_secs(59));
        assert!(rooms.get("lobby").is_some());
        clock.advance(Duration::from_secs(1));
        assert!(rooms.get("lobby").is_none());
    }

    #[test]
    fn the_hub_setting_shortens_every_delay() {
        let (rooms, clock) = rooms(2);
        rooms.create("lobby", "Lobby", Duration::from_secs(3600), "@RBT#a").unwrap();
        clock.advance(Duration::from_secs(2));
        assert!(rooms.get("lobby").is_none());
    }

    #[test]
    fn leaving_everywhere_empties_only_the_rooms_the_user_was_in() {
        let (rooms, _clock) = rooms(MAX_DESTROY_DELAY_SECS);
        rooms.create("lobby", "Lobby", Duration::from_secs(60), "@RBT#a").unwrap();
        rooms.create("den", "Den", Duration::from_secs(60), "@RBT#a").unwrap();
        rooms.enter("lobby", "alice");
        rooms.enter("den", "bob");
        assert_eq!(rooms.leave_everywhere("alice"), ["lobby"]);
        assert_eq!(rooms.get("lobby").unwrap().members, Vec::<String>::new());
        assert_eq!(rooms.get("den").unwrap().members, ["bob"]);
    }

    #[test]
    fn entering_a_room_that_does_not_exist_creates_it() {
        let (rooms, _clock) = rooms(MAX_DESTROY_DELAY_SECS);
        assert!(rooms.enter("den", "alice"));
        let changes = rooms.take_changes();
        assert!(matches!(&changes[0], RoomChange::Created { room_id, by, .. } if room_id == "den" && by == "alice"));
        assert!(matches!(&changes[1], RoomChange::Entered { members: 1, .. }));
    }
}
