//! What happens to every accepted message, whichever API it came through: it is stored with the next seq of its
//! conversation, counted, published on the event stream and its callbacks are queued.

use crate::message::HubMessage;
use crate::state::HubState;
use crate::store::{NewMessage, StoreError};

impl HubState {
    /// Accepts `message` and returns it as stored.
    pub(crate) async fn deliver(&self, message: NewMessage) -> Result<HubMessage, StoreError> {
        let key = message.key();
        // Seqs are handed out by the database; holding the conversation's turn until the callbacks are queued
        // keeps two concurrent messages of one conversation from queuing their callbacks out of seq order.
        // Other conversations have turns of their own.
        let _order = self.delivery_order.turn(&key).await;
        let stored = self.store.insert_message(message).await?;
        self.counters.message();
        self.callbacks.enqueue(key, &stored).await;
        self.events.publish(stored.clone());
        Ok(stored)
    }
}
