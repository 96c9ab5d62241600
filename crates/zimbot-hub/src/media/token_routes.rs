//! `POST /media/tokens`: an upload token for a server, which proves itself with a Server API signature in the
//! query (`AppId`, `SignatureNonce`, `Timestamp`, `SignatureVersion`, `Signature`; `Action` is not needed).

use super::tokens::SERVER_UPLOADER;
use super::TOKEN_LIFETIME;
use crate::server_api::authenticate::check_signed;
use crate::state::SharedState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use zimbot_model::wire::SignedQuery;

/// The signed query, with `Action` optional.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(rename = "AppId")]
    app_id: u32,
    #[serde(rename = "SignatureNonce")]
    signature_nonce: String,
    #[serde(rename = "Timestamp")]
    timestamp: i64,
    #[serde(rename = "SignatureVersion")]
    signature_version: String,
    #[serde(rename = "Signature")]
    signature: String,
}

pub(crate) async fn issue_server_token(
    State(state): State<SharedState>,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    let refuse =
        |status: StatusCode, error: String| (status, Json(serde_json::json!({ "error": error }))).into_response();
    let Ok(Query(query)) = query else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the query needs AppId, SignatureNonce, Timestamp, SignatureVersion and Signature, as a Server API \
             request carries"
                .to_owned(),
        );
    };
    let signed = SignedQuery {
        action: String::new(),
        app_id: query.app_id,
        signature_nonce: query.signature_nonce,
        timestamp: query.timestamp,
        signature_version: query.signature_version,
        signature: query.signature,
    };
    if let Err(error) = check_signed(&state, &signed) {
        return refuse(StatusCode::UNAUTHORIZED, error.message);
    }
    match state.upload_tokens.issue(SERVER_UPLOADER, None) {
        Ok(token) => {
            Json(serde_json::json!({ "token": token, "expires_in_secs": TOKEN_LIFETIME.as_secs() })).into_response()
        }
        Err(error) => error.into_response(),
    }
}
