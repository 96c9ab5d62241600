//! One hook call on the bot's current instance: its timeout and send deadline, how it ended (counted and
//! logged), and the plugin's state read after a good hook.

use super::BotRunner;
use crate::dispatch::snapshot_pace::Read;
use crate::metrics::BotStats;
use crate::plugin_host::{within_tick, CallOutcome, PluginInstanceHandle};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use zimbot_abi::Event;

impl BotRunner {
    /// Runs one hook on the current instance, with the timeout, counting and panic recovery; says how it failed
    /// when it did not end well.
    pub(super) async fn run_hook(self: &Arc<Self>, event: Event) -> Result<(), String> {
        let Some(instance) = self.instance.lock().as_ref().map(|current| Arc::clone(&current.instance)) else {
            return Err("the bot is stopped".to_owned());
        };
        let hook = event.hook_name();
        let started = Instant::now();
        let call = instance.clone().call(&event);
        let call = match self.tick_deadline(&event) {
            Some(deadline_ms) => futures::future::Either::Left(within_tick(deadline_ms, call)),
            None => futures::future::Either::Right(call),
        };
        let outcome = tokio::time::timeout(self.config.hook_timeout, call).await;
        self.stats.observe_hook(started.elapsed());
        let result = self.settle_hook(hook, outcome.ok(), &instance, self.config.hook_timeout).await;
        if result.is_ok() && !matches!(event, Event::Progress { .. }) {
            self.keep_state_soon();
        }
        result
    }

    /// Counts and logs how a hook ended (`None`: it ran past `timeout`), and rebuilds the instance after a panic;
    /// says how it failed when it did not end well.
    pub(super) async fn settle_hook(
        &self,
        hook: &str,
        outcome: Option<CallOutcome>,
        instance: &Arc<PluginInstanceHandle>,
        timeout: Duration,
    ) -> Result<(), String> {
        match outcome {
            Some(CallOutcome::Ok) | Some(CallOutcome::Unsupported) => {
                BotStats::add(&self.stats.hooks_ok);
                Ok(())
            }
            Some(CallOutcome::Error(message)) => {
                BotStats::add(&self.stats.hook_errors);
                tracing::warn!(hook, "hook returned an error: {message}");
                Err(format!("{hook} returned an error: {message}"))
            }
            Some(CallOutcome::Panicked(message)) => {
                BotStats::add(&self.stats.hook_panics);
                tracing::error!(hook, "hook panicked: {message}");
                self.recover_from_panic(instance).await;
                Err(format!("{hook} panicked: {message}"))
            }
            None => {
                BotStats::add(&self.stats.hook_timeouts);
                tracing::warn!(hook, ?timeout, "hook ran past hook_timeout and was cancelled");
                Err(format!("{hook} ran past hook_timeout ({timeout:?})"))
            }
        }
    }

    /// After a good hook: reads the state now, or schedules one read for when the interval allows (see
    /// `snapshot_pace`).
    pub(super) fn keep_state_soon(self: &Arc<Self>) {
        match self.pace.after_hook(Instant::now()) {
            Read::Now => self.keep_state(),
            Read::At(at) => {
                let runner = Arc::downgrade(self);
                tokio::spawn(async move {
                    tokio::time::sleep_until(at).await;
                    if let Some(runner) = runner.upgrade() {
                        runner.pace.scheduled_read_done(Instant::now());
                        runner.keep_state();
                    }
                });
            }
            Read::Scheduled => {}
        }
    }

    /// Reads the current instance's state and has it written when it changed. A plugin that cannot give its
    /// state (its `snapshot` panicked, or the result is not JSON) leaves the last good state in place.
    pub(super) fn keep_state(&self) {
        let Some(instance) = self.instance.lock().as_ref().map(|current| Arc::clone(&current.instance)) else {
            return;
        };
        BotStats::add(&self.stats.snapshots_taken);
        let Some(snapshot) = instance.snapshot() else {
            BotStats::add(&self.stats.snapshot_failures);
            let _entered = self.span.enter();
            tracing::warn!(
                "the plugin could not give its state (snapshot panicked or was not JSON); keeping the last good one"
            );
            return;
        };
        let mut kept = self.snapshot.lock();
        if *kept != snapshot {
            self.persist.save(snapshot.clone());
            *kept = snapshot;
        }
    }
}
