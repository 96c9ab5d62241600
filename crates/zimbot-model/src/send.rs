//! A send and everything that comes back from it.
//!
//! A send is a [`SendRequest`]. Either it is refused at once with [`SendRejected`] (and nothing else happens),
//! or it is accepted under a [`LocalMessageId`] and produces, in this order, one [`SendEvent::Attached`], zero or
//! more [`SendEvent::Progress`], and exactly one of [`SendEvent::Sent`] or [`SendEvent::Failed`].
//!
//! Following a send: every event of a send carries the request's `local_data` (the plugin's own data, ZIM's
//! `localExtendedData`, never sent on the wire), and the terminal events name the file and media kind, so a
//! plugin needs no map of its own from local ids to what it sent.

use crate::{ConversationId, ConversationType, MediaKind, MediaMessage, ZimError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Message priority, as the service orders delivery; the client also serves higher-priority bots first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
}

impl Priority {
    /// The number the Server API uses: low 1, medium 2, high 3.
    pub fn code(self) -> u8 {
        match self {
            Self::Low => 1,
            Self::Medium => 2,
            Self::High => 3,
        }
    }
}

/// Offline push settings for a message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PushConfig {
    pub title: String,
    pub content: String,
    pub payload: String,
}

/// How to send, mirroring the SDK's `ZIMMessageSendConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SendConfig {
    pub priority: Priority,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push: Option<PushConfig>,
    /// Do not raise the receivers' unread count (peer and group only).
    pub disable_unread_message_count: bool,
    /// Do not show the message to its sender's other devices (peer and room; the service's group send has no
    /// such setting).
    pub sender_unaware: bool,
}

impl SendConfig {
    /// The default config with another priority.
    pub fn with_priority(priority: Priority) -> Self {
        Self { priority, ..Self::default() }
    }
}

/// What is sent. Tagged `type`, not `kind`: the media variant's own fields include `kind`, and a repeated key
/// does not decode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutgoingMessage {
    Text { text: String },
    Media(MediaMessage),
}

impl OutgoingMessage {
    /// The media kind, for media messages.
    pub fn media_kind(&self) -> Option<MediaKind> {
        match self {
            Self::Media(media) => Some(media.kind),
            Self::Text { .. } => None,
        }
    }
}

impl OutgoingMessage {
    /// The name receivers see, for media; empty for text.
    pub fn file_name(&self) -> String {
        match self {
            Self::Media(media) => media.display_file_name(),
            Self::Text { .. } => String::new(),
        }
    }
}

/// One send: message, destination and config, and the plugin's own data about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    pub message: OutgoingMessage,
    pub to_conversation_id: ConversationId,
    pub conversation_type: ConversationType,
    #[serde(default)]
    pub config: SendConfig,
    /// When the send stops being worth making, in milliseconds since the Unix epoch: a send still unsent then
    /// fails with [`ZimCode::DEADLINE_PASSED`](crate::ZimCode::DEADLINE_PASSED) instead of going out late (after
    /// a long outage, say). `None`: no deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// The plugin's own data about this send (ZIM's `localExtendedData`): never sent to the service, kept with
    /// the send, and handed back in each of its events (attached, progress, sent, failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_data: Option<serde_json::Value>,
}

impl SendRequest {
    /// A media send.
    pub fn media(
        message: MediaMessage,
        to_conversation_id: impl Into<ConversationId>,
        conversation_type: ConversationType,
        config: SendConfig,
    ) -> Self {
        Self {
            message: OutgoingMessage::Media(message),
            to_conversation_id: to_conversation_id.into(),
            conversation_type,
            config,
            deadline_ms: None,
            local_data: None,
        }
    }

    /// A text send with the default config.
    pub fn text(
        text: impl Into<String>,
        to_conversation_id: impl Into<ConversationId>,
        conversation_type: ConversationType,
    ) -> Self {
        Self {
            message: OutgoingMessage::Text { text: text.into() },
            to_conversation_id: to_conversation_id.into(),
            conversation_type,
            config: SendConfig::default(),
            deadline_ms: None,
            local_data: None,
        }
    }

    /// The same send with a deadline (milliseconds since the Unix epoch); see [`SendRequest::deadline_ms`].
    pub fn with_deadline_ms(self, deadline_ms: u64) -> Self {
        Self { deadline_ms: Some(deadline_ms), ..self }
    }

    /// The same request carrying `data` as its local data (see [`Self::local_data`]); the error is the one
    /// `serde_json` gives for a value it cannot encode.
    pub fn with_local_data<T: Serialize>(mut self, data: &T) -> Result<Self, serde_json::Error> {
        self.local_data = Some(serde_json::to_value(data)?);
        Ok(self)
    }
}

/// Reads an event's local data back as the type it was made from: `None` when the send carried none.
fn decode_local_data<T: serde::de::DeserializeOwned>(
    local_data: &Option<serde_json::Value>,
) -> Option<Result<T, serde_json::Error>> {
    local_data.as_ref().map(|value| T::deserialize(value))
}

/// The id an accepted send is known by until (and after) the service gives it its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LocalMessageId(pub u64);

impl fmt::Display for LocalMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "local-{}", self.0)
    }
}

/// Upload progress of one send's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadProgress {
    pub local_id: LocalMessageId,
    /// Bytes the store has taken so far.
    pub current: u64,
    /// The file's size.
    pub total: u64,
    /// The send's local data (see [`SendRequest::local_data`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_data: Option<serde_json::Value>,
}

impl UploadProgress {
    /// Progress of send `local_id` with no local data.
    pub fn new(local_id: LocalMessageId, current: u64, total: u64) -> Self {
        Self { local_id, current, total, local_data: None }
    }

    /// The send's local data as `T`; `None` when it carried none.
    pub fn local_data<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        decode_local_data(&self.local_data)
    }

    /// Whether the whole file is stored.
    pub fn is_complete(&self) -> bool {
        self.current == self.total
    }

    /// Progress in percent, 0 to 100 (100 for an empty file).
    pub fn percent(&self) -> u8 {
        if self.total == 0 {
            return 100;
        }
        ((self.current.min(self.total) as u128 * 100) / self.total as u128) as u8
    }
}

/// A send the service accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSentResult {
    pub local_id: LocalMessageId,
    pub conversation_id: ConversationId,
    pub conversation_type: ConversationType,
    /// The service's message id, where the action returns one (peer and group sends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_seq: Option<u64>,
    /// Where the uploaded media can be downloaded, for media sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_url: Option<String>,
    /// How many attempts it took (1 when the first one went through).
    pub attempts: u32,
    /// The media kind, for media sends; `None` for text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_kind: Option<MediaKind>,
    /// The name receivers see, for media sends; empty for text.
    #[serde(default)]
    pub file_name: String,
    /// The send's local data (see [`SendRequest::local_data`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_data: Option<serde_json::Value>,
}

impl MessageSentResult {
    /// The send's local data as `T`; `None` when it carried none.
    pub fn local_data<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        decode_local_data(&self.local_data)
    }
}

/// A send that ended without being delivered. An error, so a hook can `?` a send's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{local_id} to {conversation_type} '{conversation_id}' failed after {attempts} attempt(s): {error}")]
pub struct SendFailure {
    pub local_id: LocalMessageId,
    pub conversation_id: ConversationId,
    pub conversation_type: ConversationType,
    pub error: ZimError,
    pub attempts: u32,
    /// The media kind, for media sends; `None` for text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_kind: Option<MediaKind>,
    /// The name receivers see, for media sends; empty for text.
    #[serde(default)]
    pub file_name: String,
    /// The send's local data (see [`SendRequest::local_data`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_data: Option<serde_json::Value>,
}

impl SendFailure {
    /// A failure of send `request` before it reached the service (file name, kind and local data from it).
    pub fn of_request(local_id: LocalMessageId, request: &SendRequest, error: ZimError, attempts: u32) -> Self {
        Self {
            local_id,
            conversation_id: request.to_conversation_id.clone(),
            conversation_type: request.conversation_type,
            error,
            attempts,
            media_kind: request.message.media_kind(),
            file_name: request.message.file_name(),
            local_data: request.local_data.clone(),
        }
    }

    /// The send's local data as `T`; `None` when it carried none.
    pub fn local_data<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        decode_local_data(&self.local_data)
    }
}

/// A send that was accepted: what the `on_message_attached` hook sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachedMessage {
    pub local_id: LocalMessageId,
    pub conversation_id: ConversationId,
    pub conversation_type: ConversationType,
    /// The media kind, for media sends; `None` for text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_kind: Option<MediaKind>,
    /// The name receivers see, for media sends.
    #[serde(default)]
    pub file_name: String,
    /// The file's size in bytes, for media sends (0 until known for URL media).
    #[serde(default)]
    pub file_size: u64,
    /// The send's local data (see [`SendRequest::local_data`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_data: Option<serde_json::Value>,
}

impl AttachedMessage {
    /// The send's local data as `T`; `None` when it carried none.
    pub fn local_data<T: serde::de::DeserializeOwned>(&self) -> Option<Result<T, serde_json::Error>> {
        decode_local_data(&self.local_data)
    }
}

/// What an accepted send reports, in order: attached, progress*, then exactly one of sent or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SendEvent {
    /// The send was accepted and queued.
    Attached(AttachedMessage),
    Progress(UploadProgress),
    Sent(MessageSentResult),
    Failed(SendFailure),
}

impl SendEvent {
    /// The send this event belongs to.
    pub fn local_id(&self) -> LocalMessageId {
        match self {
            Self::Attached(attached) => attached.local_id,
            Self::Progress(progress) => progress.local_id,
            Self::Sent(result) => result.local_id,
            Self::Failed(failure) => failure.local_id,
        }
    }

    /// The same event carrying `local_data`, the data of the send it belongs to.
    pub fn with_local_data(mut self, local_data: Option<serde_json::Value>) -> Self {
        let slot = match &mut self {
            Self::Attached(attached) => &mut attached.local_data,
            Self::Progress(progress) => &mut progress.local_data,
            Self::Sent(result) => &mut result.local_data,
            Self::Failed(failure) => &mut failure.local_data,
        };
        *slot = local_data;
        self
    }

    /// Whether this is the send's last event.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Sent(_) | Self::Failed(_))
    }
}

/// Why a send was refused before it was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The local file does not exist.
    FileNotFound,
    /// The local file exists but cannot be read (or is not a regular file).
    FileUnreadable,
    /// The file is larger than its kind allows.
    TooLarge,
    /// A conversation or user id is empty or longer than 32 bytes.
    InvalidId,
    /// The message names neither a local file nor a download URL, or a field is out of range.
    InvalidMessage,
    /// This bot's send queue is full.
    QueueFull,
    /// The client is shutting down.
    Closed,
    /// The context the send came through belongs to a plugin instance that is gone: its bot stopped, was
    /// removed, or the instance was rebuilt after a panic. Nothing sent through that context is accepted again.
    BotGone,
    /// The send could not be stored before it was accepted (disk full, read-only directory): nothing was queued.
    StorageUnavailable,
    /// A reason this version does not know.
    #[serde(other)]
    Other,
}

/// A send refused at once: no events follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("send refused ({reason:?}): {message}")]
pub struct SendRejected {
    pub reason: RejectReason,
    pub message: String,
}

impl SendRejected {
    pub fn new(reason: RejectReason, message: impl Into<String>) -> Self {
        Self { reason, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_percent_is_bounded_and_handles_empty_files() {
        let at = |current, total| UploadProgress::new(LocalMessageId(1), current, total);
        assert_eq!(at(0, 0).percent(), 100);
        assert_eq!(at(50, 200).percent(), 25);
        assert_eq!(at(200, 200).percent(), 100);
        assert!(at(200, 200).is_complete());
    }

    #[test]
    fn unknown_reject_reasons_decode_as_other() {
        let reason: RejectReason = serde_json::from_str("\"disk_on_fire\"").unwrap();
        assert_eq!(reason, RejectReason::Other);
    }

    #[test]
    fn media_send_requests_survive_a_json_round_trip() {
        let request = SendRequest::media(
            MediaMessage::image("/tmp/a.png"),
            "lobby",
            ConversationType::Room,
            SendConfig::default(),
        );
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<SendRequest>(&json).unwrap(), request);
    }

    #[test]
    fn priority_codes_match_the_server_api() {
        assert_eq!([Priority::Low.code(), Priority::Medium.code(), Priority::High.code()], [1, 2, 3]);
    }
}
