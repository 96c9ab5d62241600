//! `POST /?Action=...`: the Server API, read by the hub itself and checked against the published contract.
//!
//! Every request goes through the same gate, in this order: a readable query naming each parameter it lacks, a
//! known action, the hub's app id (code 3), the signature version and md5 signature (100000005), the timestamp
//! within ±10 minutes (100000004), and only then the action's QPS window (code 7, counted as a violation), so
//! forged requests cannot spend the window of the app's real requests. Then the body is checked against the
//! action's published request schema (`zimbot-contract`; 660000002 naming where it breaks it), read field by field
//! by the hub's own decoding, and the action runs. Every answer is HTTP 200 with the service's envelope
//! `{"Code","Message","RequestId",...}`, bad queries included, as the service answers them.
//!
//! The hub never decodes a request with the client's wire structs: what the client sends is judged by the
//! documents, not by the client's own idea of them.

pub(crate) mod action;
mod answer;
pub(crate) mod authenticate;
mod body;
mod create_group;
mod create_room;
mod invite_users;
pub(crate) mod query;
mod register;
pub(crate) mod schema;
mod send;

pub use action::ServerAction;
pub(crate) use query::RequestQuery;

use crate::state::SharedState;
use answer::Answer;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::response::Response;
use bytes::Bytes;
use std::collections::HashMap;
use zimbot_model::{ZimCode, ZimError};

/// The code the hub answers when its own storage fails (the service's generic system error).
const SYSTEM_ERROR: ZimCode = ZimCode(1);

/// Serves one Server API request.
pub(crate) async fn handle(
    State(state): State<SharedState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request_id = format!("hub-{:016x}", rand::random::<u64>());
    let query = match query {
        Ok(Query(pairs)) => RequestQuery::read(&pairs, true),
        Err(rejection) => Err(ZimError::new(
            ZimCode::INVALID_PARAMETER,
            format!(
                "the query string is unreadable ({}): it needs Action, AppId (a number), SignatureNonce, Timestamp \
                 (unix seconds), SignatureVersion and Signature",
                rejection.body_text()
            ),
        )),
    };
    let result = match query {
        Err(error) => Err(error),
        Ok(query) => match (authenticate::authenticate(&state, &query), body) {
            (Ok(action), Ok(body)) => run(&state, action, &body).await,
            (Err(error), _) => Err(error),
            (Ok(_), Err(rejection)) => Err(ZimError::new(
                ZimCode::MESSAGE_TOO_LARGE,
                format!("the body could not be read: {}", rejection.body_text()),
            )),
        },
    };
    match result {
        Ok(answer) => answer.respond(&request_id),
        Err(error) => {
            // Debug-quoted: the message carries text from the request.
            tracing::debug!(code = error.code.0, message = ?error.message, "Server API request refused");
            Answer::refused(error).respond(&request_id)
        }
    }
}

async fn run(state: &SharedState, action: ServerAction, body: &[u8]) -> Result<Answer, ZimError> {
    let body = body::parse_json(body)?;
    schema::conform(action, &body)?;
    match action {
        ServerAction::SendPeerMessage | ServerAction::SendRoomMessage | ServerAction::SendGroupMessage => {
            send::send(state, body::validate_send(action, body)?).await
        }
        ServerAction::RobotRegister | ServerAction::UserRegister => {
            register::register(state, action, body::validate_register(action, body)?).await
        }
        ServerAction::CreateRoom => create_room::create_room(state, &body).await,
        ServerAction::CreateGroup => create_group::create_group(state, &body).await,
        ServerAction::InviteUsersIntoGroup => invite_users::invite_users(state, &body).await,
    }
}

/// The answer when the history database fails.
fn storage_failure(error: crate::store::StoreError) -> ZimError {
    tracing::error!("Server API request failed in storage: {error}");
    ZimError::new(SYSTEM_ERROR, format!("the hub could not store the request ({error}); check its data directory"))
}

/// 660500002 unless `user_id` is registered.
async fn require_registered(state: &SharedState, field: &str, user_id: &str) -> Result<(), ZimError> {
    if state.store.user_exists(user_id).await.map_err(storage_failure)? {
        return Ok(());
    }
    Err(ZimError::new(
        ZimCode::SENDER_NOT_REGISTERED,
        format!("{field} '{user_id}' is not registered: register it with RobotRegister or UserRegister first"),
    ))
}
