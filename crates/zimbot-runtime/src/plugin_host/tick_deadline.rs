//! The default deadline of a cron tick's sends: a send made by an `on_cron` hook without a deadline of its own
//! gets the tick's fire time plus its schedule's `misfire_grace`, so a tick's message that cannot go out in
//! time (a long outage, a restart days later) fails with `deadline passed` instead of arriving late.
//!
//! The hook's deadline is a task-local around its call: a send the hook's own code makes is submitted while its
//! future is polled, in that scope. Tasks the hook spawned (`ctx.spawn`) run elsewhere and keep no default: the
//! tick is not theirs to speak for.

use std::future::Future;
use zimbot_abi::Action;

tokio::task_local! {
    /// The running tick hook's default send deadline, ms since the Unix epoch.
    static TICK_DEADLINE_MS: i64;
}

/// Runs `hook` (a tick's hook call) with `deadline_ms` as the default deadline of the sends it makes.
pub async fn within_tick<F: Future>(deadline_ms: i64, hook: F) -> F::Output {
    TICK_DEADLINE_MS.scope(deadline_ms, hook).await
}

/// Gives `action`, a send without a deadline made inside a tick's hook, that tick's default deadline.
pub(super) fn default_deadline(action: &mut Action) {
    let Action::Send { request } = action else { return };
    if request.deadline_ms.is_some() {
        return;
    }
    if let Ok(deadline_ms) = TICK_DEADLINE_MS.try_with(|deadline_ms| *deadline_ms) {
        request.deadline_ms = Some(u64::try_from(deadline_ms).unwrap_or_default());
    }
}
