//! The transport: how one message reaches the service, and how bot users get registered.
//!
//! Contract of [`Transport`]:
//! - [`Transport::send_message`] makes exactly ONE attempt to deliver one message and says how it went. It does not
//!   retry and does not wait for a rate limit: the client's limiter has already let the attempt start, and the
//!   client decides about retries from the error's code ([`zimbot_model::ZimCode::is_retryable`]).
//! - An error carries the service's code when the service answered (`Code != 0`, or a peer send's `ErrorList`
//!   entry for the receiver), else one of zimbot's own codes: `NETWORK` (no answer), `HTTP_STATUS` (HTTP 5xx or
//!   429) or `BAD_RESPONSE` (any other answer that is not a well-formed envelope); see [`zimbot_model::ZimCode`].
//! - [`Transport::register_bots`] registers up to 20 bot users in one attempt; a user that exists already is a
//!   success.
//! - [`Transport::create_room`] creates a room in one attempt; a room that exists already is a success. The client
//!   calls it when a room send is answered "room does not exist", then sends again. A transport that cannot
//!   create rooms keeps the default, which fails.
//! - Implementations must be cheap to share (`Arc<dyn Transport>`) and safe to call concurrently.
//!
//! [`crate::ServerApiTransport`] speaks the ZIM Server API; tests use in-memory transports.

use async_trait::async_trait;
use zimbot_model::{ConversationId, ConversationType, MessageType, SendConfig, UserId, ZimCode, ZimError};
use zimbot_wire::{MessageBody, RegisterUserInfo};

/// The most users one `RobotRegister` request may carry.
pub const MAX_USERS_PER_REGISTER: usize = 20;

/// One message, ready to go on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    pub from: UserId,
    pub to: ConversationId,
    pub conversation_type: ConversationType,
    pub message_type: MessageType,
    pub body: MessageBody,
    pub config: SendConfig,
}

/// What the service gave back for a delivered message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReceipt {
    /// The service's message id (peer and group sends return one).
    pub message_id: Option<String>,
    pub message_seq: Option<u64>,
}

/// Delivers messages to the service. See the module documentation for the contract.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Makes one attempt to deliver `message`.
    async fn send_message(&self, message: &OutboundMessage) -> Result<SendReceipt, ZimError>;

    /// Registers up to 20 bot users (`MAX_USERS_PER_REGISTER`) in one attempt; existing users count as registered.
    async fn register_bots(&self, bots: &[RegisterUserInfo]) -> Result<(), ZimError>;

    /// Creates `room` as `from` in one attempt; a room that exists already counts as created.
    async fn create_room(&self, from: &UserId, room: &ConversationId) -> Result<(), ZimError> {
        let _ = from;
        Err(ZimError::new(
            ZimCode::ROOM_NOT_FOUND,
            format!("room '{room}' does not exist and this transport cannot create rooms"),
        ))
    }
}
