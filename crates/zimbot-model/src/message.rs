//! Message types and the messages a bot receives.

use crate::{ConversationId, ConversationType, MediaKind, UserId};
use serde::{Deserialize, Serialize};

/// The service's message type numbers. Unknown numbers are kept, not refused, so a newer service
/// does not break an older runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Text,
    Command,
    MultiItem,
    Image,
    File,
    Audio,
    Video,
    Barrage,
    Custom,
    /// A number this version does not know.
    Other(u32),
}

impl MessageType {
    /// The number used on the wire.
    pub fn code(self) -> u32 {
        match self {
            Self::Text => 1,
            Self::Command => 2,
            Self::MultiItem => 10,
            Self::Image => 11,
            Self::File => 12,
            Self::Audio => 13,
            Self::Video => 14,
            Self::Barrage => 20,
            Self::Custom => 200,
            Self::Other(code) => code,
        }
    }

    /// The type for a wire number.
    pub fn from_code(code: u32) -> Self {
        match code {
            1 => Self::Text,
            2 => Self::Command,
            10 => Self::MultiItem,
            11 => Self::Image,
            12 => Self::File,
            13 => Self::Audio,
            14 => Self::Video,
            20 => Self::Barrage,
            200 => Self::Custom,
            other => Self::Other(other),
        }
    }

    /// The media kind this type carries, if it is a media type.
    pub fn media_kind(self) -> Option<MediaKind> {
        match self {
            Self::Image => Some(MediaKind::Image),
            Self::File => Some(MediaKind::File),
            Self::Audio => Some(MediaKind::Audio),
            Self::Video => Some(MediaKind::Video),
            _ => None,
        }
    }
}

impl Serialize for MessageType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.code())
    }
}

impl<'de> Deserialize<'de> for MessageType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u32::deserialize(deserializer).map(Self::from_code)
    }
}

/// Media as it arrives in a received message: where to download it and what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedMedia {
    pub kind: MediaKind,
    pub download_url: String,
    pub file_name: String,
    #[serde(default)]
    pub file_size: u64,
    /// Audio and video length in seconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<u32>,
}

/// What a received message carries. Tagged `type`, not `kind`: the media variant's own fields include `kind`, and
/// a repeated key does not decode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageContent {
    /// Plain text (type 1) or room barrage (type 20).
    Text { text: String },
    /// An image, file, audio or video.
    Media(ReceivedMedia),
    /// Any other type: the body exactly as the service delivered it.
    Other { message_type: MessageType, body: String },
}

impl MessageContent {
    /// The text, for text messages.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text { text } => Some(text),
            _ => None,
        }
    }
}

/// A message delivered to a bot: who sent it, where, and what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedMessage {
    /// The service's message id (unique per app).
    pub message_id: String,
    /// Sequence number within the conversation, when the service gives one.
    #[serde(default)]
    pub seq: u64,
    pub from_user_id: UserId,
    pub conversation_type: ConversationType,
    /// The room or group id; for a peer message, the id of the user it was sent to.
    pub conversation_id: ConversationId,
    /// When the service stamped it, in milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    pub content: MessageContent,
}

impl ReceivedMessage {
    /// Where a reply goes: the room or group itself, or for a peer message the sender.
    pub fn reply_target(&self) -> (ConversationId, ConversationType) {
        match self.conversation_type {
            ConversationType::Peer => (ConversationId::new(self.from_user_id.as_str()), ConversationType::Peer),
            kind => (self.conversation_id.clone(), kind),
        }
    }

    /// The text, for text messages.
    pub fn text(&self) -> Option<&str> {
        self.content.text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_content_survives_a_json_round_trip() {
        let media = ReceivedMedia {
            kind: MediaKind::Image,
            download_url: "https://media.test/cat.png".into(),
            file_name: "cat.png".into(),
            file_size: 1,
            duration_secs: None,
        };
        let content = MessageContent::Media(media);
        let json = serde_json::to_string(&content).unwrap();
        assert_eq!(serde_json::from_str::<MessageContent>(&json).unwrap(), content);
    }

    #[test]
    fn unknown_message_types_survive_a_round_trip() {
        let json = serde_json::to_string(&MessageType::from_code(31)).unwrap();
        assert_eq!(json, "31");
        let back: MessageType = serde_json::from_str(&json).unwrap();
        assert_eq!(back, MessageType::Other(31));
        assert_eq!(MessageType::from_code(14).media_kind(), Some(MediaKind::Video));
    }

    #[test]
    fn a_peer_reply_goes_to_the_sender() {
        let message = ReceivedMessage {
            message_id: "1".into(),
            seq: 1,
            from_user_id: UserId::from("alice"),
            conversation_type: ConversationType::Peer,
            conversation_id: ConversationId::from("@RBT#echo"),
            timestamp_ms: 0,
            content: MessageContent::Text { text: "hi".into() },
        };
        assert_eq!(message.reply_target(), (ConversationId::from("alice"), ConversationType::Peer));
    }
}
