//! One ordering lock per conversation, so the messages of one conversation queue their callbacks in seq order
//! while different conversations are stored and delivered side by side (a slow write in one never holds up
//! another).

use crate::conversation::ConversationKey;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use tokio::sync::OwnedMutexGuard;

/// Conversations with more entries than this trigger a sweep of the unused ones.
const SWEEP_AT: usize = 1024;

/// The per-conversation locks; an entry lives only while someone holds or waits for its lock.
#[derive(Debug, Default)]
pub(crate) struct DeliveryOrder {
    locks: Mutex<HashMap<ConversationKey, Weak<tokio::sync::Mutex<()>>>>,
}

impl DeliveryOrder {
    /// Waits for `key`'s turn; the turn lasts as long as the guard.
    pub(crate) async fn turn(&self, key: &ConversationKey) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock();
            if locks.len() > SWEEP_AT {
                locks.retain(|_, lock| lock.strong_count() > 0);
            }
            match locks.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(tokio::sync::Mutex::new(()));
                    locks.insert(key.clone(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zimbot_model::ConversationType;

    fn room(id: &str) -> ConversationKey {
        ConversationKey { kind: ConversationType::Room, first: id.to_owned(), second: String::new() }
    }

    #[tokio::test]
    async fn another_conversation_does_not_wait_for_a_held_one() {
        let order = DeliveryOrder::default();
        let _lobby = order.turn(&room("lobby")).await;
        let other = tokio::time::timeout(std::time::Duration::from_secs(5), order.turn(&room("other"))).await;
        assert!(other.is_ok());
    }

    #[tokio::test]
    async fn the_same_conversation_waits_for_its_turn() {
        let order = DeliveryOrder::default();
        let key = room("lobby");
        let lobby = order.turn(&key).await;
        let mut second = Box::pin(order.turn(&key));
        assert!(futures::poll!(&mut second).is_pending());
        drop(lobby);
        second.await;
    }
}
