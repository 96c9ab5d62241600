//! The journal of this machine's open multipart uploads, so that after a crash zimbot aborts exactly its own
//! unfinished uploads and never another instance's under the same prefix.
//!
//! One small file per open upload in a folder (by default `{state_dir}/s3-uploads`), named
//! `{pid}-{random}.json` and holding the key and upload id: written right after the upload was created, removed
//! once it was completed or aborted. A file left by a process that is no longer running (its `/proc/{pid}` is gone)
//! is a leftover of a crash; a file of a running process (another `zimbot send`, say) is left alone. Where there is
//! no `/proc`, only files of this process's own id count as live, so run one zimbot per state folder there.

use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// What one journal file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OpenUpload {
    pub key: String,
    pub upload_id: String,
}

/// The journal folder. See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct UploadJournal {
    folder: PathBuf,
}

impl UploadJournal {
    pub(crate) fn open(folder: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(folder)?;
        Ok(Self { folder: folder.to_owned() })
    }

    /// Records an open upload; returns the file to remove once it is finished.
    pub(crate) fn record(&self, upload: &OpenUpload) -> io::Result<PathBuf> {
        let name = format!("{}-{:016x}.json", std::process::id(), rand::random::<u64>());
        let path = self.folder.join(&name);
        let partial = self.folder.join(format!(".{name}.partial"));
        // Written aside and renamed, so a crash never leaves a half-written entry.
        std::fs::write(&partial, serde_json::to_vec(upload).map_err(io::Error::other)?)?;
        std::fs::rename(&partial, &path)?;
        Ok(path)
    }

    /// Removes a finished upload's entry.
    pub(crate) fn forget(&self, entry: &Path) {
        if let Err(error) = std::fs::remove_file(entry) {
            tracing::warn!(entry = %entry.display(), %error, "could not remove a finished upload from the journal");
        }
    }

    /// The entries left by processes that are no longer running.
    pub(crate) fn leftovers(&self) -> io::Result<Vec<(PathBuf, OpenUpload)>> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.folder)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|name| name.to_str()) else { continue };
            let Some(pid) = name.strip_suffix(".json").and_then(|stem| stem.split_once('-')).map(|(pid, _)| pid) else {
                continue;
            };
            if is_running(pid) {
                continue;
            }
            match std::fs::read(&path).map(|bytes| serde_json::from_slice::<OpenUpload>(&bytes)) {
                Ok(Ok(upload)) => found.push((path, upload)),
                Ok(Err(error)) => {
                    tracing::warn!(entry = %path.display(), %error, "skipping an unreadable upload journal entry")
                }
                Err(error) => tracing::warn!(entry = %path.display(), %error, "could not read an upload journal entry"),
            }
        }
        Ok(found)
    }
}

fn is_running(pid: &str) -> bool {
    if pid == std::process::id().to_string() {
        return true;
    }
    let proc = Path::new("/proc");
    // Without /proc there is no telling: every other process's entry counts as live.
    !proc.is_dir() || proc.join(pid).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload() -> OpenUpload {
        OpenUpload { key: "p/u/a.mp4".into(), upload_id: "id-1".into() }
    }

    #[test]
    fn an_entry_of_this_process_is_not_a_leftover_until_it_is_gone() {
        let folder = tempfile::tempdir().unwrap();
        let journal = UploadJournal::open(folder.path()).unwrap();
        let entry = journal.record(&upload()).unwrap();
        assert!(journal.leftovers().unwrap().is_empty());
        journal.forget(&entry);
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_entry_of_a_process_that_ended_is_a_leftover() {
        let folder = tempfile::tempdir().unwrap();
        let journal = UploadJournal::open(folder.path()).unwrap();
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        let pid = ended.id();
        ended.wait().unwrap();
        std::fs::write(folder.path().join(format!("{pid}-00.json")), serde_json::to_vec(&upload()).unwrap()).unwrap();
        let leftovers = journal.leftovers().unwrap();
        assert_eq!(leftovers.len(), 1);
        assert_eq!(leftovers[0].1, upload());
    }
}
