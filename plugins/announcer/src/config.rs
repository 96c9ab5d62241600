//! The announcer's `config:` section.

use serde::Deserialize;
use std::path::PathBuf;
use zimbot_sdk::model::MediaKind;

/// What to announce and where.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnouncerConfig {
    /// The rooms each cron tick posts to.
    pub rooms: Vec<String>,
    /// The announcement's text, posted first.
    pub text: String,
    /// A file posted after the text, if any. A relative path is relative to the directory zimbot runs in.
    #[serde(default)]
    pub media: Option<PathBuf>,
    /// How the media is sent.
    #[serde(default = "image")]
    pub media_type: MediaKind,
    /// Said in a room when someone enters it (of the rooms the bot listens to); `{user}` becomes their user id.
    /// No greeting when absent.
    #[serde(default)]
    pub greeting: Option<String>,
}

fn image() -> MediaKind {
    MediaKind::Image
}

impl AnnouncerConfig {
    /// Refuses a config that could never post anything useful, saying what to change.
    pub fn check(&self) -> Result<(), String> {
        if self.rooms.is_empty() {
            return Err("config.rooms is empty: list the rooms each scheduled announcement goes to".to_owned());
        }
        if self.text.trim().is_empty() {
            return Err("config.text is empty: write the announcement's text".to_owned());
        }
        if self.greeting.as_deref().is_some_and(|greeting| greeting.trim().is_empty()) {
            return Err("config.greeting is empty: write the greeting, or remove `greeting` to greet nobody".to_owned());
        }
        if let Some(media) = &self.media {
            if !media.is_file() {
                let here = std::env::current_dir().map(|dir| dir.display().to_string()).unwrap_or_default();
                return Err(format!(
                    "config.media '{}' is not a file (relative paths are read from the working directory, {here}); \
                     fix the path or remove `media`",
                    media.display()
                ));
            }
        }
        Ok(())
    }
}
