//! The Server API actions the hub serves, read from `?Action=` by the hub itself.

use serde::{Deserialize, Serialize};

/// One action of the Server API, named as in `?Action=` and in the published OpenAPI file's `summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ServerAction {
    SendPeerMessage,
    SendRoomMessage,
    SendGroupMessage,
    RobotRegister,
    UserRegister,
    CreateRoom,
    CreateGroup,
    /// "Add group members" in the documentation.
    InviteUsersIntoGroup,
}

impl ServerAction {
    /// Every action the hub serves.
    pub const ALL: [ServerAction; 8] = [
        Self::SendPeerMessage,
        Self::SendRoomMessage,
        Self::SendGroupMessage,
        Self::RobotRegister,
        Self::UserRegister,
        Self::CreateRoom,
        Self::CreateGroup,
        Self::InviteUsersIntoGroup,
    ];

    /// The name in `?Action=`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SendPeerMessage => "SendPeerMessage",
            Self::SendRoomMessage => "SendRoomMessage",
            Self::SendGroupMessage => "SendGroupMessage",
            Self::RobotRegister => "RobotRegister",
            Self::UserRegister => "UserRegister",
            Self::CreateRoom => "CreateRoom",
            Self::CreateGroup => "CreateGroup",
            Self::InviteUsersIntoGroup => "InviteUsersIntoGroup",
        }
    }

    /// The action called `name`, if the hub serves it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.name() == name)
    }

    /// The documented per-app limit in requests per second, if the app has one for this action.
    /// `InviteUsersIntoGroup` has none per app: it is limited per group (1/s), which the hub counts separately.
    pub fn app_limit(self) -> Option<u32> {
        match self {
            Self::SendPeerMessage | Self::RobotRegister | Self::UserRegister | Self::CreateRoom | Self::CreateGroup => {
                Some(20)
            }
            Self::SendRoomMessage | Self::SendGroupMessage => Some(10),
            Self::InviteUsersIntoGroup => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_name() {
        for action in ServerAction::ALL {
            assert_eq!(ServerAction::from_name(action.name()), Some(action));
        }
    }

    #[test]
    fn every_action_is_an_action_of_the_published_contract() {
        let contract = zimbot_contract::Contract::published().expect("the contract loads");
        for action in ServerAction::ALL {
            assert!(contract.action(action.name()).is_some(), "{} is not in spec/zim-server-api", action.name());
        }
    }
}
