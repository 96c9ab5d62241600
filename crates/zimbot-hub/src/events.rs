//! The live feed of accepted messages that `GET /client/v1/events` streams to chat pages and tests.

use crate::message::HubMessage;
use tokio::sync::broadcast;

/// How many messages a slow subscriber may fall behind before it is told it lagged.
const BACKLOG: usize = 1024;

/// Fans every accepted message out to the current subscribers; nobody listening is fine.
#[derive(Debug, Clone)]
pub(crate) struct EventBus {
    sender: broadcast::Sender<HubMessage>,
}

impl EventBus {
    pub(crate) fn new() -> Self {
        Self { sender: broadcast::channel(BACKLOG).0 }
    }

    pub(crate) fn publish(&self, message: HubMessage) {
        // An error only means there is no subscriber right now.
        let _ = self.sender.send(message);
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<HubMessage> {
        self.sender.subscribe()
    }
}
