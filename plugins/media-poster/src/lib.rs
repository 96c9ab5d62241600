//! The media-poster plugin: on each cron tick, posts the next file of a folder (in name order, wrapping around)
//! to its targets. The media kind comes from the file's extension. Its position is its snapshot, so a rebuilt
//! instance goes on with the file after the last one posted.
//!
//! ```yaml
//! - id: poster
//!   user_id: "@RBT#poster"
//!   plugin: media-poster
//!   schedules: [{ id: daily, cron: "0 12 * * *" }]
//!   config:
//!     folder: assets/posts          # relative to the directory zimbot runs in
//!     targets: [{ room: lobby }, { group: team }]
//! ```

mod config;
mod folder;

pub use config::{MediaPosterConfig, Target};

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use zimbot_sdk::prelude::*;

/// Posts a folder's files one per tick.
pub struct MediaPoster {
    config: MediaPosterConfig,
    position: Mutex<Position>,
}

/// Where the poster is in its folder: its snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The name of the last file posted; the next tick posts the first name after it. Remembering the name, not an
    /// index, keeps the order right when files are added or removed in between.
    pub last_posted: Option<String>,
}

#[async_trait]
impl Plugin for MediaPoster {
    async fn on_cron(&self, ctx: &BotContext, tick: CronTick) -> HookResult {
        let names = match folder::sorted_file_names(&self.config.folder) {
            Ok(names) if names.is_empty() => {
                ctx.warn(format!("schedule '{}': {}", tick.schedule_id, folder::empty_message(&self.config.folder)));
                return Ok(());
            }
            Ok(names) => names,
            Err(problem) => {
                ctx.warn(format!("schedule '{}': {problem}", tick.schedule_id));
                return Ok(());
            }
        };
        let last = self.position.lock().map_err(|_| "position lock poisoned")?.last_posted.clone();
        let name = folder::next_after(&names, last.as_deref());
        let path = self.config.folder.join(name);
        let kind = MediaKind::from_extension(path.extension().and_then(|ext| ext.to_str()).unwrap_or_default());
        for target in &self.config.targets {
            let (to, conversation_type) = target.conversation();
            let media = MediaMessage::from_path(kind, &path);
            match ctx.send_media_message(media, to, conversation_type, SendConfig::default()).await {
                Ok(send) => {
                    ctx.info(format!("{}: posting {name} ({kind}) to {conversation_type} {to}", send.local_id()))
                }
                Err(refused) => ctx.warn(format!("{name} to {conversation_type} {to} was refused: {refused}")),
            }
        }
        // Move on even if a target refused the file, so one bad file cannot hold the whole folder back.
        self.position.lock().map_err(|_| "position lock poisoned")?.last_posted = Some(name.to_owned());
        Ok(())
    }

    async fn on_message_send_failed(&self, ctx: &BotContext, failure: SendFailure) -> HookResult {
        ctx.warn(format!(
            "{}: post to {} {} failed: {}",
            failure.local_id, failure.conversation_type, failure.conversation_id, failure.error
        ));
        Ok(())
    }

    fn snapshot(&self) -> Option<serde_json::Value> {
        let position = self.position.lock().ok()?;
        serde_json::to_value(&*position).ok()
    }
}

impl PluginFactory for MediaPoster {
    const NAME: &'static str = "media-poster";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(init: PluginInit) -> Result<Self, PluginError> {
        let config: MediaPosterConfig = init.config()?;
        config.check()?;
        let position = init.snapshot::<Position>().unwrap_or_default();
        Ok(Self { config, position: Mutex::new(position) })
    }
}

#[cfg(test)]
mod tests;
