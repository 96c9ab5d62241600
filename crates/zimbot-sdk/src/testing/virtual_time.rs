//! Virtual time: `ctx.sleep` ends and schedules fire only as the test advances the clock.

use super::records::LogLine;
use super::{HookError, TestBot};
use crate::PluginFactory;
use std::time::Duration;
use zimbot_abi::{CronTick, Event, LogLevel};

impl<P: PluginFactory> TestBot<P> {
    /// Adds schedule `id` as a bot's `schedules:` entry would (`cron`: 5-field crontab or 6/7 fields with
    /// seconds; `timezone`: an IANA name such as `"UTC"`): from now on [`Self::advance`] fires `on_cron` at each
    /// of its fire times. The error says what is wrong with the expression or the zone, as `zimbot check` would.
    pub fn schedule(&mut self, id: &str, cron: &str, timezone: &str) -> Result<(), String> {
        let now = self.now_ms();
        self.schedules.add(id, cron, timezone, now)
    }

    /// The ticks `advance` has fired so far, in order (ticks given with [`Self::cron`] are not among them).
    pub fn ticks(&self) -> &[CronTick] {
        &self.ticks
    }

    /// The virtual clock, in milliseconds since the Unix epoch (it starts at 2026-01-01T00:00:00Z).
    pub fn now_ms(&self) -> i64 {
        self.host.book().now_ms
    }

    /// Moves virtual time forward by `duration`, in order of time: each sleep ends at its deadline and each
    /// schedule fires `on_cron` at its fire times, and the plugin runs after each before time moves on. Sleeps
    /// due at the same instant as a tick end first. A tick's hook that fails is logged (as the runtime logs it);
    /// one still waiting keeps running, like a hook on the runtime's inbound lane.
    pub fn advance(&mut self, duration: Duration) {
        let target = self.now_ms().saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX));
        loop {
            let next_sleep =
                self.host.book().sleepers.iter().map(|(deadline, _)| *deadline).filter(|at| *at <= target).min();
            let next_tick = self.schedules.next_due(target);
            match (next_sleep, next_tick) {
                (None, None) => break,
                (Some(sleep), Some(tick)) if tick < sleep => self.fire_ticks(tick),
                (Some(sleep), _) => self.wake_sleepers(sleep),
                (None, Some(tick)) => self.fire_ticks(tick),
            }
        }
        self.host.book().now_ms = target;
        self.run_until_idle();
    }

    /// Ends every sleep due at `at_ms`, with the clock at `at_ms`.
    pub(super) fn wake_sleepers(&mut self, at_ms: i64) {
        let woken = {
            let mut book = self.host.book();
            book.now_ms = at_ms;
            let (due, waiting) = std::mem::take(&mut book.sleepers).into_iter().partition(|(at, _)| *at <= at_ms);
            book.sleepers = waiting;
            due
        };
        for (_, wake) in woken {
            // The sleep may have been dropped (its hook ended another way); then no one is waiting.
            let _ = wake.send(());
        }
        self.run_until_idle();
    }

    /// Fires every schedule due at `at_ms`, with the clock at `at_ms`.
    pub(super) fn fire_ticks(&mut self, at_ms: i64) {
        self.host.book().now_ms = at_ms;
        for tick in self.schedules.fire(at_ms) {
            self.ticks.push(tick.clone());
            let schedule = tick.schedule_id.clone();
            match self.run(Event::Cron { tick }) {
                Ok(()) | Err(HookError::Pending) => {}
                Err(error) => {
                    let message = format!("[test harness] on_cron for schedule '{schedule}' ended: {error}");
                    self.host.book().logs.push(LogLine { level: LogLevel::ERROR, message });
                }
            }
        }
    }
}
