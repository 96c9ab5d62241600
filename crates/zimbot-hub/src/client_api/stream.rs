//! `GET /client/v1/events`: new messages as server-sent events, optionally of one conversation only.
//!
//! With `user=`, the stream is that person's: only the messages they receive (peer messages they sent or got,
//! room messages sent while they were in the room, group messages), as a client app hears them. Without it, the
//! stream shows every message (of the conversation, when one is given): the hub's own view, for tests and
//! operators, which the service offers no one.
//!
//! Each message is an event named `message` whose data is the message JSON and whose id is the message id. A
//! subscriber that falls too far behind gets a `lagged` event (data: how many messages it missed) and should
//! reload the history. The stream ends when the hub shuts down.

use super::conversation_type::ConversationTypeParam;
use super::ClientApiError;
use crate::conversation::ConversationKey;
use crate::events::LiveMessage;
use crate::state::SharedState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use std::convert::Infallible;
use tokio::sync::broadcast::{self, error::RecvError};
use zimbot_model::ConversationType;

#[derive(Debug, Deserialize)]
pub(crate) struct EventsQuery {
    #[serde(default)]
    conv_type: Option<ConversationTypeParam>,
    #[serde(default)]
    conv_id: Option<String>,
    /// For peer chats: the other side.
    #[serde(default)]
    user: Option<String>,
}

/// Which messages a subscriber wants.
#[derive(Debug, Clone, Default)]
struct Filter {
    /// Only this conversation's, when set.
    conversation: Option<ConversationKey>,
    /// Only those this person receives, when set.
    receiver: Option<String>,
}

impl Filter {
    fn wants(&self, live: &LiveMessage) -> bool {
        let message = &live.message;
        let in_conversation = self
            .conversation
            .as_ref()
            .is_none_or(|key| *key == ConversationKey::of_message(message.conv_type, &message.from, &message.conv_id));
        in_conversation && self.receiver.as_deref().is_none_or(|user| live.reaches(user))
    }
}

pub(crate) async fn events(
    State(state): State<SharedState>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ClientApiError> {
    let Query(query) = query.map_err(|rejection| ClientApiError::BadRequest(rejection.body_text()))?;
    let receiver = query.user.filter(|user| !user.is_empty());
    let conversation = match (query.conv_type, query.conv_id) {
        (None, None) => None,
        (Some(ConversationTypeParam(ConversationType::Peer)), Some(conv_id)) => {
            let user = receiver.as_deref().ok_or_else(|| {
                ClientApiError::BadRequest("peer events need user= (the other side of the chat)".to_owned())
            })?;
            Some(ConversationKey::peer(&conv_id, user))
        }
        (Some(ConversationTypeParam(kind)), Some(conv_id)) => Some(ConversationKey::shared(kind, &conv_id)),
        _ => return Err(ClientApiError::BadRequest("give both conv_type and conv_id, or neither".to_owned())),
    };
    let filter = Filter { conversation, receiver };
    let receiver = state.events.subscribe();
    let stream =
        futures::stream::unfold((receiver, filter), next_event).take_until(state.shutdown.clone().cancelled_owned());
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The next event for this subscriber, or `None` when the hub is gone.
async fn next_event(
    (mut receiver, filter): (broadcast::Receiver<LiveMessage>, Filter),
) -> Option<(Result<Event, Infallible>, (broadcast::Receiver<LiveMessage>, Filter))> {
    loop {
        let event = match receiver.recv().await {
            Ok(live) if filter.wants(&live) => {
                let message = live.message;
                match Event::default().event("message").id(message.id.clone()).json_data(&message) {
                    Ok(event) => event,
                    Err(error) => {
                        tracing::warn!("cannot encode message {} as an event: {error}", message.id);
                        continue;
                    }
                }
            }
            Ok(_) => continue,
            Err(RecvError::Lagged(missed)) => Event::default().event("lagged").data(missed.to_string()),
            Err(RecvError::Closed) => return None,
        };
        return Some((Ok(event), (receiver, filter)));
    }
}
