//! `POST /media/tokens`: an upload token for a server, which proves itself with a Server API signature in the
//! query (`AppId`, `SignatureNonce`, `Timestamp`, `SignatureVersion`, `Signature`; `Action` is not needed).

use super::tokens::SERVER_UPLOADER;
use super::TOKEN_LIFETIME;
use crate::server_api::authenticate::check_signed;
use crate::server_api::RequestQuery;
use crate::state::SharedState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::HashMap;

pub(crate) async fn issue_server_token(
    State(state): State<SharedState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let refuse =
        |status: StatusCode, error: String| (status, Json(serde_json::json!({ "error": error }))).into_response();
    let missing = || {
        "the query needs AppId, SignatureNonce, Timestamp, SignatureVersion and Signature, as a Server API request \
         carries"
            .to_owned()
    };
    let Ok(Query(pairs)) = query else {
        return refuse(StatusCode::BAD_REQUEST, missing());
    };
    let signed = match RequestQuery::read(&pairs, false) {
        Ok(signed) => signed,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, format!("{}: {}", missing(), error.message)),
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
