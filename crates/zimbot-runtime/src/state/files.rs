//! Snapshots as one small JSON file per bot, `{dir}/{bot}.snapshot.json`: where zimbot kept them before the
//! store did. Today they are read to import a bot's state into the store once (see `in_store`), and written
//! by runtimes started without a store (the runtime's own tests).

use std::io;
use std::path::{Path, PathBuf};
use zimbot_model::BotId;

/// The snapshot files of one folder.
#[derive(Debug, Clone)]
pub(super) struct SnapshotFiles {
    dir: PathBuf,
}

impl SnapshotFiles {
    pub(super) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The bot's snapshot file's content, if there is one.
    pub(super) fn load(&self, bot: &BotId) -> io::Result<Option<Vec<u8>>> {
        let path = self.path(bot);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(io::Error::new(error.kind(), format!("reading {}: {error}", path.display()))),
        }
    }

    /// Writes `snapshot` as the bot's file, replacing the previous one atomically (a temporary file renamed over
    /// it, so a crash never leaves half a snapshot).
    pub(super) fn save(&self, bot: &BotId, snapshot: &[u8]) -> io::Result<()> {
        let path = self.path(bot);
        let with_path =
            |error: io::Error, what: &Path| io::Error::new(error.kind(), format!("{}: {error}", what.display()));
        std::fs::create_dir_all(&self.dir).map_err(|error| with_path(error, &self.dir))?;
        let temporary = path.with_extension("json.partial");
        std::fs::write(&temporary, snapshot).map_err(|error| with_path(error, &temporary))?;
        std::fs::rename(&temporary, &path).map_err(|error| with_path(error, &path))
    }

    /// `{dir}/{bot}.snapshot.json`, with any character unsafe in a file name written as `%XX`.
    pub(super) fn path(&self, bot: &BotId) -> PathBuf {
        let name: String = bot
            .as_str()
            .bytes()
            .map(|byte| match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (byte as char).to_string(),
                other => format!("%{other:02X}"),
            })
            .collect();
        self.dir.join(format!("{name}.snapshot.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_snapshot_is_loaded_back_and_replaced_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let files = SnapshotFiles::new(dir.path().join("state"));
        let bot = BotId::from("poster");
        assert_eq!(files.load(&bot).unwrap(), None);
        files.save(&bot, br#"{"next":1}"#).unwrap();
        files.save(&bot, br#"{"next":2}"#).unwrap();
        assert_eq!(files.load(&bot).unwrap().as_deref(), Some(&br#"{"next":2}"#[..]));
    }

    #[test]
    fn bot_ids_cannot_escape_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let files = SnapshotFiles::new(dir.path().to_path_buf());
        let bot = BotId::from("../../etc/x");
        files.save(&bot, b"{}").unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(names, ["%2E%2E%2F%2E%2E%2Fetc%2Fx.snapshot.json"]);
    }
}
