//! A media store on this machine, for a single-machine deployment: files are copied under a folder that zimbot
//! serves itself on a public listener (see `zimbot_runtime::media_server`).
//!
//! Each upload goes to `{folder}/files/{token}/{file name}`, where `token` is 128 random bits: the link is
//! unguessable and never collides, and it lasts as long as the file is kept. The copy is written under
//! `{folder}/partial/` (never served) and moved into place once complete, so a link never shows half a file. The
//! copy streams in blocks with progress, like an upload; names and the 500-byte link budget follow the S3 store's
//! key rules (see [`crate::s3_key`]).

use crate::s3_key::key_and_link;
use crate::store::{MediaStore, ProgressCallback, UploadRequest};
use crate::ClientError;
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use zimbot_model::{ZimCode, ZimError};

/// Bytes copied per step; progress is reported after each.
const COPY_BLOCK: usize = 256 * 1024;

/// Copies uploads into a served folder. See the module documentation.
#[derive(Debug, Clone)]
pub struct LocalMediaStore {
    folder: PathBuf,
    public_url: String,
}

impl LocalMediaStore {
    /// A store keeping files under `folder`, reachable by receivers at `public_url` (which serves
    /// `{folder}/files`, e.g. `https://media.example.com`).
    pub fn new(folder: impl Into<PathBuf>, public_url: impl Into<String>) -> Result<Self, ClientError> {
        let folder = folder.into();
        let public_url = public_url.into().trim_end_matches('/').to_owned();
        crate::http::check_base_url("local media store public URL", &public_url)?;
        for sub in ["files", "partial"] {
            std::fs::create_dir_all(folder.join(sub)).map_err(|error| ClientError::InvalidSetting {
                what: "local media store folder",
                value: folder.display().to_string(),
                reason: error.to_string(),
            })?;
        }
        Ok(Self { folder, public_url })
    }

    /// The folder the media server must serve.
    pub fn served_folder(&self) -> PathBuf {
        self.folder.join("files")
    }

    fn link(&self, key: &str) -> String {
        let encoded: Vec<String> = key.split('/').map(crate::http::percent_encode).collect();
        format!("{}/{}", self.public_url, encoded.join("/"))
    }
}

#[async_trait]
impl MediaStore for LocalMediaStore {
    async fn upload(&self, request: &UploadRequest, progress: ProgressCallback) -> Result<String, ZimError> {
        let token = hex::encode(rand::random::<[u8; 16]>());
        let (key, link) = key_and_link("", &token, &request.file_name, |key| Ok(self.link(key)))?;
        let partial = self.folder.join("partial").join(&token);
        let result = copy(&request.path, &partial, request.size, &progress).await;
        let target = self.served_folder().join(&key);
        let placed = match result {
            Ok(()) => place(&partial, &target).await,
            Err(error) => Err(error),
        };
        if placed.is_err() {
            let _ = tokio::fs::remove_file(&partial).await;
        }
        placed?;
        Ok(link)
    }
}

async fn copy(from: &Path, to: &Path, size: u64, progress: &ProgressCallback) -> Result<(), ZimError> {
    let read_failed = |error: std::io::Error| {
        ZimError::new(ZimCode::FILE_READ, format!("could not read {}: {error}", from.display()))
    };
    let write_failed = |error: std::io::Error| {
        ZimError::new(ZimCode::UPLOAD_FAILED, format!("could not write the stored copy {}: {error}", to.display()))
    };
    let mut source = tokio::fs::File::open(from).await.map_err(read_failed)?;
    let mut target = tokio::fs::File::create(to).await.map_err(write_failed)?;
    let mut block = vec![0; COPY_BLOCK];
    let mut copied = 0;
    while copied < size {
        let want = COPY_BLOCK.min(usize::try_from(size - copied).unwrap_or(COPY_BLOCK));
        let read = source.read(&mut block[..want]).await.map_err(read_failed)?;
        if read == 0 {
            return Err(read_failed(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ended {} bytes early (was it truncated while uploading?)", size - copied),
            )));
        }
        target.write_all(&block[..read]).await.map_err(write_failed)?;
        copied += read as u64;
        // The last block is confirmed by `place`: the client reports the total once `upload` returned.
        if copied < size {
            progress(copied);
        }
    }
    target.sync_all().await.map_err(write_failed)?;
    Ok(())
}

async fn place(partial: &Path, target: &Path) -> Result<(), ZimError> {
    let failed = |error: std::io::Error| {
        ZimError::new(ZimCode::UPLOAD_FAILED, format!("could not store {}: {error}", target.display()))
    };
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(failed)?;
    }
    tokio::fs::rename(partial, target).await.map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn request(path: &Path, name: &str) -> UploadRequest {
        UploadRequest {
            uid: "u".into(),
            file_name: name.into(),
            path: path.to_owned(),
            size: std::fs::metadata(path).unwrap().len(),
        }
    }

    #[tokio::test]
    async fn a_file_is_copied_under_an_unguessable_link_with_rising_progress() {
        let folder = tempfile::tempdir().unwrap();
        let source = folder.path().join("in.bin");
        let bytes: Vec<u8> = (0..1_000_000).map(|index| (index % 251) as u8).collect();
        std::fs::write(&source, &bytes).unwrap();
        let store = LocalMediaStore::new(folder.path().join("media"), "https://media.example.com/").unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = Arc::clone(&seen);
        let link = store
            .upload(&request(&source, "my cat.png"), Arc::new(move |taken| recorder.lock().unwrap().push(taken)))
            .await
            .unwrap();
        let rest = link.strip_prefix("https://media.example.com/").unwrap();
        let (token, name) = rest.split_once('/').unwrap();
        assert_eq!((token.len(), name), (32, "my%20cat.png"));
        assert_eq!(std::fs::read(store.served_folder().join(token).join("my cat.png")).unwrap(), bytes);
        let seen = seen.lock().unwrap().clone();
        assert!(
            seen.windows(2).all(|pair| pair[0] < pair[1]) && seen.iter().all(|&taken| taken < 1_000_000),
            "{seen:?}"
        );
        assert_eq!(std::fs::read_dir(folder.path().join("media/partial")).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn two_uploads_of_one_name_get_different_links() {
        let folder = tempfile::tempdir().unwrap();
        let source = folder.path().join("a.png");
        std::fs::write(&source, b"x").unwrap();
        let store = LocalMediaStore::new(folder.path().join("media"), "http://127.0.0.1:1").unwrap();
        let first = store.upload(&request(&source, "a.png"), Arc::new(|_| {})).await.unwrap();
        let second = store.upload(&request(&source, "a.png"), Arc::new(|_| {})).await.unwrap();
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_file_shorter_than_announced_fails_and_leaves_nothing() {
        let folder = tempfile::tempdir().unwrap();
        let source = folder.path().join("a.bin");
        std::fs::write(&source, b"short").unwrap();
        let store = LocalMediaStore::new(folder.path().join("media"), "http://127.0.0.1:1").unwrap();
        let mut request = request(&source, "a.bin");
        request.size = 100;
        let error = store.upload(&request, Arc::new(|_| {})).await.unwrap_err();
        assert_eq!(error.code, ZimCode::FILE_READ, "{}", error.message);
        assert_eq!(std::fs::read_dir(folder.path().join("media/partial")).unwrap().count(), 0);
        assert_eq!(std::fs::read_dir(store.served_folder()).unwrap().count(), 0);
    }
}
