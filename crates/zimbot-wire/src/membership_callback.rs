//! Reading the membership and presence callbacks (`room_create`, `room_destroy`, `room_enter`, `room_exit`,
//! `group_create`, `group_destroy`, `group_join`, `group_exit`, `user_action`) into [`MembershipEvent`]s.
//!
//! Fields as ZEGOCLOUD's callback pages give them: rooms carry `room_id` and `operator_account` (`room_create` adds
//! `room_name`); groups carry `group_id` and `operator_account` (`group_create` adds `owner_account`, `group_name`
//! and `user_ids`, `group_join` `new_user_ids`, `group_exit` `user_ids`); `user_action` carries `user_id` and
//! `action` (0 online, 1 logout, 2 offline). Room and group `timestamp`s are milliseconds, `user_action`'s
//! seconds; numbers may come as strings.

use serde_json::Value;
use zimbot_model::{ConversationId, ConversationType, UserId};
use zimbot_model::{ConversationLifecycle, GroupMembers, MembershipEvent, Presence, RoomMember};

/// The callback events read as membership or presence.
pub const MEMBERSHIP_EVENTS: [&str; 9] = [
    "room_create",
    "room_destroy",
    "room_enter",
    "room_exit",
    "group_create",
    "group_destroy",
    "group_join",
    "group_exit",
    "user_action",
];

/// The event the callback `body` of event `event` describes; `None` when `event` is not a membership or presence
/// event, `Some(Err)` naming the field when the body lacks what the event needs.
pub fn membership_event(event: &str, body: &Value) -> Option<Result<MembershipEvent, String>> {
    if !MEMBERSHIP_EVENTS.contains(&event) {
        return None;
    }
    Some(read(event, body))
}

fn read(event: &str, body: &Value) -> Result<MembershipEvent, String> {
    let text = |field: &str| -> Result<String, String> {
        match body.get(field) {
            Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
            Some(Value::Number(number)) => Ok(number.to_string()),
            _ => Err(format!("{event} callback has no {field}")),
        }
    };
    let optional = |field: &str| text(field).unwrap_or_default();
    let users = |field: &str| -> Vec<UserId> {
        body.get(field)
            .and_then(Value::as_array)
            .map(|users| users.iter().filter_map(Value::as_str).map(UserId::new).collect())
            .unwrap_or_default()
    };
    let timestamp = body.get("timestamp").and_then(|value| match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    });
    let timestamp = timestamp.unwrap_or_default();
    let millis = if event == "user_action" { timestamp.saturating_mul(1000) } else { timestamp };
    let room_member = || -> Result<RoomMember, String> {
        Ok(RoomMember {
            room_id: ConversationId::new(text("room_id")?),
            user_id: UserId::new(text("operator_account")?),
            at_ms: millis,
        })
    };
    let lifecycle =
        |kind: ConversationType, id_field: &str, name_field: &str| -> Result<ConversationLifecycle, String> {
            Ok(ConversationLifecycle {
                conversation_type: kind,
                conversation_id: ConversationId::new(text(id_field)?),
                operator: UserId::new(optional("operator_account")),
                name: optional(name_field),
                at_ms: millis,
            })
        };
    let group_members = |users_field: &str| -> Result<GroupMembers, String> {
        Ok(GroupMembers {
            group_id: ConversationId::new(text("group_id")?),
            user_ids: users(users_field),
            operator: UserId::new(optional("operator_account")),
            at_ms: millis,
        })
    };
    Ok(match event {
        "room_enter" => MembershipEvent::RoomEntered(room_member()?),
        "room_exit" => MembershipEvent::RoomLeft(room_member()?),
        "room_create" => MembershipEvent::RoomCreated(lifecycle(ConversationType::Room, "room_id", "room_name")?),
        "room_destroy" => MembershipEvent::RoomDestroyed(lifecycle(ConversationType::Room, "room_id", "room_name")?),
        "group_create" => MembershipEvent::GroupCreated(lifecycle(ConversationType::Group, "group_id", "group_name")?),
        "group_destroy" => {
            MembershipEvent::GroupDestroyed(lifecycle(ConversationType::Group, "group_id", "group_name")?)
        }
        "group_join" => MembershipEvent::GroupJoined(group_members("new_user_ids")?),
        "group_exit" => {
            let mut members = group_members("user_ids")?;
            if members.user_ids.is_empty() {
                // Leaving by oneself: the operator is the one who left.
                members.user_ids.push(members.operator.clone());
            }
            MembershipEvent::GroupLeft(members)
        }
        _ => {
            let action = body.get("action").and_then(|value| match value {
                Value::Number(number) => number.as_i64(),
                Value::String(text) => text.parse().ok(),
                _ => None,
            });
            let presence =
                Presence { user_id: UserId::new(text("user_id")?), logged_out: action == Some(1), at_ms: millis };
            match action {
                Some(0) => MembershipEvent::UserOnline(presence),
                Some(1 | 2) => MembershipEvent::UserOffline(presence),
                _ => return Err("user_action callback has no action 0, 1 or 2".to_owned()),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn room_enter_names_the_room_and_the_user() {
        let body = json!({"event": "room_enter", "room_id": "lobby", "operator_account": "alice", "timestamp": 1_700_000_000_123i64});
        let event = membership_event("room_enter", &body).unwrap().unwrap();
        assert_eq!(
            event,
            MembershipEvent::RoomEntered(RoomMember {
                room_id: ConversationId::new("lobby"),
                user_id: UserId::new("alice"),
                at_ms: 1_700_000_000_123
            })
        );
    }

    #[test]
    fn user_action_reads_online_and_offline_and_seconds() {
        let online = json!({"user_id": "alice", "action": 0, "timestamp": 1_700_000_000});
        assert!(matches!(
            membership_event("user_action", &online),
            Some(Ok(MembershipEvent::UserOnline(Presence { at_ms: 1_700_000_000_000, .. })))
        ));
        let logout = json!({"user_id": "alice", "action": "1", "timestamp": "1700000000"});
        assert!(matches!(
            membership_event("user_action", &logout),
            Some(Ok(MembershipEvent::UserOffline(Presence { logged_out: true, .. })))
        ));
    }

    #[test]
    fn group_join_lists_the_new_users() {
        let body = json!({"group_id": "team", "operator_account": "@RBT#a", "join_type": "Invited",
                          "new_user_ids": ["bob", "carol"], "timestamp": 1});
        let Some(Ok(MembershipEvent::GroupJoined(members))) = membership_event("group_join", &body) else {
            panic!("a group_join event");
        };
        assert_eq!(members.user_ids, [UserId::new("bob"), UserId::new("carol")]);
    }

    #[test]
    fn a_room_event_without_its_room_is_named() {
        let error = membership_event("room_exit", &json!({"operator_account": "alice"})).unwrap().unwrap_err();
        assert!(error.contains("room_id"), "{error}");
    }

    #[test]
    fn message_events_are_not_membership_events() {
        assert!(membership_event("send_msg", &json!({})).is_none());
    }
}
