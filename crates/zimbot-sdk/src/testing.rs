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

mod host;
mod records;
mod schedules;
mod store;

pub use records::{received, HookError, LogLine, TestSend};

use crate::{descriptor, PluginFactory};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt as _;
use futures::FutureExt as _;
use host::{FakeHost, SendState, START_MS};
use parking_lot::Mutex;
use schedules::Schedules;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use zimbot_abi::store::{Revision, StoredEntry};
use zimbot_abi::{
    BotInfo, BytesRef, CronTick, Event, HookReply, HostContext, LogLevel, PluginDescriptor, PluginInstance, SendOutcome,
};
use zimbot_model::{
    AttachedMessage, ConversationId, ConversationType, LocalMessageId, MediaKind, MembershipEvent, MessageContent,
    MessageSentResult, OutgoingMessage, ReceivedMessage, RoomMember, SendFailure, SendRejected, UploadProgress, UserId,
    ZimError,
};

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

    /// A room message from `from`, to `on_room_message`.
    pub fn room_message(&mut self, room: &str, from: &str, text: &str) -> Result<(), HookError> {
        self.message(received(ConversationType::Room, room, from, MessageContent::Text { text: text.to_owned() }))
    }

    /// A group message from `from`, to `on_group_message`.
    pub fn group_message(&mut self, group: &str, from: &str, text: &str) -> Result<(), HookError> {
        self.message(received(ConversationType::Group, group, from, MessageContent::Text { text: text.to_owned() }))
    }

    /// A one-to-one message from `from` to this bot, to `on_peer_message`.
    pub fn peer_message(&mut self, from: &str, text: &str) -> Result<(), HookError> {
        let text = MessageContent::Text { text: text.to_owned() };
        self.message(received(ConversationType::Peer, self.bot.user_id.as_str(), from, text))
    }

    /// Any received message (media, for example; see [`received`]). An empty `message_id` is filled in, and a
    /// zero timestamp becomes the virtual clock's time.
    pub fn message(&mut self, mut message: ReceivedMessage) -> Result<(), HookError> {
        self.next_message += 1;
        if message.message_id.is_empty() {
            message.message_id = format!("test-message-{}", self.next_message);
            message.seq = self.next_message;
        }
        if message.timestamp_ms == 0 {
            message.timestamp_ms = self.now_ms();
        }
        self.run(Event::Message { message, redelivery: false })
    }

    /// `message` delivered again, as after a crash while its hook ran: [`BotContext::is_redelivery`] is true for
    /// it during the hook. Its id and timestamp are used as given.
    pub fn redelivered_message(&mut self, message: ReceivedMessage) -> Result<(), HookError> {
        self.run(Event::Message { message, redelivery: true })
    }

    /// A tick of the schedule `schedule_id`, at the virtual clock's time, to `on_cron`.
    pub fn cron(&mut self, schedule_id: &str) -> Result<(), HookError> {
        let now = self.now_ms();
        self.run(Event::Cron {
            tick: CronTick { schedule_id: schedule_id.to_owned(), scheduled_at_ms: now, fired_at_ms: now },
        })
    }

    /// Ticks of the schedules `schedule_ids`, due together at the virtual clock's time, in one call as the runtime
    /// hands them over (`on_cron` runs for each, in order). The first tick's failure, if any, is the answer; the
    /// other ticks' hooks run whatever it was.
    pub fn cron_batch(&mut self, schedule_ids: &[&str]) -> Result<(), HookError> {
        let now = self.now_ms();
        let ticks = schedule_ids
            .iter()
            .map(|id| CronTick { schedule_id: (*id).to_owned(), scheduled_at_ms: now, fired_at_ms: now })
            .collect();
        self.run(Event::CronBatch { ticks })
    }

    /// `user` entered `room`, to `on_room_member_entered`.
    pub fn room_entered(&mut self, room: &str, user: &str) -> Result<(), HookError> {
        let member =
            RoomMember { room_id: ConversationId::new(room), user_id: UserId::new(user), at_ms: self.now_ms() };
        self.membership(MembershipEvent::RoomEntered(member))
    }

    /// `user` left `room`, to `on_room_member_left`.
    pub fn room_left(&mut self, room: &str, user: &str) -> Result<(), HookError> {
        let member =
            RoomMember { room_id: ConversationId::new(room), user_id: UserId::new(user), at_ms: self.now_ms() };
        self.membership(MembershipEvent::RoomLeft(member))
    }

    /// Any membership or presence event, to its hook (`on_group_members_joined`, `on_user_online`, ...).
    pub fn membership(&mut self, event: MembershipEvent) -> Result<(), HookError> {
        self.run(Event::Membership { event })
    }

    /// Adds schedule `id` as a bot's `schedules:` entry would (`cron`: 5-field crontab or 6/7 fields with
    /// seconds; `timezone`: an IANA name such as `"UTC"`): from now on [`Self::advance`] fires `on_cron` at each
    /// of its fire times. The error says what is wrong with the expression or the zone, as `zimbot check` would.
    pub fn schedule(&mut self, id: &str, cron: &str, timezone: &str) -> Result<(), String> {
        let now = self.now_ms();
        self.schedules.add(id, cron, timezone, now)
    }

    /// The ticks `advance` has fired so far, in order (ticks given with [`Self::cron`] are not among them).
    pub fn ticks(&self) -> &[CronTick] {
        &self.ticks
    }

    /// Runs `on_stop`.
    pub fn stop(&mut self) -> Result<(), HookError> {
        self.run(Event::Stop)
    }

    /// The sends made so far, in order.
    pub fn sends(&self) -> Vec<TestSend> {
        self.host.book().sends.clone()
    }

    /// The text sends made so far, in order.
    pub fn text_sends(&self) -> Vec<TestSend> {
        self.host.book().sends.iter().filter(|send| send.text().is_some()).cloned().collect()
    }

    /// The media sends of `kind` made so far, in order (a hook's text replies left out).
    pub fn media_sends(&self, kind: MediaKind) -> Vec<TestSend> {
        self.host.book().sends.iter().filter(|send| send.kind() == Some(kind)).cloned().collect()
    }

    /// The sends made since the last `take_sends` (all of them the first time).
    pub fn take_sends(&mut self) -> Vec<TestSend> {
        let mut book = self.host.book();
        let fresh = book.sends[book.sends_taken..].to_vec();
        book.sends_taken = book.sends.len();
        fresh
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

    /// Refuses the plugin's next send with `rejected` (as the client refuses a missing file or a full queue).
    pub fn reject_next_send(&mut self, rejected: SendRejected) {
        self.host.book().reject_next = Some(rejected);
    }

    /// Tells the plugin the send was accepted and queued: `on_message_attached`.
    pub fn attached(&mut self, local_id: LocalMessageId) -> Result<(), HookError> {
        let send = self.send(local_id);
        let media = send.media();
        let file_size = media
            .and_then(|media| {
                media.file_size.or_else(|| media.file_local_path.as_ref()?.metadata().ok().map(|meta| meta.len()))
            })
            .unwrap_or(0);
        let message = AttachedMessage {
            local_id,
            conversation_id: send.request.to_conversation_id.clone(),
            conversation_type: send.request.conversation_type,
            media_kind: send.request.message.media_kind(),
            file_name: media.map(|media| media.display_file_name()).unwrap_or_default(),
            file_size,
            local_data: send.request.local_data.clone(),
        };
        self.run(Event::Attached { message })
    }

    /// Upload progress of the send's file: `on_media_uploading_progress`.
    pub fn progress(&mut self, local_id: LocalMessageId, current: u64, total: u64) -> Result<(), HookError> {
        let send = self.send(local_id);
        let progress = UploadProgress { local_id, current, total, local_data: send.request.local_data };
        self.run(Event::Progress { progress })
    }

    /// Ends the send as delivered: answers its `result()` waiters, then `on_message_sent`.
    pub fn sent(&mut self, local_id: LocalMessageId) -> Result<(), HookError> {
        let send = self.send(local_id);
        let media_url = match &send.request.message {
            OutgoingMessage::Media(media) => Some(
                media
                    .file_download_url
                    .clone()
                    .unwrap_or_else(|| format!("https://media.test/{}/{}", local_id.0, media.display_file_name())),
            ),
            OutgoingMessage::Text { .. } => None,
        };
        let result = MessageSentResult {
            local_id,
            conversation_id: send.request.to_conversation_id,
            conversation_type: send.request.conversation_type,
            message_id: Some(format!("test-sent-{}", local_id.0)),
            message_seq: Some(local_id.0),
            media_url,
            attempts: 1,
            media_kind: send.request.message.media_kind(),
            file_name: send.request.message.file_name(),
            local_data: send.request.local_data.clone(),
        };
        self.end_send(SendOutcome::Sent { result: result.clone() });
        self.run(Event::Sent { result })
    }

    /// Ends the send as failed with `error`: answers its `result()` waiters, then `on_message_send_failed`.
    pub fn failed(&mut self, local_id: LocalMessageId, error: ZimError) -> Result<(), HookError> {
        let send = self.send(local_id);
        let failure = SendFailure::of_request(local_id, &send.request, error, 1);
        self.end_send(SendOutcome::Failed { failure: failure.clone() });
        self.run(Event::Failed { failure })
    }

    /// Everything the plugin logged, in order.
    pub fn logs(&self) -> Vec<LogLine> {
        self.host.book().logs.clone()
    }

    /// Whether some log line contains `text`.
    pub fn logged(&self, text: &str) -> bool {
        self.host.book().logs.iter().any(|line| line.message.contains(text))
    }

    /// The virtual clock, in milliseconds since the Unix epoch (it starts at 2026-01-01T00:00:00Z).
    pub fn now_ms(&self) -> i64 {
        self.host.book().now_ms
    }

    /// Moves virtual time forward by `duration`, in order of time: each sleep ends at its deadline and each
    /// schedule fires `on_cron` at its fire times, and the plugin runs after each before time moves on. Sleeps
    /// due at the same instant as a tick end first. A tick's hook that fails is logged (as the runtime logs it);
    /// one still waiting keeps running, like a hook on the runtime's inbound lane.
    pub fn advance(&mut self, duration: Duration) {
        let target = self.now_ms().saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX));
        loop {
            let next_sleep =
                self.host.book().sleepers.iter().map(|(deadline, _)| *deadline).filter(|at| *at <= target).min();
            let next_tick = self.schedules.next_due(target);
            match (next_sleep, next_tick) {
                (None, None) => break,
                (Some(sleep), Some(tick)) if tick < sleep => self.fire_ticks(tick),
                (Some(sleep), _) => self.wake_sleepers(sleep),
                (None, Some(tick)) => self.fire_ticks(tick),
            }
        }
        self.host.book().now_ms = target;
        self.run_until_idle();
    }

    /// Ends every sleep due at `at_ms`, with the clock at `at_ms`.
    fn wake_sleepers(&mut self, at_ms: i64) {
        let woken = {
            let mut book = self.host.book();
            book.now_ms = at_ms;
            let (due, waiting) = std::mem::take(&mut book.sleepers).into_iter().partition(|(at, _)| *at <= at_ms);
            book.sleepers = waiting;
            due
        };
        for (_, wake) in woken {
            // The sleep may have been dropped (its hook ended another way); then no one is waiting.
            let _ = wake.send(());
        }
        self.run_until_idle();
    }

    /// Fires every schedule due at `at_ms`, with the clock at `at_ms`.
    fn fire_ticks(&mut self, at_ms: i64) {
        self.host.book().now_ms = at_ms;
        for tick in self.schedules.fire(at_ms) {
            self.ticks.push(tick.clone());
            let schedule = tick.schedule_id.clone();
            match self.run(Event::Cron { tick }) {
                Ok(()) | Err(HookError::Pending) => {}
                Err(error) => {
                    let message = format!("[test harness] on_cron for schedule '{schedule}' ended: {error}");
                    self.host.book().logs.push(LogLine { level: LogLevel::ERROR, message });
                }
            }
        }
    }

    /// The plugin's snapshot, as the runtime would store it (`null` when it keeps none, and when its `snapshot`
    /// panicked: the runtime would then keep the previous one).
    pub fn snapshot(&self) -> serde_json::Value {
        // SAFETY: the instance is alive until drop.
        let buffer = unsafe { (self.descriptor.snapshot)(self.instance) };
        serde_json::from_slice(buffer.as_slice()).unwrap_or(serde_json::Value::Null)
    }

    /// The recorded send `local_id`; a test that names a send the plugin never made is wrong, so it panics.
    fn send(&self, local_id: LocalMessageId) -> TestSend {
        let book = self.host.book();
        match book.sends.iter().find(|send| send.local_id == local_id) {
            Some(send) => send.clone(),
            None => panic!("the plugin made no send {local_id}; it made {}", book.sends.len()),
        }
    }

    /// Records the send's end and wakes its waiters; a send ends exactly once, so a second end panics.
    fn end_send(&mut self, outcome: SendOutcome) {
        let local_id = match &outcome {
            SendOutcome::Sent { result } => result.local_id,
            SendOutcome::Failed { failure } => failure.local_id,
        };
        let previous = self.host.book().results.insert(local_id, SendState::Ended(outcome.clone()));
        match previous {
            Some(SendState::Running { waiters }) => {
                for waiter in waiters {
                    let _ = waiter.send(outcome.clone());
                }
            }
            _ => panic!("{local_id} has already ended: a send ends exactly once (sent or failed)"),
        }
    }

    /// Starts the hook for `event` and runs the plugin until it is idle; see [`HookError::Pending`].
    fn run(&mut self, event: Event) -> Result<(), HookError> {
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
    fn run_until_idle(&mut self) {
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
