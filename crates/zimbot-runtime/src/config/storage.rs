//! The checked `storage:` settings, and how they are resolved from the file.

use super::positions::PositionIndex;
use super::raw_storage::{defaults, RawDurability, RawStorage};
use super::report::Report;
use super::resolve_settings::locate;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zimbot_store::{Durability, RetentionPolicy};

/// Where and how everything acknowledged is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// The SQLite file (resolved against the bots.yaml's folder).
    pub path: PathBuf,
    pub durability: Durability,
    /// Attempts a message's hook gets before the message is a dead letter.
    pub max_attempts: u32,
    /// How often the journals are cleaned.
    pub retention_interval: Duration,
    /// What a cleaning keeps.
    pub retention: RetentionPolicy,
}

/// Checks `raw`; the file defaults to `{state_dir}/zimbot.db`.
pub(super) fn resolve_storage(
    raw: RawStorage,
    state_dir: &Path,
    positions: &PositionIndex,
    folder: &Path,
    report: &mut Report,
) -> StorageConfig {
    let mut at_least_one = |key: &str, value: u64| {
        if value == 0 {
            report.add(locate(positions, &["storage", key]), None, format!("`storage.{key}` must be at least 1"));
        }
    };
    at_least_one("max_attempts", u64::from(raw.max_attempts));
    let retention = raw.retention;
    for (key, value) in [
        ("interval_secs", retention.interval_secs),
        ("dead_letter_days", retention.dead_letter_days),
        ("max_dead_letters", retention.max_dead_letters),
    ] {
        if value == 0 {
            report.add(
                locate(positions, &["storage", "retention", key]),
                None,
                format!("`storage.retention.{key}` must be at least 1"),
            );
        }
    }
    StorageConfig {
        path: raw.path.map_or_else(|| state_dir.join(defaults::DATABASE_FILE), |path| folder.join(path)),
        durability: match raw.durability {
            RawDurability::Process => Durability::Process,
            RawDurability::Power => Durability::Power,
        },
        max_attempts: raw.max_attempts,
        retention_interval: Duration::from_secs(retention.interval_secs),
        retention: RetentionPolicy {
            dead_letter_max_age: Duration::from_secs(retention.dead_letter_days.saturating_mul(24 * 3600)),
            max_dead_letters: retention.max_dead_letters,
        },
    }
}
