//! What the scheduler is given ([`Job`]: one schedule of one bot) and what it hands on ([`Tick`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use zimbot_model::BotId;

use super::misfire::Misfire;
use zimbot_cron::CronSpec;

/// One schedule of one bot, as configured in bots.yaml.
#[derive(Debug, Clone)]
pub struct Job {
    /// The bot that receives the ticks.
    pub bot: BotId,
    /// The schedule's id within the bot, passed back in each tick so the bot knows which schedule fired.
    pub schedule_id: String,
    /// When it fires.
    pub spec: CronSpec,
    /// The zone whose wall clock the expression is read on.
    pub timezone: Tz,
    /// What to do with ticks more than `misfire_grace` late.
    pub misfire: Misfire,
    /// How late a tick may be and still simply fire.
    pub misfire_grace: Duration,
    /// The schedule's last fire before this run (kept by the journal across restarts): the job resumes with the
    /// fire times after it, so times missed while zimbot was down are late and `misfire` decides about them.
    /// `None`: it starts from the moment the scheduler starts.
    pub resume_after: Option<DateTime<Utc>>,
}

impl Job {
    #[cfg(test)]
    /// A job in UTC with the default misfire policy and grace; set the public fields to change them.
    pub fn new(bot: BotId, schedule_id: impl Into<String>, spec: CronSpec) -> Self {
        Self {
            bot,
            schedule_id: schedule_id.into(),
            spec,
            timezone: Tz::UTC,
            misfire: Misfire::default(),
            misfire_grace: super::misfire::DEFAULT_MISFIRE_GRACE,
            resume_after: None,
        }
    }
}

/// A due fire time of one job, handed to the dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// The bot that receives the tick.
    pub bot: BotId,
    /// Which of the bot's schedules fired.
    pub schedule_id: String,
    /// The fire time the tick stands for. For a catch-up tick after missed fire times
    /// ([`Misfire::FireOnce`]) this is the first time that was missed.
    pub scheduled_at: DateTime<Utc>,
    /// When the scheduler handed the tick on (at or after `scheduled_at`).
    pub fired_at: DateTime<Utc>,
}
