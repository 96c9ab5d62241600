//! `PUT /media/{uid}/{file_name}`: the body is streamed to a temporary file and moved into place once complete.
//!
//! An upload needs a token ([`super::tokens`]) and a `Content-Length`, which is checked against the size cap and
//! reserved against the uploader's and the total storage quota ([`super::quota`]) before a byte is read. A stored
//! file is never replaced: a name already taken answers 409.
//!
//! The body is never held in memory whole; a body that grows past the cap while streaming is refused as soon as
//! it does. On any refusal, and when the client goes away mid-upload, the temporary file is removed, so a
//! refused upload leaves nothing behind. Temporary files left by a crash are removed when the hub starts.

use super::{checked_path, encode_segment, MediaError, PARTIAL_DIR};
use crate::state::SharedState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use futures::StreamExt;
use serde::Serialize;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// The answer to a stored upload.
#[derive(Debug, Serialize)]
pub(crate) struct Uploaded {
    url: String,
    size: u64,
}

/// Stores the request body as `{uid}/{file_name}` and answers its URL.
pub(crate) async fn upload(
    State(state): State<SharedState>,
    Path((uid, file_name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Uploaded>, MediaError> {
    let (uid, file_name) = checked_path(&uid, &file_name)?;
    let uploader = state.upload_tokens.redeem(&headers, uid)?;
    let cap = state.max_upload_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
        .ok_or(MediaError::NoLength)?;
    if declared > cap {
        return Err(MediaError::TooLarge { size: declared, cap });
    }
    let exists = || MediaError::Exists { uid: uid.to_owned(), file_name: file_name.to_owned() };
    if tokio::fs::symlink_metadata(state.media_dir.join(uid).join(file_name)).await.is_ok() {
        return Err(exists());
    }
    let reservation = state.quota.reserve(&uploader, declared)?;
    let size = store(&state, uid, file_name, body, cap).await?;
    if let Err(error) = state.store.record_media(uid, file_name, &uploader, size).await {
        // The file is stored and counted in memory; only its row for the next start is missing.
        tracing::error!("could not record the upload of {uid:?}/{file_name:?} for the quotas: {error}");
    }
    reservation.keep();
    state.counters.upload(size);
    let url = format!("{}/media/{}/{}", state.public_base_url, encode_segment(uid), encode_segment(file_name));
    Ok(Json(Uploaded { url, size }))
}

/// Streams `body` into the media directory and returns the stored size. The file is linked into place, which
/// fails rather than replace a file stored meanwhile under the same name.
async fn store(state: &SharedState, uid: &str, file_name: &str, body: Body, cap: u64) -> Result<u64, MediaError> {
    let partial_dir = state.media_dir.join(PARTIAL_DIR);
    tokio::fs::create_dir_all(&partial_dir).await.map_err(MediaError::disk(&partial_dir))?;
    let partial = PartialFile { path: partial_dir.join(format!("{:016x}", rand::random::<u64>())) };
    let mut file = tokio::fs::File::create(&partial.path).await.map_err(MediaError::disk(&partial.path))?;
    let mut size: u64 = 0;
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| MediaError::BrokenUpload {
            uid: uid.to_owned(),
            file_name: file_name.to_owned(),
            reason: error.to_string(),
        })?;
        size += chunk.len() as u64;
        if size > cap {
            return Err(MediaError::TooLarge { size, cap });
        }
        file.write_all(&chunk).await.map_err(MediaError::disk(&partial.path))?;
    }
    file.flush().await.map_err(MediaError::disk(&partial.path))?;
    drop(file);
    let folder = state.media_dir.join(uid);
    tokio::fs::create_dir_all(&folder).await.map_err(MediaError::disk(&folder))?;
    let target = folder.join(file_name);
    match tokio::fs::hard_link(&partial.path, &target).await {
        Ok(()) => Ok(size),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(MediaError::Exists { uid: uid.to_owned(), file_name: file_name.to_owned() })
        }
        Err(error) => Err(MediaError::Disk { path: target, source: error }),
    }
}

/// A temporary upload file, removed when dropped: after a refusal, a cancellation, or once linked into place.
struct PartialFile {
    path: PathBuf,
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        // A file that was never created is fine to miss.
        let _ = std::fs::remove_file(&self.path);
    }
}
