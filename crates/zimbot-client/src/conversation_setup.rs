//! Making the rooms and groups a deployment declares: `CreateRoom` with the declared name and destroy delay,
//! `CreateGroup` with the declared owner and members, and `InviteUsersIntoGroup` for members added later (at most
//! 100 users a call, calls at least a second apart, as the service allows per group).
//!
//! Bodies are the published request shapes (`spec/zim-server-api/`); answers are read as documented:
//! - `CreateRoom` 660300014 (the room exists) is [`Created::Existed`];
//! - `CreateGroup` 660600011 (the id is or was used) is [`Created::Existed`]: the service does not say whether the
//!   group is still active, and a disbanded group's id can never be used again, so a later send to it that answers
//!   660600001 means the group was disbanded (see [`disbanded_group_error`]).

use crate::server_api::ServerApiTransport;
use serde_json::{json, Map, Value};
use std::time::Duration;
use zimbot_model::{ConversationId, UserId, ZimCode, ZimError};
use zimbot_wire::Action;

/// Most users one `InviteUsersIntoGroup` call takes.
pub const MAX_USERS_PER_INVITE: usize = 100;
/// The group exists, or existed and was disbanded (its id cannot be used again).
const GROUP_EXISTS: ZimCode = ZimCode(660_600_011);

/// A room to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSpec {
    pub room_id: ConversationId,
    /// Shown to clients; the id when empty.
    pub name: String,
    /// Seconds the room stays once empty (the service allows at most 10 800); `None` leaves it to the service.
    pub destroy_delay_secs: Option<u32>,
}

/// A group to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    pub group_id: ConversationId,
    pub name: String,
    pub owner: UserId,
    /// The other members (at most 100 at creation, as documented).
    pub members: Vec<UserId>,
}

/// What a create call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Created,
    /// The room exists, or the group id is (or was) in use.
    Existed,
}

/// The error for a group send answered "group does not exist": the group was disbanded (or never created), and
/// zimbot never creates a group again under a used id.
pub fn disbanded_group_error(group_id: &ConversationId, error: &ZimError) -> ZimError {
    ZimError::new(
        error.code,
        format!(
            "group '{group_id}' does not exist: it was disbanded when its last member left (a group id is never used \
             again; declare a new id) or it was never created ({})",
            error.message
        ),
    )
}

impl ServerApiTransport {
    /// Creates `room` as `from` (who does not become a member).
    pub async fn create_declared_room(&self, from: &UserId, room: &RoomSpec) -> Result<Created, ZimError> {
        let mut body = Map::new();
        body.insert("FromUserId".into(), Value::from(from.as_str()));
        body.insert("RoomId".into(), Value::from(room.room_id.as_str()));
        if !room.name.is_empty() {
            body.insert("RoomName".into(), Value::from(room.name.as_str()));
        }
        if let Some(delay) = room.destroy_delay_secs {
            body.insert("DestroyDelayTime".into(), Value::from(delay));
        }
        self.created(Action::CreateRoom, &Value::Object(body), ZimCode::ROOM_EXISTS).await
    }

    /// Creates `group`.
    pub async fn create_group(&self, group: &GroupSpec) -> Result<Created, ZimError> {
        let members: Vec<&str> = group.members.iter().map(UserId::as_str).collect();
        let mut body =
            json!({"GroupId": group.group_id.as_str(), "GroupOwner": group.owner.as_str(), "UserId": members});
        if !group.name.is_empty() {
            body["GroupName"] = Value::from(group.name.as_str());
        }
        self.created(Action::CreateGroup, &body, GROUP_EXISTS).await
    }

    /// Adds `users` to `group_id` as `from`, 100 a call (`MAX_USERS_PER_INVITE`), calls a second apart; the users the
    /// service refused, with their codes.
    pub async fn add_group_members(
        &self,
        from: &UserId,
        group_id: &ConversationId,
        users: &[UserId],
    ) -> Result<Vec<(String, ZimCode)>, ZimError> {
        let mut refused = Vec::new();
        for (index, batch) in users.chunks(MAX_USERS_PER_INVITE).enumerate() {
            if index > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let ids: Vec<&str> = batch.iter().map(UserId::as_str).collect();
            let body = json!({"FromUserId": from.as_str(), "GroupId": group_id.as_str(), "UserIds": ids,
                              "GroupMemberInfos": []});
            let envelope: zimbot_wire::ApiEnvelope<Map<String, Value>> =
                self.exchange(Action::InviteUsersIntoGroup, &body).await?;
            if envelope.code != 0 {
                return Err(ZimError::new(ZimCode(envelope.code), envelope.message));
            }
            for item in envelope.data.get("ErrorUsers").and_then(Value::as_array).into_iter().flatten() {
                let user = item.get("UserId").and_then(Value::as_str).unwrap_or_default().to_owned();
                let code = item.get("SubCode").and_then(Value::as_i64).unwrap_or_default();
                refused.push((user, ZimCode(code)));
            }
        }
        Ok(refused)
    }

    async fn created(&self, action: Action, body: &Value, exists: ZimCode) -> Result<Created, ZimError> {
        let envelope: zimbot_wire::ApiEnvelope<Map<String, Value>> = self.exchange(action, body).await?;
        match ZimCode(envelope.code) {
            ZimCode::SUCCESS => Ok(Created::Created),
            code if code == exists => Ok(Created::Existed),
            code => Err(ZimError::new(code, format!("{}: {}", action.as_str(), envelope.message))),
        }
    }
}
