//! Running items kept in the inbox journal: each attempt claimed before its hook, completed after a good end,
//! tried again after a failure until the attempts run out and it becomes a dead letter; ticks due together
//! claimed together.

use super::{BotRunner, Inbound};
use crate::config::BotConfig;
use crate::journal::{BotJournal, JournalError, JournaledTick, Unfinished};
use crate::metrics::BotStats;
use crate::plugin_host::HostServices;
use std::sync::Arc;
use zimbot_abi::Event;
use zimbot_store::{Claim, EntryId};

impl BotRunner {
    /// Runs a journaled message's hook: each attempt is counted in the journal before the hook runs (the first
    /// one already when it was journaled, if `claimed`); a hook that ends well completes the entry; one that
    /// fails (error, panic, timeout) is tried again at once, in its place in line, until its attempts run out and
    /// it becomes a dead letter. When the journal cannot be written the hook still runs (the entry stays, and is
    /// delivered again after a restart).
    pub(super) async fn run_journaled(
        self: &Arc<Self>,
        entry: EntryId,
        claimed: bool,
        what: String,
        event: impl Fn(bool) -> Event,
    ) {
        let Some(journal) = self.journal.clone() else {
            let _ = self.run_hook(event(false)).await;
            return;
        };
        let mut counted = claimed.then_some(1);
        loop {
            let claim = match counted.take() {
                Some(attempt) => Ok(Claim::Run { attempt }),
                None => journal.claim(entry).await,
            };
            let attempt = match claim {
                Ok(Claim::Run { attempt }) => Some(attempt),
                Ok(Claim::Dead { attempts }) => {
                    BotStats::add(&self.stats.dead_letters);
                    tracing::error!(
                        entry = %entry,
                        attempts,
                        "{what} moved to the dead letters: its hook never finished well in {attempts} attempt(s) \
                         (see `zimbot inbox`)"
                    );
                    return;
                }
                Ok(Claim::Gone) => return,
                Err(error) => {
                    tracing::error!(entry = %entry, "storage unavailable: the attempt is not counted: {error}");
                    None
                }
            };
            let redelivery = attempt.is_some_and(|attempt| attempt > 1);
            let failure = self.run_hook(event(redelivery)).await.err();
            let Some(attempt) = attempt else { return };
            let Some(failure) = failure else {
                journal.complete(entry);
                return;
            };
            if !self.settle_failure(&journal, entry, &what, attempt, failure).await {
                return;
            }
        }
    }

    /// After a failed attempt on a journaled entry: true when it is to be tried again at once; else it stays in
    /// the journal for the next start (the bot is stopping) or, its attempts spent, becomes a dead letter.
    pub(super) async fn settle_failure(
        &self,
        journal: &Arc<BotJournal>,
        entry: EntryId,
        what: &str,
        attempt: u32,
        failure: String,
    ) -> bool {
        if attempt < journal.max_attempts() && !self.is_stopped() {
            return true;
        }
        if self.is_stopped() && attempt < journal.max_attempts() {
            // Left in the journal: the next start delivers it again.
            return false;
        }
        let reason = format!("its hook failed {attempt} time(s); the last: {failure}");
        BotStats::add(&self.stats.dead_letters);
        tracing::error!(entry = %entry, "{what} moved to the dead letters: {reason}");
        if let Err(error) = journal.bury(entry, reason).await {
            tracing::error!(entry = %entry, "storage unavailable: could not move it to the dead letters: {error}");
        }
        false
    }

    /// Runs journaled ticks due together: every tick's attempt is claimed at once (the journal writer commits
    /// them together; a tick whose first attempt was counted as it was journaled needs none), their hooks run as
    /// one batch, the ticks whose hook ended well are completed, and each
    /// failed one goes on alone as [`BotRunner::run_journaled`] runs a tick (tried again, or a dead letter).
    pub(super) async fn run_journaled_ticks(self: &Arc<Self>, ticks: Vec<JournaledTick>) {
        let Some(journal) = self.journal.clone() else {
            let _ = self.run_ticks(ticks.into_iter().map(|journaled| journaled.tick).collect()).await;
            return;
        };
        // Ticks claimed as they were journaled (the usual case) need no claim now: no commit, no future each.
        let claims: Vec<Result<Claim, JournalError>> = if ticks.iter().all(|journaled| journaled.claimed) {
            ticks.iter().map(|_| Ok(Claim::Run { attempt: 1 })).collect()
        } else {
            futures::future::join_all(ticks.iter().map(|journaled| async {
                match journaled.claimed {
                    true => Ok(Claim::Run { attempt: 1 }),
                    false => journal.claim(journaled.entry).await,
                }
            }))
            .await
        };
        let mut runnable: Vec<(JournaledTick, Option<u32>)> = Vec::with_capacity(ticks.len());
        for (journaled, claim) in ticks.into_iter().zip(claims) {
            match claim {
                Ok(Claim::Run { attempt }) => runnable.push((journaled, Some(attempt))),
                Ok(Claim::Dead { attempts }) => {
                    BotStats::add(&self.stats.dead_letters);
                    tracing::error!(
                        entry = %journaled.entry,
                        attempts,
                        "{} moved to the dead letters: its hook never finished well in {attempts} attempt(s) \
                         (see `zimbot inbox`)",
                        Inbound::JournaledCron(journaled.clone()).describe()
                    );
                }
                Ok(Claim::Gone) => {}
                Err(error) => {
                    tracing::error!(entry = %journaled.entry, "storage unavailable: the attempt is not counted: {error}");
                    runnable.push((journaled, None));
                }
            }
        }
        let outcomes = self.run_ticks(runnable.iter().map(|(journaled, _)| journaled.tick.clone()).collect()).await;
        let mut failed = Vec::new();
        let mut completed = Vec::with_capacity(runnable.len());
        for ((journaled, attempt), outcome) in runnable.into_iter().zip(outcomes) {
            // An attempt the journal did not count leaves the entry for the next start, as `run_journaled` does.
            let Some(attempt) = attempt else { continue };
            match outcome {
                Ok(()) => completed.push(journaled.entry),
                Err(failure) => failed.push((journaled, attempt, failure)),
            }
        }
        // One request for the batch's ends: the writer is woken once, not once per tick.
        journal.complete_all(&completed);
        for (journaled, attempt, failure) in failed {
            let what = Inbound::JournaledCron(journaled.clone()).describe();
            if self.settle_failure(&journal, journaled.entry, &what, attempt, failure).await {
                let tick = journaled.tick;
                self.run_journaled(journaled.entry, false, what, |_| Event::Cron { tick: tick.clone() }).await;
            }
        }
    }
}

/// Takes the bot's journal lease and its unfinished messages, when the runtime keeps a journal. A store that
/// cannot be used leaves the bot running unjournaled (said in the log): it still serves.
pub(super) fn open_journal(services: &HostServices, config: &BotConfig) -> (Option<Arc<BotJournal>>, Vec<Unfinished>) {
    let (Some(storage), Some(writer)) = (&services.storage, &services.journal_writer) else {
        return (None, Vec::new());
    };
    let opened = BotJournal::acquire(storage, writer.clone(), config.id.as_str())
        .and_then(|journal| journal.unfinished().map(|unfinished| (journal, unfinished)));
    match opened {
        Ok((journal, unfinished)) => (Some(Arc::new(journal)), unfinished),
        Err(error) => {
            tracing::error!(bot = %config.id, "storage unavailable: this bot's messages are not journaled: {error}");
            (None, Vec::new())
        }
    }
}
