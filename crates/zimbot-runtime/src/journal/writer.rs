//! Group commit for the whole journal: one writer task takes every operation waiting — callbacks to journal,
//! claims and completions of every bot — and runs them in one commit.
//!
//! Each caller's answer waits for the commit that holds its operation. While one commit runs, newly arriving
//! operations queue and form the next batch (up to [`MAX_BATCH`]), so under load each commit (and, at
//! `durability: power`, each fsync) is shared by many callbacks and hooks, and the rate holds.

use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use zimbot_store::{Accepted, Arrival, Claim, EntryId, Inbox, JournalAnswer, JournalOp, Lease, StoreError};

/// Most operations in one commit: bounds the latency of the first operation of a batch.
pub const MAX_BATCH: usize = 1024;

/// The journal could not take an operation (storage unavailable, a stale lease, or the writer is gone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the inbox journal could not keep it: {0}")]
pub struct JournalError(pub String);

type Request = (JournalOp, oneshot::Sender<Result<JournalAnswer, JournalError>>);

/// The handle journal operations go through.
#[derive(Clone)]
pub struct InboxWriter {
    requests: mpsc::UnboundedSender<Request>,
}

impl InboxWriter {
    /// Starts the writer task on `runtime`.
    pub fn spawn(inbox: Arc<dyn Inbox>, runtime: &tokio::runtime::Handle) -> Self {
        let (requests, incoming) = mpsc::unbounded_channel();
        runtime.spawn(write_batches(inbox, incoming));
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

    async fn apply(&self, op: JournalOp) -> Result<JournalAnswer, JournalError> {
        let (answer, answered) = oneshot::channel();
        self.requests.send((op, answer)).map_err(|_| JournalError("the journal writer has stopped".into()))?;
        answered.await.map_err(|_| JournalError("the journal writer stopped before committing".into()))?
    }
}

fn unexpected(answer: JournalAnswer) -> JournalError {
    JournalError(format!("the store answered an operation with {answer:?}"))
}

async fn write_batches(inbox: Arc<dyn Inbox>, mut incoming: mpsc::UnboundedReceiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while incoming.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (ops, answers): (Vec<JournalOp>, Vec<_>) = batch.drain(..).unzip();
        let inbox = Arc::clone(&inbox);
        let committed = tokio::task::spawn_blocking(move || inbox.apply(&ops))
            .await
            .map_err(|error| JournalError(format!("the commit task failed: {error}")))
            .and_then(|result| result.map_err(|error| JournalError(error.to_string())));
        match committed {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result.map_err(|error: StoreError| JournalError(error.to_string())));
                }
            }
            Err(error) => {
                tracing::error!("{error}; callbacks are answered 503 (the service retries them)");
                for answer in answers {
                    let _ = answer.send(Err(error.clone()));
                }
            }
        }
    }
}
