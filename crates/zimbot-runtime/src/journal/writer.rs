//! Group commit for the inbox: one writer task takes every callback waiting and journals them in one commit.
//!
//! A callback's answer waits for the commit that holds it. While one commit runs, newly arriving callbacks queue
//! and form the next batch (up to [`MAX_BATCH`]), so under load each commit (and, at `durability: power`, each
//! fsync) is shared by many callbacks and the rate holds.

use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use zimbot_store::{Accepted, Arrival, Inbox};

/// Most callbacks in one commit: bounds the latency of the first callback of a batch.
pub const MAX_BATCH: usize = 1024;

/// The journal could not take a callback (storage unavailable, or the writer is gone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the inbox journal could not keep the callback: {0}")]
pub struct JournalError(pub String);

type Request = (Arrival, oneshot::Sender<Result<Accepted, JournalError>>);

/// The handle callbacks are journaled through.
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
        let (answer, answered) = oneshot::channel();
        self.requests.send((arrival, answer)).map_err(|_| JournalError("the journal writer has stopped".into()))?;
        answered.await.map_err(|_| JournalError("the journal writer stopped before committing".into()))?
    }
}

async fn write_batches(inbox: Arc<dyn Inbox>, mut incoming: mpsc::UnboundedReceiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while incoming.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (arrivals, answers): (Vec<Arrival>, Vec<_>) = batch.drain(..).unzip();
        let inbox = Arc::clone(&inbox);
        let committed = tokio::task::spawn_blocking(move || inbox.accept(&arrivals))
            .await
            .map_err(|error| JournalError(format!("the commit task failed: {error}")))
            .and_then(|result| result.map_err(|error| JournalError(error.to_string())));
        match committed {
            Ok(accepted) => {
                for (answer, accepted) in answers.into_iter().zip(accepted) {
                    let _ = answer.send(Ok(accepted));
                }
            }
            Err(error) => {
                tracing::error!("{error}; the callbacks are answered 503 and the service will retry them");
                for answer in answers {
                    let _ = answer.send(Err(error.clone()));
                }
            }
        }
    }
}
