//! The ZIM service's wire formats, shared by everything that speaks them: the client sends Server API requests,
//! the hub answers them, the hub fires callbacks and the runtime's webhook receives them. Keeping one definition of
//! each means the stand-in and the runtime cannot drift apart; both are checked against the service's published
//! OpenAPI files (`zimbot-contract`).
//!
//! What it is not: the model plugins see. Plugins speak `zimbot_model` ([`zimbot_model::ReceivedMessage`],
//! [`zimbot_model::SendRequest`], ...); this crate turns those into the service's JSON and back, and nothing here
//! is part of the plugin API.
//!
//! Field names follow the service exactly (`FromUserId`, `msg_body`, ...), which is why the structs here rename
//! every field. Pure data and pure functions: no I/O.
//!
//! Main types:
//! - [`Action`], [`SignedQuery`], [`ApiEnvelope`] and the `Send*MessageRequest`/`Response` pairs: the Server API.
//! - [`MessageBody`], [`ApiMediaBody`]: what a media message's body holds on the wire.
//! - [`Callback`], [`CallbackEvent`], [`membership_event`]: the callbacks the service fires.
//! - [`server_api_signature`], [`callback_signature`]: the two signatures.

mod callback;
mod media_body;
mod membership_callback;
mod number_or_string;
mod server_api;
mod signature;

pub use callback::{Callback, CallbackEvent, CallbackMediaBody, CallbackUser};
pub use media_body::{ApiImageInfo, ApiMediaBody, MessageBody, OfflinePush};
pub use membership_callback::{membership_event, MEMBERSHIP_EVENTS};
pub use server_api::{
    Action, ApiEnvelope, AuditInfo, CreateRoomRequest, MessageFields, PeerErrorItem, PeerSuccessItem,
    RegisterErrorItem, RegisterRefusal, RegisterResponse, RegisterUserInfo, RegisterUsersRequest,
    SendGroupMessageRequest, SendGroupMessageResponse, SendMsgOptions, SendPeerMessageRequest, SendPeerMessageResponse,
    SendRoomMessageRequest, SendRoomMessageResponse, SignedQuery, SIGNATURE_VERSION,
};
pub use signature::{callback_signature, server_api_signature};
