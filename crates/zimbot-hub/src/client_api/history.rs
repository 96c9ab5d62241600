//! `GET /client/v1/messages`: one conversation's history, in seq order.
//!
//! A room keeps no history for people who were not there: with `user=`, a room's history holds only the messages
//! sent while that person was in the room (what reached them live). Without `user=`, it is the hub's whole record
//! of the room, for tests and operators (the service offers no such view).

use super::conversation_type::ConversationTypeParam;
use super::ClientApiError;
use crate::conversation::ConversationKey;
use crate::message::HubMessage;
use crate::state::SharedState;
use crate::store::HistoryWindow;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use zimbot_model::ConversationType;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize)]
pub(crate) struct HistoryQuery {
    conv_type: ConversationTypeParam,
    conv_id: String,
    /// For peer chats: the other side; for rooms: the person whose view is read.
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    after_seq: Option<u64>,
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub(crate) struct HistoryAnswer {
    messages: Vec<HubMessage>,
}

pub(crate) async fn history(
    State(state): State<SharedState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<HistoryAnswer>, ClientApiError> {
    let Query(query) = query.map_err(|rejection| {
        ClientApiError::BadRequest(format!(
            "{}; the query is conv_type=peer|room|group&conv_id=...[&user=...][&after_seq=N][&limit=N]",
            rejection.body_text()
        ))
    })?;
    let receiver = match query.conv_type.0 {
        ConversationType::Room => query.user.clone().filter(|user| !user.is_empty()),
        ConversationType::Peer | ConversationType::Group => None,
    };
    let key = match query.conv_type.0 {
        ConversationType::Peer => {
            let user = query.user.as_deref().filter(|user| !user.is_empty()).ok_or_else(|| {
                ClientApiError::BadRequest("a peer history needs user= (the other side of the chat)".to_owned())
            })?;
            ConversationKey::peer(&query.conv_id, user)
        }
        kind => ConversationKey::shared(kind, &query.conv_id),
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let window = match query.after_seq {
        // Seqs are stored as SQLite integers (i64); a larger one cannot exist and would not bind.
        Some(seq) if i64::try_from(seq).is_err() => {
            return Err(ClientApiError::BadRequest(format!("after_seq {seq} is larger than any seq ({})", i64::MAX)))
        }
        Some(seq) => HistoryWindow::After(seq),
        None => HistoryWindow::Latest,
    };
    Ok(Json(HistoryAnswer { messages: state.store.history(key, window, limit, receiver).await? }))
}
