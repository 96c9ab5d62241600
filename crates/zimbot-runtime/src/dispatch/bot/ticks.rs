//! Cron ticks of one bot: putting them in the mailbox (journaled first when the bot keeps a journal), and
//! running the hooks of ticks due together, through one plugin call when the plugin takes batches (ABI 1.2).

use super::{BotRunner, Inbound};
use crate::journal::JournaledTick;
use crate::plugin_host::{within_tick, CallOutcome};
use std::sync::Arc;
use tokio::time::Instant;
use zimbot_abi::{CronTick, Event};

impl BotRunner {
    /// Readies a tick for the mailbox: journaled with its schedule's last fire first when the bot keeps a journal
    /// (a tick that cannot be journaled is still delivered, unjournaled).
    async fn prepare_tick(&self, tick: CronTick) -> Inbound {
        let Some(journal) = &self.journal else { return Inbound::Cron(tick) };
        match journal.record_tick(&tick).await {
            Ok(entry) => {
                let claimed = journal.claims_when_journaled();
                Inbound::JournaledCron(JournaledTick { entry, tick, claimed })
            }
            Err(error) => {
                let _entered = self.span.enter();
                tracing::error!(
                    "storage unavailable: the cron tick of '{}' is not journaled: {error}",
                    tick.schedule_id
                );
                Inbound::Cron(tick)
            }
        }
    }

    /// Readies ticks due at one instant for the mailbox, as one entry (a batch takes one mailbox place, and its
    /// hooks run one after another). When the bot keeps a journal they are journaled in one commit, each with its
    /// schedule's last fire (or one by one as a single tick is, when that commit fails). The entries are then
    /// handed over with [`BotRunner::deliver`] (or, not delivered, given back with [`BotRunner::give_back`]).
    pub async fn prepare_ticks(&self, mut ticks: Vec<CronTick>) -> Vec<Inbound> {
        if let Some(journal) = &self.journal {
            if ticks.len() > 1 {
                if let Ok(entries) = journal.record_ticks(&ticks).await {
                    let claimed = journal.claims_when_journaled();
                    let journaled = entries
                        .into_iter()
                        .zip(ticks)
                        .map(|(entry, tick)| JournaledTick { entry, tick, claimed })
                        .collect();
                    return vec![Inbound::JournaledCronBatch(journaled)];
                }
            }
            let mut prepared = Vec::with_capacity(ticks.len());
            for tick in ticks {
                prepared.push(self.prepare_tick(tick).await);
            }
            return prepared;
        }
        match ticks.len() {
            0 => Vec::new(),
            1 => ticks.pop().map(Inbound::Cron).into_iter().collect(),
            _ => vec![Inbound::CronBatch(ticks)],
        }
    }

    /// Runs the hooks of ticks due together, in order: through one plugin call per run of ticks sharing a send
    /// deadline when the plugin takes batches (ABI 1.2), else one call per tick. One result per tick.
    pub(super) async fn run_ticks(self: &Arc<Self>, ticks: Vec<CronTick>) -> Vec<Result<(), String>> {
        if ticks.len() < 2 || !self.plugin.takes_cron_batches() {
            let mut results = Vec::with_capacity(ticks.len());
            for tick in ticks {
                results.push(self.run_hook(Event::Cron { tick }).await);
            }
            return results;
        }
        let mut results = Vec::with_capacity(ticks.len());
        for run in crate::dispatch::tick_batch::by_deadline(ticks, |tick| self.batch_deadline_of(tick)) {
            results.extend(self.run_tick_batch(run).await);
        }
        results
    }

    /// One plugin call for `ticks` (which share a send deadline), with the hook timeout of each tick added up;
    /// each tick's outcome is counted and logged as its own hook's would be, and a tick that panicked rebuilds
    /// the instance (after the call: the other ticks' hooks have run).
    pub(super) async fn run_tick_batch(self: &Arc<Self>, ticks: Vec<CronTick>) -> Vec<Result<(), String>> {
        let count = ticks.len();
        let Some(instance) = self.instance.lock().as_ref().map(|current| Arc::clone(&current.instance)) else {
            return vec![Err("the bot is stopped".to_owned()); count];
        };
        let deadline = ticks.first().and_then(|tick| self.batch_deadline_of(tick));
        let started = Instant::now();
        let call = instance.clone().call_ticks(ticks);
        let call = match deadline {
            Some(deadline_ms) => futures::future::Either::Left(within_tick(deadline_ms, call)),
            None => futures::future::Either::Right(call),
        };
        let timeout = self.config.hook_timeout.saturating_mul(u32::try_from(count).unwrap_or(u32::MAX));
        let outcomes = tokio::time::timeout(timeout, call).await;
        // The call's time is shared out: each tick's hook ran for about its part of it.
        let each = started.elapsed() / u32::try_from(count).unwrap_or(u32::MAX).max(1);
        // A batch that ran past its time is cancelled as a whole: every tick counts as timed out.
        let outcomes: Vec<Option<CallOutcome>> = match outcomes {
            Ok(outcomes) => outcomes.into_iter().map(Some).collect(),
            Err(_) => vec![None; count],
        };
        self.stats.observe_hooks(each, u64::try_from(count).unwrap_or(u64::MAX));
        let mut results = Vec::with_capacity(count);
        for outcome in outcomes {
            results.push(self.settle_hook("on_cron", outcome, &instance, timeout).await);
        }
        if results.iter().any(Result::is_ok) {
            self.keep_state_soon();
        }
        results
    }

    /// The default deadline of the sends of a tick's hook: its fire time plus its schedule's misfire grace (see
    /// `plugin_host::within_tick`).
    pub(super) fn tick_deadline(&self, event: &Event) -> Option<i64> {
        let Event::Cron { tick } = event else { return None };
        self.deadline_of(tick)
    }

    /// [`BotRunner::deadline_of`] for a tick of a batch. Batches are made of the scheduler's ticks only, and the
    /// scheduler holds the bot's current schedules, so a tick of a batch has a grace: when all of the bot's
    /// schedules have the same, it is that one, without a lookup. (A tick read back from the journal after a
    /// restart runs alone, and may be of a schedule since removed: it is looked up.)
    pub(super) fn batch_deadline_of(&self, tick: &CronTick) -> Option<i64> {
        match self.uniform_grace_ms {
            Some(grace_ms) => Some(tick.fired_at_ms.saturating_add(grace_ms)),
            None => self.deadline_of(tick),
        }
    }

    /// The default send deadline of `tick`'s hook (see [`BotRunner::tick_deadline`]).
    pub(super) fn deadline_of(&self, tick: &CronTick) -> Option<i64> {
        let grace_ms = *self.graces_ms.get(&tick.schedule_id)?;
        Some(tick.fired_at_ms.saturating_add(grace_ms))
    }
}
