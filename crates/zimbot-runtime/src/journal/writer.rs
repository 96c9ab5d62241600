//! Group commit for the whole journal: one writer task takes every operation waiting — callbacks to journal,
//! claims and completions of every bot — and runs them in one commit.
//!
//! Each caller's answer waits for the commit that holds its operation. While one commit runs, newly arriving
//! operations queue and form the next batch (up to [`MAX_BATCH`]), so under load each commit (and, at
//! `durability: power`, each fsync) is shared by many callbacks and hooks, and the rate holds.
//!
//! The writer is a thread of its own, not a task: a commit blocks on SQLite, and a dedicated thread that waits
//! on the queue spares every batch the hand-offs to and from the blocking pool (a lane waits for one commit per
//! message, so those hand-offs were a large part of its time).

use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use zimbot_store::{Accepted, Arrival, Claim, EntryId, Inbox, JournalAnswer, JournalOp, Lease, StoreError};

/// Most operations in one commit: bounds the latency of the first operation of a batch.
pub const MAX_BATCH: usize = 1024;

/// The journal could not take an operation (storage unavailable, a stale lease, or the writer is gone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the inbox journal could not keep it: {0}")]
pub struct JournalError(pub String);

/// An operation with who waits for its answer, or (no operation) a wait for everything queued before it.
type Request = (Option<JournalOp>, oneshot::Sender<Result<JournalAnswer, JournalError>>);

/// The handle journal operations go through.
#[derive(Clone)]
pub struct InboxWriter {
    requests: mpsc::UnboundedSender<Request>,
}

impl InboxWriter {
    /// Starts the writer thread; it ends once every handle is dropped and the queue is drained. (`runtime` is
    /// not used: the writer needs none.)
    pub fn spawn(inbox: Arc<dyn Inbox>, _runtime: &tokio::runtime::Handle) -> Self {
        let (requests, incoming) = mpsc::unbounded_channel();
        let spawned = std::thread::Builder::new()
            .name("zimbot-journal".to_owned())
            .spawn(move || write_batches(inbox.as_ref(), incoming));
        if let Err(error) = spawned {
            // The requests' answers then fail at once ("the journal writer has stopped"): callbacks get 503.
            tracing::error!("the journal writer thread could not start: {error}");
        }
        Self { requests }
    }

    /// Journals `arrival`, answering once it is committed.
    pub async fn accept(&self, arrival: Arrival) -> Result<Accepted, JournalError> {
        match self.apply(JournalOp::Accept(arrival)).await? {
            JournalAnswer::Accepted(accepted) => Ok(accepted),
            other => Err(unexpected(other)),
        }
    }

    /// Counts an attempt on `id` (see `zimbot_store::Inbox::claim`), once committed.
    pub async fn claim(
        &self,
        lease: &Lease,
        id: EntryId,
        max_attempts: u32,
        now_ms: i64,
    ) -> Result<Claim, JournalError> {
        match self.apply(JournalOp::Claim { lease: lease.clone(), id, max_attempts, now_ms }).await? {
            JournalAnswer::Claimed(claim) => Ok(claim),
            other => Err(unexpected(other)),
        }
    }

    /// Ends entry `id`, once committed.
    pub async fn complete(&self, lease: &Lease, id: EntryId) -> Result<(), JournalError> {
        match self.apply(JournalOp::Complete { lease: lease.clone(), id }).await? {
            JournalAnswer::Completed => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Queues the end of entry `id` without waiting for its commit: the caller's next operation is queued behind
    /// it (so a lane's next claim shares its commit). Lost only if the process dies first — the entry is then
    /// delivered again, which at-least-once allows. A failure is logged by the writer.
    pub fn complete_soon(&self, lease: &Lease, id: EntryId) {
        let (answer, _unheard) = oneshot::channel();
        let _ = self.requests.send((Some(JournalOp::Complete { lease: lease.clone(), id }), answer));
    }

    /// Queues giving back the attempt of entry `id`, claimed but never started (see
    /// `zimbot_store::Inbox::release`), without waiting for its commit; [`InboxWriter::flush`] waits for it.
    pub fn release_soon(&self, lease: &Lease, id: EntryId) {
        let (answer, _unheard) = oneshot::channel();
        let _ = self.requests.send((Some(JournalOp::Release { lease: lease.clone(), id }), answer));
    }

    /// Waits until every operation queued before this call is committed (at shutdown, for `complete_soon`s).
    pub async fn flush(&self) {
        let (answer, answered) = oneshot::channel();
        if self.requests.send((None, answer)).is_ok() {
            let _ = answered.await;
        }
    }

    async fn apply(&self, op: JournalOp) -> Result<JournalAnswer, JournalError> {
        let (answer, answered) = oneshot::channel();
        self.requests.send((Some(op), answer)).map_err(|_| JournalError("the journal writer has stopped".into()))?;
        answered.await.map_err(|_| JournalError("the journal writer stopped before committing".into()))?
    }
}

fn unexpected(answer: JournalAnswer) -> JournalError {
    JournalError(format!("the store answered an operation with {answer:?}"))
}

/// The writer thread: takes what is queued (waiting when nothing is), commits it as one batch, answers.
fn write_batches(inbox: &dyn Inbox, mut incoming: mpsc::UnboundedReceiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = incoming.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match incoming.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let mut flushes = Vec::new();
        let mut ops = Vec::with_capacity(batch.len());
        let mut answers = Vec::with_capacity(batch.len());
        for (op, answer) in batch.drain(..) {
            match op {
                Some(op) => {
                    ops.push(op);
                    answers.push(answer);
                }
                None => flushes.push(answer),
            }
        }
        let committed = match ops.is_empty() {
            true => Ok(Vec::new()),
            // A panic in the store is answered as a failed commit rather than ending the writer (and with it
            // every later callback's chance of a 200).
            false => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inbox.apply(&ops)))
                .map_err(|_| JournalError("the commit panicked".to_owned()))
                .and_then(|result| result.map_err(|error| JournalError(error.to_string()))),
        };
        match committed {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let result = result.map_err(|error: StoreError| JournalError(error.to_string()));
                    if let Err(Err(error)) = answer.send(result) {
                        // Nobody waits for this one (a `complete_soon` or `release_soon`): its failure is said here.
                        tracing::error!("{error}; the entry will be delivered again after a restart");
                    }
                }
            }
            Err(error) => {
                tracing::error!("{error}; callbacks are answered 503 (the service retries them), entries not ended are delivered again after a restart");
                for answer in answers {
                    let _ = answer.send(Err(error.clone()));
                }
            }
        }
        for flushed in flushes {
            let _ = flushed.send(Ok(JournalAnswer::Completed));
        }
    }
}
