//! The host side of a bot: one [`BotHost`] per bot, which carries out what its plugin instances submit.
//!
//! Sends go to the [`Outbound`]; each accepted send gets a forwarder task that feeds its events into the bot's
//! notification lane and records the terminal result, so `SendHandle::result` can be answered whether it is
//! awaited before or after the send ends. The forwarder starts feeding only once the plugin has let go of the
//! submit's reply future (it took the `SendHandle`, or gave up waiting), so the hook that sent always holds the
//! handle before `on_message_attached` of that send can run. Plugins reach a `BotHost` only through an [`InstanceContext`] (see
//! `context`), which the host checks on every call.

use super::bot_store::BotStoreHost;
use super::context::InstanceContext;
use crate::clock::Clock;
use crate::dispatch::NotificationQueue;
use crate::outbound::{Outbound, OutboundSend, Sender};
use crate::state::StateStore;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use zimbot_abi::{Action, ActionReply, SendOutcome};
use zimbot_model::{
    AttachedMessage, LocalMessageId, OutgoingMessage, RejectReason, SendEvent, SendFailure, SendRejected, SendRequest,
    ZimCode, ZimError,
};

/// How many finished, never-awaited results a bot keeps for a late `result()` call.
const FINISHED_RESULTS_KEPT: usize = 4096;

/// What every bot's host shares: the sender, the clock, where plugin state is kept, and the runtime plugin code
/// runs on.
#[derive(Clone)]
pub struct HostServices {
    pub outbound: Arc<dyn Outbound>,
    pub clock: Arc<dyn Clock>,
    pub state: Arc<StateStore>,
    /// Where acknowledged messages are journaled; `None` keeps nothing (tests, tools).
    pub storage: Option<Arc<crate::journal::Storage>>,
    /// The group-commit writer of `storage`, started by the runtime (see `journal`).
    pub journal_writer: Option<crate::journal::InboxWriter>,
    pub runtime: tokio::runtime::Handle,
}

impl HostServices {
    /// Services on the current tokio runtime that keep no state between runs (see [`HostServices::with_state`]).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new(outbound: Arc<dyn Outbound>, clock: Arc<dyn Clock>) -> Self {
        Self {
            outbound,
            clock,
            state: Arc::new(StateStore::memory()),
            storage: None,
            journal_writer: None,
            runtime: tokio::runtime::Handle::current(),
        }
    }

    /// The same services journaling acknowledged messages in `storage` (see `journal`).
    pub fn with_storage(self, storage: crate::journal::Storage) -> Self {
        Self { storage: Some(Arc::new(storage)), ..self }
    }

    /// The same services keeping plugin state in `state`.
    pub fn with_state(self, state: StateStore) -> Self {
        Self { state: Arc::new(state), ..self }
    }
}

/// One bot's host state; it lives as long as the bot (and as long as a send of it is still being forwarded).
pub struct BotHost {
    sender: Sender,
    pub(super) services: HostServices,
    notifications: Arc<NotificationQueue>,
    results: Mutex<ResultBook>,
    /// The bot's `ctx.store()`.
    store: Arc<BotStoreHost>,
    pub(super) span: tracing::Span,
}

impl BotHost {
    /// A host for `sender`'s bot whose send events go to `notifications`; its store stamps values with
    /// `plugin_version` (the bot's plugin's `VERSION`).
    pub fn new(
        sender: Sender,
        services: HostServices,
        notifications: Arc<NotificationQueue>,
        span: tracing::Span,
        plugin_version: &str,
    ) -> Arc<Self> {
        let store = BotStoreHost::new(services.storage.clone(), sender.bot.to_string(), plugin_version.to_owned());
        Arc::new(Self {
            sender,
            services,
            notifications,
            results: Mutex::new(ResultBook::default()),
            store: Arc::new(store),
            span,
        })
    }

    /// A fresh context for one plugin instance of this bot: its `HostApi` is live until the context is retired
    /// (or dropped).
    pub fn context(self: &Arc<Self>) -> InstanceContext {
        InstanceContext::register(Arc::clone(self))
    }

    /// Starts forwarding the bot's sends that the outbound resumed from a previous process, so the plugin's hooks
    /// receive their remaining events and `result()` answers for their (unchanged) local ids.
    pub fn adopt_resumed(self: &Arc<Self>) {
        let resumed = self.services.outbound.resumed(&self.sender.bot);
        if !resumed.is_empty() {
            tracing::info!(parent: &self.span, count = resumed.len(), "resuming sends left by the previous run");
        }
        for send in resumed {
            self.results.lock().track(send.local_id);
            let host = Arc::clone(self);
            // No plugin future holds these: the hooks may hear their events at once.
            let (_, handed) = oneshot::channel();
            self.services.runtime.spawn(host.forward(send.local_id, send.events, handed));
        }
    }

    /// Carries out `action`; `handed` ends when the plugin has let go of the reply (see the module docs).
    pub(super) async fn submit(self: Arc<Self>, action: Action, handed: oneshot::Receiver<()>) -> ActionReply {
        match action {
            Action::Send { request } => match self.send(*request).await {
                Ok(send) => {
                    self.results.lock().track(send.local_id);
                    let host = Arc::clone(&self);
                    self.services.runtime.spawn(host.forward(send.local_id, send.events, handed));
                    ActionReply::Accepted { local_id: send.local_id }
                }
                Err(rejected) => ActionReply::Rejected { rejected },
            },
            Action::AwaitResult { local_id } => {
                let waiter = match self.results.lock().wait(local_id) {
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
            Action::StoreGet { .. }
            | Action::StorePut { .. }
            | Action::StoreDelete { .. }
            | Action::StoreList { .. }
            | Action::StoreCompareAndSwap { .. } => Arc::clone(&self.store).answer(action).await,
            Action::Unknown => ActionReply::Error { message: "this runtime does not know that action".to_owned() },
        }
    }

    /// Hands `request` to the outbound. Validating a local file examines it on disk, so such sends are handed
    /// over on the blocking pool, never on an async worker.
    async fn send(self: &Arc<Self>, request: SendRequest) -> Result<OutboundSend, SendRejected> {
        let reads_a_file = matches!(&request.message, OutgoingMessage::Media(media) if media.file_local_path.is_some());
        if !reads_a_file {
            return self.services.outbound.send(&self.sender, request);
        }
        let host = Arc::clone(self);
        tokio::task::spawn_blocking(move || host.services.outbound.send(&host.sender, request)).await.unwrap_or_else(
            |error| Err(SendRejected::new(RejectReason::Other, format!("the send could not be validated: {error}"))),
        )
    }

    /// Feeds one send's events into the notification queue (which coalesces progress, so this never waits for
    /// the plugin and the send's own channel stays drained), recording its result; a stream that ends without a
    /// terminal event ends the send as cancelled, so every send still ends exactly once — unless the outbound
    /// keeps unfinished sends for the next start, where such a send is not over and its end comes then.
    async fn forward(
        self: Arc<Self>,
        local_id: LocalMessageId,
        mut events: mpsc::UnboundedReceiver<SendEvent>,
        handed: oneshot::Receiver<()>,
    ) {
        // Ends (as an error: nothing is ever sent on it) when the plugin drops the reply future.
        let _ = handed.await;
        let mut attached_as = None;
        while let Some(event) = events.recv().await {
            if let SendEvent::Attached(attached) = &event {
                attached_as = Some(attached.clone());
            }
            let outcome = match &event {
                SendEvent::Sent(result) => Some(SendOutcome::Sent { result: result.clone() }),
                SendEvent::Failed(failure) => Some(SendOutcome::Failed { failure: failure.clone() }),
                _ => None,
            };
            self.notifications.push(event);
            if let Some(outcome) = outcome {
                self.results.lock().finish(local_id, outcome);
                return;
            }
        }
        if self.services.outbound.keeps_unfinished() {
            tracing::debug!(parent: &self.span, %local_id, "send left open at the stop; it resumes at the next start");
            return;
        }
        let attached = attached_as.unwrap_or_else(|| AttachedMessage {
            local_id,
            conversation_id: zimbot_model::ConversationId::new(""),
            conversation_type: zimbot_model::ConversationType::Peer,
            media_kind: None,
            file_name: String::new(),
            file_size: 0,
            local_data: None,
        });
        let failure = SendFailure {
            local_id,
            conversation_id: attached.conversation_id,
            conversation_type: attached.conversation_type,
            error: ZimError::new(ZimCode::CANCELLED, "the send ended without a result"),
            attempts: 0,
            media_kind: attached.media_kind,
            file_name: attached.file_name,
            local_data: attached.local_data,
        };
        self.notifications.push(SendEvent::Failed(failure.clone()));
        self.results.lock().finish(local_id, SendOutcome::Failed { failure });
    }
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
