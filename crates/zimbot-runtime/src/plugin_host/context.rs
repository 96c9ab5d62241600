//! Plugin contexts: what a plugin instance's `HostApi::context` names, and the `extern "C"` functions a plugin
//! calls with it.
//!
//! A context value is a key in [`CONTEXTS`], never a pointer: a plugin can keep a `BotContext` clone anywhere
//! and call through it at any time, so every call first looks its key up. While the instance is its bot's
//! current one the key finds the [`ContextEntry`]; once the instance is retired (rebuilt after a panic, its bot
//! stopped or removed) it finds nothing, and the call fails cleanly without reaching the bot: sends are refused
//! as [`RejectReason::BotGone`], sleeps end, spawned tasks and log lines are dropped, and each such call is
//! counted ([`stale_context_calls`]). Retiring also ends the sleeps in progress and aborts the tasks the instance
//! spawned.
//!
//! The futures handed to the plugin run their work as tasks on the host's runtime and only wait for the result,
//! so a plugin may poll them from any thread (one of its own, with no tokio runtime). Dropping a sleep aborts its
//! task; a submit runs to its end (a send the outbound accepted always gets its events forwarded). A submit's
//! reply future tells the host when the plugin lets go of it ([`HandedBack`]): a send's events wait for that.

use super::host_api::BotHost;
use crate::clock::Clock;
use async_ffi::{FfiFuture, FutureExt as _};
use parking_lot::Mutex;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use zimbot_abi::store::{StoreFailure, StoreFailureReason};
use zimbot_abi::{Action, ActionReply, BytesRef, ContextRegistry, HostApi, HostContext, LogLevel, OwnedBuffer};
use zimbot_model::{RejectReason, SendRejected};

/// Every live plugin context of this process.
static CONTEXTS: ContextRegistry<ContextEntry> = ContextRegistry::new();

/// What a live context reaches.
struct ContextEntry {
    host: Arc<BotHost>,
    /// The tasks the instance spawned; `None` once retired, so a spawn racing the retirement is refused.
    tasks: Mutex<Option<JoinSet<()>>>,
    /// Becomes true when the context is retired; sleeps in progress watch it.
    retired: watch::Sender<bool>,
}

/// One plugin instance's context, held by the host beside the instance. Dropping it retires the context.
pub struct InstanceContext {
    context: *const HostContext,
    entry: Arc<ContextEntry>,
}

// SAFETY: `context` is a registry key that is only compared, never dereferenced.
unsafe impl Send for InstanceContext {}
// SAFETY: as above.
unsafe impl Sync for InstanceContext {}

impl InstanceContext {
    pub(super) fn register(host: Arc<BotHost>) -> Self {
        let entry = Arc::new(ContextEntry {
            host,
            tasks: Mutex::new(Some(JoinSet::new())),
            retired: watch::Sender::new(false),
        });
        Self { context: CONTEXTS.register(Arc::clone(&entry)), entry }
    }

    /// The vtable to create the instance with.
    pub fn api(&self) -> HostApi {
        HostApi {
            context: self.context,
            submit: host_submit,
            log: host_log,
            sleep: host_sleep,
            spawn: host_spawn,
            now_ms: host_now_ms,
        }
    }

    /// Whether calls through this context still reach the bot.
    pub fn is_live(&self) -> bool {
        CONTEXTS.get(self.context).is_some()
    }

    /// How many spawned tasks the host holds for this instance: the running ones, plus any that ended since the
    /// instance last spawned (finished tasks are reaped at each spawn).
    pub fn tasks_held(&self) -> usize {
        self.entry.tasks.lock().as_ref().map_or(0, JoinSet::len)
    }

    /// Retires the context at once: later calls through it fail cleanly, sleeps in progress end, and its tasks
    /// are told to abort (without waiting for them; see [`InstanceContext::retire`]).
    pub fn retire_now(&self) {
        self.take_tasks();
    }

    /// Retires the context and waits until every task the instance spawned has ended.
    pub async fn retire(&self) {
        if let Some(mut tasks) = self.take_tasks() {
            tasks.shutdown().await;
        }
    }

    fn take_tasks(&self) -> Option<JoinSet<()>> {
        CONTEXTS.revoke(self.context);
        self.entry.retired.send_replace(true);
        let mut tasks = self.entry.tasks.lock().take();
        if let Some(tasks) = &mut tasks {
            tasks.abort_all();
        }
        tasks
    }
}

impl Drop for InstanceContext {
    fn drop(&mut self) {
        // The JoinSet, dropped here, aborts whatever is still running.
        self.take_tasks();
    }
}

/// Calls made through retired contexts, by host function: process-wide, since the bot behind a retired context
/// is by definition no longer known to it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StaleCalls {
    pub submit: u64,
    pub log: u64,
    pub sleep: u64,
    pub spawn: u64,
    pub now_ms: u64,
}

static STALE: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];
const SUBMIT: usize = 0;
const LOG: usize = 1;
const SLEEP: usize = 2;
const SPAWN: usize = 3;
const NOW_MS: usize = 4;

fn count_stale(call: usize) {
    STALE[call].fetch_add(1, Ordering::Relaxed);
}

/// How many calls came through retired contexts so far, in this process.
pub fn stale_context_calls() -> StaleCalls {
    let read = |call: usize| STALE[call].load(Ordering::Relaxed);
    StaleCalls { submit: read(SUBMIT), log: read(LOG), sleep: read(SLEEP), spawn: read(SPAWN), now_ms: read(NOW_MS) }
}

impl prometheus_client::collector::Collector for StaleCalls {
    fn encode(&self, mut encoder: prometheus_client::encoding::DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let calls = [
            ("submit", self.submit),
            ("log", self.log),
            ("sleep", self.sleep),
            ("spawn", self.spawn),
            ("now_ms", self.now_ms),
        ];
        crate::metrics::counter_family(
            &mut encoder,
            "zimbot_stale_context_calls",
            "Plugin calls through the context of an instance that is gone (bot stopped or removed, or instance \
             rebuilt), refused without reaching a bot.",
            calls.map(|(call, count)| ([("call", call)], count)),
        )
    }
}

/// A task on the host's runtime that a plugin's future waits for; dropping the future aborts the task.
struct HostTask<T>(JoinHandle<T>);

impl<T> Drop for HostTask<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> HostTask<T> {
    async fn join(mut self) -> Option<T> {
        (&mut self.0).await.ok()
    }
}

/// What a retired context's `submit` answers.
fn gone_reply(action: &[u8]) -> ActionReply {
    const GONE: &str = "this context's plugin instance is gone (its bot stopped or was removed, or the instance \
                        was rebuilt after a panic); calls through it are refused, use the context of the current hook";
    match serde_json::from_slice::<Action>(action) {
        Ok(Action::Send { .. }) => ActionReply::Rejected { rejected: SendRejected::new(RejectReason::BotGone, GONE) },
        Ok(action) if zimbot_abi::store::is_store_action(&action) => {
            ActionReply::StoreFailed { failure: StoreFailure::new(StoreFailureReason::BotGone, GONE) }
        }
        _ => ActionReply::Error { message: GONE.to_owned() },
    }
}

fn reply_buffer(reply: &ActionReply) -> OwnedBuffer {
    OwnedBuffer::from_vec(serde_json::to_vec(reply).unwrap_or_else(|_| b"{\"status\":\"unknown\"}".to_vec()))
}

unsafe extern "C" fn host_submit(context: *const HostContext, action: BytesRef<'_>) -> FfiFuture<OwnedBuffer> {
    // SAFETY: the plugin passes a slice live for this call; it is decoded (copied) before returning.
    let action = unsafe { action.as_slice() };
    let Some(entry) = CONTEXTS.get(context) else {
        count_stale(SUBMIT);
        let reply = reply_buffer(&gone_reply(action));
        return async move { reply }.into_ffi();
    };
    let (reply, handed) = match serde_json::from_slice::<Action>(action) {
        Ok(mut action) => {
            // Read here, in the plugin's poll, where the running tick hook's scope is visible.
            super::tick_deadline::default_deadline(&mut action);
            // Not aborted when the plugin drops its future: a send the outbound accepted must still get its
            // forwarder, or its hooks and result would never come. A waiter left behind ends with its send.
            let host = Arc::clone(&entry.host);
            let (handed, handed_back) = oneshot::channel();
            (entry.host.services.runtime.spawn(host.submit(action, handed_back)), handed)
        }
        Err(error) => {
            let reply = reply_buffer(&ActionReply::Error { message: format!("unreadable action: {error}") });
            return async move { reply }.into_ffi();
        }
    };
    let reply = async move {
        let reply = reply
            .await
            .unwrap_or_else(|_| ActionReply::Error { message: "the host stopped before it could answer".to_owned() });
        reply_buffer(&reply)
    };
    HandedBack { reply: Box::pin(reply), _handed: handed }.into_ffi()
}

/// A submit's reply future that holds the sending half of a channel nothing is sent on: it closes when the plugin
/// drops the future, which the SDK does as soon as its `.await` has taken the reply (or when it gives up). A
/// send's forwarder waits for that close, so the hook that sent holds its `SendHandle` before any of the send's
/// hooks run. It is a field of this type, not of an `async` block, so it lives exactly as long as the future.
struct HandedBack<F> {
    reply: Pin<Box<F>>,
    _handed: oneshot::Sender<()>,
}

impl<F: Future> Future for HandedBack<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<F::Output> {
        self.get_mut().reply.as_mut().poll(cx)
    }
}

unsafe extern "C" fn host_log(context: *const HostContext, level: LogLevel, message: BytesRef<'_>) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Some(entry) = CONTEXTS.get(context) else {
            count_stale(LOG);
            return;
        };
        // SAFETY: the plugin passes a slice live for this call.
        let text = String::from_utf8_lossy(unsafe { message.as_slice() });
        let message = without_control_characters(&text);
        let _entered = entry.host.span.enter();
        match level {
            LogLevel::ERROR => tracing::error!(target: "zimbot::plugin", "{message}"),
            LogLevel::WARN => tracing::warn!(target: "zimbot::plugin", "{message}"),
            LogLevel::INFO => tracing::info!(target: "zimbot::plugin", "{message}"),
            LogLevel::DEBUG => tracing::debug!(target: "zimbot::plugin", "{message}"),
            _ => tracing::trace!(target: "zimbot::plugin", "{message}"),
        }
    }));
}

/// `message` with every control character (newline, carriage return, escape, …) written as its escape, so a
/// plugin logging text a person wrote can never start a forged log line or move the terminal's cursor.
fn without_control_characters(message: &str) -> std::borrow::Cow<'_, str> {
    if !message.chars().any(char::is_control) {
        return message.into();
    }
    message
        .chars()
        .map(|character| match character.is_control() {
            true => character.escape_default().to_string(),
            false => character.to_string(),
        })
        .collect::<String>()
        .into()
}

unsafe extern "C" fn host_sleep(context: *const HostContext, millis: u64) -> FfiFuture<()> {
    let Some(entry) = CONTEXTS.get(context) else {
        count_stale(SLEEP);
        return async {}.into_ffi();
    };
    let clock = Arc::clone(&entry.host.services.clock);
    let mut retired = entry.retired.subscribe();
    let sleeping = entry.host.services.runtime.spawn(async move {
        tokio::select! {
            () = sleep_for(clock.as_ref(), millis) => {}
            // Ends the sleep when the context is retired (or its entry is gone, which the error means).
            _ = retired.wait_for(|retired| *retired) => {}
        }
    });
    let sleeping = HostTask(sleeping);
    async move {
        sleeping.join().await;
    }
    .into_ffi()
}

/// Sleeps `millis` on `clock`; a deadline past what the clock can represent never comes.
async fn sleep_for(clock: &dyn Clock, millis: u64) {
    let deadline = i64::try_from(millis)
        .ok()
        .and_then(chrono::TimeDelta::try_milliseconds)
        .and_then(|wait| clock.now().checked_add_signed(wait));
    let Some(deadline) = deadline else {
        return std::future::pending().await;
    };
    // The clock may wake early (it re-reads wall time); sleep until the deadline really passed.
    loop {
        let left = (deadline - clock.now()).to_std().unwrap_or_default();
        if left.is_zero() {
            return;
        }
        clock.sleep(left).await;
    }
}

unsafe extern "C" fn host_spawn(context: *const HostContext, task: FfiFuture<()>) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let Some(entry) = CONTEXTS.get(context) else {
            count_stale(SPAWN);
            return;
        };
        let mut tasks = entry.tasks.lock();
        let Some(tasks) = tasks.as_mut() else {
            count_stale(SPAWN);
            return;
        };
        // Reap what ended, so the set holds the running tasks and never grows with the bot's age.
        while tasks.try_join_next().is_some() {}
        tasks.spawn_on(task, &entry.host.services.runtime);
    }));
}

unsafe extern "C" fn host_now_ms(context: *const HostContext) -> i64 {
    catch_unwind(AssertUnwindSafe(|| match CONTEXTS.get(context) {
        Some(entry) => entry.host.services.clock.now().timestamp_millis(),
        None => {
            count_stale(NOW_MS);
            chrono::Utc::now().timestamp_millis()
        }
    }))
    .unwrap_or(0)
}
