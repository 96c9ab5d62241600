//! How the hub names a conversation: a room or group by its id, a peer chat by the PAIR of its users.
//!
//! A peer conversation has one history and one seq counter whichever side writes, so its key holds both user ids,
//! sorted, while callbacks still name it by the receiving user as the service does.

use zimbot_model::ConversationType;

/// The identity of one conversation's history.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ConversationKey {
    pub(crate) kind: ConversationType,
    /// The room or group id; for a peer chat the smaller user id.
    pub(crate) first: String,
    /// Empty for rooms and groups; for a peer chat the larger user id.
    pub(crate) second: String,
}

impl ConversationKey {
    /// The peer chat between `one` and `other`, whichever wrote.
    pub(crate) fn peer(one: &str, other: &str) -> Self {
        let (first, second) = if one <= other { (one, other) } else { (other, one) };
        Self { kind: ConversationType::Peer, first: first.to_owned(), second: second.to_owned() }
    }

    /// A room or group; for `Peer` use [`ConversationKey::peer`].
    pub(crate) fn shared(kind: ConversationType, id: &str) -> Self {
        Self { kind, first: id.to_owned(), second: String::new() }
    }

    /// The key of a message from `from` to `conversation_id` of `kind` (for peers, `conversation_id` is the receiver).
    pub(crate) fn of_message(kind: ConversationType, from: &str, conversation_id: &str) -> Self {
        match kind {
            ConversationType::Peer => Self::peer(from, conversation_id),
            ConversationType::Room | ConversationType::Group => Self::shared(kind, conversation_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_chat_is_the_same_conversation_from_either_side() {
        assert_eq!(
            ConversationKey::of_message(ConversationType::Peer, "alice", "bob"),
            ConversationKey::of_message(ConversationType::Peer, "bob", "alice")
        );
    }

    #[test]
    fn rooms_and_groups_with_one_id_are_different_conversations() {
        assert_ne!(
            ConversationKey::shared(ConversationType::Room, "x"),
            ConversationKey::shared(ConversationType::Group, "x")
        );
    }
}
