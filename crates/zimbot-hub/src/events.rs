//! The live feed of accepted messages that `GET /client/v1/events` streams to chat pages and tests.

use crate::message::HubMessage;
use std::sync::Arc;
use tokio::sync::broadcast;

/// How many messages a slow subscriber may fall behind before it is told it lagged.
const BACKLOG: usize = 1024;

/// One accepted message as it goes out live.
#[derive(Debug, Clone)]
pub(crate) struct LiveMessage {
    pub(crate) message: HubMessage,
    /// For a room message, the members in the room as it was sent: the only people it reaches.
    pub(crate) recipients: Arc<[String]>,
}

impl LiveMessage {
    /// Whether `user` receives this message: a peer message they sent or got, a room message sent while they
    /// were in the room, or any group message (the hub does not check group membership here).
    pub(crate) fn reaches(&self, user: &str) -> bool {
        use zimbot_model::ConversationType;
        match self.message.conv_type {
            ConversationType::Peer => self.message.from == user || self.message.conv_id == user,
            ConversationType::Room => self.recipients.iter().any(|member| member == user),
            ConversationType::Group => true,
        }
    }
}

/// Fans every accepted message out to the current subscribers; nobody listening is fine.
#[derive(Debug, Clone)]
pub(crate) struct EventBus {
    sender: broadcast::Sender<LiveMessage>,
}

impl EventBus {
    pub(crate) fn new() -> Self {
        Self { sender: broadcast::channel(BACKLOG).0 }
    }

    pub(crate) fn publish(&self, message: LiveMessage) {
        // An error only means there is no subscriber right now.
        let _ = self.sender.send(message);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<LiveMessage> {
        self.sender.subscribe()
    }
}
