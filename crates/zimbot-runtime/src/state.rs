//! Where bots' plugin state lives between runs: each bot's last snapshot, one small JSON file per bot.
//!
//! A plugin's `snapshot()` is read after hooks that succeeded, at a bounded rate (see
//! `dispatch::SNAPSHOT_INTERVAL`); when it changed, it is written here (to a temporary file, then renamed over the
//! old one, so a crash never leaves half a snapshot). At start, a bot's plugin is created from what was kept, so a
//! media poster resumes where it left off after a restart.

use std::io;
use std::path::{Path, PathBuf};
use zimbot_model::BotId;

/// Snapshots by bot: in a folder, or (for tests and tools) nowhere.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: Option<PathBuf>,
}

impl StateStore {
    /// Keeps snapshots in `dir` (created when first written).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self { dir: Some(dir.into()) }
    }

    /// Keeps nothing between runs.
    pub fn memory() -> Self {
        Self { dir: None }
    }

    /// The bot's kept snapshot, if any.
    pub fn load(&self, bot: &BotId) -> io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path(bot) else { return Ok(None) };
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io::Error::new(error.kind(), format!("reading {}: {error}", path.display()))),
        }
    }

    /// Keeps `snapshot` as the bot's state, replacing the previous one atomically.
    pub fn save(&self, bot: &BotId, snapshot: &[u8]) -> io::Result<()> {
        let (Some(dir), Some(path)) = (&self.dir, self.path(bot)) else { return Ok(()) };
        let with_path =
            |error: io::Error, what: &Path| io::Error::new(error.kind(), format!("{}: {error}", what.display()));
        std::fs::create_dir_all(dir).map_err(|error| with_path(error, dir))?;
        let temporary = path.with_extension("json.partial");
        std::fs::write(&temporary, snapshot).map_err(|error| with_path(error, &temporary))?;
        std::fs::rename(&temporary, &path).map_err(|error| with_path(error, &path))
    }

    /// `{dir}/{bot}.snapshot.json`, with any character unsafe in a file name written as `%XX`.
    fn path(&self, bot: &BotId) -> Option<PathBuf> {
        let name: String = bot
            .as_str()
            .bytes()
            .map(|byte| match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (byte as char).to_string(),
                other => format!("%{other:02X}"),
            })
            .collect();
        self.dir.as_ref().map(|dir| dir.join(format!("{name}.snapshot.json")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_snapshot_is_loaded_back_and_replaced_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::in_dir(dir.path().join("state"));
        let bot = BotId::from("poster");
        assert_eq!(store.load(&bot).unwrap(), None);
        store.save(&bot, br#"{"next":1}"#).unwrap();
        store.save(&bot, br#"{"next":2}"#).unwrap();
        assert_eq!(store.load(&bot).unwrap().as_deref(), Some(&br#"{"next":2}"#[..]));
    }

    #[test]
    fn bot_ids_cannot_escape_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::in_dir(dir.path());
        let bot = BotId::from("../../etc/x");
        store.save(&bot, b"{}").unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(names, ["%2E%2E%2F%2E%2E%2Fetc%2Fx.snapshot.json"]);
    }

    #[test]
    fn the_memory_store_keeps_nothing() {
        let store = StateStore::memory();
        store.save(&BotId::from("a"), b"{}").unwrap();
        assert_eq!(store.load(&BotId::from("a")).unwrap(), None);
    }
}
