//! How the runtime sends: the [`Outbound`] trait the plugin host submits sends to.
//!
//! In production it is the shared `zimbot_client::Client`; tests and `zimbot run` without a backend can use
//! [`LoopbackOutbound`], which accepts every valid send and reports it sent at once, recording it.

use async_trait::async_trait;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use zimbot_model::{
    AttachedMessage, BotId, LocalMessageId, MessageSentResult, OutgoingMessage, RejectReason, SendEvent, SendRejected,
    SendRequest,
};

pub use zimbot_client::Sender;

/// An accepted send: its id and its events (attached first, exactly one terminal event last).
pub struct OutboundSend {
    pub local_id: LocalMessageId,
    pub events: mpsc::UnboundedReceiver<SendEvent>,
}

/// Something that takes sends.
///
/// Contract: `send` either refuses at once (and produces no events) or accepts and returns a stream that yields
/// `Attached`, then progress, then exactly one of `Sent` / `Failed`. `close` stops intake and ends every accepted
/// send (finishing or failing it) before it returns or the deadline passes — except that an outbound that
/// [`keeps_unfinished`](Outbound::keeps_unfinished) sends leaves those still open at the deadline for the next
/// start: their streams end without a terminal event, and [`resumed`](Outbound::resumed) gives them back then.
#[async_trait]
pub trait Outbound: Send + Sync + 'static {
    fn send(&self, sender: &Sender, request: SendRequest) -> Result<OutboundSend, SendRejected>;
    async fn close(&self, deadline: Duration);

    /// Whether sends left open are kept (in a durable outbox) for the next start rather than failed.
    fn keeps_unfinished(&self) -> bool {
        false
    }

    /// `bot`'s sends that a previous process left unfinished and this one resumed, taken once (each stream begins
    /// with `Attached` again). The bot's host forwards their events to its hooks.
    fn resumed(&self, _bot: &BotId) -> Vec<OutboundSend> {
        Vec::new()
    }
}

/// An in-process outbound that reports every send sent at once, and remembers what was sent.
#[derive(Default)]
pub struct LoopbackOutbound {
    next_id: AtomicU64,
    sent: Mutex<Vec<(Sender, SendRequest)>>,
    accepted: tokio::sync::watch::Sender<usize>,
    closed: std::sync::atomic::AtomicBool,
}

impl LoopbackOutbound {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Every send accepted so far, in order.
    pub fn sent(&self) -> Vec<(Sender, SendRequest)> {
        self.sent.lock().clone()
    }

    /// Resolves once at least `count` sends were accepted in all.
    pub async fn wait_until_sent(&self, count: usize) {
        let mut accepted = self.accepted.subscribe();
        // The sender lives in self, so the channel cannot close while this waits.
        let _ = accepted.wait_for(|accepted| *accepted >= count).await;
    }
}

#[async_trait]
impl Outbound for LoopbackOutbound {
    fn send(&self, sender: &Sender, request: SendRequest) -> Result<OutboundSend, SendRejected> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(SendRejected::new(RejectReason::Closed, "the runtime is shutting down"));
        }
        request
            .to_conversation_id
            .validate()
            .map_err(|error| SendRejected::new(RejectReason::InvalidId, error.to_string()))?;
        let local_id = LocalMessageId(self.next_id.fetch_add(1, Ordering::SeqCst) + 1);
        let (tx, events) = mpsc::unbounded_channel();
        let (media_kind, file_name) = match &request.message {
            OutgoingMessage::Media(media) => (Some(media.kind), media.display_file_name()),
            OutgoingMessage::Text { .. } => (None, String::new()),
        };
        let attached = AttachedMessage {
            local_id,
            conversation_id: request.to_conversation_id.clone(),
            conversation_type: request.conversation_type,
            media_kind,
            file_name: file_name.clone(),
            file_size: 0,
            local_data: request.local_data.clone(),
        };
        let sent = MessageSentResult {
            local_id,
            conversation_id: request.to_conversation_id.clone(),
            conversation_type: request.conversation_type,
            message_id: Some(format!("loopback-{}", local_id.0)),
            message_seq: Some(local_id.0),
            media_url: None,
            attempts: 1,
            media_kind,
            file_name,
            local_data: request.local_data.clone(),
        };
        // The receiver is returned below, so these sends cannot fail.
        let _ = tx.send(SendEvent::Attached(attached));
        let _ = tx.send(SendEvent::Sent(sent));
        self.sent.lock().push((sender.clone(), request));
        self.accepted.send_modify(|accepted| *accepted += 1);
        Ok(OutboundSend { local_id, events })
    }

    async fn close(&self, _deadline: Duration) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

/// The shared client is the production outbound.
#[async_trait]
impl Outbound for zimbot_client::Client {
    fn send(&self, sender: &Sender, request: SendRequest) -> Result<OutboundSend, SendRejected> {
        let handle = zimbot_client::Client::send(self, sender, request)?;
        Ok(OutboundSend { local_id: handle.local_id, events: handle.events })
    }

    async fn close(&self, deadline: Duration) {
        zimbot_client::Client::close(self, deadline).await
    }

    fn keeps_unfinished(&self) -> bool {
        self.is_durable()
    }

    fn resumed(&self, bot: &BotId) -> Vec<OutboundSend> {
        self.take_resumed(bot)
            .into_iter()
            .map(|handle| OutboundSend { local_id: handle.local_id, events: handle.events })
            .collect()
    }
}
