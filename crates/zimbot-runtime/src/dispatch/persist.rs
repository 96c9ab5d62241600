//! Writing a bot's snapshots to the state store in the background, newest wins, without blocking hooks.

use crate::state::StateStore;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use zimbot_model::BotId;

enum Request {
    Save(Vec<u8>),
    Flush(oneshot::Sender<()>),
}

/// A bot's snapshot writer: `save` queues a snapshot, `flush` waits until the newest queued one is on disk.
/// Snapshots queued while a write runs are coalesced: only the newest is written.
pub struct SnapshotWriter {
    requests: mpsc::UnboundedSender<Request>,
}

impl SnapshotWriter {
    /// Starts the writer task for `bot` on `runtime`.
    pub fn spawn(store: Arc<StateStore>, bot: BotId, runtime: &tokio::runtime::Handle) -> Self {
        let (requests, mut incoming) = mpsc::unbounded_channel();
        runtime.spawn(async move {
            while let Some(first) = incoming.recv().await {
                let mut newest = None;
                let mut flushed = Vec::new();
                for request in std::iter::once(first).chain(std::iter::from_fn(|| incoming.try_recv().ok())) {
                    match request {
                        Request::Save(snapshot) => newest = Some(snapshot),
                        Request::Flush(done) => flushed.push(done),
                    }
                }
                if let Some(snapshot) = newest {
                    let (store, id) = (Arc::clone(&store), bot.clone());
                    let written = tokio::task::spawn_blocking(move || store.save(&id, &snapshot)).await;
                    match written {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => tracing::warn!(bot = %bot, "could not keep the plugin's state: {error}"),
                        Err(error) => tracing::warn!(bot = %bot, "the state writer failed: {error}"),
                    }
                }
                for done in flushed {
                    let _ = done.send(());
                }
            }
        });
        Self { requests }
    }

    /// Queues `snapshot` to be written.
    pub fn save(&self, snapshot: Vec<u8>) {
        let _ = self.requests.send(Request::Save(snapshot));
    }

    /// Waits until every snapshot queued before this call is written.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.requests.send(Request::Flush(done)).is_ok() {
            let _ = written.await;
        }
    }
}
