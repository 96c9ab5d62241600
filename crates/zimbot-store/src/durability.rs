//! How much a commit survives: a process crash, or a power loss too.

use serde::{Deserialize, Serialize};

/// What a committed write survives. Spelled `process` and `power` in bots.yaml (`storage.durability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// Survives the process being killed (kill -9, a panic that aborts): commits reach the operating system
    /// before they are acknowledged, the WAL is synced at checkpoints. A power loss may lose the last commits.
    #[default]
    Process,
    /// Survives a power loss too: every commit is synced to the disk before it is acknowledged.
    Power,
}

impl Durability {
    /// The SQLite `synchronous` setting that gives this level in WAL mode.
    pub(crate) fn synchronous(self) -> &'static str {
        match self {
            Durability::Process => "NORMAL",
            Durability::Power => "FULL",
        }
    }
}
