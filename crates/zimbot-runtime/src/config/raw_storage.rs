//! The `storage:` section of bots.yaml as written: where the journal database lives, what a commit survives,
//! when a message counts as poison, and how long the journals keep what they no longer need.

use super::text;
use schemars::JsonSchema;
use serde::Deserialize;

/// What a committed write survives (schema stand-in for `zimbot_store::Durability`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum RawDurability {
    /// Survives the process being killed (kill -9). A power loss may lose the last commits. Default.
    #[default]
    Process,
    /// Survives a power loss too: every commit waits for the disk (fsync); slower.
    Power,
}

/// The `storage:` section.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of storage settings (`path`, `durability`, `max_attempts`, `retention`)"
)]
pub(super) struct RawStorage {
    /// The SQLite file everything acknowledged is kept in, relative to this file's folder.
    /// Default: `{state_dir}/zimbot.db`.
    #[serde(default, deserialize_with = "text::optional")]
    pub path: Option<String>,
    /// `process` (default: survives kill -9) or `power` (survives a power loss too; every commit is synced).
    #[serde(default)]
    pub durability: RawDurability,
    /// Attempts a message's hook gets (a failure, a timeout, or the process dying while it ran each count one)
    /// before the message goes to the dead-letter list.
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// How long the journals keep what they no longer need.
    #[serde(default)]
    pub retention: RawRetention,
}

impl Default for RawStorage {
    fn default() -> Self {
        Self {
            path: None,
            durability: RawDurability::default(),
            max_attempts: defaults::max_attempts(),
            retention: RawRetention::default(),
        }
    }
}

/// The `storage.retention:` section.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of retention settings (`interval_secs`, `dead_letter_days`, `max_dead_letters`)"
)]
pub(super) struct RawRetention {
    /// Seconds between two cleanings of the journals (expired dedupe records, old dead letters).
    #[serde(default = "defaults::retention_interval_secs")]
    pub interval_secs: u64,
    /// Days a dead letter is kept for `zimbot inbox` before it is deleted.
    #[serde(default = "defaults::dead_letter_days")]
    pub dead_letter_days: u64,
    /// Most dead letters kept; beyond, the oldest are deleted.
    #[serde(default = "defaults::max_dead_letters")]
    pub max_dead_letters: u64,
}

impl Default for RawRetention {
    fn default() -> Self {
        Self {
            interval_secs: defaults::retention_interval_secs(),
            dead_letter_days: defaults::dead_letter_days(),
            max_dead_letters: defaults::max_dead_letters(),
        }
    }
}

/// The storage defaults, in one place so the docs and the code agree.
pub(super) mod defaults {
    pub fn max_attempts() -> u32 {
        3
    }
    pub fn retention_interval_secs() -> u64 {
        60
    }
    pub fn dead_letter_days() -> u64 {
        7
    }
    pub fn max_dead_letters() -> u64 {
        10_000
    }
    pub const DATABASE_FILE: &str = "zimbot.db";
}
