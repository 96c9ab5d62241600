//! `GET /client/v1/conversations` and `GET /client/v1/users`: what the chat page offers to pick from.

use super::ClientApiError;
use crate::message::{ConversationSummary, HubUser};
use crate::state::SharedState;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub(crate) struct ConversationsQuery {
    #[serde(default)]
    user: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ConversationsAnswer {
    conversations: Vec<ConversationSummary>,
}

/// Conversations with messages; with `user=`, that user's peer chats plus all rooms and groups.
pub(crate) async fn conversations(
    State(state): State<SharedState>,
    Query(query): Query<ConversationsQuery>,
) -> Result<Json<ConversationsAnswer>, ClientApiError> {
    let user = query.user.filter(|user| !user.is_empty());
    Ok(Json(ConversationsAnswer { conversations: state.store.conversations(user).await? }))
}

#[derive(Debug, Serialize)]
pub(crate) struct UsersAnswer {
    users: Vec<HubUser>,
}

/// Every registered user and bot.
pub(crate) async fn users(State(state): State<SharedState>) -> Result<Json<UsersAnswer>, ClientApiError> {
    Ok(Json(UsersAnswer { users: state.store.users().await? }))
}
