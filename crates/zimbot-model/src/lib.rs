//! The ZIM data model: what a conversation, a message, a media message, a send and a send result are.
//!
//! This crate is plain data with serde: no I/O, no async, no runtime. Every other zimbot crate speaks in
//! these types — the plugin ABI serializes them, the client sends them, the hub stores them.
//!
//! What it is not: the service's wire format. The JSON the ZIM Server API and its callbacks use lives in
//! `zimbot-wire`; plugin authors (through `zimbot_sdk::model`) never see it.
//!
//! Main types:
//! - [`ConversationType`], [`ConversationId`], [`UserId`], [`BotId`]: who and where.
//! - [`MessageType`], [`ReceivedMessage`], [`MessageContent`]: what arrives.
//! - [`MediaMessage`], [`MediaKind`], [`MediaLimits`]: the image/file/audio/video a bot sends.
//! - [`SendRequest`], [`SendConfig`], [`Priority`], [`SendEvent`], [`MessageSentResult`], [`UploadProgress`]: a send
//!   and what comes back from it.
//! - [`MembershipEvent`] ([`RoomMember`], [`GroupMembers`], [`ConversationLifecycle`], [`Presence`]): people
//!   entering and leaving rooms and groups, rooms and groups coming and going, users coming online.
//! - [`ZimError`], [`ZimCode`]: the service's error codes and which of them are worth retrying.
//! - [`SendRejected`]: why a send was refused before it was accepted.
//! - [`content_type`]: the MIME type of a media file's name, and whether it is inert.

pub mod content_type;
mod conversation;
mod error;
mod media;
mod membership;
mod message;
mod send;

pub use conversation::{BotId, ConversationId, ConversationType, IdError, UserId, MAX_ID_BYTES, SEND_ID_PUNCTUATION};
pub use error::{ZimCode, ZimError};
pub use media::{ImageSize, MediaKind, MediaLimits, MediaMessage};
pub use membership::{ConversationLifecycle, GroupMembers, MembershipEvent, Presence, RoomMember};
pub use message::{MessageContent, MessageType, ReceivedMedia, ReceivedMessage};
pub use send::{
    AttachedMessage, LocalMessageId, MessageSentResult, OutgoingMessage, Priority, PushConfig, RejectReason,
    SendConfig, SendEvent, SendFailure, SendRejected, SendRequest, UploadProgress,
};
