//! A live plugin instance seen from the host: create it, call its hooks, snapshot it, destroy it.

use super::poll_gate::PollGate;
use super::PluginInfo;
use futures::FutureExt as _;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use zimbot_abi::{BotInfo, BytesRef, CronTick, Event, HookReply, HostApi, PluginInstance};

/// How one hook call ended, as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    Ok,
    /// The hook returned an error.
    Error(String),
    /// The hook panicked (caught inside the plugin, or in the FFI poll).
    Panicked(String),
    /// The plugin does not know the event.
    Unsupported,
}

impl CallOutcome {
    /// The outcome a hook's reply says.
    fn of(reply: HookReply) -> Self {
        match reply {
            HookReply::Ok => Self::Ok,
            HookReply::Error { message } => Self::Error(message),
            HookReply::Panicked { message } => Self::Panicked(message),
            HookReply::Unsupported => Self::Unsupported,
            HookReply::Batch { .. } => Self::Error("the plugin answered a single hook with a batch".to_owned()),
            HookReply::Unknown => Self::Error("the plugin answered with an unknown status".to_owned()),
        }
    }
}

/// An instance of a plugin for one bot. Destroyed when the last handle (including running calls) is dropped, so
/// `destroy` never runs while a hook future of the instance is alive.
pub struct PluginInstanceHandle {
    plugin: PluginInfo,
    instance: *mut PluginInstance,
    /// Orders a send's first hook after the poll of the hook that made it (see `poll_gate`).
    polls: PollGate,
}

// SAFETY: the plugin side requires instances to be Send + Sync (the Plugin trait's bounds), and the pointer is
// only used through the descriptor's functions.
unsafe impl Send for PluginInstanceHandle {}
// SAFETY: as above.
unsafe impl Sync for PluginInstanceHandle {}

impl PluginInstanceHandle {
    /// Creates an instance for `bot`, from `snapshot` (JSON) when given. The error is the plugin's own message.
    pub fn create(
        plugin: &PluginInfo,
        host: HostApi,
        bot: &BotInfo,
        snapshot: Option<&[u8]>,
    ) -> Result<Arc<Self>, String> {
        let bot = serde_json::to_vec(bot).map_err(|error| format!("could not encode the bot info: {error}"))?;
        let snapshot = snapshot.unwrap_or_default();
        // SAFETY: the descriptor passed the header check; the buffers live for the call.
        let result = unsafe { (plugin.descriptor.create)(host, BytesRef::new(&bot), BytesRef::new(snapshot)) };
        if result.instance.is_null() {
            let message = String::from_utf8_lossy(result.error.as_slice()).into_owned();
            return Err(if message.is_empty() { "create failed without a message".to_owned() } else { message });
        }
        Ok(Arc::new(Self { plugin: plugin.clone(), instance: result.instance, polls: PollGate::default() }))
    }

    /// The plugin this is an instance of.
    pub fn plugin(&self) -> &PluginInfo {
        &self.plugin
    }

    /// Calls the hook for `event`. Never panics: a panic inside the plugin comes back as `Panicked`.
    pub async fn call(self: Arc<Self>, event: &Event) -> CallOutcome {
        match self.cross(event).await {
            Ok(reply) => CallOutcome::of(reply),
            Err(outcome) => outcome,
        }
    }

    /// Calls `on_cron` once per tick of `ticks` through one crossing ([`Event::CronBatch`]; only for plugins that
    /// [take batches](PluginInfo::takes_cron_batches)): one outcome per tick, in order. A failure of the call as a
    /// whole (a panic outside the SDK's guard, an unreadable reply) is every tick's outcome.
    pub async fn call_ticks(self: Arc<Self>, ticks: Vec<CronTick>) -> Vec<CallOutcome> {
        let count = ticks.len();
        let reply = match self.cross(&Event::CronBatch { ticks }).await {
            Ok(reply) => reply,
            Err(outcome) => return vec![outcome; count],
        };
        match reply {
            HookReply::Batch { replies } if replies.len() == count => {
                replies.into_iter().map(CallOutcome::of).collect()
            }
            HookReply::Batch { replies } => {
                vec![
                    CallOutcome::Error(format!("the plugin answered {} tick(s) of a batch of {count}", replies.len()));
                    count
                ]
            }
            // A plugin that does not know batches (it claimed a minor it does not implement) or failed before
            // running any tick: the same answer for each.
            other => vec![CallOutcome::of(other); count],
        }
    }

    /// Sends `event` across the ABI and decodes the plugin's reply; `Err` is how the call failed when no reply
    /// could be read.
    async fn cross(self: Arc<Self>, event: &Event) -> Result<HookReply, CallOutcome> {
        let bytes = match serde_json::to_vec(event) {
            Ok(bytes) => bytes,
            Err(error) => return Err(CallOutcome::Error(format!("could not encode the event: {error}"))),
        };
        let inbound = matches!(
            event,
            Event::Start | Event::Message { .. } | Event::Cron { .. } | Event::CronBatch { .. } | Event::Stop
        );
        if matches!(event, Event::Attached { .. }) {
            self.polls.until_no_poll_runs().await;
        }
        // SAFETY: the instance is alive (self is), and the event bytes live for the call.
        let future = unsafe { (self.plugin.descriptor.on_event)(self.instance, BytesRef::new(&bytes)) };
        let future = if inbound {
            futures::future::Either::Left(self.polls.shared(future))
        } else {
            futures::future::Either::Right(future)
        };
        let reply = match AssertUnwindSafe(future).catch_unwind().await {
            Ok(reply) => reply,
            Err(_) => return Err(CallOutcome::Panicked("the hook panicked outside the SDK's guard".to_owned())),
        };
        serde_json::from_slice::<HookReply>(reply.as_slice())
            .map_err(|error| CallOutcome::Error(format!("the plugin's reply was unreadable: {error}")))
    }

    /// The instance's state (JSON, `null` when it keeps none), to rebuild it later; `None` when the plugin could
    /// not produce it (its `snapshot` panicked or did not encode, which the SDK reports as an empty buffer) or
    /// what it produced is not JSON. The caller then keeps the last good state.
    pub fn snapshot(&self) -> Option<Vec<u8>> {
        // SAFETY: the instance is alive.
        let buffer = unsafe { (self.plugin.descriptor.snapshot)(self.instance) };
        let bytes = buffer.as_slice();
        let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok();
        (!bytes.is_empty() && is_json).then(|| bytes.to_vec())
    }
}

impl Drop for PluginInstanceHandle {
    fn drop(&mut self) {
        // SAFETY: the last handle is gone, so no call future of this instance is alive; destroy runs once.
        unsafe { (self.plugin.descriptor.destroy)(self.instance) }
    }
}
