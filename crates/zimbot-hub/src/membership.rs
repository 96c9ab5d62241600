//! Rooms and groups changing: the hub's side of creating, entering, leaving, joining and disbanding, with the
//! callbacks each change fires.

use crate::rooms::{RoomChange, RoomExists, RoomView};
use crate::state::{HubState, SharedState};
use crate::store::{GroupStatus, LeaveOutcome, NewGroup, StoreError};
use std::time::Duration;

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
            tracing::debug!(group_id, user_id, disbanded, "left a group");
        }
        Ok(outcome)
    }

    /// A group was created with `members` (the owner among them).
    pub(crate) fn group_created(&self, group_id: &str, name: &str, owner: &str, members: &[String]) {
        tracing::debug!(group_id, name, owner, members = members.len(), "group created");
    }

    /// `added` joined `group_id`, invited by `by`.
    pub(crate) fn group_joined(&self, group_id: &str, by: &str, added: &[String]) {
        tracing::debug!(group_id, by, added = added.len(), "users joined a group");
    }

    /// Fires the callbacks of the rooms' changes so far.
    pub(crate) fn fire_room_changes(&self) {
        for change in self.rooms.take_changes() {
            match change {
                RoomChange::Created { room_id, .. } => tracing::debug!(room_id, "room created"),
                RoomChange::Destroyed { room_id } => tracing::debug!(room_id, "room destroyed"),
                RoomChange::Entered { room_id, user_id, .. } => tracing::debug!(room_id, user_id, "room entered"),
                RoomChange::Left { room_id, user_id, .. } => tracing::debug!(room_id, user_id, "room left"),
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
