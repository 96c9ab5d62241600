//! The outbox's retention schedule: finished sends are removed once they are older than their horizon
//! (`client.sent_retention_ms` for delivered ones, `client.failed_retention_ms` for the dead list), checked
//! every minute, so the outbox does not grow under steady load.

use crate::send_journal::{now_ms, SendJournal};
use crate::ClientConfig;
use std::sync::Arc;
use std::time::Duration;

/// How often the horizons are applied.
pub(super) const RETENTION_INTERVAL: Duration = Duration::from_secs(60);

/// Applies the retention horizons now and then every [`RETENTION_INTERVAL`], on the blocking pool, for as long
/// as the runtime lives.
pub(super) fn spawn(runtime: &tokio::runtime::Handle, journal: Arc<SendJournal>, config: &ClientConfig) {
    let (sent, failed) = (config.sent_retention_ms, config.failed_retention_ms);
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(RETENTION_INTERVAL);
        loop {
            ticks.tick().await;
            let journal = Arc::clone(&journal);
            let removed = tokio::task::spawn_blocking(move || {
                let now = now_ms();
                let horizon = |retention: u64| now.saturating_sub(retention.min(i64::MAX as u64) as i64);
                journal.outbox().remove_finished(horizon(sent), horizon(failed))
            })
            .await;
            match removed {
                Ok(Ok(0)) => {}
                Ok(Ok(count)) => tracing::debug!(count, "removed finished sends past their retention"),
                Ok(Err(error)) => tracing::warn!("could not apply the outbox retention: {error}"),
                Err(_) => return,
            }
        }
    });
}
