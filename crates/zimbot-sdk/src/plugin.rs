//! The `Plugin` trait: the hooks a bot's code implements, and the rules the runtime follows when calling them.

use crate::BotContext;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use zimbot_abi::{BotInfo, CronTick};
use zimbot_model::{
    AttachedMessage, ConversationLifecycle, GroupMembers, MessageSentResult, Presence, ReceivedMessage, RoomMember,
    SendFailure, UploadProgress,
};

/// An error a hook or `create` returns; any error type converts into it with `?`.
pub type PluginError = Box<dyn std::error::Error + Send + Sync>;

/// What every hook returns. An `Err` is logged and counted; the bot keeps running.
pub type HookResult = Result<(), PluginError>;

/// A bot's behaviour. Every hook has a default that does nothing, so a plugin implements only what it needs.
///
/// How the runtime calls the hooks:
/// - **Inbound lane**: `on_start` first, then messages (`on_peer_message`, `on_room_message`, `on_group_message`)
///   and `on_cron` in arrival order, at most `max_concurrency` at once (default 1, i.e. strictly one after another),
///   then `on_stop` last, after the inbound lane has drained or the shutdown deadline passed.
/// - **Notification lane**: for each send the bot made, `on_message_attached`, then zero or more
///   `on_media_uploading_progress` (monotonic; the last has `current == total`), then exactly ONE of
///   `on_message_sent` or `on_message_send_failed`. This lane runs beside the inbound lane and is never blocked by
///   it, so a message hook may await its own send's result (`SendHandle::result`) without deadlock.
/// - A bot never receives messages sent by any bot user of the same runtime (no reply loops).
/// - A hook that returns `Err`, runs past `hook_timeout`, or panics is logged and counted. After a panic the
///   instance is rebuilt from its last [`Plugin::snapshot`]; after repeated panics the bot is stopped. Other bots
///   never notice. The old instance's [`BotContext`] (and every clone of it) is retired at that moment: see
///   [`BotContext`] for what calls through it do.
/// - Upload progress is coalesced: when `on_media_uploading_progress` cannot keep up, it receives the latest
///   progress of each send rather than every step. `on_message_attached`, `on_message_sent` and
///   `on_message_send_failed` are never dropped.
/// - Hooks take `&self`: hooks of one instance can run at the same time (the two lanes, or `max_concurrency` > 1),
///   so keep mutable state behind a `Mutex`.
#[async_trait]
pub trait Plugin: Send + Sync + 'static {
    /// The bot has started; runs before any other hook.
    async fn on_start(&self, _ctx: &BotContext) -> HookResult {
        Ok(())
    }

    /// A one-to-one message to this bot.
    async fn on_peer_message(&self, _ctx: &BotContext, _message: ReceivedMessage) -> HookResult {
        Ok(())
    }

    /// A message in a room the bot listens to.
    async fn on_room_message(&self, _ctx: &BotContext, _message: ReceivedMessage) -> HookResult {
        Ok(())
    }

    /// A message in a group the bot listens to.
    async fn on_group_message(&self, _ctx: &BotContext, _message: ReceivedMessage) -> HookResult {
        Ok(())
    }

    /// One of the bot's schedules fired.
    async fn on_cron(&self, _ctx: &BotContext, _tick: CronTick) -> HookResult {
        Ok(())
    }

    /// A send was accepted and queued.
    async fn on_message_attached(&self, _ctx: &BotContext, _message: AttachedMessage) -> HookResult {
        Ok(())
    }

    /// Upload progress of a media send.
    async fn on_media_uploading_progress(&self, _ctx: &BotContext, _progress: UploadProgress) -> HookResult {
        Ok(())
    }

    /// A send reached the service.
    async fn on_message_sent(&self, _ctx: &BotContext, _result: MessageSentResult) -> HookResult {
        Ok(())
    }

    /// A send failed for good.
    async fn on_message_send_failed(&self, _ctx: &BotContext, _failure: SendFailure) -> HookResult {
        Ok(())
    }

    /// Someone entered a room this bot listens to (`listen.rooms`).
    async fn on_room_member_entered(&self, _ctx: &BotContext, _member: RoomMember) -> HookResult {
        Ok(())
    }

    /// Someone left a room this bot listens to.
    async fn on_room_member_left(&self, _ctx: &BotContext, _member: RoomMember) -> HookResult {
        Ok(())
    }

    /// A room this bot listens to was created.
    async fn on_room_created(&self, _ctx: &BotContext, _room: ConversationLifecycle) -> HookResult {
        Ok(())
    }

    /// A room this bot listens to was destroyed (it stayed empty for its destroy delay); the next send to it
    /// creates it again.
    async fn on_room_destroyed(&self, _ctx: &BotContext, _room: ConversationLifecycle) -> HookResult {
        Ok(())
    }

    /// Users joined a group this bot listens to (`listen.groups`).
    async fn on_group_members_joined(&self, _ctx: &BotContext, _members: GroupMembers) -> HookResult {
        Ok(())
    }

    /// Users left a group this bot listens to.
    async fn on_group_members_left(&self, _ctx: &BotContext, _members: GroupMembers) -> HookResult {
        Ok(())
    }

    /// A group this bot listens to was created.
    async fn on_group_created(&self, _ctx: &BotContext, _group: ConversationLifecycle) -> HookResult {
        Ok(())
    }

    /// A group this bot listens to was disbanded (its last member left); its id can never be used again.
    async fn on_group_destroyed(&self, _ctx: &BotContext, _group: ConversationLifecycle) -> HookResult {
        Ok(())
    }

    /// A user this bot listens to (`listen.peers`) came online.
    async fn on_user_online(&self, _ctx: &BotContext, _presence: Presence) -> HookResult {
        Ok(())
    }

    /// A user this bot listens to logged out or lost their connection.
    async fn on_user_offline(&self, _ctx: &BotContext, _presence: Presence) -> HookResult {
        Ok(())
    }

    /// The bot is stopping; the last hook called.
    async fn on_stop(&self, _ctx: &BotContext) -> HookResult {
        Ok(())
    }

    /// State to carry over when the instance is rebuilt (after a panic or a restart); `None` keeps nothing.
    ///
    /// When it is read: after a hook that returned `Ok` (never after upload progress), at most once per second
    /// per bot — a burst of hooks gets one read at once and one trailing read a second later — and once more after
    /// `on_stop`. So a rebuild after a panic starts from the state of at most a second before the last good hook.
    /// If it panics (or the value does not encode), the host logs and counts it and keeps the last good state;
    /// it never saves "nothing" over it.
    fn snapshot(&self) -> Option<serde_json::Value> {
        None
    }
}

/// How to build a plugin: its identity and a constructor.
pub trait PluginFactory: Plugin + Sized {
    /// The plugin's name, as `zimbot check` shows it.
    const NAME: &'static str;
    /// The plugin's version.
    const VERSION: &'static str;

    /// Builds an instance for one bot. An `Err` refuses to start that bot, with this message shown.
    fn create(init: PluginInit) -> Result<Self, PluginError>;
}

/// What `create` is given.
#[derive(Debug, Clone)]
pub struct PluginInit {
    /// The bot's id, user id, name and `config:` section.
    pub bot: BotInfo,
    /// What the previous instance's `snapshot` returned, if anything.
    pub snapshot: Option<serde_json::Value>,
}

impl PluginInit {
    /// The bot's `config:` section read as `T`; the error names the bot and what did not fit.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, PluginError> {
        let config = if self.bot.config.is_null() { serde_json::json!({}) } else { self.bot.config.clone() };
        serde_json::from_value(config)
            .map_err(|error| format!("bot '{}': config does not fit the plugin: {error}", self.bot.bot_id).into())
    }

    /// The snapshot read as `T`, or `None` when there is none or it does not fit (state from another version).
    pub fn snapshot<T: DeserializeOwned>(&self) -> Option<T> {
        self.snapshot.clone().and_then(|value| serde_json::from_value(value).ok())
    }
}
