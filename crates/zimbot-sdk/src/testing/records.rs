//! What a test reads back from a [`super::TestBot`]: the sends a plugin made, its log lines, and how a hook ended.

use zimbot_abi::LogLevel;
use zimbot_model::{
    ConversationId, ConversationType, LocalMessageId, MediaKind, MediaMessage, MessageContent, OutgoingMessage,
    ReceivedMessage, SendRequest, UserId,
};

/// A send the plugin made and the harness accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSend {
    /// The id the send's hooks carry; pass it to `attached`, `progress`, `sent` or `failed`.
    pub local_id: LocalMessageId,
    pub request: SendRequest,
}

impl TestSend {
    /// The text, for a text send.
    pub fn text(&self) -> Option<&str> {
        match &self.request.message {
            OutgoingMessage::Text { text } => Some(text),
            OutgoingMessage::Media(_) => None,
        }
    }

    /// The media, for a media send.
    pub fn media(&self) -> Option<&MediaMessage> {
        match &self.request.message {
            OutgoingMessage::Media(media) => Some(media),
            OutgoingMessage::Text { .. } => None,
        }
    }

    /// The media kind, for a media send (`None` for text).
    pub fn kind(&self) -> Option<MediaKind> {
        self.media().map(|media| media.kind)
    }

    /// Where it goes: the conversation id and type.
    pub fn to(&self) -> (&str, ConversationType) {
        (self.request.to_conversation_id.as_str(), self.request.conversation_type)
    }
}

/// One line the plugin logged through its `BotContext`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
}

/// Why a hook the test ran did not end with `Ok(())`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookError {
    /// The hook returned `Err` with this message.
    Failed(String),
    /// The hook panicked with this message (the SDK caught it, as it does in the runtime).
    Panicked(String),
    /// The plugin does not know the event.
    Unsupported,
    /// The hook has not ended: it awaits virtual time (see `TestBot::advance`) or a send's result (see
    /// `TestBot::sent` / `TestBot::failed`). It keeps running; if it later fails, the failure is logged.
    Pending,
}

impl std::fmt::Display for HookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failed(message) => write!(f, "the hook returned an error: {message}"),
            Self::Panicked(message) => write!(f, "the hook panicked: {message}"),
            Self::Unsupported => f.write_str("the plugin does not know this event"),
            Self::Pending => f.write_str(
                "the hook has not ended: it waits for virtual time (advance) or a send's result (sent / failed)",
            ),
        }
    }
}

impl std::error::Error for HookError {}

/// A received message as the runtime would deliver it, for [`super::TestBot::message`]: `conversation_id` is the
/// room or group, or for a peer message the bot's own user id.
pub fn received(
    conversation_type: ConversationType,
    conversation_id: &str,
    from: &str,
    content: MessageContent,
) -> ReceivedMessage {
    ReceivedMessage {
        message_id: String::new(),
        seq: 0,
        from_user_id: UserId::new(from),
        conversation_type,
        conversation_id: ConversationId::new(conversation_id),
        timestamp_ms: 0,
        content,
    }
}
