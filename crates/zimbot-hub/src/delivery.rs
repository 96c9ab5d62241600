//! What happens to every accepted message, whichever API it came through: it is stored with the next seq of its
//! conversation, counted, published on the event stream and its callbacks are queued.
//!
//! A room message reaches only the people in the room as it is sent (the service pushes room messages to the
//! members online in the room and keeps no room history by default): they are recorded with it, and the event
//! stream and the history show it to them alone when asked on a person's behalf (`user=`).

use crate::events::LiveMessage;
use crate::message::HubMessage;
use crate::state::HubState;
use crate::store::{NewMessage, StoreError};
use zimbot_model::ConversationType;

impl HubState {
    /// Accepts `message` and returns it as stored.
    pub(crate) async fn deliver(&self, mut message: NewMessage) -> Result<HubMessage, StoreError> {
        let key = message.key();
        // Seqs are handed out by the database; holding the conversation's turn until the callbacks are queued
        // keeps two concurrent messages of one conversation from queuing their callbacks out of seq order.
        // Other conversations have turns of their own.
        let _order = self.delivery_order.turn(&key).await;
        if message.conv_type == ConversationType::Room {
            message.recipients = self.room(&message.conv_id).map(|room| room.members).unwrap_or_default();
        }
        let recipients = message.recipients.clone().into();
        let stored = self.store.insert_message(message).await?;
        self.counters.message();
        self.callbacks.enqueue(key, &stored).await;
        self.events.publish(LiveMessage { message: stored.clone(), recipients });
        Ok(stored)
    }
}
