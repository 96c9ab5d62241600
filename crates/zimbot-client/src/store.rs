//! The media store: where a local file is uploaded before its message is sent.
//!
//! Contract of [`MediaStore::upload`]:
//! - One call is ONE attempt to store the file at `request.path` (`request.size` bytes) and returns the public URL
//!   receivers download it from. Each call opens the file anew (a retry never reuses a half-read handle) and
//!   streams it; an implementation never reads the whole file into memory.
//! - `progress` is called with the number of bytes the store has taken so far, never decreasing within one
//!   attempt. Counting happens as the request body is consumed; an implementation must not report success
//!   (return `Ok`) before the store acknowledged the upload with a 2xx answer. The client turns these calls into
//!   throttled progress events and sends `current == total` itself once `upload` returned `Ok`.
//! - Errors carry a code that says whether to retry: `UPLOAD_FAILED` (no answer, HTTP 5xx or 429: retried),
//!   `UPLOAD_TOO_LARGE` (HTTP 413), `FILE_READ` (the file could not be opened or read), `BAD_RESPONSE` (any other
//!   refusal or an answer that cannot be understood) — the last three are final. See [`zimbot_model::ZimCode`].
//! - Implementations are shared (`Arc<dyn MediaStore>`) and called concurrently, up to the client's
//!   `max_concurrent_uploads`.
//!
//! Stores: [`crate::HubMediaStore`] (the embedded hub), [`crate::HttpPutStore`] (any HTTP PUT endpoint) and
//! [`crate::S3Store`] (S3-compatible object storage), [`crate::LocalMediaStore`] (a folder zimbot serves itself).

use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::Arc;
use zimbot_model::ZimError;

/// Called with the bytes taken so far.
pub type ProgressCallback = Arc<dyn Fn(u64) + Send + Sync>;

/// One file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// The message's fresh media id; stores use it to keep equal file names apart.
    pub uid: String,
    /// The name receivers see.
    pub file_name: String,
    pub path: PathBuf,
    /// The file's size when the send was accepted; exactly this many bytes are sent.
    pub size: u64,
}

/// Stores uploaded media. See the module documentation for the contract.
#[async_trait]
pub trait MediaStore: Send + Sync + 'static {
    /// Makes one attempt to upload the file and returns its public URL.
    async fn upload(&self, request: &UploadRequest, progress: ProgressCallback) -> Result<String, ZimError>;
}
