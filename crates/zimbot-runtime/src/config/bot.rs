//! One bot as the runtime runs it, and its cron schedules.

use super::{Listen, Location};
use crate::schedule::{CronSpec, Misfire};
use std::time::Duration;
use zimbot_model::{BotId, Priority, UserId};

/// A checked bot entry of bots.yaml.
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub id: BotId,
    /// The bot's ZIM user id (starts with `@RBT#`).
    pub user_id: UserId,
    /// Display name (the id when not given).
    pub name: String,
    /// What `plugin:` said; the plugin host resolves it.
    pub plugin: String,
    pub listen: Listen,
    pub schedules: Vec<ScheduleConfig>,
    /// Inbound messages handled at once (at least 1).
    pub max_concurrency: usize,
    /// Capacity of the inbound mailbox (at least 1).
    pub mailbox: usize,
    pub priority: Priority,
    pub hook_timeout: Duration,
    /// The free-form `config:`, handed to the plugin (an empty object when not given).
    pub config: serde_json::Value,
    /// Where the bot's entry starts in bots.yaml, for messages about it found later.
    pub location: Location,
}

/// One cron schedule of a bot.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Unique within the bot.
    pub id: String,
    pub spec: CronSpec,
    pub timezone: chrono_tz::Tz,
    pub misfire: Misfire,
    pub misfire_grace: Duration,
}
