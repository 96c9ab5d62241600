//! The client every bot sends through: validation, the per-bot fair queue, uploads, the limiter and the transport,
//! wired together.
//!
//! Contract of [`Client::send`]:
//! - A send that fails validation, finds its bot's queue full or the client closed is refused with
//!   [`SendRejected`] and produces no event.
//! - An accepted send gets a [`LocalMessageId`] unique within the client, and its handle's `events` already hold
//!   [`SendEvent::Attached`] when `send` returns. Then come zero or more [`SendEvent::Progress`] (uploads only;
//!   monotonic, throttled, the last one `current == total` only after the store acknowledged the file) and exactly
//!   ONE of [`SendEvent::Sent`] or [`SendEvent::Failed`] — also after [`Client::close`].
//! - Sends of one bot to one conversation reach the transport in the order they were made: a later send waits
//!   until the earlier one ended (sent or failed), even when its own upload finished first. Retries keep the place.
//! - Uploads run before the send, outside the limiter, at most `max_concurrent_uploads` at once, picked fairly
//!   across bots. Sends start under the send windows (one exact window per Server API action, plus the optional
//!   overall cap; see `send_windows`; past half full, a message window opens one slot at a time) and are picked by
//!   the [`FairQueue`] (higher bot priority first, whole rounds among bots, new bots first) among the sends whose
//!   action's window is open. Sends granted at one instant reach the transport in the order they were granted.
//! - Retryable errors (see [`zimbot_model::ZimCode::is_retryable`]) are retried up to `max_attempts` with
//!   exponential backoff and jitter; a throttling code pauses its window for `rate_limit_pause_ms` instead.
//! - [`Client::register_bots`] registers 20 bots per call, the calls counted in the `RobotRegister` window.
//!   [`Client::start_registration`] registers the first call's bots before it returns and the others in the
//!   background: until a bot's batch is registered its sends wait in the queue (not ready, so other bots' sends
//!   pass them; nothing of theirs reaches the service, room creation included), and a batch that fails for good
//!   fails its bots' waiting and later sends with the registration's error (see `client/registering.rs`).
//! - Sends to a conversation put on hold ([`Client::hold_conversations`]) wait in the same way until it is
//!   released: `zimbot run` holds the rooms and groups it declares until it has tried to create them.
//! - A room send answered "room does not exist" (660300001) creates the room as its sender (`CreateRoom`, with the
//!   name and destroy delay the transport has declared for it; rooms are destroyed some time after they empty),
//!   counted in [`ClientStats::rooms_recreated`] and logged, and is sent again, once per send; if creating fails,
//!   the send fails with both reasons.
//! - A group send answered "group does not exist" (660600001) fails at once, its message saying the group was
//!   disbanded (or never created) and that its id is never used again (see `send_failure`).
//! - A send with a deadline (`SendRequest::deadline_ms`) still unsent when it passes fails with
//!   `ZimCode::DEADLINE_PASSED` instead of going out late.
//!
//! A durable client ([`Client::durable`]) keeps every accepted send in the outbox of a [`SendJournal`] (see
//! `send_journal`): the store allocates the local id before `Attached`, the claim is recorded before the request
//! goes on the wire, the outcome before the terminal event. It resumes, before taking new sends, every send a
//! previous process left unfinished (see `client/resume.rs`), and `close` leaves sends still open at its deadline
//! in the outbox for the next start: their event streams end without a terminal event.

mod accept;
mod registering;
mod resume;
mod retention;
mod sending;
mod uploads;

pub use registering::Registration;

use crate::events::EventSink;
use crate::queue::FairQueue;
use crate::registrations::Registrations;
use crate::retry::RetryPolicy;
use crate::send_journal::SendJournal;
use crate::send_windows::SendWindows;
use crate::stats::{ClientStats, Counters};
use crate::store::{MediaStore, UploadRequest};
use crate::transport::{OutboundMessage, Transport};
use crate::ClientConfig;
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use zimbot_model::{
    AttachedMessage, BotId, ConversationId, ConversationType, LocalMessageId, MessageSentResult, Priority, SendEvent,
    SendFailure, SendRejected, SendRequest, UserId, ZimCode, ZimError,
};

/// Who sends: the bot (its queue), its ZIM user id (`FromUserId`) and its priority class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub bot: BotId,
    pub user_id: UserId,
    pub priority: Priority,
}

/// An accepted send: its local id and its events (attached, progress*, then one of sent or failed).
#[derive(Debug)]
pub struct SendHandle {
    pub local_id: LocalMessageId,
    pub events: UnboundedReceiver<SendEvent>,
    /// The send, to describe it if the client goes away before it ends.
    request: SendRequest,
}

impl SendHandle {
    /// Waits for the terminal event and returns it, skipping the others. If the client was dropped without
    /// `close`, the send ends as cancelled.
    pub async fn result(mut self) -> Result<MessageSentResult, SendFailure> {
        while let Some(event) = self.events.recv().await {
            match event {
                SendEvent::Sent(result) => return Ok(result),
                SendEvent::Failed(failure) => return Err(failure),
                SendEvent::Attached(_) | SendEvent::Progress(_) => {}
            }
        }
        let error = ZimError::new(ZimCode::CANCELLED, "the client was dropped before this send finished");
        Err(SendFailure::of_request(self.local_id, &self.request, error, 0))
    }
}

/// The shared send client. Cheap to clone; all clones are one client. See the module documentation.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Client").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

/// A conversation of one bot: the unit of ordering.
type Lane = (ConversationType, ConversationId);

struct Inner {
    config: ClientConfig,
    transport: Arc<dyn Transport>,
    store: Arc<dyn MediaStore>,
    runtime: tokio::runtime::Handle,
    retry: RetryPolicy,
    next_local_id: AtomicU64,
    state: Mutex<State>,
    /// Wakes the dispatcher: a send became ready, a lane was freed, or the client closed.
    wake_dispatcher: Arc<Notify>,
    /// Wakes `close` when the last accepted send ended.
    idle: Notify,
    /// Wakes [`Client::registered`] when a registration batch ended.
    registration_changed: Notify,
    counters: Counters,
    /// The durable outbox, for a durable client.
    journal: Option<Arc<SendJournal>>,
    /// Serializes storing and queueing accepted sends, so the queue's order per conversation is the store's.
    accepting: Mutex<()>,
    /// Resumed sends whose handles the bots have not taken yet, per bot.
    resumed: Mutex<HashMap<BotId, Vec<SendHandle>>>,
}

struct State {
    closed: bool,
    jobs: HashMap<LocalMessageId, Job>,
    sends: FairQueue<BotId, Lane, LocalMessageId>,
    /// Uploads waiting for a slot; there is no order to keep between uploads, so one lane per bot.
    uploads: FairQueue<BotId, (), LocalMessageId>,
    uploads_running: usize,
    /// Accepted sends per bot that have not ended, for `queue_capacity`.
    active_per_bot: HashMap<BotId, usize>,
    windows: SendWindows,
    /// Bot users not registered yet (their sends wait) or whose registration failed (their sends fail).
    registrations: Registrations,
    /// Conversations whose sends wait until zimbot has tried to create them (declared rooms and groups at start).
    held: HashSet<Lane>,
}

/// One accepted send.
struct Job {
    bot: BotId,
    from: UserId,
    request: SendRequest,
    uid: String,
    sink: Arc<EventSink>,
    upload: Option<UploadRequest>,
    /// The wire message, once it can be sent (at once for text and URL media, after the upload otherwise).
    outbound: Option<OutboundMessage>,
    media_url: Option<String>,
    attempts: u32,
    /// Whether the room was created for this send already (it is created once, after "room does not exist").
    room_created: bool,
    /// The upload or send task working on this job, aborted by `close`.
    task: Option<AbortHandle>,
}

/// A checked send ready to be queued.
struct Prepared {
    request: SendRequest,
    upload: Option<UploadRequest>,
    outbound: Option<OutboundMessage>,
    media_url: Option<String>,
    uid: String,
    file_name: String,
    file_size: u64,
}

impl Prepared {
    fn attached(&self, local_id: LocalMessageId) -> AttachedMessage {
        AttachedMessage {
            local_id,
            conversation_id: self.request.to_conversation_id.clone(),
            conversation_type: self.request.conversation_type,
            media_kind: self.request.message.media_kind(),
            file_name: self.file_name.clone(),
            file_size: self.file_size,
            // The sink stamps the plugin's local data on every event of the send.
            local_data: None,
        }
    }

    /// The send's handle and sink, `Attached` already in its events.
    fn handle(&self, local_id: LocalMessageId) -> (SendHandle, Arc<EventSink>) {
        let (events_sender, events) = unbounded_channel();
        let sink = Arc::new(EventSink::new(local_id, events_sender).with_local_data(self.request.local_data.clone()));
        sink.emit(SendEvent::Attached(self.attached(local_id)));
        let handle = SendHandle { local_id, events, request: self.request.clone() };
        (handle, sink)
    }

    fn failure(&self, local_id: LocalMessageId, error: ZimError, attempts: u32) -> SendEvent {
        SendEvent::Failed(SendFailure::of_request(local_id, &self.request, error, attempts))
    }
}

impl Job {
    fn failure(&self, local_id: LocalMessageId, error: ZimError, attempts: u32) -> SendEvent {
        SendEvent::Failed(SendFailure::of_request(local_id, &self.request, error, attempts))
    }
}

impl Client {
    /// A client sending through `transport` and uploading to `store`, with its dispatcher spawned on the current
    /// tokio runtime.
    ///
    /// # Panics
    /// When called outside a tokio runtime (like `tokio::spawn`).
    pub fn new(config: ClientConfig, transport: Arc<dyn Transport>, store: Arc<dyn MediaStore>) -> Client {
        let client = Self::build(config, transport, store, None);
        client.start_dispatcher();
        client
    }

    /// A client that keeps every accepted send in `journal`'s outbox until it has a final outcome, after
    /// resuming the sends a previous process left unfinished (their handles wait in [`Client::take_resumed`]).
    /// Delivered and failed sends are removed after `sent_retention_ms` / `failed_retention_ms`.
    ///
    /// # Panics
    /// When called outside a tokio runtime (like `tokio::spawn`).
    pub fn durable(
        config: ClientConfig,
        transport: Arc<dyn Transport>,
        store: Arc<dyn MediaStore>,
        journal: Arc<SendJournal>,
    ) -> Result<Client, zimbot_store::StoreError> {
        let client = Self::build(config, transport, store, Some(Arc::clone(&journal)));
        client.inner.resume()?;
        // Started once the resumed sends are queued: its first look at the queue finds them (nothing else wakes
        // it when no new send comes).
        client.start_dispatcher();
        retention::spawn(&client.inner.runtime, journal, &client.inner.config);
        Ok(client)
    }

    /// Whether accepted sends are kept in an outbox (see [`Client::durable`]).
    pub fn is_durable(&self) -> bool {
        self.inner.journal.is_some()
    }

    /// The handles of `bot`'s sends resumed from the outbox at start (each begins with `Attached` again), taken
    /// once; the bot's hooks should receive their events.
    pub fn take_resumed(&self, bot: &BotId) -> Vec<SendHandle> {
        self.inner.resumed.lock().remove(bot).unwrap_or_default()
    }

    fn build(
        config: ClientConfig,
        transport: Arc<dyn Transport>,
        store: Arc<dyn MediaStore>,
        journal: Option<Arc<SendJournal>>,
    ) -> Client {
        let runtime = tokio::runtime::Handle::current();
        let retry = RetryPolicy::new(
            config.max_attempts,
            Duration::from_millis(config.backoff_initial_ms),
            Duration::from_millis(config.backoff_max_ms),
        );
        let state = State {
            closed: false,
            jobs: HashMap::new(),
            sends: FairQueue::default(),
            uploads: FairQueue::default(),
            uploads_running: 0,
            active_per_bot: HashMap::new(),
            windows: SendWindows::new(&config),
            registrations: Registrations::default(),
            held: HashSet::new(),
        };
        let inner = Arc::new(Inner {
            config,
            transport,
            store,
            runtime: runtime.clone(),
            retry,
            next_local_id: AtomicU64::new(1),
            state: Mutex::new(state),
            wake_dispatcher: Arc::new(Notify::new()),
            idle: Notify::new(),
            registration_changed: Notify::new(),
            counters: Counters::default(),
            journal,
            accepting: Mutex::new(()),
            resumed: Mutex::new(HashMap::new()),
        });
        Client { inner }
    }

    /// Spawns the dispatcher, which starts the queued sends from then on.
    fn start_dispatcher(&self) {
        let wake = Arc::clone(&self.inner.wake_dispatcher);
        self.inner.runtime.spawn(sending::dispatch(Arc::downgrade(&self.inner), wake));
    }

    /// The settings the client runs with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Validates `request` and queues it as `sender`'s. On return, `Attached` is already in the handle's events.
    pub fn send(&self, sender: &Sender, request: SendRequest) -> Result<SendHandle, SendRejected> {
        let accepted = self.inner.accept(sender, request);
        if let Err(rejected) = &accepted {
            Counters::add(&self.inner.counters.rejected, 1);
            tracing::debug!(bot = %sender.bot, reason = ?rejected.reason, "send refused: {}", rejected.message);
        }
        accepted
    }

    /// Stops intake (later sends are refused as closed), lets queued and running sends finish for up to
    /// `deadline`, then ends every send still open with `Failed(CANCELLED)`. Every accepted send has had exactly
    /// one terminal event when this returns.
    pub async fn close(&self, deadline: Duration) {
        self.inner.state.lock().closed = true;
        self.inner.wake_dispatcher.notify_one();
        let drained = tokio::time::timeout(deadline, self.inner.wait_idle()).await.is_ok();
        if drained {
            return;
        }
        let cancelled: Vec<(LocalMessageId, Job)> = {
            let mut state = self.inner.state.lock();
            state.sends = FairQueue::default();
            state.uploads = FairQueue::default();
            state.active_per_bot.clear();
            state.jobs.drain().collect()
        };
        if self.inner.journal.is_some() {
            // Durable: they stay in the outbox and are resumed at the next start; their streams end here.
            tracing::warn!(count = cancelled.len(), "client closed with sends still open; they stay in the outbox");
            for (_, job) in cancelled {
                if let Some(task) = &job.task {
                    task.abort();
                }
            }
            self.inner.idle.notify_waiters();
            self.inner.wake_dispatcher.notify_one();
            return;
        }
        tracing::warn!(count = cancelled.len(), "client closed with sends still open; cancelling them");
        for (local_id, job) in cancelled {
            if let Some(task) = &job.task {
                task.abort();
            }
            let error = ZimError::new(
                ZimCode::CANCELLED,
                format!("the client closed before this send finished (close deadline {deadline:?})"),
            );
            if job.sink.finish(job.failure(local_id, error, job.attempts)) {
                Counters::add(&self.inner.counters.failed, 1);
            }
        }
        self.inner.idle.notify_waiters();
        self.inner.wake_dispatcher.notify_one();
    }

    /// The safety margin the send windows count with now (fixed, or adapted to measured latencies).
    pub fn safety_margin(&self) -> Duration {
        self.inner.state.lock().windows.margin()
    }

    /// The counters, for `/metrics`.
    pub fn stats(&self) -> ClientStats {
        let counters = &self.inner.counters;
        let state = self.inner.state.lock();
        let (users_registering, users_registration_failed) = state.registrations.counts();
        ClientStats {
            sent: Counters::read(&counters.sent),
            failed: Counters::read(&counters.failed),
            retried: Counters::read(&counters.retried),
            rejected: Counters::read(&counters.rejected),
            queue_depth: state.sends.len(),
            in_progress: state.jobs.len(),
            limiter_wait: Duration::from_micros(Counters::read(&counters.limiter_wait_micros)),
            uploaded_bytes: Counters::read(&counters.uploaded_bytes),
            window_violations: state.windows.violations(),
            rooms_recreated: Counters::read(&counters.rooms_recreated),
            users_registering,
            users_registration_failed,
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Lets the dispatcher notice that no client is left.
        self.wake_dispatcher.notify_one();
    }
}
