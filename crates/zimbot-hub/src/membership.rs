//! Rooms, groups and people changing: the hub's side of creating, entering, leaving, joining, disbanding and
//! coming online, with the callbacks each change fires, fields as ZEGOCLOUD's callback pages give them:
//! - `room_create` (`room_id`, `operator_account`, `room_name`, `attributes`), `room_destroy` (`room_id`),
//!   `room_enter` / `room_exit` (`room_id`, `operator_account`);
//! - `group_create` (`group_id`, `operator_account`, `owner_account`, `group_name`, `attributes`, `user_ids`),
//!   `group_join` (`group_id`, `operator_account`, `join_type` "Apply" or "Invited", `new_user_ids`),
//!   `group_exit` (`group_id`, `operator_account`, `user_ids`), `group_destroy` (`group_id`, `operator_account`);
//! - `user_action` (`user_id`, `user_name`, `os`, `action` 0 online / 1 logout / 2 offline, `session_id`,
//!   `login_time`, `logout_time`, `relogin`).
//!
//! Room and group events carry `timestamp` in milliseconds, `user_action` in seconds, as documented. Each queues
//! behind the messages of its room or group (a user's presence behind nothing else of theirs).

use crate::callbacks::Outgoing;
use crate::conversation::ConversationKey;
use crate::rooms::{RoomChange, RoomExists, RoomView};
use crate::state::{HubState, SharedState};
use crate::store::{GroupStatus, LeaveOutcome, NewGroup, StoreError};
use serde_json::{json, Map, Value};
use std::time::Duration;
use zimbot_model::ConversationType;

/// What a person joining a group through the client API came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientJoin {
    /// The group did not exist: it was created with the person as owner.
    Created,
    Joined,
    /// The person was a member already.
    AlreadyMember,
    /// The group was disbanded; its id cannot be used again.
    Disbanded,
}

/// How often the sweeper destroys rooms whose delay has passed, on real time.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl HubState {
    /// The room `room_id`, if it exists now.
    pub(crate) fn room(&self, room_id: &str) -> Option<RoomView> {
        let room = self.rooms.get(room_id);
        self.fire_room_changes();
        room
    }

    /// Creates the empty room `room_id` on behalf of `by`.
    pub(crate) fn create_room(&self, room_id: &str, name: &str, delay: Duration, by: &str) -> Result<(), RoomExists> {
        let created = self.rooms.create(room_id, name, delay, by);
        self.fire_room_changes();
        created
    }

    /// `user_id` enters `room_id` (created if it does not exist); `false` when it was in it already.
    pub(crate) fn enter_room(&self, room_id: &str, user_id: &str) -> bool {
        let entered = self.rooms.enter(room_id, user_id);
        self.fire_room_changes();
        entered
    }

    /// `user_id` leaves `room_id`; `false` when it was not in it.
    pub(crate) fn leave_room(&self, room_id: &str, user_id: &str) -> bool {
        let left = self.rooms.leave(room_id, user_id);
        self.fire_room_changes();
        left
    }

    /// `user_id` went offline or logged out: it leaves every room it was in, as the service drops an offline
    /// client from its rooms (room messages reach only members online in the room).
    pub(crate) fn leave_every_room(&self, user_id: &str) {
        let left = self.rooms.leave_everywhere(user_id);
        self.fire_room_changes();
        if !left.is_empty() {
            tracing::debug!(user_id, rooms = ?left, "left every room on going offline");
        }
    }

    /// A person joins `group_id` as a client app does: creating it (as its owner) when the id was never used.
    pub(crate) async fn client_join_group(&self, group_id: &str, user_id: &str) -> Result<ClientJoin, StoreError> {
        match self.store.group_status(group_id).await? {
            Some(GroupStatus::Disbanded) => Ok(ClientJoin::Disbanded),
            Some(GroupStatus::Active) => {
                let added = self.store.add_group_members(group_id, vec![user_id.to_owned()]).await?;
                if added.is_empty() {
                    return Ok(ClientJoin::AlreadyMember);
                }
                self.group_joined(group_id, user_id, &added);
                Ok(ClientJoin::Joined)
            }
            None => {
                let group = NewGroup {
                    group_id: Some(group_id.to_owned()),
                    name: group_id.to_owned(),
                    owner: user_id.to_owned(),
                    members: Vec::new(),
                };
                match self.store.create_group(group).await? {
                    Some((group_id, members)) => {
                        self.group_created(&group_id, &group_id, user_id, &members);
                        Ok(ClientJoin::Created)
                    }
                    // Created by someone else in the meantime.
                    None => Box::pin(self.client_join_group(group_id, user_id)).await,
                }
            }
        }
    }

    /// `user_id` leaves `group_id`; the group is disbanded when it was the last member.
    pub(crate) async fn client_leave_group(&self, group_id: &str, user_id: &str) -> Result<LeaveOutcome, StoreError> {
        let outcome = self.store.leave_group(group_id, user_id).await?;
        if let LeaveOutcome::Left { disbanded } = outcome {
            let fields = object(json!({"group_id": group_id, "operator_account": user_id, "user_ids": [user_id]}));
            self.fire_group("group_exit", group_id, fields);
            if disbanded {
                tracing::info!(group_id, "group disbanded: its last member left");
                let fields = object(json!({"group_id": group_id, "operator_account": user_id}));
                self.fire_group("group_destroy", group_id, fields);
            }
        }
        Ok(outcome)
    }

    /// A group was created with `members` (the owner among them).
    pub(crate) fn group_created(&self, group_id: &str, name: &str, owner: &str, members: &[String]) {
        let fields = object(json!({"group_id": group_id, "operator_account": owner, "owner_account": owner,
                                   "group_name": name, "attributes": [], "user_ids": members}));
        self.fire_group("group_create", group_id, fields);
    }

    /// `added` joined `group_id`: by themselves when `by` is the only one added, else invited by `by`.
    pub(crate) fn group_joined(&self, group_id: &str, by: &str, added: &[String]) {
        if added.is_empty() {
            return;
        }
        let join_type = if added.len() == 1 && added[0] == by { "Apply" } else { "Invited" };
        let fields = object(json!({"group_id": group_id, "operator_account": by, "join_type": join_type,
                                   "new_user_ids": added}));
        self.fire_group("group_join", group_id, fields);
    }

    /// `user_id` came online (`action` 0), logged out (1) or went offline (2).
    pub(crate) fn user_action(&self, user_id: &str, action: u8) {
        let now = crate::store::now_millis() / 1000;
        let (login_time, logout_time) = if action == 0 { (now, 0) } else { (0, now) };
        let fields = object(json!({"user_id": user_id, "user_name": user_id, "os": "WEB", "action": action,
                                   "session_id": "hub", "login_time": login_time, "logout_time": logout_time,
                                   "relogin": "0"}));
        let key = ConversationKey::peer(user_id, "");
        self.callbacks.enqueue_event(key, Outgoing::event("user_action", user_id, fields, false));
    }

    fn fire_group(&self, event: &str, group_id: &str, fields: Map<String, Value>) {
        let key = ConversationKey::shared(ConversationType::Group, group_id);
        self.callbacks.enqueue_event(key, Outgoing::event(event, group_id, fields, true));
    }

    fn fire_room(&self, event: &str, room_id: &str, fields: Map<String, Value>) {
        let key = ConversationKey::shared(ConversationType::Room, room_id);
        self.callbacks.enqueue_event(key, Outgoing::event(event, room_id, fields, true));
    }

    /// Fires the callbacks of the rooms' changes so far.
    pub(crate) fn fire_room_changes(&self) {
        for change in self.rooms.take_changes() {
            match change {
                RoomChange::Created { room_id, name, by } => {
                    let fields = object(json!({"room_id": room_id, "operator_account": by, "room_name": name,
                                               "attributes": []}));
                    self.fire_room("room_create", &room_id, fields);
                }
                RoomChange::Destroyed { room_id } => {
                    tracing::info!(room_id, "room destroyed: it stayed empty for its destroy delay");
                    self.fire_room("room_destroy", &room_id, object(json!({"room_id": room_id})));
                }
                RoomChange::Entered { room_id, user_id, .. } => {
                    let fields = object(json!({"room_id": room_id, "operator_account": user_id}));
                    self.fire_room("room_enter", &room_id, fields);
                }
                RoomChange::Left { room_id, user_id, .. } => {
                    let fields = object(json!({"room_id": room_id, "operator_account": user_id}));
                    self.fire_room("room_exit", &room_id, fields);
                }
            }
        }
    }
}

/// Destroys rooms whose delay has passed every [`SWEEP_EVERY`], until the hub shuts down.
pub(crate) fn spawn_room_sweeper(state: SharedState) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SWEEP_EVERY);
        loop {
            tokio::select! {
                () = state.shutdown.cancelled() => return,
                _ = ticks.tick() => {
                    state.rooms.sweep();
                    state.fire_room_changes();
                }
            }
        }
    });
}

/// The fields of a `json!` object literal.
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}
