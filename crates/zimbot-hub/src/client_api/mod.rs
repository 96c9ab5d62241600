//! The client API, for people (the chat page) and tests: post as a user, read history, list conversations and
//! users, follow new messages live.
//!
//! - `POST /client/v1/messages` `{"from","conv_type","conv_id","text"}` or `{..., "media": {"type","url",
//!   "file_name","file_size"}}`: posts as `from` (registering that user if new) and answers the stored
//!   [`HubMessage`](crate::HubMessage). For a peer message `conv_id` is the receiving user, who must exist. A
//!   post to a room enters the room first (creating it), one to a group joins it (creating it when its id was
//!   never used; a disbanded group answers 410).
//! - `GET /client/v1/messages?conv_type=&conv_id=[&user=][&after_seq=][&limit=]`: `{"messages": [...]}` in seq
//!   order. A peer chat is the pair `conv_id` + `user`, whichever of them wrote. Without `after_seq` the newest
//!   `limit` (default 100, at most 1000) messages; with it, the oldest `limit` after that seq.
//!   For a room, `user` reads that person's view: only what was sent while they were in the room.
//! - `GET /client/v1/conversations[?user=]`: `{"conversations": [...]}`, newest activity first.
//! - `GET /client/v1/users`: `{"users": [...]}`.
//! - `GET /client/v1/events[?conv_type=&conv_id=][&user=]`: server-sent events, one `message` event per new
//!   message (data: the message JSON), optionally only of one conversation; with `user`, only what that person
//!   receives (room messages only while they are in the room).
//!
//! - Rooms, groups and presence: enter and leave rooms, join and leave groups, list rooms, come online or go
//!   offline (see the `membership` module).
//! - `POST /client/v1/uploads` `{"from"}`: an upload token for one file (see the `uploads` module).
//!
//! `from` is never an `@RBT#` bot id (403): bots speak through the Server API. Media URLs must be http(s) (400).
//! `conv_type` is `peer`, `room` or `group`, or the wire numbers 0, 1, 2. Errors answer `{"error": "..."}` with
//! 400 (bad request), 403 (a bot id), 404 (unknown receiver), 410 (a disbanded group), 503 (too many upload tokens) or 500 (storage).

mod conversation_type;
mod directory;
mod history;
mod membership;
mod post;
mod stream;
mod uploads;

pub(crate) use directory::{conversations, users};
pub(crate) use history::history;
pub(crate) use membership::{enter_room, group, join_group, leave_group, leave_room, presence, room, rooms};
pub(crate) use post::post;
pub(crate) use stream::events;
pub(crate) use uploads::uploads;

use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use zimbot_model::UserId;

/// Why a client API request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Gone(String),
    #[error("the hub could not read or write its history: {0}")]
    Store(#[from] StoreError),
}

impl IntoResponse for ClientApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Gone(_) => StatusCode::GONE,
            Self::Store(error) => {
                tracing::error!("client API request failed in storage: {error}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, Json(serde_json::json!({ "error": self.to_string() }))).into_response()
    }
}

/// Bot users (`@RBT#...`) speak through the Server API with the app's signature; the client API, which anyone can
/// call, never acts as one or creates one.
fn refuse_bot(user: &UserId) -> Result<(), ClientApiError> {
    if user.is_bot() {
        return Err(ClientApiError::Forbidden(format!(
            "'{}' is a bot user id: bots post through the Server API, not the client API",
            user.as_str()
        )));
    }
    Ok(())
}
