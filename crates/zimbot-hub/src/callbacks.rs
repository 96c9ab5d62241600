//! Firing callbacks at the configured URL, in order per conversation, with retries: `send_msg` / `bot_msg` for
//! messages, and the membership and presence events (`room_create`, `room_destroy`, `room_enter`, `room_exit`,
//! `group_create`, `group_destroy`, `group_join`, `group_exit`, `user_action`), which queue with the messages of
//! their room or group so a receiver hears "entered" before what was said after.
//!
//! Every conversation has its own queue and at most one worker task draining it, so the callbacks of one
//! conversation arrive in message order while a slow conversation never holds up another. Queuing never waits:
//! the Server API and client API answer at once whatever the receiver does. An attempt fails on a connection
//! error, a timeout or a non-2xx answer; it is retried after each of the configured delays (the service's are
//! 2, 4, 8, 16, 32 s) and then given up. Each attempt is signed afresh (new nonce and timestamp), so a late retry
//! still passes the receiver's timestamp window.
//!
//! With a queue store ([`CallbackDispatcher::with_queue_store`]) every callback is written to the hub's database
//! before its message's API call is answered and removed once delivered or given up, so callbacks still queued
//! at shutdown (or a crash) are delivered after the next start ([`CallbackDispatcher::resume`]), in order per
//! conversation, their retry schedule starting over. Without one, they are dropped. Membership and presence
//! callbacks are stored the same way, as their change happens (see `store/callback_queue.rs`).
//!
//! A message callback's `timestamp` is the time of each attempt (its `msg_id` identifies it). A membership or
//! presence callback's `timestamp` is, as documented, the time its change happened, the same on every attempt, so
//! a receiver tells a retry (same body, new nonce and signature) from a new change of the same kind.
//!
//! Bounded queues: while a receiver is down, a conversation's worker sits on its front callback for up to the
//! whole retry schedule (62 s at the service's delays), and new messages keep queuing behind it. Each
//! conversation keeps at most `queue_limit` callbacks waiting behind the one being delivered; when a new one
//! comes to a full queue, the OLDEST waiting callback is dropped (never the one in delivery), counted in
//! `callbacks_dropped` and logged. Dropping the oldest matches the runtime's mailbox: a receiver that comes
//! back hears the recent conversation, in order.

use crate::conversation::ConversationKey;
use crate::message::HubMessage;
use crate::stats::Counters;
use crate::store::{PendingCallback, QueuedBody, Store, StoredEvent};
use parking_lot::Mutex;
use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use zimbot_model::{ConversationType, UserId};
use zimbot_wire::{callback_signature, Callback, CallbackEvent, CallbackUser};

/// Where and how callbacks are sent.
#[derive(Debug, Clone)]
pub(crate) struct CallbackSettings {
    pub(crate) url: Option<String>,
    pub(crate) secret: String,
    pub(crate) app_id: u32,
    pub(crate) retry_delays: Vec<Duration>,
    pub(crate) timeout: Duration,
    /// Callbacks a conversation may have waiting behind the one being delivered.
    pub(crate) queue_limit: usize,
}

/// One callback waiting to be sent: its body without `nonce`, `timestamp` and `signature`, which each attempt
/// sets afresh.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    event: String,
    /// What logs name it by: the message id, or the room, group or user it is about.
    about: String,
    body: Map<String, Value>,
    /// Room and group events carry their timestamp in milliseconds, the others in seconds.
    millisecond_timestamp: bool,
    /// For a membership or presence event, when it happened (Unix milliseconds): its `timestamp` on every attempt.
    time_ms: Option<i64>,
}

impl Outgoing {
    /// A membership or presence callback `event` with `fields` (its own fields; `appid` and `event` are added).
    pub(crate) fn event(event: &str, about: &str, fields: Map<String, Value>, millisecond_timestamp: bool) -> Self {
        let time_ms = Some(crate::store::now_millis());
        Self { event: event.to_owned(), about: about.to_owned(), body: fields, millisecond_timestamp, time_ms }
    }

    fn stored(event: StoredEvent) -> Self {
        Self {
            event: event.event,
            about: event.about,
            body: event.body,
            millisecond_timestamp: event.millisecond_timestamp,
            time_ms: Some(event.time_ms),
        }
    }

    fn to_stored(&self) -> StoredEvent {
        StoredEvent {
            event: self.event.clone(),
            about: self.about.clone(),
            body: self.body.clone(),
            millisecond_timestamp: self.millisecond_timestamp,
            time_ms: self.time_ms.unwrap_or_else(crate::store::now_millis),
        }
    }

    fn message(callback: &Callback) -> Self {
        let body = match serde_json::to_value(callback) {
            Ok(Value::Object(body)) => body,
            // A struct of strings and numbers always serializes to an object.
            _ => Map::new(),
        };
        Self {
            event: callback.event.as_str().to_owned(),
            about: callback.msg_id.clone(),
            body,
            millisecond_timestamp: false,
            time_ms: None,
        }
    }
}

/// The per-conversation callback queues and their workers.
#[derive(Debug, Clone)]
pub(crate) struct CallbackDispatcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: CallbackSettings,
    client: reqwest::Client,
    counters: Arc<Counters>,
    /// A key is present exactly while a worker is draining that conversation's queue.
    queues: Mutex<HashMap<ConversationKey, VecDeque<Queued>>>,
    /// Where queued callbacks are kept across restarts, if anywhere.
    store: Option<Store>,
    shutdown: CancellationToken,
    workers: TaskTracker,
}

impl CallbackDispatcher {
    /// A dispatcher whose workers stop when `shutdown` is cancelled.
    pub(crate) fn new(
        settings: CallbackSettings,
        client: reqwest::Client,
        counters: Arc<Counters>,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                client,
                counters,
                queues: Mutex::new(HashMap::new()),
                store: None,
                shutdown,
                workers: TaskTracker::new(),
            }),
        }
    }

    /// The same dispatcher keeping its queue in `store` (call before the dispatcher is cloned).
    pub(crate) fn with_queue_store(mut self, store: Store) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.store = Some(store);
        }
        self
    }

    /// Queues the callbacks `message` fires: `send_msg`, plus `bot_msg` for a peer message to a bot user; with a
    /// queue store, they are stored before this returns — during shutdown too (a message accepted while the hub
    /// stops is answered, so its callbacks are owed: they go out after the next start).
    pub(crate) async fn enqueue(&self, key: ConversationKey, message: &HubMessage) {
        if self.inner.settings.url.is_none() || (self.inner.shutdown.is_cancelled() && self.inner.store.is_none()) {
            return;
        }
        let mut callbacks = vec![unsigned_callback(self.inner.settings.app_id, CallbackEvent::SendMsg, message)];
        if message.conv_type == ConversationType::Peer && UserId::from(message.conv_id.as_str()).is_bot() {
            callbacks.push(unsigned_callback(self.inner.settings.app_id, CallbackEvent::BotMsg, message));
        }
        let ids = match &self.inner.store {
            Some(store) => match store.save_callbacks(&key, callbacks.clone()).await {
                Ok(ids) => ids.into_iter().map(Some).collect(),
                Err(error) => {
                    tracing::error!(msg_id = %message.id, "callbacks kept in memory only, not stored: {error}");
                    vec![None; callbacks.len()]
                }
            },
            None => vec![None; callbacks.len()],
        };
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        let queued = ids.into_iter().zip(callbacks);
        self.push(key, queued.map(|(id, callback)| Queued { id, callback: Outgoing::message(&callback) }).collect());
    }

    /// Queues the callbacks a previous run of the hub left undelivered, before any new one.
    pub(crate) fn resume(&self, pending: Vec<PendingCallback>) {
        if !pending.is_empty() {
            tracing::info!(count = pending.len(), "delivering the callbacks left queued by the previous run");
        }
        for entry in pending {
            let callback = match entry.callback {
                QueuedBody::Message(callback) => Outgoing::message(&callback),
                QueuedBody::Event(event) => Outgoing::stored(event),
            };
            self.push(entry.key, vec![Queued { id: Some(entry.id), callback }]);
        }
    }

    /// Queues a membership or presence callback behind the callbacks of conversation `key`; with a queue store,
    /// it is stored before this returns, like a message's callbacks.
    pub(crate) fn enqueue_event(&self, key: ConversationKey, mut callback: Outgoing) {
        if self.inner.settings.url.is_none() || (self.inner.shutdown.is_cancelled() && self.inner.store.is_none()) {
            return;
        }
        callback.body.insert("appid".to_owned(), Value::from(self.inner.settings.app_id.to_string()));
        callback.body.insert("event".to_owned(), Value::from(callback.event.clone()));
        let id = self.inner.store.as_ref().and_then(|store| match store.save_event_blocking(&key, callback.to_stored()) {
            Ok(id) => Some(id),
            Err(error) => {
                tracing::error!(event = callback.event, about = %callback.about, "callback kept in memory only, not stored: {error}");
                None
            }
        });
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        self.push(key, vec![Queued { id, callback }]);
    }

    fn push(&self, key: ConversationKey, callbacks: Vec<Queued>) {
        let mut queues = self.inner.queues.lock();
        match queues.get_mut(&key) {
            Some(queue) => {
                for callback in callbacks {
                    // The front is being delivered; the rest wait.
                    if queue.len() > self.inner.settings.queue_limit {
                        if let Some(dropped) = queue.remove(1) {
                            self.inner.counters.callback_dropped();
                            self.inner.forget_later(dropped.id);
                            let dropped = dropped.callback;
                            tracing::warn!(
                                about = %dropped.about, event = dropped.event, limit = self.inner.settings.queue_limit,
                                "callback queue of the conversation is full (is the receiver down?): dropped its oldest waiting callback"
                            );
                        }
                    }
                    queue.push_back(callback);
                }
            }
            None => {
                queues.insert(key.clone(), callbacks.into());
                let inner = Arc::clone(&self.inner);
                self.inner.workers.spawn(async move { inner.drain(key).await });
            }
        }
    }

    /// Stops the workers (dropping what is still queued) and waits for them to end.
    pub(crate) async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.workers.close();
        self.inner.workers.wait().await;
    }
}

/// One callback waiting in a conversation's queue, with its id in the queue store when it is stored.
#[derive(Debug)]
struct Queued {
    id: Option<i64>,
    callback: Outgoing,
}

impl Inner {
    /// Removes a callback that will not be delivered any more from the queue store, in the background.
    fn forget_later(&self, id: Option<i64>) {
        if let (Some(store), Some(id)) = (self.store.clone(), id) {
            self.workers.spawn(async move {
                if let Err(error) = store.forget_callback(id).await {
                    tracing::warn!(id, "a finished callback stays in the queue store: {error}");
                }
            });
        }
    }

    /// Delivers the queue of `key` front to back, then retires (a later enqueue starts a new worker).
    async fn drain(&self, key: ConversationKey) {
        loop {
            let next = {
                let mut queues = self.queues.lock();
                match queues.get(&key).and_then(|queue| queue.front()) {
                    Some(queued) => (queued.id, queued.callback.clone()),
                    None => {
                        queues.remove(&key);
                        return;
                    }
                }
            };
            let (id, callback) = next;
            if !self.deliver_with_retries(callback).await {
                return;
            }
            if let (Some(store), Some(id)) = (&self.store, id) {
                if let Err(error) = store.forget_callback(id).await {
                    tracing::warn!(id, "a delivered callback stays in the queue store: {error}");
                }
            }
            if let Some(queue) = self.queues.lock().get_mut(&key) {
                queue.pop_front();
            }
        }
    }

    /// Delivers one callback, retrying after each configured delay. `false` when shutdown interrupted it.
    async fn deliver_with_retries(&self, mut callback: Outgoing) -> bool {
        let Some(url) = self.settings.url.as_deref() else {
            return true;
        };
        let mut retries = self.settings.retry_delays.iter();
        loop {
            sign(&mut callback, &self.settings.secret);
            let attempt = tokio::select! {
                () = self.shutdown.cancelled() => return false,
                result = self.client.post(url).timeout(self.settings.timeout).json(&callback.body).send() => result,
            };
            let failure = match attempt {
                Ok(response) if response.status().is_success() => {
                    self.counters.callback_delivered();
                    return true;
                }
                Ok(response) => format!("the receiver answered HTTP {}", response.status()),
                Err(error) => format!("the request failed: {error}"),
            };
            let Some(delay) = retries.next() else {
                self.counters.callback_failed();
                tracing::warn!(
                    url, event = callback.event, about = %callback.about,
                    "giving up on callback after its last retry: {failure}"
                );
                return true;
            };
            tracing::debug!(url, about = %callback.about, ?delay, "callback attempt failed ({failure}); retrying");
            tokio::select! {
                () = self.shutdown.cancelled() => return false,
                () = tokio::time::sleep(*delay) => {}
            }
            self.counters.callback_retried();
        }
    }
}

/// The callback of `event` for `message`, not yet signed.
fn unsigned_callback(app_id: u32, event: CallbackEvent, message: &HubMessage) -> Callback {
    let user_list = match message.conv_type {
        ConversationType::Peer => {
            vec![CallbackUser { user_id: message.conv_id.clone(), msg_id: message.id.clone(), msg_seq: message.seq }]
        }
        ConversationType::Room | ConversationType::Group => Vec::new(),
    };
    Callback {
        appid: app_id.to_string(),
        event,
        nonce: String::new(),
        signature: String::new(),
        timestamp: 0,
        from_user_id: message.from.clone(),
        conv_type: message.conv_type.code().into(),
        conv_id: message.conv_id.clone(),
        msg_type: message.msg_type.into(),
        sub_msg_type: message.sub_msg_type.into(),
        source: message.source.code(),
        msg_body: message.body.clone(),
        msg_id: message.id.clone(),
        msg_seq: i64::try_from(message.seq).unwrap_or(i64::MAX),
        msg_time: message.time,
        send_result: 0,
        payload: String::new(),
        user_list,
    }
}

/// Gives `callback` a fresh nonce, its timestamp (now, or when its membership change happened) and the signature
/// over them.
fn sign(callback: &mut Outgoing, secret: &str) {
    let nonce = rand::random::<u64>().to_string();
    let millis = callback.time_ms.unwrap_or_else(crate::store::now_millis);
    let timestamp = if callback.millisecond_timestamp { millis } else { millis / 1000 };
    let signature = callback_signature(secret, &timestamp.to_string(), &nonce);
    callback.body.insert("nonce".to_owned(), Value::from(nonce));
    callback.body.insert("timestamp".to_owned(), Value::from(timestamp));
    callback.body.insert("signature".to_owned(), Value::from(signature));
}
