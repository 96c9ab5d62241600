//! A multipart upload to S3: create, parts, complete, or abort on any failure.
//!
//! - Parts are byte ranges of the file, each streamed from disk like a whole-file upload, so memory stays at a
//!   few read blocks per part in flight whatever the file's size; at most `part_concurrency` parts are in flight.
//! - A part that fails with a retryable error (no answer, 5xx, 429) is sent again alone, up to [`PART_ATTEMPTS`]
//!   times, before the whole upload gives up; other errors give up at once.
//! - Giving up aborts the upload, so the store keeps no parts of it; the error returned is the part's, and the
//!   client's own retry starts a new upload.
//! - The open upload is recorded in the store's upload journal, if it has one, until it is completed or aborted.
//! - Progress is the sum of each part's furthest point, so it never decreases, also when a part starts again.

use crate::s3_answer::{body_text, upload_id};
use crate::s3_config::MAX_PARTS;
use crate::s3_content_type::for_file_name;
use crate::s3_journal::OpenUpload;
use crate::s3_store::S3Store;
use crate::store::{ProgressCallback, UploadRequest};
use crate::upload::FileSlice;
use futures::stream::{self, StreamExt as _, TryStreamExt as _};
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use zimbot_model::{ZimCode, ZimError};

/// Attempts per part before the upload gives up.
pub const PART_ATTEMPTS: u32 = 3;
/// Pause before a part's second attempt; doubled for each further one.
const FIRST_PART_RETRY_DELAY: Duration = Duration::from_millis(200);

#[derive(Serialize)]
#[serde(rename = "CompleteMultipartUpload")]
struct CompleteMultipartUpload {
    #[serde(rename = "Part")]
    parts: Vec<CompletedPart>,
}

#[derive(Serialize)]
struct CompletedPart {
    #[serde(rename = "PartNumber")]
    number: u64,
    #[serde(rename = "ETag")]
    etag: String,
}

/// The furthest point of every part, summed.
struct PartProgress {
    state: Mutex<(Vec<u64>, u64)>,
    report: ProgressCallback,
}

impl PartProgress {
    fn callback(self: &Arc<Self>, index: usize) -> ProgressCallback {
        let this = Arc::clone(self);
        Arc::new(move |taken| {
            let mut state = this.state.lock();
            let (furthest, total) = &mut *state;
            if taken > furthest[index] {
                *total += taken - furthest[index];
                furthest[index] = taken;
                // Reported under the lock, so concurrent parts cannot report out of order.
                (this.report)(*total);
            }
        })
    }
}

/// Uploads `request`'s file to `key` in parts. See the module documentation.
pub(crate) async fn upload_in_parts(
    store: &S3Store,
    key: &str,
    request: &UploadRequest,
    progress: ProgressCallback,
) -> Result<(), ZimError> {
    let content_type = [("content-type", for_file_name(key))];
    let answer = store
        .send_signed(reqwest::Method::POST, key, Some("uploads"), &content_type, Vec::new(), "create upload")
        .await?;
    let url = store.signer.object_url(key, None);
    let text = body_text(answer, &store.target("create upload", key, &url)).await?;
    let upload_id = upload_id(&text, &store.target("create upload", key, &url))?;
    tracing::debug!(key, upload_id, size = request.size, "multipart upload started");
    let entry = store.journal.as_ref().and_then(|journal| {
        journal
            .record(&OpenUpload { key: key.to_owned(), upload_id: upload_id.clone() })
            .map_err(|error| tracing::warn!(key, upload_id, %error, "could not journal the open upload"))
            .ok()
            .map(|entry| (journal, entry))
    });
    let (result, closed) = match send_parts(store, key, &upload_id, request, progress).await {
        Ok(()) => (Ok(()), true),
        Err(error) => (Err(error), abort(store, key, &upload_id).await),
    };
    // An upload not closed stays in the journal for the next start, as does a cancelled one (its future dropped
    // before this point): that is what a crash leaves.
    if let Some((journal, entry)) = entry.filter(|_| closed) {
        journal.forget(&entry);
    }
    result
}

async fn send_parts(
    store: &S3Store,
    key: &str,
    upload_id: &str,
    request: &UploadRequest,
    progress: ProgressCallback,
) -> Result<(), ZimError> {
    // S3 takes at most 10 000 parts: a larger file gets larger parts.
    let part_size = store.config.part_size.max(request.size.div_ceil(MAX_PARTS));
    let count = request.size.div_ceil(part_size);
    let progress = Arc::new(PartProgress {
        state: Mutex::new((vec![0; usize::try_from(count).unwrap_or(usize::MAX)], 0)),
        report: progress,
    });
    let encoded_id = crate::http::percent_encode(upload_id);
    let mut parts: Vec<CompletedPart> = stream::iter(0..count)
        .map(|index| {
            let offset = index * part_size;
            let slice = FileSlice { path: &request.path, offset, len: part_size.min(request.size - offset) };
            let callback = progress.callback(usize::try_from(index).unwrap_or(usize::MAX));
            let query = format!("partNumber={}&uploadId={encoded_id}", index + 1);
            async move {
                let etag = send_part(store, key, &query, index + 1, slice, callback).await?;
                Ok::<_, ZimError>(CompletedPart { number: index + 1, etag })
            }
        })
        .buffer_unordered(store.config.part_concurrency)
        .try_collect()
        .await?;
    parts.sort_by_key(|part| part.number);
    let body = quick_xml::se::to_string(&CompleteMultipartUpload { parts }).map_err(|error| {
        ZimError::new(ZimCode::BAD_RESPONSE, format!("could not write the list of parts of {key:?}: {error}"))
    })?;
    let query = format!("uploadId={encoded_id}");
    let answer =
        store.send_signed(reqwest::Method::POST, key, Some(&query), &[], body.into_bytes(), "complete upload").await?;
    let url = store.signer.object_url(key, None);
    body_text(answer, &store.target("complete upload", key, &url)).await?;
    Ok(())
}

/// Sends one part, again alone when it fails with a retryable error; returns its ETag.
async fn send_part(
    store: &S3Store,
    key: &str,
    query: &str,
    number: u64,
    slice: FileSlice<'_>,
    progress: ProgressCallback,
) -> Result<String, ZimError> {
    let url = store.signer.object_url(key, Some(query));
    let action = format!("upload part {number}");
    let mut delay = FIRST_PART_RETRY_DELAY;
    let mut attempt = 1;
    loop {
        let result = store.put_slice(&url, key, slice, Arc::clone(&progress), &[], &action).await.and_then(|answer| {
            answer
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|etag| etag.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| {
                    ZimError::new(
                        ZimCode::BAD_RESPONSE,
                        format!("the S3 store answered {action} of {key:?} without an ETag"),
                    )
                })
        });
        match result {
            Ok(etag) => return Ok(etag),
            Err(error) if error.code.is_retryable() && attempt < PART_ATTEMPTS => {
                tracing::warn!(key, part = number, attempt, error = %error.message, "S3 part failed; sending it again");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Aborts the upload so the store drops its parts; whether it did. A failure is logged; the journal keeps the
/// upload for the next start.
async fn abort(store: &S3Store, key: &str, upload_id: &str) -> bool {
    let query = format!("uploadId={}", crate::http::percent_encode(upload_id));
    match store.send_signed(reqwest::Method::DELETE, key, Some(&query), &[], Vec::new(), "abort upload").await {
        Ok(_) => {
            tracing::debug!(key, upload_id, "multipart upload aborted");
            true
        }
        Err(error) => {
            tracing::warn!(key, upload_id, error = %error.message, "could not abort the multipart upload");
            false
        }
    }
}
