//! Membership and presence events: people entering and leaving rooms, joining and leaving groups, rooms and groups
//! coming and going, users coming online and going offline. The service reports them as callbacks
//! (`room_enter`, `group_join`, `user_action`, ...; see `zimbot_wire::membership_event`); plugins get them as
//! typed hooks.

use crate::{ConversationId, ConversationType, UserId};
use serde::{Deserialize, Serialize};

/// Someone entered or left a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomMember {
    pub room_id: ConversationId,
    pub user_id: UserId,
    /// When it happened, ms since the Unix epoch (the callback's time).
    pub at_ms: i64,
}

/// Users joined or left a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMembers {
    pub group_id: ConversationId,
    /// The users who joined or left.
    pub user_ids: Vec<UserId>,
    /// Who did it: the inviter, or the user themselves.
    pub operator: UserId,
    pub at_ms: i64,
}

/// A room or group was created or destroyed (a room after its destroy delay, a group when disbanded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationLifecycle {
    pub conversation_type: ConversationType,
    pub conversation_id: ConversationId,
    /// Who created or disbanded it; empty when the service did (a room's destroy delay ran out).
    pub operator: UserId,
    /// The room or group name, when the callback carries one.
    #[serde(default)]
    pub name: String,
    pub at_ms: i64,
}

/// A user's client came online or went away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub user_id: UserId,
    /// For going away: `true` when the user logged out, `false` when the connection was lost.
    #[serde(default)]
    pub logged_out: bool,
    pub at_ms: i64,
}

/// One membership or presence event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MembershipEvent {
    RoomEntered(RoomMember),
    RoomLeft(RoomMember),
    RoomCreated(ConversationLifecycle),
    RoomDestroyed(ConversationLifecycle),
    GroupJoined(GroupMembers),
    GroupLeft(GroupMembers),
    GroupCreated(ConversationLifecycle),
    GroupDestroyed(ConversationLifecycle),
    UserOnline(Presence),
    UserOffline(Presence),
}

impl MembershipEvent {
    /// The room or group the event is about; `None` for presence.
    pub fn conversation(&self) -> Option<(ConversationType, &ConversationId)> {
        match self {
            Self::RoomEntered(member) | Self::RoomLeft(member) => Some((ConversationType::Room, &member.room_id)),
            Self::GroupJoined(members) | Self::GroupLeft(members) => Some((ConversationType::Group, &members.group_id)),
            Self::RoomCreated(lifecycle)
            | Self::RoomDestroyed(lifecycle)
            | Self::GroupCreated(lifecycle)
            | Self::GroupDestroyed(lifecycle) => Some((lifecycle.conversation_type, &lifecycle.conversation_id)),
            Self::UserOnline(_) | Self::UserOffline(_) => None,
        }
    }

    /// The user who caused it: the member, the operator, or the user whose presence changed.
    pub fn actor(&self) -> &UserId {
        match self {
            Self::RoomEntered(member) | Self::RoomLeft(member) => &member.user_id,
            Self::GroupJoined(members) | Self::GroupLeft(members) => &members.operator,
            Self::RoomCreated(lifecycle)
            | Self::RoomDestroyed(lifecycle)
            | Self::GroupCreated(lifecycle)
            | Self::GroupDestroyed(lifecycle) => &lifecycle.operator,
            Self::UserOnline(presence) | Self::UserOffline(presence) => &presence.user_id,
        }
    }

    /// The hook it is for, for logs and metrics.
    pub fn hook_name(&self) -> &'static str {
        match self {
            Self::RoomEntered(_) => "on_room_member_entered",
            Self::RoomLeft(_) => "on_room_member_left",
            Self::RoomCreated(_) => "on_room_created",
            Self::RoomDestroyed(_) => "on_room_destroyed",
            Self::GroupJoined(_) => "on_group_members_joined",
            Self::GroupLeft(_) => "on_group_members_left",
            Self::GroupCreated(_) => "on_group_created",
            Self::GroupDestroyed(_) => "on_group_destroyed",
            Self::UserOnline(_) => "on_user_online",
            Self::UserOffline(_) => "on_user_offline",
        }
    }
}
