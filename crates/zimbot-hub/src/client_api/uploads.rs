//! `POST /client/v1/uploads` `{"from": "alice"}`: an upload token for a person, for one file in a folder of its
//! own. Answers `{"token", "uid", "expires_in_secs"}`; upload with `PUT /media/{uid}/{file_name}` and
//! `Authorization: Bearer {token}`. Bots upload through their runtime, so `@RBT#` users get none here.

use super::ClientApiError;
use crate::media::TOKEN_LIFETIME;
use crate::state::SharedState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use zimbot_model::UserId;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UploadRequest {
    from: String,
}

pub(crate) async fn uploads(
    State(state): State<SharedState>,
    body: Result<Json<UploadRequest>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ClientApiError> {
    let Json(request) = body.map_err(|rejection| {
        ClientApiError::BadRequest(format!("the upload request is not understood: {}", rejection.body_text()))
    })?;
    let from = UserId::from(request.from.as_str());
    from.validate().map_err(|error| ClientApiError::BadRequest(format!("from: {error}")))?;
    super::refuse_bot(&from)?;
    let uid = format!("web-{:016x}", rand::random::<u64>());
    let token = state
        .upload_tokens
        .issue(from.as_str(), Some(uid.clone()))
        .map_err(|error| ClientApiError::Unavailable(error.to_string()))?;
    Ok(Json(serde_json::json!({ "token": token, "uid": uid, "expires_in_secs": TOKEN_LIFETIME.as_secs() })))
}
