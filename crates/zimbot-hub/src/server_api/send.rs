//! SendPeerMessage, SendRoomMessage and SendGroupMessage.
//!
//! The sender must be registered (660500002 otherwise). A peer send delivers one message per existing receiver,
//! each with its own id and seq; receivers that do not exist are listed in `ErrorList` with 660200001, and when
//! none exists the whole request fails with that code, as the service does. Rooms and groups are created on
//! first use: the hub has no CreateRoom / CreateGroup, so it is lenient where the service would answer
//! 660300001 / 660600001.

use super::body::{SendTarget, ValidSend};
use super::{storage_failure, success};
use crate::message::MessageSource;
use crate::state::SharedState;
use crate::store::NewMessage;
use axum::response::{IntoResponse, Response};
use axum::Json;
use zimbot_model::wire::{
    ApiEnvelope, PeerErrorItem, PeerSuccessItem, SendGroupMessageResponse, SendPeerMessageResponse,
};
use zimbot_model::{ConversationType, MessageType, ZimCode, ZimError};

pub(super) async fn send(state: &SharedState, send: ValidSend, request_id: &str) -> Result<Response, ZimError> {
    if !state.store.user_exists(&send.from).await.map_err(storage_failure)? {
        return Err(ZimError::new(
            ZimCode::SENDER_NOT_REGISTERED,
            format!(
                "FromUserId '{}' is not registered: register it with RobotRegister or UserRegister first",
                send.from
            ),
        ));
    }
    match send.target.clone() {
        SendTarget::Peer(receivers) => send_peer(state, send, receivers, request_id).await,
        SendTarget::Room(room) => {
            state.deliver(message(&send, ConversationType::Room, room)).await.map_err(storage_failure)?;
            Ok(success(request_id, serde_json::Map::new()))
        }
        SendTarget::Group(group) => {
            let stored =
                state.deliver(message(&send, ConversationType::Group, group)).await.map_err(storage_failure)?;
            Ok(success(
                request_id,
                SendGroupMessageResponse { msg_id: stored.id, msg_seq: stored.seq, ..Default::default() },
            ))
        }
    }
}

async fn send_peer(
    state: &SharedState,
    send: ValidSend,
    receivers: Vec<String>,
    request_id: &str,
) -> Result<Response, ZimError> {
    let mut answer = SendPeerMessageResponse::default();
    let mut seen = std::collections::HashSet::new();
    for receiver in receivers {
        // A receiver listed twice gets the message once.
        if !seen.insert(receiver.clone()) {
            continue;
        }
        if !state.store.user_exists(&receiver).await.map_err(storage_failure)? {
            answer.error_list.push(PeerErrorItem { user_id: receiver, sub_code: ZimCode::USER_NOT_FOUND.0 });
            continue;
        }
        let stored =
            state.deliver(message(&send, ConversationType::Peer, receiver.clone())).await.map_err(storage_failure)?;
        answer.succ_list.push(PeerSuccessItem { user_id: receiver, msg_id: stored.id, msg_seq: stored.seq });
    }
    if answer.succ_list.is_empty() {
        let missing: Vec<&str> = answer.error_list.iter().map(|item| item.user_id.as_str()).collect();
        let envelope = ApiEnvelope {
            code: ZimCode::USER_NOT_FOUND.0,
            message: format!("none of the receivers exists ({}); register them first", missing.join(", ")),
            request_id: request_id.to_owned(),
            data: answer,
        };
        return Ok(Json(envelope).into_response());
    }
    Ok(success(request_id, answer))
}

/// The message `send` puts into conversation `conv_id` of `conv_type`.
fn message(send: &ValidSend, conv_type: ConversationType, conv_id: String) -> NewMessage {
    let text = match send.message_type {
        MessageType::Text | MessageType::Command | MessageType::Barrage => Some(send.message_body.message.clone()),
        _ => None,
    };
    NewMessage {
        conv_type,
        conv_id,
        from: send.from.clone(),
        msg_type: send.message_type.code(),
        sub_msg_type: send.sub_msg_type,
        body: send.message_body.message.clone(),
        text,
        media: send.media.clone(),
        extended_data: send.message_body.extended_data.clone(),
        source: MessageSource::ServerApi,
    }
}
