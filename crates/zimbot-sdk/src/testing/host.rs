//! The fake host behind a [`super::TestBot`]: the `extern "C"` functions of a [`HostApi`] that record sends and
//! logs, hold sleepers on a virtual clock and queue spawned tasks, all in one place the test can inspect.
//!
//! Every host function does its bookkeeping before it returns, so the futures it hands back only wait on a
//! channel and never touch the host: dropping the harness cannot leave one pointing at freed state.
//!
//! As in the runtime, the context a plugin holds is a key in a registry, not a pointer: once the [`super::TestBot`]
//! is dropped or restarted, calls through a kept `BotContext` clone find nothing and fail as the runtime's do
//! (sends refused as `BotGone`, sleeps end at once, spawns and logs dropped).

use super::store::MemoryStore;
use super::{LogLine, TestSend};
use async_ffi::{FfiFuture, FutureExt as _};
use futures::channel::oneshot;
use parking_lot::{Mutex, MutexGuard};
use std::collections::HashMap;
use std::sync::Arc;
use zimbot_abi::store::{StoreFailure, StoreFailureReason};
use zimbot_abi::{
    Action, ActionReply, BytesRef, ContextRegistry, HostApi, HostContext, LogLevel, OwnedBuffer, SendOutcome,
};
use zimbot_model::{LocalMessageId, RejectReason, SendRejected};

/// 2026-01-01T00:00:00Z: where every harness clock starts, so times in tests are the same on every run.
pub(super) const START_MS: i64 = 1_767_225_600_000;

/// The harness hosts whose instances are alive.
static CONTEXTS: ContextRegistry<FakeHost> = ContextRegistry::new();

/// What the fake host knows; shared by the harness and the plugin's calls through the vtable.
pub(super) struct FakeHost {
    book: Mutex<Book>,
}

#[derive(Default)]
pub(super) struct Book {
    pub(super) now_ms: i64,
    pub(super) sleepers: Vec<(i64, oneshot::Sender<()>)>,
    pub(super) sends: Vec<TestSend>,
    /// How many of `sends` `take_sends` has handed out already.
    pub(super) sends_taken: usize,
    pub(super) reject_next: Option<SendRejected>,
    pub(super) results: HashMap<LocalMessageId, SendState>,
    pub(super) logs: Vec<LogLine>,
    /// Tasks the plugin spawned that the harness has not put on its executor yet.
    pub(super) spawned: Vec<FfiFuture<()>>,
    /// The bot's store, and the plugin version its writes are stamped with.
    pub(super) store: MemoryStore,
    pub(super) plugin_version: String,
}

/// Where an accepted send stands.
pub(super) enum SendState {
    Running { waiters: Vec<oneshot::Sender<SendOutcome>> },
    Ended(SendOutcome),
}

impl FakeHost {
    pub(super) fn new(now_ms: i64) -> Arc<Self> {
        Arc::new(Self { book: Mutex::new(Book { now_ms, ..Book::default() }) })
    }

    pub(super) fn book(&self) -> MutexGuard<'_, Book> {
        // A panicking plugin cannot leave the book half-updated: every update is one step under the lock.
        self.book.lock()
    }

    /// The vtable for a plugin instance; its context is live until [`FakeHost::retire`] is called with it.
    pub(super) fn api(self: &Arc<Self>) -> HostApi {
        HostApi {
            context: CONTEXTS.register(Arc::clone(self)),
            submit: host_submit,
            log: host_log,
            sleep: host_sleep,
            spawn: host_spawn,
            now_ms: host_now_ms,
        }
    }

    /// Ends the context `api` made: later calls through it fail cleanly.
    pub(super) fn retire(context: *const HostContext) {
        CONTEXTS.revoke(context);
    }

    fn submit(&self, action: Action) -> FfiFuture<ActionReply> {
        let mut book = self.book();
        if zimbot_abi::store::is_store_action(&action) {
            let book = &mut *book;
            let reply = book.store.answer(action, &book.plugin_version);
            return async move { reply }.into_ffi();
        }
        let reply = match action {
            Action::Send { request } => {
                let rejected = book.reject_next.take().or_else(|| {
                    let invalid = request.to_conversation_id.validate().err()?;
                    Some(SendRejected::new(RejectReason::InvalidId, invalid.to_string()))
                });
                match rejected {
                    Some(rejected) => ActionReply::Rejected { rejected },
                    None => {
                        let local_id = LocalMessageId(book.sends.len() as u64 + 1);
                        book.sends.push(TestSend { local_id, request: *request });
                        book.results.insert(local_id, SendState::Running { waiters: Vec::new() });
                        ActionReply::Accepted { local_id }
                    }
                }
            }
            Action::AwaitResult { local_id } => match book.results.get_mut(&local_id) {
                Some(SendState::Ended(outcome)) => ActionReply::Finished { outcome: outcome.clone() },
                Some(SendState::Running { waiters }) => {
                    let (sender, receiver) = oneshot::channel();
                    waiters.push(sender);
                    return async move {
                        match receiver.await {
                            Ok(outcome) => ActionReply::Finished { outcome },
                            Err(_) => ActionReply::Error { message: format!("the test ended before {local_id} did") },
                        }
                    }
                    .into_ffi();
                }
                None => ActionReply::Error { message: format!("{local_id} is not a send of this bot") },
            },
            Action::Unknown
            | Action::StoreGet { .. }
            | Action::StorePut { .. }
            | Action::StoreDelete { .. }
            | Action::StoreList { .. }
            | Action::StoreCompareAndSwap { .. } => {
                ActionReply::Error { message: "the test host does not know that action".to_owned() }
            }
        };
        async move { reply }.into_ffi()
    }

    fn sleep(&self, millis: u64) -> FfiFuture<()> {
        let mut book = self.book();
        let deadline = book.now_ms.saturating_add(i64::try_from(millis).unwrap_or(i64::MAX));
        if deadline <= book.now_ms {
            return async {}.into_ffi();
        }
        let (sender, receiver) = oneshot::channel();
        book.sleepers.push((deadline, sender));
        async move {
            // A dropped sender means the test is over; there is nothing left to wake for.
            let _ = receiver.await;
        }
        .into_ffi()
    }
}

/// The reply to an action through a retired context.
fn gone(action: &[u8]) -> ActionReply {
    const GONE: &str = "this context's plugin instance is gone (the test bot was dropped or restarted)";
    match serde_json::from_slice::<Action>(action) {
        Ok(Action::Send { .. }) => ActionReply::Rejected { rejected: SendRejected::new(RejectReason::BotGone, GONE) },
        Ok(action) if zimbot_abi::store::is_store_action(&action) => {
            ActionReply::StoreFailed { failure: StoreFailure::new(StoreFailureReason::BotGone, GONE) }
        }
        _ => ActionReply::Error { message: GONE.to_owned() },
    }
}

unsafe extern "C" fn host_submit(context: *const HostContext, action: BytesRef<'_>) -> FfiFuture<OwnedBuffer> {
    // SAFETY: the plugin passes a slice live for this call.
    let action = unsafe { action.as_slice() };
    let reply = match (CONTEXTS.get(context), serde_json::from_slice::<Action>(action)) {
        (None, _) => {
            let reply = gone(action);
            async move { reply }.into_ffi()
        }
        (Some(host), Ok(action)) => host.submit(action),
        (Some(_), Err(error)) => {
            let reply = ActionReply::Error { message: format!("unreadable action: {error}") };
            async move { reply }.into_ffi()
        }
    };
    async move {
        let reply = reply.await;
        OwnedBuffer::from_vec(serde_json::to_vec(&reply).unwrap_or_else(|_| b"{\"status\":\"unknown\"}".to_vec()))
    }
    .into_ffi()
}

unsafe extern "C" fn host_log(context: *const HostContext, level: LogLevel, message: BytesRef<'_>) {
    let Some(host) = CONTEXTS.get(context) else { return };
    // SAFETY: the plugin passes a slice live for this call.
    let message = String::from_utf8_lossy(unsafe { message.as_slice() }).into_owned();
    host.book().logs.push(LogLine { level, message });
}

unsafe extern "C" fn host_sleep(context: *const HostContext, millis: u64) -> FfiFuture<()> {
    match CONTEXTS.get(context) {
        Some(host) => host.sleep(millis),
        None => async {}.into_ffi(),
    }
}

unsafe extern "C" fn host_spawn(context: *const HostContext, task: FfiFuture<()>) {
    if let Some(host) = CONTEXTS.get(context) {
        host.book().spawned.push(task);
    }
}

unsafe extern "C" fn host_now_ms(context: *const HostContext) -> i64 {
    match CONTEXTS.get(context) {
        Some(host) => host.book().now_ms,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX)),
    }
}
