//! Plugin snapshots: each bot's last plugin state, from which its plugin is created again after a restart.
//!
//! The model: one snapshot per bot (JSON bytes, as the plugin's `snapshot()` gave them), replaced by every save,
//! so the store holds one row per bot whatever the load. Saves are newest-wins: each carries a `sequence` that
//! its writer makes grow with every snapshot it takes, and a save older than the one kept (a lower fence, or the
//! same fence and a lower sequence) changes nothing, so writes that arrive out of order never bring back older
//! state.
//!
//! Every call carries the bot's [`Lease`] and is refused with [`StoreError::Fenced`] once another owner took the
//! bot, loads included (a stale owner would read state older than the new owner's).

use crate::{Lease, StoreError};

/// What [`Snapshots::save_snapshot`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Kept: it is the bot's snapshot now.
    Kept,
    /// A newer snapshot was kept already (by sequence under the same fence): nothing changed.
    Older,
}

/// Each bot's last plugin snapshot.
pub trait Snapshots: Send + Sync {
    /// The bot's kept snapshot, if it has one.
    fn load_snapshot(&self, lease: &Lease) -> Result<Option<Vec<u8>>, StoreError>;

    /// Keeps `snapshot` as the bot's state unless a newer one is kept (see the module docs).
    fn save_snapshot(&self, lease: &Lease, sequence: u64, snapshot: &[u8]) -> Result<Saved, StoreError>;
}
