//! The client's side of the durable outbox: what an accepted send is stored as, and the bots' leases.
//!
//! The in-memory [`FairQueue`](crate::FairQueue) stays the scheduler (which send goes next); the store is the
//! truth (which sends exist and where each is). The client writes through a [`SendJournal`] at four points:
//! accepting a send (enqueue: the store allocates the local id, before `Attached`), putting its request on the
//! wire (claim), an answered attempt to be retried (release), and the final outcome (complete, before the plugin
//! hears it). At start, [`SendJournal::unfinished`] gives back what a stopped or crashed process left.
//!
//! The stored payload is the whole [`SendRequest`] as serde writes it (so a field added to the request is kept
//! with it), the sender, the media uid, what `Attached` said, and for a local file its size and modification
//! time at accept, so a file that changed while zimbot was stopped is not sent in place of the accepted one.

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use zimbot_model::{AttachedMessage, BotId, Priority, SendEvent, SendRequest, UserId};
use zimbot_store::{
    Lease, Leases, NewSend, Outbox, Outcome, Owner, SendClaim as Claim, SendId, StoreError, StoredSend,
};

/// What one accepted send is stored as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredRequest {
    pub user_id: UserId,
    pub priority: Priority,
    pub request: SendRequest,
    /// The message's media uid (kept, so a resumed upload and its message use the same one).
    pub uid: String,
    pub attached: AttachedMessage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileStamp>,
}

/// A local file as it was when its send was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FileStamp {
    pub path: PathBuf,
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch, where the file system keeps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_ns: Option<u128>,
}

impl FileStamp {
    /// The stamp of the file at `path` now, or why it has none.
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let metadata = std::fs::metadata(path)?;
        let modified_ns =
            metadata.modified().ok().and_then(|at| at.duration_since(UNIX_EPOCH).ok()).map(|at| at.as_nanos());
        Ok(Self { path: path.to_path_buf(), size: metadata.len(), modified_ns })
    }

    /// Why the file is no longer the one accepted, if it is not.
    pub fn changed(&self) -> Option<String> {
        match Self::of(&self.path) {
            Err(error) => Some(format!(
                "the file {} is gone or unreadable since the send was accepted: {error}",
                self.path.display()
            )),
            Ok(now) if now.size != self.size => Some(format!(
                "the file {} changed since the send was accepted: {} bytes then, {} now",
                self.path.display(),
                self.size,
                now.size
            )),
            Ok(now) if now.modified_ns != self.modified_ns => Some(format!(
                "the file {} was modified since the send was accepted (same size, new modification time)",
                self.path.display()
            )),
            Ok(_) => None,
        }
    }
}

/// The current time in milliseconds since the Unix epoch (the outbox's times are wall-clock: they outlive the
/// process).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as i64)
}

/// The conversation key a send is ordered under.
pub(crate) fn conversation_key(request: &SendRequest) -> String {
    format!("{}:{}", request.conversation_type, request.to_conversation_id)
}

/// The durable outbox as the client uses it: one store, one owner, a lease per bot taken on first use.
pub struct SendJournal {
    outbox: Arc<dyn Outbox>,
    leases: Arc<dyn Leases>,
    owner: Owner,
    held: Mutex<HashMap<BotId, Lease>>,
}

impl std::fmt::Debug for SendJournal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SendJournal").field("owner", &self.owner).finish_non_exhaustive()
    }
}

impl SendJournal {
    /// A journal writing to `store` as `owner`.
    pub fn new<S: Outbox + Leases + 'static>(store: Arc<S>, owner: Owner) -> Self {
        Self { outbox: store.clone(), leases: store, owner, held: Mutex::new(HashMap::new()) }
    }

    /// The outbox this journal writes to.
    pub fn outbox(&self) -> &Arc<dyn Outbox> {
        &self.outbox
    }

    /// `bot`'s lease, acquired on first use.
    fn lease(&self, bot: &BotId) -> Result<Lease, StoreError> {
        if let Some(lease) = self.held.lock().get(bot) {
            return Ok(lease.clone());
        }
        let lease = self.leases.acquire(bot.as_str(), &self.owner)?;
        self.held.lock().insert(bot.clone(), lease.clone());
        Ok(lease)
    }

    /// Stores an accepted send and returns its id.
    pub(crate) fn enqueue(&self, bot: &BotId, stored: &StoredRequest) -> Result<SendId, StoreError> {
        let payload = serde_json::to_string(stored).expect("a send request always serializes");
        let send = NewSend {
            conversation: conversation_key(&stored.request),
            payload,
            accepted_ms: now_ms(),
            deadline_ms: stored.request.deadline_ms.map(|deadline| deadline.min(i64::MAX as u64) as i64),
        };
        self.outbox.enqueue(&self.lease(bot)?, send)
    }

    /// Claims `id` for an attempt on the wire.
    pub(crate) fn claim(&self, bot: &BotId, id: SendId) -> Result<Claim, StoreError> {
        self.outbox.claim(&self.lease(bot)?, id)
    }

    /// Puts `id` back in its queue after an answered attempt.
    pub(crate) fn release(&self, bot: &BotId, id: SendId) -> Result<(), StoreError> {
        self.outbox.release(&self.lease(bot)?, id)
    }

    /// Records `id`'s terminal event as its final outcome.
    pub(crate) fn complete(&self, bot: &BotId, id: SendId, event: &SendEvent) -> Result<(), StoreError> {
        let detail = serde_json::to_string(event).expect("a send event always serializes");
        let outcome = match event {
            SendEvent::Sent(_) => Outcome::Sent(detail),
            _ => Outcome::Failed(detail),
        };
        self.outbox.complete(&self.lease(bot)?, id, outcome, now_ms())
    }

    /// Fails a send whose stored payload cannot be read (it cannot be sent, nor its plugin told).
    pub(crate) fn fail_unreadable(&self, bot: &BotId, id: SendId, problem: &str) -> Result<(), StoreError> {
        let detail = format!("unreadable outbox entry: {problem}");
        self.outbox.complete(&self.lease(bot)?, id, Outcome::Failed(detail), now_ms())
    }

    /// Every unfinished send of every bot, each bot's in id order.
    pub(crate) fn unfinished(&self) -> Result<Vec<(BotId, Vec<StoredSend>)>, StoreError> {
        let mut all = Vec::new();
        for bot in self.outbox.bots_with_unfinished()? {
            let sends = self.outbox.unfinished(&bot)?;
            all.push((BotId::new(bot), sends));
        }
        Ok(all)
    }
}
