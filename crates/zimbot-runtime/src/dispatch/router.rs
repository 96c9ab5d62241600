//! Which bots a received message goes to.
//!
//! Rules: a message from any bot user of this runtime goes to no bot (no reply loops). A peer message goes to
//! the bot whose user id it was sent to, if that bot's `listen.peers` accepts the sender. A room or group message
//! goes to every bot whose `listen` names that room or group (or `*`). `listen.match`, when set, must match the
//! text. Lookups are indexed by conversation, so routing cost does not grow with the number of bots.
//!
//! Membership and presence events go by the same selectors: a room's or group's event to the bots whose `listen`
//! names it, a user's presence to the bots whose `listen.peers` accepts that user; `match` does not apply (there
//! is no text), and an event caused by a bot user of this runtime (its own CreateRoom, say) goes to no bot.

use crate::config::{Listen, Selector};
use std::collections::{HashMap, HashSet};
use zimbot_model::{ConversationType, MembershipEvent, ReceivedMessage, UserId};

/// The routing table: built once from the bots' `listen` settings.
#[derive(Default)]
pub struct Router {
    listens: Vec<Listen>,
    bot_users: HashSet<UserId>,
    by_user: HashMap<UserId, usize>,
    by_conversation: HashMap<(ConversationType, String), Vec<usize>>,
    wildcard: HashMap<ConversationType, Vec<usize>>,
}

impl Router {
    /// A router over bots given as (bot user id, listen); indexes in the result refer to this order.
    pub fn new<'a>(bots: impl IntoIterator<Item = (&'a UserId, &'a Listen)>) -> Self {
        let mut router = Self::default();
        for (index, (user_id, listen)) in bots.into_iter().enumerate() {
            router.bot_users.insert(user_id.clone());
            router.by_user.insert(user_id.clone(), index);
            for (kind, selector) in [(ConversationType::Room, &listen.rooms), (ConversationType::Group, &listen.groups)]
            {
                match selector {
                    Selector::None => {}
                    Selector::All => router.wildcard.entry(kind).or_default().push(index),
                    Selector::Only(ids) => {
                        for id in ids {
                            router.by_conversation.entry((kind, id.clone())).or_default().push(index);
                        }
                    }
                }
            }
            router.listens.push(listen.clone());
        }
        router
    }

    /// Whether `user` is one of this runtime's bot users.
    pub fn is_bot_user(&self, user: &UserId) -> bool {
        self.bot_users.contains(user)
    }

    /// The bots (by index) a membership or presence `event` goes to, in bot order.
    pub fn route_membership(&self, event: &MembershipEvent) -> Vec<usize> {
        if self.is_bot_user(event.actor()) {
            return Vec::new();
        }
        let (kind, id) = match event.conversation() {
            Some((kind, id)) => (kind, id.as_str()),
            None => (ConversationType::Peer, event.actor().as_str()),
        };
        (0..self.listens.len()).filter(|index| self.listens[*index].accepts_membership(kind, id)).collect()
    }

    /// The bots (by index) `message` goes to, in bot order.
    pub fn route(&self, message: &ReceivedMessage) -> Vec<usize> {
        if self.is_bot_user(&message.from_user_id) {
            return Vec::new();
        }
        let text = message.text();
        let from = message.from_user_id.as_str();
        let conversation = message.conversation_id.as_str();
        let accepts = |index: &usize| self.listens[*index].accepts(message.conversation_type, conversation, from, text);
        match message.conversation_type {
            ConversationType::Peer => {
                let target = UserId::new(conversation);
                self.by_user.get(&target).into_iter().copied().filter(|index| accepts(index)).collect()
            }
            kind => {
                let mut targets: Vec<usize> = self
                    .by_conversation
                    .get(&(kind, conversation.to_owned()))
                    .into_iter()
                    .flatten()
                    .chain(self.wildcard.get(&kind).into_iter().flatten())
                    .copied()
                    .filter(|index| accepts(index))
                    .collect();
                targets.sort_unstable();
                targets.dedup();
                targets
            }
        }
    }
}
