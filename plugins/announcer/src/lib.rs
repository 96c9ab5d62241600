//! The announcer plugin: posts an announcement (a text, then an optional image or other media) to its rooms on
//! every cron tick, and to one room at once when someone there writes `!announce`. With a `greeting`, it greets
//! each person who enters a room it listens to. It logs each send's upload progress and how it ended.
//!
//! ```yaml
//! - id: announcer
//!   user_id: "@RBT#announcer"
//!   plugin: announcer
//!   listen: { rooms: [lobby], match: "^!announce" }
//!   schedules: [{ id: hourly, cron: "0 * * * *" }]
//!   config:
//!     rooms: [lobby]
//!     text: "Welcome! The hub closes at 22:00."
//!     media: assets/announcement.png   # relative to the directory zimbot runs in
//!     media_type: image
//!     greeting: "Welcome to the lobby, {user}!"   # optional
//! ```

mod config;

pub use config::AnnouncerConfig;

use zimbot_sdk::prelude::*;

/// Posts the configured announcement.
pub struct Announcer {
    config: AnnouncerConfig,
}

impl Announcer {
    /// Posts the text and then the media to one room. A refused send is logged and the rest still go out.
    async fn announce(&self, ctx: &BotContext, room: &str) {
        if let Err(refused) = ctx.send_text(&self.config.text, room, ConversationType::Room).await {
            ctx.warn(format!("announcement text to room {room} was refused: {refused}"));
        }
        if let Some(path) = &self.config.media {
            let media = MediaMessage::from_path(self.config.media_type, path);
            let sent = ctx.send_media_message(media, room, ConversationType::Room, SendConfig::default()).await;
            if let Err(refused) = sent {
                ctx.warn(format!("announcement media {} to room {room} was refused: {refused}", path.display()));
            }
        }
    }
}

#[async_trait]
impl Plugin for Announcer {
    async fn on_cron(&self, ctx: &BotContext, tick: CronTick) -> HookResult {
        ctx.info(format!("schedule '{}': announcing to {} room(s)", tick.schedule_id, self.config.rooms.len()));
        for room in &self.config.rooms {
            self.announce(ctx, room).await;
        }
        Ok(())
    }

    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        if message.text().map(str::trim) == Some("!announce") {
            ctx.info(format!(
                "{} asked for the announcement in room {}",
                message.from_user_id, message.conversation_id
            ));
            self.announce(ctx, message.conversation_id.as_str()).await;
        }
        Ok(())
    }

    async fn on_room_member_entered(&self, ctx: &BotContext, member: RoomMember) -> HookResult {
        let Some(greeting) = &self.config.greeting else {
            return Ok(());
        };
        let text = greeting.replace("{user}", member.user_id.as_str());
        let room = member.room_id.as_str();
        if let Err(refused) = ctx.send_text(&text, room, ConversationType::Room).await {
            ctx.warn(format!("greeting {} in room {room} was refused: {refused}", member.user_id));
        }
        Ok(())
    }

    async fn on_media_uploading_progress(&self, ctx: &BotContext, progress: UploadProgress) -> HookResult {
        ctx.info(format!(
            "{}: uploaded {} % ({} of {} bytes)",
            progress.local_id,
            progress.percent(),
            progress.current,
            progress.total
        ));
        Ok(())
    }

    async fn on_message_sent(&self, ctx: &BotContext, result: MessageSentResult) -> HookResult {
        ctx.info(format!(
            "{}: announced in {} {} after {} attempt(s)",
            result.local_id, result.conversation_type, result.conversation_id, result.attempts
        ));
        Ok(())
    }

    async fn on_message_send_failed(&self, ctx: &BotContext, failure: SendFailure) -> HookResult {
        ctx.warn(format!(
            "{}: announcement to {} {} failed after {} attempt(s): {}",
            failure.local_id, failure.conversation_type, failure.conversation_id, failure.attempts, failure.error
        ));
        Ok(())
    }
}

impl PluginFactory for Announcer {
    const NAME: &'static str = "announcer";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn create(init: PluginInit) -> Result<Self, PluginError> {
        let config: AnnouncerConfig = init.config()?;
        config.check()?;
        Ok(Self { config })
    }
}

#[cfg(test)]
mod tests;
