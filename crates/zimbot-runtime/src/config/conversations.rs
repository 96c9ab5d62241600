//! The `rooms:` and `groups:` a bots.yaml declares: the rooms and groups the bots post to, which `zimbot run`
//! creates at start (and the client creates a room again when a send finds it destroyed).
//!
//! ```yaml
//! rooms:
//!   - { id: lobby, name: Lobby, destroy_delay_secs: 10800 }
//! groups:
//!   - { id: team, name: Team, owner: "@RBT#announcer", members: [alice, bob] }
//! ```

use super::path::YamlPath;
use super::positions::PositionIndex;
use super::report::Report;
use schemars::JsonSchema;
use serde::Deserialize;
use zimbot_model::{ConversationId, UserId};

/// The service's longest room destroy delay, in seconds.
const MAX_DESTROY_DELAY_SECS: u32 = 10_800;
/// Most members a group is created with.
const MAX_GROUP_MEMBERS: usize = 100;

/// One `rooms:` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a room: `id`, and optionally `name` and `destroy_delay_secs`")]
pub(super) struct RawRoom {
    /// The room id.
    pub id: String,
    /// Its name, shown to clients; the id when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Seconds the room stays once empty before the service destroys it (at most 10800).
    #[serde(default)]
    pub destroy_delay_secs: Option<u32>,
}

/// One `groups:` entry.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a group: `id`, `owner`, and optionally `name` and `members`")]
pub(super) struct RawGroup {
    /// The group id (a group id is never used again once its group is disbanded).
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The user id of its owner (a bot of this file, or a registered person).
    pub owner: String,
    /// The other members, at most 100.
    #[serde(default)]
    pub members: Vec<String>,
}

/// A declared room, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomConfig {
    pub id: ConversationId,
    pub name: String,
    pub destroy_delay_secs: Option<u32>,
}

/// A declared group, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    pub id: ConversationId,
    pub name: String,
    pub owner: UserId,
    pub members: Vec<UserId>,
}

/// Checks the declared rooms, reporting each problem at its entry.
pub(super) fn resolve_rooms(raw: Vec<RawRoom>, positions: &PositionIndex, report: &mut Report) -> Vec<RoomConfig> {
    let mut rooms: Vec<RoomConfig> = Vec::new();
    for (index, room) in raw.into_iter().enumerate() {
        let at = |key: &str| positions.value(&YamlPath::root().key("rooms").index(index).key(key));
        let id = ConversationId::new(room.id.as_str());
        if let Err(error) = id.validate() {
            report.add(at("id"), None, format!("rooms[{index}].id: {error}"));
        } else if rooms.iter().any(|earlier| earlier.id == id) {
            report.add(at("id"), None, format!("room '{id}' is declared twice"));
        }
        if room.destroy_delay_secs.is_some_and(|delay| delay > MAX_DESTROY_DELAY_SECS) {
            report.add(
                at("destroy_delay_secs"),
                None,
                format!("rooms[{index}].destroy_delay_secs: the service keeps an empty room at most {MAX_DESTROY_DELAY_SECS} s"),
            );
        }
        rooms.push(RoomConfig {
            name: room.name.unwrap_or_else(|| room.id.clone()),
            id,
            destroy_delay_secs: room.destroy_delay_secs,
        });
    }
    rooms
}

/// Checks the declared groups, reporting each problem at its entry.
pub(super) fn resolve_groups(raw: Vec<RawGroup>, positions: &PositionIndex, report: &mut Report) -> Vec<GroupConfig> {
    let mut groups: Vec<GroupConfig> = Vec::new();
    for (index, group) in raw.into_iter().enumerate() {
        let at = |key: &str| positions.value(&YamlPath::root().key("groups").index(index).key(key));
        let id = ConversationId::new(group.id.as_str());
        if let Err(error) = id.validate() {
            report.add(at("id"), None, format!("groups[{index}].id: {error}"));
        } else if group.id.starts_with('#') {
            report.add(
                at("id"),
                None,
                format!("groups[{index}].id '{id}' starts with '#', which only ids the service makes do"),
            );
        } else if groups.iter().any(|earlier| earlier.id == id) {
            report.add(at("id"), None, format!("group '{id}' is declared twice"));
        }
        let owner = UserId::new(group.owner.as_str());
        if let Err(error) = owner.validate() {
            report.add(at("owner"), None, format!("groups[{index}].owner: {error}"));
        }
        if group.members.len() > MAX_GROUP_MEMBERS {
            report.add(
                at("members"),
                None,
                format!(
                    "groups[{index}].members lists {} users; a group is created with at most {MAX_GROUP_MEMBERS}",
                    group.members.len()
                ),
            );
        }
        let members: Vec<UserId> = group.members.iter().map(|member| UserId::new(member.as_str())).collect();
        for (member_index, member) in members.iter().enumerate() {
            if let Err(error) = member.validate() {
                report.add(at("members"), None, format!("groups[{index}].members[{member_index}]: {error}"));
            }
        }
        groups.push(GroupConfig { name: group.name.unwrap_or_else(|| group.id.clone()), id, owner, members });
    }
    groups
}
