//! `POST /?Action=...`: the Server API subset the runtime's client speaks.
//!
//! Every request goes through the same gate, in this order: a readable query (else HTTP 400), a known action, the
//! hub's app id (code 3), the signature version and md5 signature (100000005), the timestamp within ±10 minutes
//! (100000004), and only then the action's QPS window (code 7, counted as a violation), so forged requests cannot
//! spend the window of the app's real requests. Then the body
//! is validated (660000002 naming the field) and the action runs. Every answer after the query has been read is
//! HTTP 200 with the service's envelope `{"Code","Message","RequestId",...}`.

pub(crate) mod authenticate;
mod body;
mod register;
mod send;

use crate::state::SharedState;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Serialize;
use zimbot_model::wire::{Action, ApiEnvelope, SignedQuery};
use zimbot_model::{ZimCode, ZimError};

/// The code the hub answers when its own storage fails (the service's generic system error).
const SYSTEM_ERROR: ZimCode = ZimCode(1);

/// Serves one Server API request.
pub(crate) async fn handle(
    State(state): State<SharedState>,
    query: Result<Query<SignedQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let request_id = format!("hub-{:016x}", rand::random::<u64>());
    let Ok(Query(query)) = query else {
        let error = ZimError::new(
            ZimCode::INVALID_PARAMETER,
            "the query string is unreadable: it needs Action, AppId (a number), SignatureNonce, Timestamp \
             (unix seconds), SignatureVersion and Signature",
        );
        return (StatusCode::BAD_REQUEST, error_envelope(&request_id, error)).into_response();
    };
    let result = match (authenticate::authenticate(&state, &query), body) {
        (Ok(action), Ok(body)) => run(&state, action, &body, &request_id).await,
        (Err(error), _) => Err(error),
        (Ok(_), Err(rejection)) => Err(ZimError::new(
            ZimCode::MESSAGE_TOO_LARGE,
            format!("the body could not be read: {}", rejection.body_text()),
        )),
    };
    match result {
        Ok(response) => response,
        Err(error) => {
            // Debug-quoted: the action and the message carry text from the request.
            tracing::debug!(action = ?query.action, code = error.code.0, message = ?error.message, "Server API request refused");
            error_envelope(&request_id, error).into_response()
        }
    }
}

async fn run(state: &SharedState, action: Action, body: &[u8], request_id: &str) -> Result<Response, ZimError> {
    let body = body::parse_json(body)?;
    match action {
        Action::SendPeerMessage | Action::SendRoomMessage | Action::SendGroupMessage => {
            send::send(state, body::validate_send(action, body)?, request_id).await
        }
        Action::RobotRegister | Action::UserRegister => {
            register::register(state, action, body::validate_register(action, body)?, request_id).await
        }
        // The hub creates rooms on first use, so creating one ahead is always a success.
        Action::CreateRoom => Ok(success(request_id, serde_json::Map::new())),
    }
}

/// A success envelope around `data`.
fn success<T: Serialize>(request_id: &str, data: T) -> Response {
    Json(ApiEnvelope::success(request_id, data)).into_response()
}

/// An envelope with `error`'s code and message and no data.
fn error_envelope(request_id: &str, error: ZimError) -> Json<ApiEnvelope<serde_json::Map<String, serde_json::Value>>> {
    Json(ApiEnvelope::error(request_id, error.code, error.message))
}

/// The answer when the history database fails.
fn storage_failure(error: crate::store::StoreError) -> ZimError {
    tracing::error!("Server API request failed in storage: {error}");
    ZimError::new(SYSTEM_ERROR, format!("the hub could not store the request ({error}); check its data directory"))
}
