//! `POST /client/v1/messages`: a person sends a text or media message, as a ZIM client app would.
//!
//! The message fires callbacks like a client-sent message: `source` 0, and for media a `msg_body` in the
//! client's form (`download_url`, `file_name`, `file_size`, ...), not the Server API's.

use super::conversation_type::ConversationTypeParam;
use super::ClientApiError;
use crate::membership::ClientJoin;
use crate::message::{HubMessage, MessageMedia, MessageSource};
use crate::state::SharedState;
use crate::store::NewMessage;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use zimbot_model::{ConversationId, ConversationType, MediaKind, MessageType, UserId};
use zimbot_wire::CallbackMediaBody;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostMessage {
    from: String,
    conv_type: ConversationTypeParam,
    /// The room or group; for peer messages the receiving user.
    conv_id: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    media: Option<PostMedia>,
    #[serde(default)]
    extended_data: String,
}

/// Media already in a store (upload it with `PUT /media/...` first).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostMedia {
    #[serde(rename = "type")]
    kind: MediaKind,
    url: String,
    #[serde(default)]
    file_name: String,
    #[serde(default)]
    file_size: u64,
    /// Audio and video length in seconds.
    #[serde(default)]
    duration: u32,
}

pub(crate) async fn post(
    State(state): State<SharedState>,
    body: Result<Json<PostMessage>, JsonRejection>,
) -> Result<Json<HubMessage>, ClientApiError> {
    let Json(request) = body.map_err(|rejection| {
        ClientApiError::BadRequest(format!("the message is not understood: {}", rejection.body_text()))
    })?;
    let from = UserId::from(request.from.as_str());
    from.validate().map_err(|error| ClientApiError::BadRequest(format!("from: {error}")))?;
    super::refuse_bot(&from)?;
    let conv_type = request.conv_type.0;
    ConversationId::from(request.conv_id.as_str())
        .validate()
        .map_err(|error| ClientApiError::BadRequest(format!("conv_id: {error}")))?;
    if conv_type == ConversationType::Peer && !state.store.user_exists(&request.conv_id).await? {
        return Err(ClientApiError::NotFound(format!(
            "user '{}' does not exist: a peer message needs a registered receiver (a bot registered by its runtime, \
             or a person who has posted before)",
            request.conv_id
        )));
    }
    let message = new_message(request)?;
    state.store.ensure_user(&message.from).await?;
    // A client app is in a room or group before it speaks there: posting enters the room (creating it) or joins
    // the group (creating it when its id was never used), as the chat page does when a conversation is opened.
    match message.conv_type {
        ConversationType::Room => {
            state.enter_room(&message.conv_id, &message.from);
        }
        ConversationType::Group => {
            if state.client_join_group(&message.conv_id, &message.from).await? == ClientJoin::Disbanded {
                return Err(ClientApiError::Gone(format!(
                    "group '{}' was disbanded when its last member left; its id cannot be used again",
                    message.conv_id
                )));
            }
        }
        ConversationType::Peer => {}
    }
    Ok(Json(state.deliver(message).await?))
}

fn new_message(request: PostMessage) -> Result<NewMessage, ClientApiError> {
    let (msg_type, body, text, media) = match (request.text, request.media) {
        (Some(text), None) => (MessageType::Text, text.clone(), Some(text), None),
        (None, Some(media)) => {
            if media.url.is_empty() {
                return Err(ClientApiError::BadRequest("media.url is empty: upload the file first".to_owned()));
            }
            check_media_url(&media.url)?;
            let body = CallbackMediaBody {
                file_name: media.file_name.clone(),
                file_size: media.file_size,
                download_url: media.url.clone(),
                media_duration: media.duration,
                ..CallbackMediaBody::default()
            };
            let body = serde_json::to_string(&body)
                .map_err(|error| ClientApiError::BadRequest(format!("media cannot be described: {error}")))?;
            let stored = MessageMedia {
                kind: media.kind,
                url: media.url,
                file_name: media.file_name,
                file_size: media.file_size,
            };
            (media.kind.message_type(), body, None, Some(stored))
        }
        _ => return Err(ClientApiError::BadRequest("give exactly one of \"text\" or \"media\"".to_owned())),
    };
    Ok(NewMessage {
        conv_type: request.conv_type.0,
        conv_id: request.conv_id,
        from: request.from,
        msg_type: msg_type.code(),
        sub_msg_type: 0,
        body,
        text,
        media,
        extended_data: request.extended_data,
        source: MessageSource::Client,
        // Filled in as the message is delivered, from the room as it is then.
        recipients: Vec::new(),
    })
}

/// Longest media URL, in bytes (the service's limit).
const MAX_URL_BYTES: usize = 500;

/// People may post only http(s) media URLs: anything else (`javascript:`, `data:`) could run in a reader's page.
/// The Server API, like the service, takes what the service takes; the chat page checks again when it renders.
fn check_media_url(url: &str) -> Result<(), ClientApiError> {
    let lower = url.trim_start().to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(ClientApiError::BadRequest(format!(
            "media.url must be an http:// or https:// URL, not {:?}",
            url.chars().take(40).collect::<String>()
        )));
    }
    if url.len() > MAX_URL_BYTES || url.chars().any(char::is_control) {
        return Err(ClientApiError::BadRequest(format!(
            "media.url must be at most {MAX_URL_BYTES} bytes with no control characters"
        )));
    }
    Ok(())
}
