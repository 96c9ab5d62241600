//! Entering and leaving rooms, joining and leaving groups, as a person's client app does; each fires the
//! service's callbacks (`room_enter`, `room_exit`, `group_join`, `group_exit`, and `room_create`,
//! `room_destroy`, `group_create`, `group_destroy` when the change creates or ends the room or group).
//!
//! - `POST /client/v1/rooms/{room_id}/enter` and `.../leave` with `{"user"}`: answer the room
//!   (`{"room_id","name","members","exists"}`); entering creates a room that does not exist, leaving the last
//!   member starts the room's destroy delay.
//! - `GET /client/v1/rooms`: `{"rooms": [...]}`, the rooms that exist now; `GET /client/v1/rooms/{room_id}`: one
//!   (`exists` false when it does not). Each names its `destroy_delay_secs`.
//! - `POST /client/v1/groups/{group_id}/join` and `.../leave` with `{"user"}`: answer the group
//!   (`{"group_id","members","disbanded"}`); joining creates a group whose id was never used (the person its
//!   owner), a disbanded group answers 410; the last member leaving disbands it. `GET /client/v1/groups/{group_id}`
//!   answers the same without changing it.
//! - `POST /client/v1/presence` with `{"user","action"}` (`online`, `logout` or `offline`): fires `user_action`,
//!   as a client app logging in, logging out or dropping its connection does; answers `{"user","action"}`. Logging
//!   out or going offline leaves every room the person was in (with `room_exit`), as the service drops an offline
//!   client from its rooms.

use super::ClientApiError;
use crate::membership::ClientJoin;
use crate::state::SharedState;
use crate::store::{GroupStatus, LeaveOutcome};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use zimbot_model::{ConversationId, UserId};

/// The body of every membership request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Member {
    user: String,
}

/// The person and the conversation id, checked.
fn read(conversation: &str, body: Result<Json<Member>, JsonRejection>) -> Result<String, ClientApiError> {
    let Json(member) = body.map_err(|rejection| {
        ClientApiError::BadRequest(format!("the request is not understood: {}", rejection.body_text()))
    })?;
    let user = UserId::from(member.user.as_str());
    user.validate().map_err(|error| ClientApiError::BadRequest(format!("user: {error}")))?;
    super::refuse_bot(&user)?;
    ConversationId::from(conversation)
        .validate()
        .map_err(|error| ClientApiError::BadRequest(format!("id: {error}")))?;
    Ok(member.user)
}

fn room_json(state: &SharedState, room_id: &str) -> Value {
    match state.room(room_id) {
        Some(room) => json!({"room_id": room.room_id, "name": room.name, "members": room.members, "exists": true,
                             "destroy_delay_secs": room.destroy_delay.as_secs()}),
        None => json!({"room_id": room_id, "name": room_id, "members": [], "exists": false}),
    }
}

pub(crate) async fn room(State(state): State<SharedState>, Path(room_id): Path<String>) -> Json<Value> {
    Json(room_json(&state, &room_id))
}

pub(crate) async fn group(
    State(state): State<SharedState>,
    Path(group_id): Path<String>,
) -> Result<Json<Value>, ClientApiError> {
    Ok(Json(group_json(&state, &group_id).await?))
}

pub(crate) async fn enter_room(
    State(state): State<SharedState>,
    Path(room_id): Path<String>,
    body: Result<Json<Member>, JsonRejection>,
) -> Result<Json<Value>, ClientApiError> {
    let user = read(&room_id, body)?;
    state.store.ensure_user(&user).await?;
    state.enter_room(&room_id, &user);
    Ok(Json(room_json(&state, &room_id)))
}

pub(crate) async fn leave_room(
    State(state): State<SharedState>,
    Path(room_id): Path<String>,
    body: Result<Json<Member>, JsonRejection>,
) -> Result<Json<Value>, ClientApiError> {
    let user = read(&room_id, body)?;
    if !state.leave_room(&room_id, &user) {
        return Err(ClientApiError::NotFound(format!("'{user}' is not in room '{room_id}'")));
    }
    Ok(Json(room_json(&state, &room_id)))
}

pub(crate) async fn rooms(State(state): State<SharedState>) -> Json<Value> {
    let rooms: Vec<Value> = state
        .rooms
        .list()
        .into_iter()
        .map(|room| {
            json!({"room_id": room.room_id, "name": room.name, "members": room.members,
                   "destroy_delay_secs": room.destroy_delay.as_secs()})
        })
        .collect();
    state.fire_room_changes();
    Json(json!({ "rooms": rooms }))
}

async fn group_json(state: &SharedState, group_id: &str) -> Result<Value, ClientApiError> {
    let disbanded = state.store.group_status(group_id).await? == Some(GroupStatus::Disbanded);
    let members = state.store.group_members(group_id).await?;
    Ok(json!({"group_id": group_id, "members": members, "disbanded": disbanded}))
}

pub(crate) async fn join_group(
    State(state): State<SharedState>,
    Path(group_id): Path<String>,
    body: Result<Json<Member>, JsonRejection>,
) -> Result<Json<Value>, ClientApiError> {
    let user = read(&group_id, body)?;
    state.store.ensure_user(&user).await?;
    if state.client_join_group(&group_id, &user).await? == ClientJoin::Disbanded {
        return Err(ClientApiError::Gone(format!(
            "group '{group_id}' was disbanded when its last member left; its id cannot be used again"
        )));
    }
    Ok(Json(group_json(&state, &group_id).await?))
}

pub(crate) async fn leave_group(
    State(state): State<SharedState>,
    Path(group_id): Path<String>,
    body: Result<Json<Member>, JsonRejection>,
) -> Result<Json<Value>, ClientApiError> {
    let user = read(&group_id, body)?;
    if state.client_leave_group(&group_id, &user).await? == LeaveOutcome::NotMember {
        return Err(ClientApiError::NotFound(format!("'{user}' is not a member of group '{group_id}'")));
    }
    Ok(Json(group_json(&state, &group_id).await?))
}

/// The body of a presence change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Presence {
    user: String,
    action: PresenceAction,
}

/// The `action` of `user_action`, by name.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PresenceAction {
    Online,
    Logout,
    Offline,
}

pub(crate) async fn presence(
    State(state): State<SharedState>,
    body: Result<Json<Presence>, JsonRejection>,
) -> Result<Json<Value>, ClientApiError> {
    let Json(presence) = body.map_err(|rejection| {
        ClientApiError::BadRequest(format!(
            "the request is not understood ({}): send {{\"user\", \"action\": \"online\" | \"logout\" | \"offline\"}}",
            rejection.body_text()
        ))
    })?;
    let user = UserId::from(presence.user.as_str());
    user.validate().map_err(|error| ClientApiError::BadRequest(format!("user: {error}")))?;
    super::refuse_bot(&user)?;
    state.store.ensure_user(&presence.user).await?;
    let (code, name) = match presence.action {
        PresenceAction::Online => (0, "online"),
        PresenceAction::Logout => (1, "logout"),
        PresenceAction::Offline => (2, "offline"),
    };
    state.user_action(&presence.user, code);
    if !matches!(presence.action, PresenceAction::Online) {
        state.leave_every_room(&presence.user);
    }
    Ok(Json(json!({"user": presence.user, "action": name})))
}
