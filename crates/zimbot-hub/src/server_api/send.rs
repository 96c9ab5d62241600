//! SendPeerMessage, SendRoomMessage and SendGroupMessage.
//!
//! The sender must be registered (660500002 otherwise). A peer send delivers one message per existing receiver,
//! each with its own id and seq; receivers that do not exist are listed in `ErrorList` with 660200001, and when
//! none exists the whole request fails with that code, as the service does. A room must have been created (by
//! CreateRoom or a person entering it) and not destroyed since, else 660300001; a group must have been created
//! and not disbanded, else 660600001. Leniency: the sender of a group message need not be a member.
//!
//! Answers are typed as published: a peer `SuccList` item's `MsgId` is a string, a group's `MsgId` a number.

use super::answer::{user_error, Answer};
use super::body::{SendTarget, ValidSend};
use super::{require_registered, storage_failure};
use crate::message::MessageSource;
use crate::state::SharedState;
use crate::store::{GroupStatus, NewMessage};
use serde_json::{json, Map, Value};
use zimbot_model::{ConversationType, MessageType, ZimCode, ZimError};

pub(super) async fn send(state: &SharedState, send: ValidSend) -> Result<Answer, ZimError> {
    require_registered(state, "FromUserId", &send.from).await?;
    match send.target.clone() {
        SendTarget::Peer(receivers) => send_peer(state, send, receivers).await,
        SendTarget::Room(room) => {
            if state.room(&room).is_none() {
                return Err(ZimError::new(
                    ZimCode::ROOM_NOT_FOUND,
                    format!("room '{room}' does not exist: create it with CreateRoom first (or it was destroyed)"),
                ));
            }
            state.deliver(message(&send, ConversationType::Room, room)).await.map_err(storage_failure)?;
            Ok(Answer::bare())
        }
        SendTarget::Group(group) => {
            match state.store.group_status(&group).await.map_err(storage_failure)? {
                Some(GroupStatus::Active) => {}
                Some(GroupStatus::Disbanded) => {
                    return Err(ZimError::new(
                        ZimCode::GROUP_NOT_FOUND,
                        format!("group '{group}' was disbanded when its last member left; its id cannot be used again"),
                    ))
                }
                None => {
                    return Err(ZimError::new(
                        ZimCode::GROUP_NOT_FOUND,
                        format!("group '{group}' does not exist: create it with CreateGroup first"),
                    ))
                }
            }
            let stored =
                state.deliver(message(&send, ConversationType::Group, group)).await.map_err(storage_failure)?;
            let mut fields = Map::new();
            fields.insert("MsgId".to_owned(), numeric_id(&stored.id));
            fields.insert("MsgSeq".to_owned(), Value::from(stored.seq));
            Ok(Answer::success(fields))
        }
    }
}

/// A message id as the number the group answer documents (the hub's ids are decimal numbers).
fn numeric_id(id: &str) -> Value {
    id.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(id))
}

async fn send_peer(state: &SharedState, send: ValidSend, receivers: Vec<String>) -> Result<Answer, ZimError> {
    let mut successes = Vec::new();
    let mut errors = Vec::new();
    let mut missing = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for receiver in receivers {
        // A receiver listed twice gets the message once.
        if !seen.insert(receiver.clone()) {
            continue;
        }
        if !state.store.user_exists(&receiver).await.map_err(storage_failure)? {
            errors.push(user_error(&receiver, ZimCode::USER_NOT_FOUND));
            missing.push(receiver);
            continue;
        }
        let stored =
            state.deliver(message(&send, ConversationType::Peer, receiver.clone())).await.map_err(storage_failure)?;
        successes.push(json!({"UserId": receiver, "MsgId": stored.id, "MsgSeq": stored.seq}));
    }
    let none_sent = successes.is_empty();
    let mut fields = Map::new();
    fields.insert("SuccList".to_owned(), Value::Array(successes));
    fields.insert("ErrorList".to_owned(), Value::Array(errors));
    if none_sent {
        let message = format!("none of the receivers exists ({}); register them first", missing.join(", "));
        return Ok(Answer::failed_with(ZimCode::USER_NOT_FOUND, message, fields));
    }
    Ok(Answer::success(fields))
}

/// The message `send` puts into conversation `conv_id` of `conv_type`.
fn message(send: &ValidSend, conv_type: ConversationType, conv_id: String) -> NewMessage {
    let text = match send.message_type {
        MessageType::Text | MessageType::Command | MessageType::Barrage => Some(send.message.clone()),
        _ => None,
    };
    NewMessage {
        conv_type,
        conv_id,
        from: send.from.clone(),
        msg_type: send.message_type.code(),
        sub_msg_type: send.sub_msg_type,
        body: send.message.clone(),
        text,
        media: send.media.clone(),
        extended_data: send.extended_data.clone(),
        source: MessageSource::ServerApi,
        // Filled in as the message is delivered, from the room as it is then.
        recipients: Vec::new(),
    }
}
