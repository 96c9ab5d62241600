//! The task that keeps the journals bounded: every `storage.retention.interval_secs` it asks the store to clean
//! what the retention policy no longer keeps (see `zimbot_store::Retention`).

use super::Storage;
use crate::clock::Clock;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// Cleans `storage` now and then every interval, on `clock`'s time, until the task is aborted.
pub fn spawn_retention(storage: &Storage, clock: Arc<dyn Clock>, runtime: &tokio::runtime::Handle) -> JoinHandle<()> {
    let (retention, policy, interval) =
        (Arc::clone(&storage.retention), storage.retention_policy, storage.retention_interval);
    runtime.spawn(async move {
        loop {
            let now_ms = clock.now().timestamp_millis();
            let store = Arc::clone(&retention);
            match tokio::task::spawn_blocking(move || store.clean(&policy, now_ms)).await {
                Ok(Ok(cleaned)) if cleaned.dedupe_records + cleaned.dead_letters > 0 => tracing::debug!(
                    dedupe_records = cleaned.dedupe_records,
                    dead_letters = cleaned.dead_letters,
                    "journals cleaned"
                ),
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!("cleaning the journals failed (retried next interval): {error}"),
                Err(error) => tracing::warn!("the journal cleaning task failed: {error}"),
            }
            clock.sleep(interval).await;
        }
    })
}
