//! `BotContext`: what a hook can do — send, sleep, spawn, log — all through the host.

use crate::store::BotStore;
use async_ffi::FutureExt as _;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use zimbot_abi::{Action, ActionReply, BotInfo, BytesRef, HostApi, LogLevel};
use zimbot_model::{
    BotId, ConversationId, ConversationType, LocalMessageId, MediaMessage, MessageSentResult, ReceivedMessage,
    RejectReason, SendConfig, SendFailure, SendRejected, SendRequest, UserId,
};

/// The bot's handle on the host, passed to every hook. Cheap to clone; clones may move into spawned tasks, other
/// threads (the host's futures need no runtime on the thread that polls them) or statics.
///
/// A context belongs to ONE plugin instance, and is live while that instance is its bot's current one. When the
/// instance is retired — the bot stopped, was removed, or the instance was rebuilt after a panic — the context and
/// every clone of it stop reaching the bot, and every call fails cleanly (never undefined behaviour, never a
/// panic):
/// - sends are refused with [`RejectReason::BotGone`] (and `SendHandle::result` answers with an error);
/// - [`BotContext::sleep`] returns at once, and a sleep in progress ends when its context is retired;
/// - [`BotContext::spawn`] drops the task; tasks spawned earlier are aborted at retirement;
/// - log lines are dropped; [`BotContext::now_ms`] reads the system clock.
///
/// The host counts such calls (`zimbot_stale_context_calls_total`). So a thread that must outlive a hook should
/// stop when a send answers `BotGone`; the next instance gets a fresh context in its hooks.
#[derive(Clone)]
pub struct BotContext {
    inner: Arc<Inner>,
}

struct Inner {
    host: HostApi,
    bot: BotInfo,
    /// Ids of the messages whose hook is running as a redelivery (see [`BotContext::is_redelivery`]).
    redelivered: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

impl BotContext {
    pub(crate) fn new(host: HostApi, bot: BotInfo) -> Self {
        Self { inner: Arc::new(Inner { host, bot, redelivered: Default::default() }) }
    }

    /// Whether `message` is being delivered again: a hook may have been handed it before and never finished well
    /// (zimbot stopped or crashed while it ran, or it failed; after a crash this is also true of messages that
    /// were still waiting for their hook). A hook that must not act twice (a payment, a post) checks this and
    /// looks at what it already did. Valid while the message's hook runs.
    pub fn is_redelivery(&self, message: &ReceivedMessage) -> bool {
        self.inner.redelivered.lock().is_ok_and(|redelivered| redelivered.contains_key(&message.message_id))
    }

    /// Marks `message_id` as a redelivery while the returned guard lives.
    pub(crate) fn redelivering(&self, message_id: &str) -> RedeliveryMark {
        if let Ok(mut redelivered) = self.inner.redelivered.lock() {
            *redelivered.entry(message_id.to_owned()).or_default() += 1;
        }
        RedeliveryMark { context: self.clone(), message_id: message_id.to_owned() }
    }

    /// The bot's id in bots.yaml.
    pub fn bot_id(&self) -> &BotId {
        &self.inner.bot.bot_id
    }

    /// The bot's ZIM user id (`@RBT#...`).
    pub fn user_id(&self) -> &UserId {
        &self.inner.bot.user_id
    }

    /// The bot's display name.
    pub fn name(&self) -> &str {
        &self.inner.bot.name
    }

    /// The bot's `config:` section.
    pub fn config(&self) -> &serde_json::Value {
        &self.inner.bot.config
    }

    /// The bot's own key-value data, kept by the host across restarts (see [`BotStore`]).
    pub fn store(&self) -> BotStore {
        BotStore::new(self.clone())
    }

    /// Sends a media message through the runtime's shared client, mirroring the SDK's `sendMediaMessage`.
    ///
    /// Returns at once: `Err` when the send is refused (missing file, too large, bad id, queue full) — then no hook
    /// follows; `Ok` when it is accepted — then `on_message_attached`, progress and exactly one of
    /// `on_message_sent` / `on_message_send_failed` follow, and the handle can be awaited for the same result.
    pub async fn send_media_message(
        &self,
        message: MediaMessage,
        to_conversation_id: impl Into<ConversationId>,
        conversation_type: ConversationType,
        config: SendConfig,
    ) -> Result<SendHandle, SendRejected> {
        self.send(SendRequest::media(message, to_conversation_id, conversation_type, config)).await
    }

    /// Sends a text message; the same rules as [`Self::send_media_message`].
    pub async fn send_text(
        &self,
        text: impl Into<String>,
        to_conversation_id: impl Into<ConversationId>,
        conversation_type: ConversationType,
    ) -> Result<SendHandle, SendRejected> {
        self.send(SendRequest::text(text, to_conversation_id, conversation_type)).await
    }

    /// Answers `message` with text where it came from (the room or group, or the sender of a peer message).
    pub async fn reply_text(
        &self,
        message: &ReceivedMessage,
        text: impl Into<String>,
    ) -> Result<SendHandle, SendRejected> {
        let (to, kind) = message.reply_target();
        self.send_text(text, to, kind).await
    }

    /// Answers `message` with media where it came from.
    pub async fn reply_media(
        &self,
        message: &ReceivedMessage,
        media: MediaMessage,
        config: SendConfig,
    ) -> Result<SendHandle, SendRejected> {
        let (to, kind) = message.reply_target();
        self.send_media_message(media, to, kind, config).await
    }

    /// Sends any request.
    pub async fn send(&self, request: SendRequest) -> Result<SendHandle, SendRejected> {
        let action = Action::Send { request: Box::new(request) };
        match self.submit(&action).await {
            ActionReply::Accepted { local_id } => {
                // The handle keeps the request to describe the send should the host fail to report its end.
                let Action::Send { request } = action else { return Err(not_a_send()) };
                Ok(SendHandle { local_id, context: self.clone(), request })
            }
            ActionReply::Rejected { rejected } => Err(rejected),
            other => Err(SendRejected::new(RejectReason::Other, format!("the host answered {other:?} to a send"))),
        }
    }

    /// Waits `duration` on the host's clock. Any duration is valid: `Duration::MAX` waits until the context is
    /// retired (or the hook's timeout cancels it).
    pub async fn sleep(&self, duration: Duration) {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        // SAFETY: the host keeps `context` valid while the bot runs (HostApi contract).
        let sleep = unsafe { (self.inner.host.sleep)(self.inner.host.context, millis) };
        sleep.await
    }

    /// Runs `task` on the host's runtime; it is aborted when this context is retired (the bot stops, or the
    /// instance is rebuilt). The host keeps only the running tasks: finished ones are reaped.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        // SAFETY: as in `sleep`.
        unsafe { (self.inner.host.spawn)(self.inner.host.context, task.into_ffi()) }
    }

    /// The host's wall clock, milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        // SAFETY: as in `sleep`.
        unsafe { (self.inner.host.now_ms)(self.inner.host.context) }
    }

    /// Writes to the runtime's log, in this bot's span.
    pub fn log(&self, level: LogLevel, message: impl AsRef<str>) {
        let message = message.as_ref();
        // SAFETY: as in `sleep`; the message is borrowed for the call only.
        unsafe { (self.inner.host.log)(self.inner.host.context, level, BytesRef::new(message.as_bytes())) }
    }

    pub fn error(&self, message: impl AsRef<str>) {
        self.log(LogLevel::ERROR, message)
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        self.log(LogLevel::WARN, message)
    }

    pub fn info(&self, message: impl AsRef<str>) {
        self.log(LogLevel::INFO, message)
    }

    pub fn debug(&self, message: impl AsRef<str>) {
        self.log(LogLevel::DEBUG, message)
    }

    pub(crate) async fn submit(&self, action: &Action) -> ActionReply {
        let bytes = match serde_json::to_vec(action) {
            Ok(bytes) => bytes,
            Err(error) => return ActionReply::Error { message: format!("could not encode the action: {error}") },
        };
        // SAFETY: as in `sleep`; the action bytes are borrowed for the call only (the host copies them).
        let reply = unsafe { (self.inner.host.submit)(self.inner.host.context, BytesRef::new(&bytes)) };
        let reply = reply.await;
        serde_json::from_slice(reply.as_slice()).unwrap_or_else(|error| ActionReply::Error {
            message: format!("could not decode the host's reply: {error}"),
        })
    }
}

fn not_a_send() -> SendRejected {
    SendRejected::new(RejectReason::Other, "the action submitted as a send was not one")
}

/// An accepted send.
///
/// Ordering: the runtime hands the handle back to the hook that sent before any hook of that send runs, and
/// `on_message_attached` starts only after the sending hook has run on to its next `.await`; so a hook that records
/// `local_id()` right after the send finds it there in the send's hooks. A send's
/// events also carry the request's `local_data`, which often makes such a record unnecessary.
pub struct SendHandle {
    local_id: LocalMessageId,
    context: BotContext,
    request: Box<SendRequest>,
}

impl SendHandle {
    /// The id the send's hooks carry.
    pub fn local_id(&self) -> LocalMessageId {
        self.local_id
    }

    /// Waits for the send's end: the same result `on_message_sent` / `on_message_send_failed` receive.
    pub async fn result(self) -> Result<MessageSentResult, SendFailure> {
        match self.context.submit(&Action::AwaitResult { local_id: self.local_id }).await {
            ActionReply::Finished { outcome } => outcome.into_result(),
            other => {
                let error = zimbot_model::ZimError::new(
                    zimbot_model::ZimCode::CANCELLED,
                    format!("the host could not report this send's result: {other:?}"),
                );
                Err(SendFailure::of_request(self.local_id, &self.request, error, 0))
            }
        }
    }
}

impl std::fmt::Debug for SendHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendHandle").field("local_id", &self.local_id).finish()
    }
}

/// While alive, [`BotContext::is_redelivery`] is true for its message.
pub(crate) struct RedeliveryMark {
    context: BotContext,
    message_id: String,
}

impl Drop for RedeliveryMark {
    fn drop(&mut self) {
        if let Ok(mut redelivered) = self.context.inner.redelivered.lock() {
            if let Some(count) = redelivered.get_mut(&self.message_id) {
                *count -= 1;
                if *count == 0 {
                    redelivered.remove(&self.message_id);
                }
            }
        }
    }
}
