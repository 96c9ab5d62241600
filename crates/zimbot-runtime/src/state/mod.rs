//! Where bots' plugin state lives between runs: each bot's last snapshot.
//!
//! A plugin's `snapshot()` is read after hooks that succeeded, at a bounded rate (see
//! `dispatch::SNAPSHOT_INTERVAL`); when it changed, it is kept here (by `dispatch::persist`, in the background,
//! newest wins). At start, a bot's plugin is created from what was kept, so a media poster resumes where it left
//! off after a restart.
//!
//! Three places, chosen once when the runtime starts:
//! - the store (`zimbot run`, always): the store's [`Snapshots`], one row per bot under the bot's lease; a bot
//!   with no row yet imports the `{bot}.snapshot.json` an older zimbot left in the state folder, once;
//! - a folder of JSON files (runtimes started without a store: the runtime's own tests);
//! - nowhere (tests and tools that keep nothing).

mod files;
mod in_store;

use files::SnapshotFiles;
use in_store::StoredSnapshots;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use zimbot_model::BotId;
use zimbot_store::{Leases, Owner, Snapshots};

/// Snapshots by bot: in the store, in a folder, or nowhere.
pub struct StateStore {
    place: Place,
}

enum Place {
    Store(StoredSnapshots),
    Files(SnapshotFiles),
    Nowhere,
}

impl StateStore {
    /// Keeps snapshots in the store, under leases `owner` takes; a bot with no snapshot there yet gets the one
    /// found in `import_dir` (`{bot}.snapshot.json`, as older versions kept them), which is then renamed
    /// `{bot}.snapshot.json.imported` so it is taken once.
    pub fn in_store(
        snapshots: Arc<dyn Snapshots>,
        leases: Arc<dyn Leases>,
        owner: Owner,
        import_dir: impl Into<PathBuf>,
    ) -> Self {
        let import = SnapshotFiles::new(import_dir.into());
        Self { place: Place::Store(StoredSnapshots::new(snapshots, leases, owner, import)) }
    }

    /// Keeps snapshots in `dir` (created when first written), one JSON file per bot.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self { place: Place::Files(SnapshotFiles::new(dir.into())) }
    }

    /// Keeps nothing between runs.
    pub fn memory() -> Self {
        Self { place: Place::Nowhere }
    }

    /// The bot's kept snapshot, if any (blocking).
    pub fn load(&self, bot: &BotId) -> io::Result<Option<Vec<u8>>> {
        match &self.place {
            Place::Store(stored) => stored.load(bot),
            Place::Files(files) => files.load(bot),
            Place::Nowhere => Ok(None),
        }
    }

    /// Keeps `snapshot` as the bot's state, replacing the previous one atomically (blocking).
    pub fn save(&self, bot: &BotId, snapshot: &[u8]) -> io::Result<()> {
        match &self.place {
            Place::Store(stored) => stored.save(bot, snapshot),
            Place::Files(files) => files.save(bot, snapshot),
            Place::Nowhere => Ok(()),
        }
    }
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match &self.place {
            Place::Store(_) => "store".to_owned(),
            Place::Files(files) => format!("files in {}", files.path(&BotId::from("_")).with_file_name("").display()),
            Place::Nowhere => "nowhere".to_owned(),
        };
        f.debug_struct("StateStore").field("place", &place).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_store_keeps_nothing() {
        let store = StateStore::memory();
        store.save(&BotId::from("a"), b"{}").unwrap();
        assert_eq!(store.load(&BotId::from("a")).unwrap(), None);
    }
}
