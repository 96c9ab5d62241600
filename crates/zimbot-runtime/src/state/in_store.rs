//! Snapshots in the store, and the one-time import of the files older versions kept.

use super::files::SnapshotFiles;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use zimbot_model::BotId;
use zimbot_store::{Lease, Leases, Owner, Snapshots, StoreError};

/// Each bot's snapshot in the store's [`Snapshots`], under the bot's lease for this process's owner.
pub(super) struct StoredSnapshots {
    snapshots: Arc<dyn Snapshots>,
    leases: Arc<dyn Leases>,
    owner: Owner,
    /// Leases taken so far, by bot: the owner keeps its lease, so one acquire per bot and run is enough.
    held: Mutex<HashMap<BotId, Lease>>,
    /// Grows with every save: the store keeps the newest of this owner's saves whatever order they land in.
    sequence: AtomicU64,
    import: SnapshotFiles,
}

impl StoredSnapshots {
    pub(super) fn new(
        snapshots: Arc<dyn Snapshots>,
        leases: Arc<dyn Leases>,
        owner: Owner,
        import: SnapshotFiles,
    ) -> Self {
        Self { snapshots, leases, owner, held: Mutex::new(HashMap::new()), sequence: AtomicU64::new(1), import }
    }

    /// The bot's snapshot in the store; with none there, the bot's old snapshot file, imported first.
    pub(super) fn load(&self, bot: &BotId) -> io::Result<Option<Vec<u8>>> {
        let lease = self.lease(bot)?;
        if let Some(kept) = self.snapshots.load_snapshot(&lease).map_err(|error| store_error(bot, error))? {
            return Ok(Some(kept));
        }
        self.import(bot, &lease)
    }

    /// Keeps `snapshot` as the bot's newest.
    pub(super) fn save(&self, bot: &BotId, snapshot: &[u8]) -> io::Result<()> {
        let lease = self.lease(bot)?;
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        self.snapshots.save_snapshot(&lease, sequence, snapshot).map_err(|error| store_error(bot, error))?;
        Ok(())
    }

    /// Moves the bot's `{bot}.snapshot.json` into the store (under sequence 0: any save of this run is newer),
    /// then renames the file `.imported`, so it is read once. The file stays when the rename fails (a read-only
    /// folder): the store has the row, and a row in the store is never replaced by the file.
    fn import(&self, bot: &BotId, lease: &Lease) -> io::Result<Option<Vec<u8>>> {
        let Some(found) = self.import.load(bot)? else { return Ok(None) };
        self.snapshots.save_snapshot(lease, 0, &found).map_err(|error| store_error(bot, error))?;
        let path = self.import.path(bot);
        let imported = path.with_extension("json.imported");
        match std::fs::rename(&path, &imported) {
            Ok(()) => tracing::info!(
                bot = %bot,
                "the plugin state kept in {} now lives in the store; the file is kept as {}",
                path.display(),
                imported.display()
            ),
            Err(error) => tracing::warn!(
                bot = %bot,
                "the plugin state of {} now lives in the store, but the file could not be renamed: {error}",
                path.display()
            ),
        }
        Ok(Some(found))
    }

    fn lease(&self, bot: &BotId) -> io::Result<Lease> {
        if let Some(lease) = self.held.lock().get(bot) {
            return Ok(lease.clone());
        }
        let lease = self.leases.acquire(bot.as_str(), &self.owner).map_err(|error| store_error(bot, error))?;
        self.held.lock().insert(bot.clone(), lease.clone());
        Ok(lease)
    }
}

fn store_error(bot: &BotId, error: StoreError) -> io::Error {
    io::Error::other(format!("the plugin state of bot '{bot}' in the store: {error}"))
}

#[cfg(test)]
mod tests {
    use super::super::StateStore;
    use std::sync::Arc;
    use zimbot_model::BotId;
    use zimbot_store::{Durability, Owner, SqliteStore};

    fn in_store(dir: &std::path::Path, owner: &str) -> StateStore {
        let store = Arc::new(SqliteStore::open(&dir.join("zimbot.db"), Durability::Process).unwrap());
        StateStore::in_store(store.clone(), store, Owner::new(owner), dir.join("state"))
    }

    #[test]
    fn a_snapshot_saved_in_the_store_is_loaded_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let bot = BotId::from("poster");
        in_store(dir.path(), "first run").save(&bot, br#"{"next":3}"#).unwrap();
        assert_eq!(in_store(dir.path(), "second run").load(&bot).unwrap().as_deref(), Some(&br#"{"next":3}"#[..]));
    }

    #[test]
    fn the_later_of_two_saves_is_the_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        let bot = BotId::from("poster");
        let state = in_store(dir.path(), "run");
        state.save(&bot, br#"{"next":1}"#).unwrap();
        state.save(&bot, br#"{"next":2}"#).unwrap();
        assert_eq!(state.load(&bot).unwrap().as_deref(), Some(&br#"{"next":2}"#[..]));
    }

    #[test]
    fn an_old_snapshot_file_is_imported_on_first_start_and_renamed() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("state")).unwrap();
        let file = dir.path().join("state/poster.snapshot.json");
        std::fs::write(&file, br#"{"next":41}"#).unwrap();
        let bot = BotId::from("poster");
        assert_eq!(in_store(dir.path(), "upgrade").load(&bot).unwrap().as_deref(), Some(&br#"{"next":41}"#[..]));
        assert!(!file.exists());
        assert!(dir.path().join("state/poster.snapshot.json.imported").exists());
    }

    #[test]
    fn an_imported_snapshot_is_in_the_store_for_the_runs_after() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("state")).unwrap();
        std::fs::write(dir.path().join("state/poster.snapshot.json"), br#"{"next":41}"#).unwrap();
        let bot = BotId::from("poster");
        in_store(dir.path(), "upgrade").load(&bot).unwrap();
        assert_eq!(in_store(dir.path(), "next run").load(&bot).unwrap().as_deref(), Some(&br#"{"next":41}"#[..]));
    }

    #[test]
    fn a_snapshot_file_does_not_replace_what_the_store_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let bot = BotId::from("poster");
        in_store(dir.path(), "first run").save(&bot, br#"{"next":50}"#).unwrap();
        std::fs::create_dir(dir.path().join("state")).unwrap();
        std::fs::write(dir.path().join("state/poster.snapshot.json"), br#"{"next":1}"#).unwrap();
        assert_eq!(in_store(dir.path(), "second run").load(&bot).unwrap().as_deref(), Some(&br#"{"next":50}"#[..]));
        assert!(dir.path().join("state/poster.snapshot.json").exists());
    }

    #[test]
    fn a_bot_with_neither_a_row_nor_a_file_starts_without_state() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(in_store(dir.path(), "run").load(&BotId::from("poster")).unwrap(), None);
    }
}
