//! The hub's URL map.

use crate::state::SharedState;
use crate::{client_api, media, page, server_api};
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};

pub(crate) fn router(state: SharedState) -> Router {
    Router::new()
        .route("/", get(page::index).post(server_api::handle))
        .route("/app.js", get(page::script))
        .route("/style.css", get(page::style))
        .route("/favicon.svg", get(page::icon))
        // Uploads are streamed with their own cap, so the default 2 MB body limit does not apply to them.
        .route("/media/{uid}/{file_name}", put(media::upload).layer(DefaultBodyLimit::disable()).get(media::download))
        .route("/media/tokens", post(media::issue_server_token))
        .route("/client/v1/messages", get(client_api::history).post(client_api::post))
        .route("/client/v1/uploads", post(client_api::uploads))
        .route("/client/v1/conversations", get(client_api::conversations))
        .route("/client/v1/users", get(client_api::users))
        .route("/client/v1/events", get(client_api::events))
        .route("/client/v1/presence", post(client_api::presence))
        .route("/client/v1/rooms", get(client_api::rooms))
        .route("/client/v1/rooms/{room_id}", get(client_api::room))
        .route("/client/v1/groups/{group_id}", get(client_api::group))
        .route("/client/v1/rooms/{room_id}/enter", post(client_api::enter_room))
        .route("/client/v1/rooms/{room_id}/leave", post(client_api::leave_room))
        .route("/client/v1/groups/{group_id}/join", post(client_api::join_group))
        .route("/client/v1/groups/{group_id}/leave", post(client_api::leave_group))
        .route("/healthz", get(|| async { "ok" }))
        .layer(axum::middleware::map_response(crate::page::security_headers))
        .route("/stats", get(|State(state): State<SharedState>| async move { Json(state.counters.snapshot()) }))
        .with_state(state)
}
