//! Which inbound messages a bot receives: conversations by kind and id, and an optional text pattern.

use regex::Regex;
use std::collections::BTreeSet;
use zimbot_model::ConversationType;

/// Which ids of one conversation kind a bot listens to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Selector {
    /// None of them.
    #[default]
    None,
    /// All of them (`"*"`).
    All,
    /// Exactly these.
    Only(BTreeSet<String>),
}

impl Selector {
    /// The selector a bots.yaml list means: empty is none, any `"*"` is all, otherwise exactly the ids.
    pub fn from_ids<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> Self {
        let ids: BTreeSet<String> = ids.into_iter().map(Into::into).collect();
        if ids.is_empty() {
            Selector::None
        } else if ids.contains("*") {
            Selector::All
        } else {
            Selector::Only(ids)
        }
    }

    /// Whether `id` is selected.
    pub fn matches(&self, id: &str) -> bool {
        match self {
            Selector::None => false,
            Selector::All => true,
            Selector::Only(ids) => ids.contains(id),
        }
    }

    /// Whether nothing is selected.
    pub fn is_none(&self) -> bool {
        matches!(self, Selector::None)
    }

    fn describe(&self) -> Option<String> {
        match self {
            Selector::None => None,
            Selector::All => Some("*".to_owned()),
            Selector::Only(ids) => Some(ids.iter().map(String::as_str).collect::<Vec<_>>().join(", ")),
        }
    }
}

/// A bot's inbound filter. A message passes when its conversation is selected and, if there is a pattern,
/// it is a text message whose text matches it.
#[derive(Debug, Clone, Default)]
pub struct Listen {
    /// One-to-one messages to the bot, selected by sender.
    pub peers: Selector,
    pub rooms: Selector,
    pub groups: Selector,
    /// The `match:` regex on a text message's text.
    pub pattern: Option<Regex>,
}

impl Listen {
    /// Whether a message passes the filter. For a peer message the conversation is the bot itself, so the
    /// sender `from_user` is checked against `peers`; for rooms and groups `conversation_id` is checked.
    /// `text` is the text of a text message and `None` for any other message.
    pub fn accepts(&self, kind: ConversationType, conversation_id: &str, from_user: &str, text: Option<&str>) -> bool {
        let selected = match kind {
            ConversationType::Peer => self.peers.matches(from_user),
            ConversationType::Room => self.rooms.matches(conversation_id),
            ConversationType::Group => self.groups.matches(conversation_id),
        };
        selected
            && match (&self.pattern, text) {
                (None, _) => true,
                (Some(pattern), Some(text)) => pattern.is_match(text),
                (Some(_), None) => false,
            }
    }

    /// Whether a membership or presence event of `kind` about `conversation_id` (for `Peer`: the user whose
    /// presence changed) is for this bot: the same conversation selectors as messages; `match` does not apply, as
    /// these events carry no text.
    pub fn accepts_membership(&self, kind: ConversationType, conversation_id: &str) -> bool {
        match kind {
            ConversationType::Peer => self.peers.matches(conversation_id),
            ConversationType::Room => self.rooms.matches(conversation_id),
            ConversationType::Group => self.groups.matches(conversation_id),
        }
    }

    /// Whether no conversation at all is selected (a bot that only runs on schedules).
    pub fn is_empty(&self) -> bool {
        self.peers.is_none() && self.rooms.is_none() && self.groups.is_none()
    }

    /// One line for `zimbot check`, e.g. `rooms lobby; peers *; match ^!announce`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = [("rooms", &self.rooms), ("groups", &self.groups), ("peers", &self.peers)]
            .into_iter()
            .filter_map(|(name, selector)| selector.describe().map(|ids| format!("{name} {ids}")))
            .collect();
        if parts.is_empty() {
            parts.push("no conversations".to_owned());
        }
        if let Some(pattern) = &self.pattern {
            parts.push(format!("match {}", pattern.as_str()));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(peers: &[&str], rooms: &[&str], groups: &[&str], pattern: Option<&str>) -> Listen {
        Listen {
            peers: Selector::from_ids(peers.iter().copied()),
            rooms: Selector::from_ids(rooms.iter().copied()),
            groups: Selector::from_ids(groups.iter().copied()),
            pattern: pattern.map(|pattern| Regex::new(pattern).unwrap()),
        }
    }

    #[test]
    fn a_peer_message_is_selected_by_its_sender() {
        let filter = listen(&["alice"], &[], &[], None);
        assert!(filter.accepts(ConversationType::Peer, "@RBT#echo", "alice", Some("hi")));
        assert!(!filter.accepts(ConversationType::Peer, "@RBT#echo", "bob", Some("hi")));
    }

    #[test]
    fn a_peer_message_is_not_selected_by_its_conversation_id() {
        let filter = listen(&["@RBT#echo"], &[], &[], None);
        assert!(!filter.accepts(ConversationType::Peer, "@RBT#echo", "alice", None));
    }

    #[test]
    fn room_and_group_messages_are_selected_by_conversation_id() {
        let filter = listen(&[], &["lobby"], &["team"], None);
        assert!(filter.accepts(ConversationType::Room, "lobby", "alice", None));
        assert!(!filter.accepts(ConversationType::Room, "hall", "alice", None));
        assert!(filter.accepts(ConversationType::Group, "team", "alice", None));
        assert!(!filter.accepts(ConversationType::Group, "lobby", "alice", None));
    }

    #[test]
    fn star_selects_every_id_of_that_kind_only() {
        let filter = listen(&[], &["*"], &[], None);
        assert!(filter.accepts(ConversationType::Room, "anything", "alice", None));
        assert!(!filter.accepts(ConversationType::Group, "anything", "alice", None));
        assert!(!filter.accepts(ConversationType::Peer, "@RBT#echo", "alice", None));
    }

    #[test]
    fn star_among_ids_selects_all() {
        assert_eq!(Selector::from_ids(["lobby", "*"]), Selector::All);
    }

    #[test]
    fn a_pattern_must_match_the_text() {
        let filter = listen(&["*"], &[], &[], Some("^!announce"));
        assert!(filter.accepts(ConversationType::Peer, "@RBT#a", "alice", Some("!announce now")));
        assert!(!filter.accepts(ConversationType::Peer, "@RBT#a", "alice", Some("say !announce")));
    }

    #[test]
    fn with_a_pattern_non_text_messages_do_not_pass() {
        let filter = listen(&["*"], &[], &[], Some(".*"));
        assert!(!filter.accepts(ConversationType::Peer, "@RBT#a", "alice", None));
    }

    #[test]
    fn without_a_pattern_non_text_messages_pass() {
        let filter = listen(&["*"], &[], &[], None);
        assert!(filter.accepts(ConversationType::Peer, "@RBT#a", "alice", None));
    }

    #[test]
    fn an_empty_filter_accepts_nothing() {
        let filter = Listen::default();
        assert!(filter.is_empty());
        for kind in ConversationType::ALL {
            assert!(!filter.accepts(kind, "x", "alice", Some("hi")));
        }
    }

    #[test]
    fn describe_lists_rooms_groups_peers_and_the_pattern() {
        let filter = listen(&["*"], &["lobby", "hall"], &[], Some("^!announce"));
        assert_eq!(filter.describe(), "rooms hall, lobby; peers *; match ^!announce");
    }

    #[test]
    fn describe_says_when_nothing_is_selected() {
        assert_eq!(Listen::default().describe(), "no conversations");
    }
}
