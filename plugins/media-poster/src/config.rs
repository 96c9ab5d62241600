//! The media-poster's `config:` section.

use serde::Deserialize;
use std::path::PathBuf;
use zimbot_sdk::model::ConversationType;

/// Which folder to post from and where to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaPosterConfig {
    /// The folder whose files are posted in name order. A relative path is relative to the directory zimbot runs in.
    pub folder: PathBuf,
    /// Where each file goes.
    pub targets: Vec<Target>,
}

/// One destination, written `{ room: lobby }`, `{ group: team }` or `{ peer: alice }`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    Room(String),
    Group(String),
    Peer(String),
}

impl Target {
    /// The conversation id and type to send to.
    pub fn conversation(&self) -> (&str, ConversationType) {
        match self {
            Self::Room(id) => (id, ConversationType::Room),
            Self::Group(id) => (id, ConversationType::Group),
            Self::Peer(id) => (id, ConversationType::Peer),
        }
    }
}

impl MediaPosterConfig {
    /// Refuses a config that names nowhere to post. A missing folder is not refused: it may be filled later, and
    /// each tick says so in the log until it is.
    pub fn check(&self) -> Result<(), String> {
        if self.targets.is_empty() {
            return Err("config.targets is empty: add at least one, e.g. targets: [{ room: lobby }]".to_owned());
        }
        Ok(())
    }
}
