//! The host side of the vtable: one [`BotHost`] per bot, and the `extern "C"` functions a plugin calls on it.
//!
//! Sends go to the [`Outbound`]; each accepted send gets a forwarder task that feeds its events into the bot's
//! notification lane and records the terminal result, so `SendHandle::result` can be answered whether it is
//! awaited before or after the send ends.

use crate::clock::Clock;
use crate::outbound::{Outbound, Sender};
use crate::state::StateStore;
use async_ffi::{FfiFuture, FutureExt as _};
use std::collections::{HashMap, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{mpsc, oneshot};
use zimbot_abi::{Action, ActionReply, BytesRef, HostApi, HostContext, LogLevel, OwnedBuffer, SendOutcome};
use zimbot_model::{LocalMessageId, SendEvent, SendFailure, ZimCode, ZimError};

/// How many finished, never-awaited results a bot keeps for a late `result()` call.
const FINISHED_RESULTS_KEPT: usize = 4096;

/// What every bot's host shares: the sender, the clock, where plugin state is kept, and the runtime plugin code
/// runs on.
#[derive(Clone)]
pub struct HostServices {
    pub outbound: Arc<dyn Outbound>,
    pub clock: Arc<dyn Clock>,
    pub state: Arc<StateStore>,
    pub runtime: tokio::runtime::Handle,
}

impl HostServices {
    /// Services on the current tokio runtime that keep no state between runs (see [`HostServices::with_state`]).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new(outbound: Arc<dyn Outbound>, clock: Arc<dyn Clock>) -> Self {
        Self { outbound, clock, state: Arc::new(StateStore::memory()), runtime: tokio::runtime::Handle::current() }
    }

    /// The same services keeping plugin state in `state`.
    pub fn with_state(self, state: StateStore) -> Self {
        Self { state: Arc::new(state), ..self }
    }
}

/// One bot's host state. A plugin's `HostApi::context` points at it; it lives as long as the bot.
pub struct BotHost {
    sender: Sender,
    services: HostServices,
    notifications: mpsc::UnboundedSender<SendEvent>,
    results: Mutex<ResultBook>,
    tasks: Mutex<tokio::task::JoinSet<()>>,
    span: tracing::Span,
}

impl BotHost {
    /// A host for `sender`'s bot whose send events go to `notifications`.
    pub fn new(
        sender: Sender,
        services: HostServices,
        notifications: mpsc::UnboundedSender<SendEvent>,
        span: tracing::Span,
    ) -> Arc<Self> {
        Arc::new(Self {
            sender,
            services,
            notifications,
            results: Mutex::new(ResultBook::default()),
            tasks: Mutex::new(tokio::task::JoinSet::new()),
            span,
        })
    }

    /// The vtable for plugin instances of this bot. Valid while `self` is alive.
    pub fn api(self: &Arc<Self>) -> HostApi {
        HostApi {
            context: Arc::as_ptr(self).cast::<HostContext>(),
            submit: host_submit,
            log: host_log,
            sleep: host_sleep,
            spawn: host_spawn,
            now_ms: host_now_ms,
        }
    }

    /// Aborts every task the plugin spawned and waits until they are gone.
    pub async fn abort_tasks(&self) {
        let mut tasks = std::mem::take(&mut *lock(&self.tasks));
        tasks.shutdown().await;
    }

    async fn submit(self: Arc<Self>, action: Action) -> ActionReply {
        match action {
            Action::Send { request } => match self.services.outbound.send(&self.sender, *request) {
                Ok(send) => {
                    lock(&self.results).track(send.local_id);
                    let host = Arc::clone(&self);
                    self.services.runtime.spawn(host.forward(send.local_id, send.events));
                    ActionReply::Accepted { local_id: send.local_id }
                }
                Err(rejected) => ActionReply::Rejected { rejected },
            },
            Action::AwaitResult { local_id } => {
                let waiter = match lock(&self.results).wait(local_id) {
                    Wait::Done(outcome) => return ActionReply::Finished { outcome },
                    Wait::Unknown => {
                        return ActionReply::Error { message: format!("{local_id} is not a send of this bot") }
                    }
                    Wait::Pending(waiter) => waiter,
                };
                match waiter.await {
                    Ok(outcome) => ActionReply::Finished { outcome },
                    Err(_) => ActionReply::Error { message: format!("{local_id} ended without a result") },
                }
            }
            Action::Unknown => ActionReply::Error { message: "this runtime does not know that action".to_owned() },
        }
    }

    /// Feeds one send's events into the notification lane, recording its result; a stream that ends without a
    /// terminal event (it never should) ends the send as cancelled, so every send still ends exactly once.
    async fn forward(self: Arc<Self>, local_id: LocalMessageId, mut events: mpsc::UnboundedReceiver<SendEvent>) {
        let mut conversation = None;
        while let Some(event) = events.recv().await {
            if let SendEvent::Attached(attached) = &event {
                conversation = Some((attached.conversation_id.clone(), attached.conversation_type));
            }
            let outcome = match &event {
                SendEvent::Sent(result) => Some(SendOutcome::Sent { result: result.clone() }),
                SendEvent::Failed(failure) => Some(SendOutcome::Failed { failure: failure.clone() }),
                _ => None,
            };
            let _ = self.notifications.send(event);
            if let Some(outcome) = outcome {
                lock(&self.results).finish(local_id, outcome);
                return;
            }
        }
        let (conversation_id, conversation_type) =
            conversation.unwrap_or((zimbot_model::ConversationId::new(""), zimbot_model::ConversationType::Peer));
        let failure = SendFailure {
            local_id,
            conversation_id,
            conversation_type,
            error: ZimError::new(ZimCode::CANCELLED, "the send ended without a result"),
            attempts: 0,
        };
        let _ = self.notifications.send(SendEvent::Failed(failure.clone()));
        lock(&self.results).finish(local_id, SendOutcome::Failed { failure });
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Results of a bot's sends: who waits for which, and what ended.
#[derive(Default)]
struct ResultBook {
    pending: HashMap<LocalMessageId, Vec<oneshot::Sender<SendOutcome>>>,
    finished: HashMap<LocalMessageId, SendOutcome>,
    finished_order: VecDeque<LocalMessageId>,
}

enum Wait {
    Done(SendOutcome),
    Pending(oneshot::Receiver<SendOutcome>),
    Unknown,
}

impl ResultBook {
    /// Starts following an accepted send, so `wait` knows it.
    fn track(&mut self, local_id: LocalMessageId) {
        self.pending.entry(local_id).or_default();
    }

    fn wait(&mut self, local_id: LocalMessageId) -> Wait {
        if let Some(outcome) = self.finished.get(&local_id) {
            return Wait::Done(outcome.clone());
        }
        match self.pending.get_mut(&local_id) {
            Some(waiters) => {
                let (tx, rx) = oneshot::channel();
                waiters.push(tx);
                Wait::Pending(rx)
            }
            None => Wait::Unknown,
        }
    }

    fn finish(&mut self, local_id: LocalMessageId, outcome: SendOutcome) {
        for waiter in self.pending.remove(&local_id).unwrap_or_default() {
            let _ = waiter.send(outcome.clone());
        }
        self.finished.insert(local_id, outcome);
        self.finished_order.push_back(local_id);
        while self.finished_order.len() > FINISHED_RESULTS_KEPT {
            if let Some(oldest) = self.finished_order.pop_front() {
                self.finished.remove(&oldest);
            }
        }
    }
}

/// Turns the context pointer back into a counted reference.
///
/// # Safety
/// `context` must come from [`BotHost::api`] of a host that is still alive.
unsafe fn host_from(context: *const HostContext) -> Arc<BotHost> {
    let pointer = context.cast::<BotHost>();
    // SAFETY: the pointer came from Arc::as_ptr of a live Arc (caller's contract); taking a new count keeps the
    // host alive for the future that uses it.
    unsafe {
        Arc::increment_strong_count(pointer);
        Arc::from_raw(pointer)
    }
}

fn reply_buffer(reply: &ActionReply) -> OwnedBuffer {
    OwnedBuffer::from_vec(serde_json::to_vec(reply).unwrap_or_else(|_| b"{\"status\":\"unknown\"}".to_vec()))
}

unsafe extern "C" fn host_submit(context: *const HostContext, action: BytesRef<'_>) -> FfiFuture<OwnedBuffer> {
    // SAFETY: the plugin passes the context it was given and a slice live for this call.
    let (host, action) = unsafe { (host_from(context), action.as_slice()) };
    let action: Result<Action, _> = serde_json::from_slice(action);
    async move {
        let reply = match action {
            Ok(action) => host.submit(action).await,
            Err(error) => ActionReply::Error { message: format!("unreadable action: {error}") },
        };
        reply_buffer(&reply)
    }
    .into_ffi()
}

unsafe extern "C" fn host_log(context: *const HostContext, level: LogLevel, message: BytesRef<'_>) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in host_submit.
        let (host, message) = unsafe { (host_from(context), message.as_slice()) };
        let message = String::from_utf8_lossy(message);
        let _entered = host.span.enter();
        match level {
            LogLevel::ERROR => tracing::error!(target: "zimbot::plugin", "{message}"),
            LogLevel::WARN => tracing::warn!(target: "zimbot::plugin", "{message}"),
            LogLevel::INFO => tracing::info!(target: "zimbot::plugin", "{message}"),
            LogLevel::DEBUG => tracing::debug!(target: "zimbot::plugin", "{message}"),
            _ => tracing::trace!(target: "zimbot::plugin", "{message}"),
        }
    }));
}

unsafe extern "C" fn host_sleep(context: *const HostContext, millis: u64) -> FfiFuture<()> {
    // SAFETY: as in host_submit.
    let host = unsafe { host_from(context) };
    async move {
        // The clock may wake early (it re-reads wall time); sleep until the deadline really passed.
        let clock = &host.services.clock;
        let deadline = clock.now() + chrono::Duration::milliseconds(i64::try_from(millis).unwrap_or(i64::MAX / 2));
        loop {
            let left = (deadline - clock.now()).to_std().unwrap_or_default();
            if left.is_zero() {
                break;
            }
            clock.sleep(left).await;
        }
    }
    .into_ffi()
}

unsafe extern "C" fn host_spawn(context: *const HostContext, task: FfiFuture<()>) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in host_submit.
        let host = unsafe { host_from(context) };
        let runtime = host.services.runtime.clone();
        lock(&host.tasks).spawn_on(task, &runtime);
    }));
}

unsafe extern "C" fn host_now_ms(context: *const HostContext) -> i64 {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in host_submit.
        let host = unsafe { host_from(context) };
        host.services.clock.now().timestamp_millis()
    }))
    .unwrap_or(0)
}
