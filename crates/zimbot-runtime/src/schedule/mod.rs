//! The cron scheduler: parses cron expressions ([`CronSpec`]), works out their fire times in a time zone, and
//! runs one task ([`Scheduler`]) that hands each due [`Tick`] to the dispatcher.
//!
//! - [`CronSpec`]: a checked expression; 5-field standard crontab or 6/7-field with seconds (its documentation
//!   gives the exact meaning of each dialect, daylight saving included). It lives in `zimbot-cron`, shared with
//!   the plugin test harness so a schedule fires at the same instants in a plugin's tests as here.
//! - [`Job`], [`Tick`]: what the scheduler runs and what it emits.
//! - [`Misfire`]: what happens to ticks missed while the machine slept or the clock jumped.
//! - [`Scheduler`]: the task; its documentation states the ordering and misfire contract.

mod fire_queue;
mod job;
mod misfire;
mod next_times;
mod scheduler;

pub use job::{Job, Tick};
pub use misfire::{Misfire, DEFAULT_MISFIRE_GRACE};
pub use scheduler::{Scheduler, TickBatch};
pub use zimbot_cron::CronSpec;

#[cfg(test)]
mod tests;
