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
//!   action's window is open.
//! - Retryable errors (see [`zimbot_model::ZimCode::is_retryable`]) are retried up to `max_attempts` with
//!   exponential backoff and jitter; a throttling code pauses its window for `rate_limit_pause_ms` instead.
//! - [`Client::register_bots`] registers 20 bots per call, the calls counted in the `RobotRegister` window.
//! - A room send answered "room does not exist" (660300001) creates the room as its sender (`CreateRoom`; rooms
//!   are destroyed some time after they empty) and is sent again, once per send; if creating fails, the send fails
//!   with both reasons.
//! - A send with a deadline (`SendRequest::deadline_ms`) still unsent when it passes fails with
//!   `ZimCode::DEADLINE_PASSED` instead of going out late.
//!
//! A durable client ([`Client::durable`]) keeps every accepted send in the outbox of a [`SendJournal`] (see
//! `send_journal`): the store allocates the local id before `Attached`, the claim is recorded before the request
//! goes on the wire, the outcome before the terminal event. It resumes, before taking new sends, every send a
//! previous process left unfinished (see `client/resume.rs`), and `close` leaves sends still open at its deadline
//! in the outbox for the next start: their event streams end without a terminal event.

mod resume;
mod retention;

use crate::events::EventSink;
use crate::message_body::{check_wire_limits, outbound_message};
use crate::queue::{FairQueue, Taken};
use crate::retry::RetryPolicy;
use crate::send_journal::{now_ms, FileStamp, SendJournal, StoredRequest};
use crate::send_windows::{send_action, SendWindows};
use crate::stats::{ClientStats, Counters};
use crate::store::{MediaStore, ProgressCallback, UploadRequest};
use crate::transport::{OutboundMessage, Transport, MAX_USERS_PER_REGISTER};
use crate::validate::{check, Checked};
use crate::ClientConfig;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use zimbot_model::wire::{Action, RegisterUserInfo};
use zimbot_model::{
    AttachedMessage, BotId, ConversationId, ConversationType, LocalMessageId, MessageSentResult, Priority,
    RejectReason, SendEvent, SendFailure, SendRejected, SendRequest, UserId, ZimCode, ZimError,
};
use zimbot_store::{SendClaim as Claim, SendId};

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
        Self::build(config, transport, store, None)
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
        };
        let wake_dispatcher = Arc::new(Notify::new());
        let inner = Arc::new(Inner {
            config,
            transport,
            store,
            runtime: runtime.clone(),
            retry,
            next_local_id: AtomicU64::new(1),
            state: Mutex::new(state),
            wake_dispatcher: Arc::clone(&wake_dispatcher),
            idle: Notify::new(),
            counters: Counters::default(),
            journal,
            accepting: Mutex::new(()),
            resumed: Mutex::new(HashMap::new()),
        });
        runtime.spawn(dispatch(Arc::downgrade(&inner), wake_dispatcher));
        Client { inner }
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

    /// Registers bot users, 20 per request, retrying retryable errors. Users that exist already are fine.
    pub async fn register_bots(&self, bots: Vec<RegisterUserInfo>) -> Result<(), ZimError> {
        for batch in bots.chunks(MAX_USERS_PER_REGISTER) {
            let mut attempt = 0;
            loop {
                attempt += 1;
                self.inner.wait_for_window(Action::RobotRegister).await;
                match self.inner.transport.register_bots(batch).await {
                    Ok(()) => break,
                    Err(error) if error.is_retryable() && self.inner.retry.allows_another(attempt) => {
                        Counters::add(&self.inner.counters.retried, 1);
                        tracing::warn!(attempt, "registering bots failed, retrying: {error}");
                        if error.code.is_rate_limit() {
                            let pause = Duration::from_millis(self.inner.config.rate_limit_pause_ms);
                            self.inner.state.lock().windows.pause(
                                Action::RobotRegister,
                                error.code,
                                Instant::now(),
                                pause,
                            );
                        } else {
                            tokio::time::sleep(self.inner.retry.delay(attempt)).await;
                        }
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(())
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
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Lets the dispatcher notice that no client is left.
        self.wake_dispatcher.notify_one();
    }
}

impl Inner {
    fn accept(self: &Arc<Self>, sender: &Sender, request: SendRequest) -> Result<SendHandle, SendRejected> {
        let checked = check(&self.config.media_limits, &sender.user_id, request)?;
        let uid = hex::encode(rand::random::<[u8; 16]>());
        let prepared = self.prepare(&sender.user_id, checked, uid)?;
        // Held until the send is queued: sends are queued in the order the store numbered them.
        let _accepting = self.accepting.lock();
        {
            let state = self.state.lock();
            if state.closed {
                return Err(SendRejected::new(RejectReason::Closed, "the client is closing and accepts no more sends"));
            }
            let active = state.active_per_bot.get(&sender.bot).copied().unwrap_or(0);
            if active >= self.config.queue_capacity {
                return Err(SendRejected::new(
                    RejectReason::QueueFull,
                    format!(
                        "bot '{}' has {active} sends open, its queue capacity (client.queue_capacity); wait for some \
                         to finish or raise the capacity",
                        sender.bot
                    ),
                ));
            }
        }
        let local_id = match &self.journal {
            Some(journal) => self.store_accepted(journal, sender, &prepared)?,
            None => LocalMessageId(self.next_local_id.fetch_add(1, Ordering::Relaxed)),
        };
        let mut state = self.state.lock();
        if state.closed {
            // Closed while the send was being stored: it is not accepted, so it must not go out at the next start.
            if let Some(journal) = &self.journal {
                let refused = prepared.failure(local_id, ZimError::new(ZimCode::CANCELLED, "refused: closing"), 0);
                if let Err(error) = journal.complete(&sender.bot, SendId(local_id.0), &refused) {
                    tracing::warn!(%local_id, "could not mark a refused send in the outbox: {error}");
                }
            }
            return Err(SendRejected::new(RejectReason::Closed, "the client is closing and accepts no more sends"));
        }
        let (handle, sink) = prepared.handle(local_id);
        self.queue_job(&mut state, sender, local_id, prepared, sink, 0);
        drop(state);
        self.wake_dispatcher.notify_one();
        Ok(handle)
    }

    /// Stores an accepted send in the outbox, which gives it its id.
    fn store_accepted(
        &self,
        journal: &SendJournal,
        sender: &Sender,
        prepared: &Prepared,
    ) -> Result<LocalMessageId, SendRejected> {
        let file = match &prepared.upload {
            Some(upload) => Some(FileStamp::of(&upload.path).map_err(|error| {
                SendRejected::new(
                    RejectReason::FileUnreadable,
                    format!("the file {} could not be examined: {error}", upload.path.display()),
                )
            })?),
            None => None,
        };
        let stored = StoredRequest {
            user_id: sender.user_id.clone(),
            priority: sender.priority,
            request: prepared.request.clone(),
            uid: prepared.uid.clone(),
            attached: prepared.attached(LocalMessageId(0)),
            file,
        };
        match journal.enqueue(&sender.bot, &stored) {
            Ok(id) => Ok(LocalMessageId(id.0)),
            Err(error) => {
                tracing::error!(bot = %sender.bot, "send refused, the outbox is unavailable: {error}");
                Err(SendRejected::new(
                    RejectReason::StorageUnavailable,
                    format!("the send could not be stored before it was accepted: {error}"),
                ))
            }
        }
    }

    /// What a checked send needs on its way: its upload, or the wire message at once for text and URL media
    /// (checked against the service's size limits now; uploaded media once its URL is known, in `run_upload`).
    fn prepare(&self, from: &UserId, checked: Checked, uid: String) -> Result<Prepared, SendRejected> {
        let request = checked.request;
        let upload = checked.upload.map(|upload| UploadRequest { uid: uid.clone(), ..upload });
        let media_url = match &request.message {
            zimbot_model::OutgoingMessage::Media(media) => media.file_download_url.clone(),
            zimbot_model::OutgoingMessage::Text { .. } => None,
        };
        let outbound = match upload {
            Some(_) => None,
            None => {
                let message = outbound_message(from, &request, media_url.as_deref().unwrap_or_default(), &uid);
                check_wire_limits(&message, self.config.max_message_bytes)
                    .map_err(|problem| SendRejected::new(RejectReason::TooLarge, problem))?;
                Some(message)
            }
        };
        Ok(Prepared {
            request,
            upload,
            outbound,
            media_url,
            uid,
            file_name: checked.file_name,
            file_size: checked.file_size,
        })
    }

    /// Queues an accepted (or resumed) send as a job and starts uploads that may start.
    fn queue_job(
        self: &Arc<Self>,
        state: &mut State,
        sender: &Sender,
        local_id: LocalMessageId,
        prepared: Prepared,
        sink: Arc<EventSink>,
        attempts: u32,
    ) {
        let lane = (prepared.request.conversation_type, prepared.request.to_conversation_id.clone());
        state.sends.push(sender.bot.clone(), sender.priority, lane, local_id);
        if prepared.upload.is_some() {
            state.uploads.push(sender.bot.clone(), sender.priority, (), local_id);
        }
        *state.active_per_bot.entry(sender.bot.clone()).or_default() += 1;
        let job = Job {
            bot: sender.bot.clone(),
            from: sender.user_id.clone(),
            request: prepared.request,
            uid: prepared.uid,
            sink,
            upload: prepared.upload,
            outbound: prepared.outbound,
            media_url: prepared.media_url,
            attempts,
            room_created: false,
            task: None,
        };
        state.jobs.insert(local_id, job);
        self.start_uploads(state);
    }

    /// Waits until `action`'s window lets a call start, and records the start.
    async fn wait_for_window(&self, action: Action) {
        loop {
            let now = Instant::now();
            let at = {
                let mut state = self.state.lock();
                let at = state.windows.next_start(action, now);
                if at <= now {
                    state.windows.record_start(action, now);
                    return;
                }
                at
            };
            tokio::time::sleep_until(at).await;
        }
    }

    /// The earliest instant after `now` at which a closed send window opens, if one is closed and a send is
    /// waiting. Constant time whatever the queue's length: a window may open for an action no waiting send uses,
    /// which costs one spurious look at the queue, where scanning every job would cost that on every wake.
    fn next_window_opening(&self, now: Instant) -> Option<Instant> {
        let state = self.state.lock();
        if state.sends.is_empty() {
            return None;
        }
        state.windows.next_send_opening(now)
    }

    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.state.lock().jobs.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// Starts waiting uploads while upload slots are free.
    fn start_uploads(self: &Arc<Self>, state: &mut State) {
        while state.uploads_running < self.config.max_concurrent_uploads.max(1) {
            let Some(taken) = state.uploads.pop(|_| true) else {
                return;
            };
            state.uploads.finish(&taken.key, &taken.lane);
            let local_id = taken.item;
            let Some(job) = state.jobs.get_mut(&local_id) else {
                continue;
            };
            let (Some(upload), sink) = (job.upload.clone(), Arc::clone(&job.sink)) else {
                continue;
            };
            state.uploads_running += 1;
            let task = self.runtime.spawn(Arc::clone(self).run_upload(local_id, upload, sink));
            job.task = Some(task.abort_handle());
        }
    }

    /// Uploads one job's file, retrying retryable errors, and makes the job sendable (or fails it).
    async fn run_upload(self: Arc<Self>, local_id: LocalMessageId, upload: UploadRequest, sink: Arc<EventSink>) {
        let total = upload.size;
        let progress: ProgressCallback = {
            let sink = Arc::clone(&sink);
            Arc::new(move |current| sink.progress(current, total))
        };
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            match self.store.upload(&upload, Arc::clone(&progress)).await {
                Ok(url) => break Ok(url),
                Err(error) if error.is_retryable() && self.retry.allows_another(attempt) => {
                    Counters::add(&self.counters.retried, 1);
                    tracing::warn!(%local_id, attempt, "upload failed, retrying: {error}");
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                }
                Err(error) => break Err(error),
            }
        };
        let mut state = self.state.lock();
        state.uploads_running -= 1;
        match outcome {
            Ok(url) => {
                if let Some(job) = state.jobs.get_mut(&local_id) {
                    sink.upload_complete(total);
                    Counters::add(&self.counters.uploaded_bytes, total);
                    let message = outbound_message(&job.from, &job.request, &url, &job.uid);
                    job.media_url = Some(url);
                    job.task = None;
                    match check_wire_limits(&message, self.config.max_message_bytes) {
                        Ok(()) => job.outbound = Some(message),
                        Err(problem) => {
                            let lane = (job.request.conversation_type, job.request.to_conversation_id.clone());
                            let bot = job.bot.clone();
                            state.sends.remove(&bot, &lane, |queued| *queued == local_id);
                            tracing::warn!(%local_id, %bot, "not sent: {problem}");
                            let error = ZimError::new(ZimCode::WIRE_LIMIT, problem);
                            self.finish_job(&mut state, local_id, |job| job.failure(local_id, error, 0));
                        }
                    }
                }
            }
            Err(error) => {
                if let Some(job) = state.jobs.get(&local_id) {
                    let lane = (job.request.conversation_type, job.request.to_conversation_id.clone());
                    let bot = job.bot.clone();
                    state.sends.remove(&bot, &lane, |queued| *queued == local_id);
                    tracing::warn!(%local_id, %bot, "upload failed for good: {error}");
                    self.finish_job(&mut state, local_id, |job| job.failure(local_id, error, attempt));
                }
            }
        }
        self.start_uploads(&mut state);
        drop(state);
        self.wake_dispatcher.notify_one();
    }

    /// Takes the next ready send whose action's window is open at `now` and starts it. Returns whether one started.
    fn start_next_send(self: &Arc<Self>, now: Instant) -> bool {
        let mut state = self.state.lock();
        let state = &mut *state;
        loop {
            let (jobs, windows) = (&state.jobs, &state.windows);
            // A job missing from the map was cancelled: take it to drop it.
            let ready = |local_id: &LocalMessageId| {
                jobs.get(local_id).is_none_or(|job| {
                    job.outbound.is_some() && windows.allows(send_action(job.request.conversation_type), now)
                })
            };
            let Some(taken) = state.sends.pop(ready) else {
                return false;
            };
            let Some(job) = state.jobs.get_mut(&taken.item) else {
                state.sends.finish(&taken.key, &taken.lane);
                continue;
            };
            let Some(message) = job.outbound.clone() else {
                state.sends.finish(&taken.key, &taken.lane);
                continue;
            };
            if let Some(deadline) = job.request.deadline_ms.filter(|deadline| *deadline < now_ms() as u64) {
                state.sends.finish(&taken.key, &taken.lane);
                let error = ZimError::new(
                    ZimCode::DEADLINE_PASSED,
                    format!("the send's deadline ({deadline} ms since the epoch) passed before it could go out"),
                );
                let attempts = job.attempts;
                tracing::warn!(local_id = %taken.item, bot = %taken.key, "not sent: {}", error.message);
                let local_id = taken.item;
                self.finish_job(state, local_id, |job| job.failure(local_id, error, attempts));
                continue;
            }
            if let Some(journal) = &self.journal {
                // Recorded before the request goes out, so a crash from here on leaves an unknown outcome.
                match journal.claim(&taken.key, SendId(taken.item.0)) {
                    Ok(Claim::Claimed { .. }) => {}
                    Ok(Claim::NotNext) => {
                        tracing::warn!(local_id = %taken.item, "the outbox does not have this send next in its conversation; sending it anyway")
                    }
                    Err(error) => tracing::warn!(local_id = %taken.item, "could not record the claim: {error}"),
                }
            }
            // Counted from after the claim's commit, so the time it took never eats into the safety margin (the
            // request goes out right after this).
            let started = if self.journal.is_some() { now.max(Instant::now()) } else { now };
            state.windows.record_start(send_action(message.conversation_type), started);
            job.attempts += 1;
            let attempt = job.attempts;
            let task = self.runtime.spawn(Arc::clone(self).run_send(taken, message, attempt, started));
            job.task = Some(task.abort_handle());
            return true;
        }
    }

    /// Makes one send attempt and settles the job: sent, failed, or back in its lane to be retried.
    async fn run_send(
        self: Arc<Self>,
        taken: Taken<BotId, Lane, LocalMessageId>,
        message: OutboundMessage,
        attempt: u32,
        started: Instant,
    ) {
        let local_id = taken.item;
        let outcome = self.transport.send_message(&message).await;
        {
            let answered = Instant::now();
            let mut state = self.state.lock();
            // Measured from the limiter's stamp, so the margin covers the way from the stamp to the wire too.
            state.windows.record_latency(answered - started);
            // The request has reached the service (or never will): the windows may reopen sooner.
            state.windows.record_answer(send_action(message.conversation_type), started, answered);
        }
        self.wake_dispatcher.notify_one();
        match outcome {
            Ok(receipt) => {
                let mut state = self.state.lock();
                state.sends.finish(&taken.key, &taken.lane);
                self.finish_job(&mut state, local_id, |job| {
                    SendEvent::Sent(MessageSentResult {
                        local_id,
                        conversation_id: job.request.to_conversation_id.clone(),
                        conversation_type: job.request.conversation_type,
                        message_id: receipt.message_id,
                        message_seq: receipt.message_seq,
                        media_url: job.media_url.clone(),
                        attempts: attempt,
                        media_kind: job.request.message.media_kind(),
                        file_name: job.request.message.file_name(),
                        local_data: None,
                    })
                });
            }
            Err(error) if error.code == ZimCode::ROOM_NOT_FOUND && self.claim_room_creation(local_id, &message) => {
                // Rooms vanish once empty for their destroy delay; make it again and send again, once.
                let created = self.create_room(&message).await;
                let mut state = self.state.lock();
                match created {
                    Ok(()) if state.jobs.contains_key(&local_id) => {
                        tracing::info!(%local_id, room = %message.to, "created the room, sending again");
                        self.release(&taken.key, local_id);
                        state.sends.requeue(taken);
                    }
                    Ok(()) => state.sends.finish(&taken.key, &taken.lane),
                    Err(create_error) => {
                        tracing::warn!(%local_id, room = %message.to, "send failed: {error}; {create_error}");
                        state.sends.finish(&taken.key, &taken.lane);
                        let error = ZimError::new(
                            error.code,
                            format!("{}; creating the room failed too: {}", error.message, create_error.message),
                        );
                        self.finish_job(&mut state, local_id, |job| job.failure(local_id, error, attempt));
                    }
                }
            }
            Err(error) if error.is_retryable() && self.retry.allows_another(attempt) => {
                Counters::add(&self.counters.retried, 1);
                tracing::warn!(%local_id, bot = %taken.key, attempt, "send failed, retrying: {error}");
                if error.code.is_rate_limit() {
                    // The window holds every send of this action for the pause, this one included; no backoff of
                    // its own.
                    let pause = Duration::from_millis(self.config.rate_limit_pause_ms);
                    let action = send_action(message.conversation_type);
                    self.state.lock().windows.pause(action, error.code, Instant::now(), pause);
                } else {
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                }
                let mut state = self.state.lock();
                if state.jobs.contains_key(&local_id) {
                    self.release(&taken.key, local_id);
                    state.sends.requeue(taken);
                } else {
                    state.sends.finish(&taken.key, &taken.lane);
                }
            }
            Err(error) => {
                tracing::warn!(%local_id, bot = %taken.key, attempt, "send failed: {error}");
                let mut state = self.state.lock();
                state.sends.finish(&taken.key, &taken.lane);
                self.finish_job(&mut state, local_id, |job| job.failure(local_id, error, attempt));
            }
        }
        self.wake_dispatcher.notify_one();
    }

    /// Whether the room of this room send should be created now: only once per send.
    fn claim_room_creation(&self, local_id: LocalMessageId, message: &OutboundMessage) -> bool {
        if message.conversation_type != ConversationType::Room {
            return false;
        }
        let mut state = self.state.lock();
        match state.jobs.get_mut(&local_id) {
            Some(job) if !job.room_created => {
                job.room_created = true;
                true
            }
            _ => false,
        }
    }

    /// Creates the room `message` goes to, as its sender, in the `CreateRoom` window, retrying retryable errors.
    async fn create_room(&self, message: &OutboundMessage) -> Result<(), ZimError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_window(Action::CreateRoom).await;
            match self.transport.create_room(&message.from, &message.to).await {
                Err(error) if error.is_retryable() && self.retry.allows_another(attempt) => {
                    if error.code.is_rate_limit() {
                        let pause = Duration::from_millis(self.config.rate_limit_pause_ms);
                        self.state.lock().windows.pause(Action::CreateRoom, error.code, Instant::now(), pause);
                    } else {
                        tokio::time::sleep(self.retry.delay(attempt)).await;
                    }
                }
                outcome => return outcome,
            }
        }
    }

    /// Records in the outbox that `local_id`'s attempt was answered and it will be sent again.
    fn release(&self, bot: &BotId, local_id: LocalMessageId) {
        if let Some(journal) = &self.journal {
            if let Err(error) = journal.release(bot, SendId(local_id.0)) {
                tracing::warn!(%local_id, "could not record the answered attempt in the outbox: {error}");
            }
        }
    }

    /// Ends a job with the terminal event `event` builds, if the job is still open; a durable client records the
    /// outcome before the event goes out, so an outcome the plugin heard is never sent again.
    fn finish_job(&self, state: &mut State, local_id: LocalMessageId, event: impl FnOnce(&Job) -> SendEvent) {
        let Some(job) = state.jobs.remove(&local_id) else {
            return;
        };
        if let Some(active) = state.active_per_bot.get_mut(&job.bot) {
            *active -= 1;
            if *active == 0 {
                state.active_per_bot.remove(&job.bot);
            }
        }
        let event = event(&job);
        if let Some(journal) = &self.journal {
            if let Err(error) = journal.complete(&job.bot, SendId(local_id.0), &event) {
                tracing::warn!(%local_id, "could not record the outcome in the outbox: {error}");
            }
        }
        let counter = if matches!(event, SendEvent::Sent(_)) { &self.counters.sent } else { &self.counters.failed };
        if job.sink.finish(event) {
            Counters::add(counter, 1);
        }
        if state.jobs.is_empty() {
            self.idle.notify_waiters();
        }
    }
}

/// The dispatcher: starts every ready send whose window is open, then sleeps until a closed window of a ready send
/// opens or something changes (a send became ready, a lane was freed, the client closed). Holds the client only
/// weakly, so it ends when every `Client` is gone (or the client closed and has nothing left).
async fn dispatch(client: Weak<Inner>, wake: Arc<Notify>) {
    // Time spent waiting for a window since the last start, counted once a send does start.
    let mut held = Duration::ZERO;
    loop {
        let Some(inner) = client.upgrade() else {
            return;
        };
        // Every send the windows allow at this instant starts under this one `now`: their log entries are equal,
        // so the next window opens for all of them at once, instead of a timer tick each (which would lose a
        // millisecond or so per send and add up to a few percent of the rate).
        let now = Instant::now();
        let mut started = false;
        while inner.start_next_send(now) {
            started = true;
        }
        if started {
            Counters::add(&inner.counters.limiter_wait_micros, held.as_micros() as u64);
            held = Duration::ZERO;
        }
        {
            let state = inner.state.lock();
            if state.closed && state.jobs.is_empty() {
                return;
            }
        }
        let opening = inner.next_window_opening(now);
        drop(inner);
        match opening {
            Some(at) => {
                tokio::select! {
                    () = tokio::time::sleep_until(at) => held += at - now,
                    () = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
    }
}
