//! The messages, users and conversations the hub stores, as the client API and the event stream show them.

use serde::{Deserialize, Serialize};
use zimbot_model::{ConversationType, MediaKind, MessageType};

/// Who put a message into the hub; the callback's `source` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageSource {
    /// A person, through the client API (callback `source` 0).
    Client,
    /// The Server API (callback `source` 1).
    ServerApi,
}

impl MessageSource {
    /// The callback `source` number.
    pub fn code(self) -> i64 {
        match self {
            Self::Client => 0,
            Self::ServerApi => 1,
        }
    }

    pub(crate) fn from_code(code: i64) -> Self {
        if code == 1 {
            Self::ServerApi
        } else {
            Self::Client
        }
    }
}

/// Media a message carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMedia {
    pub kind: MediaKind,
    pub url: String,
    pub file_name: String,
    pub file_size: u64,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubMessage {
    /// The service-style message id (a decimal number, unique in this hub, never reused).
    pub id: String,
    /// Position in its conversation, from 1; a peer chat counts both directions together.
    pub seq: u64,
    pub conv_type: ConversationType,
    /// The room or group id; for a peer message the receiving user.
    pub conv_id: String,
    /// The sender's user id.
    pub from: String,
    /// Whether the sender is a bot user (`@RBT#...`).
    pub is_bot: bool,
    /// The type's name: `text`, `image`, `file`, `audio`, `video`, `barrage`, `command`, `custom`, ...
    #[serde(rename = "type")]
    pub type_name: String,
    /// The type's wire number.
    pub msg_type: u32,
    #[serde(default)]
    pub sub_msg_type: u32,
    /// The text of text, barrage and command messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MessageMedia>,
    /// `msg_body` exactly as callbacks carry it.
    pub body: String,
    #[serde(default)]
    pub extended_data: String,
    pub source: MessageSource,
    /// When the hub accepted it, in milliseconds since the Unix epoch.
    pub time: i64,
}

/// The name a message type is shown with.
pub(crate) fn type_name(message_type: MessageType) -> String {
    match message_type {
        MessageType::Text => "text".to_owned(),
        MessageType::Command => "command".to_owned(),
        MessageType::MultiItem => "multi_item".to_owned(),
        MessageType::Barrage => "barrage".to_owned(),
        MessageType::Custom => "custom".to_owned(),
        MessageType::Other(code) => format!("type_{code}"),
        media => media.media_kind().map(|kind| kind.as_str().to_owned()).unwrap_or_default(),
    }
}

/// A registered user or bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubUser {
    pub user_id: String,
    pub name: String,
    pub avatar: String,
    pub is_bot: bool,
}

/// A conversation that has messages, for the chat page's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub conv_type: ConversationType,
    /// The room or group id; for a peer chat listed for a user, the OTHER user.
    pub conv_id: String,
    /// For a peer chat listed without a user, the second user of the pair (`conv_id` is the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_user: Option<String>,
    pub last_seq: u64,
    /// Time of the newest message, in milliseconds since the Unix epoch.
    pub last_time: i64,
}
