//! Conversations and the ids that name users, bots and conversations.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest user, bot or conversation id the service accepts, in bytes.
pub const MAX_ID_BYTES: usize = 32;

/// The characters besides ASCII letters and digits that the send actions (`SendPeerMessage`, `SendRoomMessage`,
/// `SendGroupMessage`: `FromUserId`, `ToUserId`, `RoomId`, `GroupId`) and `UserRegister` accept in ids, as their
/// pages list them. Other actions list other sets (CreateRoom adds `,` and lacks `}|~`; CreateGroup lacks the space
/// and `-`); zimbot does not call those.
pub const SEND_ID_PUNCTUATION: &str = "!#$%&()+-:;<=.>?@[]^_ {}|~";

/// The kind of conversation a message belongs to. On the wire: peer 0, room 1, group 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationType {
    /// A one-to-one chat; the conversation id is the other user's id.
    Peer,
    /// A room: transient membership, no offline history for members who left.
    Room,
    /// A group: persistent membership.
    Group,
}

impl ConversationType {
    /// All kinds, in wire order.
    pub const ALL: [ConversationType; 3] = [Self::Peer, Self::Room, Self::Group];

    /// The number the Server API and callbacks use.
    pub fn code(self) -> u8 {
        match self {
            Self::Peer => 0,
            Self::Room => 1,
            Self::Group => 2,
        }
    }

    /// The kind for a wire number, if it is one.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::Peer),
            1 => Some(Self::Room),
            2 => Some(Self::Group),
            _ => None,
        }
    }

    /// The lowercase name used in bots.yaml and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Peer => "peer",
            Self::Room => "room",
            Self::Group => "group",
        }
    }
}

impl fmt::Display for ConversationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ConversationType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "peer" => Ok(Self::Peer),
            "room" => Ok(Self::Room),
            "group" => Ok(Self::Group),
            other => Err(format!("unknown conversation type '{other}' (expected peer, room or group)")),
        }
    }
}

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("the {what} is empty")]
    Empty { what: &'static str },
    #[error("the {what} '{id}' is {len} bytes long; the service allows at most {MAX_ID_BYTES}")]
    TooLong { what: &'static str, id: String, len: usize },
    #[error(
        "the {what} '{id}' has {character:?} at byte {at}; the service takes only ASCII letters, digits and \
         {SEND_ID_PUNCTUATION:?} in ids"
    )]
    Character { what: &'static str, id: String, character: char, at: usize },
}

/// Checks the service's length rules: non-empty and at most [`MAX_ID_BYTES`] bytes.
fn check_id(what: &'static str, id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty { what });
    }
    if id.len() > MAX_ID_BYTES {
        return Err(IdError::TooLong { what, id: id.to_owned(), len: id.len() });
    }
    Ok(())
}

/// Checks the length rules and the send actions' character set ([`SEND_ID_PUNCTUATION`]).
fn check_zim_id(what: &'static str, id: &str) -> Result<(), IdError> {
    check_id(what, id)?;
    let refused = id.char_indices().find(|(_, c)| !c.is_ascii_alphanumeric() && !SEND_ID_PUNCTUATION.contains(*c));
    match refused {
        Some((at, character)) => Err(IdError::Character { what, id: id.to_owned(), character, at }),
        None => Ok(()),
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string without checking it; see [`Self::validate`].
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Checks the id rules: non-empty, at most 32 bytes, and for ids the service sees, only the characters
            /// its send actions accept.
            pub fn validate(&self) -> Result<(), IdError> {
                $check($what, &self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

string_id!(
    /// A ZIM user id. Bot users start with `@RBT#`.
    UserId,
    "user id",
    check_zim_id
);
string_id!(
    /// The id of a room, a group, or (for peer chats) the other user.
    ConversationId,
    "conversation id",
    check_zim_id
);
string_id!(
    /// The id a bot has in bots.yaml (not its ZIM user id).
    BotId,
    "bot id",
    check_id
);

impl UserId {
    /// The prefix the service requires for bot users.
    pub const BOT_PREFIX: &'static str = "@RBT#";

    /// Whether this is a bot user id (starts with `@RBT#`).
    pub fn is_bot(&self) -> bool {
        self.0.starts_with(Self::BOT_PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_type_wire_codes_round_trip() {
        for kind in ConversationType::ALL {
            assert_eq!(ConversationType::from_code(kind.code().into()), Some(kind));
        }
        assert_eq!(ConversationType::from_code(3), None);
    }

    #[test]
    fn ids_longer_than_32_bytes_are_rejected() {
        assert!(UserId::new("a".repeat(32)).validate().is_ok());
        let err = UserId::new("a".repeat(33)).validate().unwrap_err();
        assert!(err.to_string().contains("33 bytes"), "{err}");
        assert_eq!(ConversationId::new("").validate(), Err(IdError::Empty { what: "conversation id" }));
    }

    #[test]
    fn ids_with_every_documented_character_are_accepted() {
        assert!(UserId::from("@RBT#a-b_c.d").validate().is_ok());
        assert!(ConversationId::from("Room 1 (test) {x}|~^[]").validate().is_ok());
        assert!(ConversationId::from("!#$%&()+-:;<=.>?@").validate().is_ok());
    }

    #[test]
    fn an_id_with_a_character_the_service_refuses_is_named_with_its_place() {
        let error = ConversationId::from("lobby/1").validate().unwrap_err();
        assert_eq!(error, IdError::Character { what: "conversation id", id: "lobby/1".into(), character: '/', at: 5 });
        assert!(error.to_string().contains("'/'"), "{error}");
        for id in ["caf\u{e9}", "a,b", "a*b", "a\"b", "a'b", "tab\there"] {
            assert!(UserId::from(id).validate().is_err(), "{id}");
        }
    }

    #[test]
    fn bot_ids_in_bots_yaml_are_not_held_to_the_services_characters() {
        assert!(BotId::from("media/poster").validate().is_ok());
    }

    #[test]
    fn bot_users_are_recognised_by_prefix() {
        assert!(UserId::from("@RBT#echo").is_bot());
        assert!(!UserId::from("alice").is_bot());
    }
}
