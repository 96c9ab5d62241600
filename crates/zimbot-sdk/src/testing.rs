//! Unit-test a plugin without the runtime, on virtual time (feature `testing`).
//!
//! A [`TestBot`] builds the plugin through the same C ABI the runtime uses (`descriptor::<P>(true)`, then
//! `create` and `on_event`) with a fake host of its own, so a test exercises the real glue: JSON events, the
//! `BotContext` vtable calls and the SDK's panic guard. Everything runs on one thread, deterministically: each
//! call runs the plugin until it has nothing left to do, then returns.
//!
//! - Feed a message or a cron tick ([`TestBot::room_message`], [`TestBot::cron`], ...); the call returns how the
//!   hook ended.
//! - Read the sends it made ([`TestBot::sends`]); nothing is really sent. Drive each send's life back into the
//!   plugin ([`TestBot::attached`], [`TestBot::progress`], [`TestBot::sent`], [`TestBot::failed`]); `sent` and
//!   `failed` also answer any `SendHandle::result()` waiting for that send.
//! - Read what it logged ([`TestBot::logs`], [`TestBot::logged`]).
//! - Move virtual time ([`TestBot::advance`]): `ctx.sleep` ends only then; `ctx.now_ms()` reads it. Schedules
//!   added with [`TestBot::schedule`] fire `on_cron` as `advance` passes their fire times, read by `zimbot-cron`
//!   exactly as the runtime reads a bot's `schedules:` (the clock starts at 2026-01-01T00:00:00Z, a Thursday).
//! - Carry state over a rebuild ([`TestBot::restart`], through the plugin's `snapshot`).
//! - The bot's store (`ctx.store()`) is kept in memory with the runtime's limits and errors, and outlives
//!   `restart`: inspect it ([`TestBot::stored`]), seed what an older plugin version wrote
//!   ([`TestBot::put_stored`]), and make it fail as an unusable database does ([`TestBot::set_store_unavailable`]).
//!
//! A hook that waits for time or a send result returns [`HookError::Pending`] and keeps running; the call that
//! provides what it waited for lets it finish.
//!
//! ```
//! use zimbot_sdk::prelude::*;
//! use zimbot_sdk::testing::TestBot;
//!
//! struct Greeter;
//!
//! #[async_trait]
//! impl Plugin for Greeter {
//!     async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
//!         let sent = ctx.reply_text(&message, "hello").await?;
//!         match sent.result().await {
//!             Ok(result) => ctx.info(format!("greeted as {:?}", result.message_id)),
//!             Err(failure) => ctx.warn(format!("greeting failed: {}", failure.error.message)),
//!         }
//!         Ok(())
//!     }
//! }
//!
//! impl PluginFactory for Greeter {
//!     const NAME: &'static str = "greeter";
//!     const VERSION: &'static str = "1.0.0";
//!     fn create(_init: PluginInit) -> Result<Self, PluginError> {
//!         Ok(Greeter)
//!     }
//! }
//!
//! let mut bot = TestBot::<Greeter>::start(serde_json::json!({})).unwrap();
//! // The hook sends, then waits for the result the test has not given yet.
//! assert_eq!(bot.room_message("lobby", "alice", "hi"), Err(zimbot_sdk::testing::HookError::Pending));
//! let greeting = &bot.sends()[0];
//! assert_eq!((greeting.text(), greeting.to()), (Some("hello"), ("lobby", ConversationType::Room)));
//! bot.sent(greeting.local_id).unwrap();
//! assert!(bot.logged("greeted as"));
//! ```

mod events;
mod host;
mod records;
mod schedules;
mod send_life;
mod store;
mod virtual_time;

pub use records::{received, HookError, LogLine, TestSend};

use crate::{descriptor, PluginFactory};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt as _;
use futures::FutureExt as _;
use host::{FakeHost, START_MS};
use parking_lot::Mutex;
use schedules::Schedules;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use zimbot_abi::store::{Revision, StoredEntry};
use zimbot_abi::{
    BotInfo, BytesRef, CronTick, Event, HookReply, HostContext, LogLevel, PluginDescriptor, PluginInstance,
};
use zimbot_model::UserId;

/// The bot id every harness bot has unless [`bot_info`] is changed.
pub const TEST_BOT_ID: &str = "test-bot";
/// The bot's user id: where peer messages to it are addressed.
pub const TEST_BOT_USER: &str = "@RBT#test-bot";

/// The bot info a [`TestBot`] is created with: id [`TEST_BOT_ID`], user [`TEST_BOT_USER`], and `config`.
pub fn bot_info(config: serde_json::Value) -> BotInfo {
    BotInfo {
        bot_id: TEST_BOT_ID.into(),
        user_id: UserId::new(TEST_BOT_USER),
        name: TEST_BOT_ID.to_owned(),
        plugin: "test".to_owned(),
        config,
    }
}

/// One plugin instance on a fake host. See the module docs.
pub struct TestBot<P: PluginFactory> {
    descriptor: PluginDescriptor,
    bot: BotInfo,
    host: Arc<FakeHost>,
    /// The instance's context; retired when the bot is dropped (or restarted).
    context: *const HostContext,
    instance: *mut PluginInstance,
    pool: LocalPool,
    next_message: u64,
    schedules: Schedules,
    /// The ticks `advance` fired, in order.
    ticks: Vec<CronTick>,
    plugin: PhantomData<fn() -> P>,
}

/// How a hook run on the executor ended, or that it has not yet.
enum HookSlot {
    Running,
    /// The call that started it returned `Pending`; its end goes to the log.
    Detached,
    Ended(Result<(), HookError>),
}

impl<P: PluginFactory> TestBot<P> {
    /// Creates the plugin for a bot with this `config:` and runs `on_start`. The error is `create`'s own message
    /// (the one the runtime would show) or how `on_start` failed.
    pub fn start(config: serde_json::Value) -> Result<Self, String> {
        let mut bot = Self::create(bot_info(config), None)?;
        bot.run(Event::Start).map_err(|error| format!("on_start: {error}"))?;
        Ok(bot)
    }

    /// Creates the plugin through the C ABI without running any hook; `snapshot` is what a previous instance's
    /// `snapshot` returned.
    pub fn create(bot: BotInfo, snapshot: Option<serde_json::Value>) -> Result<Self, String> {
        Self::create_at(bot, snapshot, START_MS)
    }

    fn create_at(bot: BotInfo, snapshot: Option<serde_json::Value>, now_ms: i64) -> Result<Self, String> {
        let descriptor = descriptor::<P>(true);
        let host = FakeHost::new(now_ms);
        host.book().plugin_version = P::VERSION.to_owned();
        let bot_json = serde_json::to_vec(&bot).map_err(|error| format!("the bot info does not encode: {error}"))?;
        let snapshot_json = match &snapshot {
            Some(value) => {
                serde_json::to_vec(value).map_err(|error| format!("the snapshot does not encode: {error}"))?
            }
            None => Vec::new(),
        };
        let api = host.api();
        // SAFETY: the descriptor is this crate's own; the buffers live for the call.
        let created = unsafe { (descriptor.create)(api, BytesRef::new(&bot_json), BytesRef::new(&snapshot_json)) };
        if created.instance.is_null() {
            FakeHost::retire(api.context);
            return Err(String::from_utf8_lossy(created.error.as_slice()).into_owned());
        }
        let instance = created.instance;
        Ok(Self {
            descriptor,
            bot,
            host,
            context: api.context,
            instance,
            pool: LocalPool::new(),
            next_message: 0,
            schedules: Schedules::default(),
            ticks: Vec::new(),
            plugin: PhantomData,
        })
    }

    /// Stops this instance (`on_stop`, then destroy) and builds a new one from its snapshot, as the runtime does
    /// after a panic; then runs `on_start`. Virtual time and schedules carry over; sends, logs and fired ticks
    /// start empty.
    pub fn restart(mut self) -> Result<Self, String> {
        let snapshot = self.snapshot();
        let now_ms = self.now_ms();
        self.stop().map_err(|error| format!("on_stop: {error}"))?;
        let bot = self.bot.clone();
        let schedules = std::mem::take(&mut self.schedules);
        let store = std::mem::take(&mut self.host.book().store);
        drop(self);
        let snapshot = Some(snapshot).filter(|value| !value.is_null());
        let mut bot = Self::create_at(bot, snapshot, now_ms)?;
        bot.schedules = schedules;
        bot.host.book().store = store;
        bot.run(Event::Start).map_err(|error| format!("on_start: {error}"))?;
        Ok(bot)
    }

    /// What the bot's store holds under `key` (value, writer's plugin version, revision).
    pub fn stored(&self, key: &str) -> Option<StoredEntry> {
        self.host.book().store.entry(key)
    }

    /// Puts `value` under `key` as if a plugin of `plugin_version` had stored it: to test how a new version
    /// migrates what an older one left.
    pub fn put_stored(&mut self, key: &str, value: serde_json::Value, plugin_version: &str) -> Revision {
        self.host.book().store.write(key.to_owned(), value, plugin_version)
    }

    /// Makes every store call fail with `storage_unavailable` (as a read-only or full database does in the
    /// runtime) until called again with `false`.
    pub fn set_store_unavailable(&mut self, unavailable: bool) {
        self.host.book().store.unavailable = unavailable;
    }

    /// Everything the plugin logged, in order.
    pub fn logs(&self) -> Vec<LogLine> {
        self.host.book().logs.clone()
    }

    /// Whether some log line contains `text`.
    pub fn logged(&self, text: &str) -> bool {
        self.host.book().logs.iter().any(|line| line.message.contains(text))
    }

    /// The plugin's snapshot, as the runtime would store it (`null` when it keeps none, and when its `snapshot`
    /// panicked: the runtime would then keep the previous one).
    pub fn snapshot(&self) -> serde_json::Value {
        // SAFETY: the instance is alive until drop.
        let buffer = unsafe { (self.descriptor.snapshot)(self.instance) };
        serde_json::from_slice(buffer.as_slice()).unwrap_or(serde_json::Value::Null)
    }

    /// Starts the hook for `event` and runs the plugin until it is idle; see [`HookError::Pending`].
    pub(super) fn run(&mut self, event: Event) -> Result<(), HookError> {
        let hook = event.hook_name();
        let bytes = serde_json::to_vec(&event)
            .map_err(|error| HookError::Failed(format!("the harness could not encode the event: {error}")))?;
        // SAFETY: the instance is alive, and every future of it lives in `self.pool`, dropped before destroy.
        let call = unsafe { (self.descriptor.on_event)(self.instance, BytesRef::new(&bytes)) };
        let slot = Arc::new(Mutex::new(HookSlot::Running));
        let (host, report) = (Arc::clone(&self.host), Arc::clone(&slot));
        let task = async move {
            let ended = match AssertUnwindSafe(call).catch_unwind().await {
                Err(_) => Err(HookError::Panicked("the hook panicked outside the SDK's guard".to_owned())),
                Ok(reply) => match serde_json::from_slice::<HookReply>(reply.as_slice()) {
                    Ok(reply) => hook_ended(reply),
                    Err(_) => Err(HookError::Failed("unreadable hook reply".to_owned())),
                },
            };
            let mut slot = report.lock();
            match (&*slot, ended) {
                (HookSlot::Detached, Err(error)) => {
                    let message = format!("[test harness] {hook}, which had been pending, ended: {error}");
                    host.book().logs.push(LogLine { level: LogLevel::ERROR, message });
                }
                (HookSlot::Detached, Ok(())) => {}
                (_, ended) => *slot = HookSlot::Ended(ended),
            }
        };
        if let Err(error) = self.pool.spawner().spawn_local(task) {
            return Err(HookError::Failed(format!("the harness could not run the hook: {error}")));
        }
        self.run_until_idle();
        let mut slot = slot.lock();
        match std::mem::replace(&mut *slot, HookSlot::Detached) {
            HookSlot::Ended(ended) => ended,
            HookSlot::Running | HookSlot::Detached => Err(HookError::Pending),
        }
    }

    /// Runs hooks and spawned tasks until every one of them waits for something only the test can give.
    pub(super) fn run_until_idle(&mut self) {
        loop {
            self.pool.run_until_stalled();
            let spawned = std::mem::take(&mut self.host.book().spawned);
            if spawned.is_empty() {
                return;
            }
            for task in spawned {
                let host = Arc::clone(&self.host);
                let guarded = async move {
                    if AssertUnwindSafe(task).catch_unwind().await.is_err() {
                        let message = "[test harness] a task the plugin spawned panicked".to_owned();
                        host.book().logs.push(LogLine { level: LogLevel::ERROR, message });
                    }
                };
                if self.pool.spawner().spawn_local(guarded).is_err() {
                    return;
                }
            }
        }
    }
}

impl<P: PluginFactory> Drop for TestBot<P> {
    fn drop(&mut self) {
        // Every hook future and spawned task must be gone before the instance is destroyed (descriptor contract).
        drop(std::mem::replace(&mut self.pool, LocalPool::new()));
        FakeHost::retire(self.context);
        // SAFETY: created by `create`, destroyed once, with no future of it left.
        unsafe { (self.descriptor.destroy)(self.instance) }
    }
}

#[cfg(test)]
mod tests;

/// How a hook's reply ends it for the test (a batch: its first failure, or ok).
fn hook_ended(reply: HookReply) -> Result<(), HookError> {
    match reply {
        HookReply::Ok => Ok(()),
        HookReply::Error { message } => Err(HookError::Failed(message)),
        HookReply::Panicked { message } => Err(HookError::Panicked(message)),
        HookReply::Unsupported => Err(HookError::Unsupported),
        HookReply::Batch { replies } => replies.into_iter().map(hook_ended).find(Result::is_err).unwrap_or(Ok(())),
        HookReply::Unknown => Err(HookError::Failed("unreadable hook reply".to_owned())),
    }
}
