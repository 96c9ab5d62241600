//! One streamed HTTP PUT of a local file, counting the bytes the server takes. Both stores upload through it.
//!
//! The body is read from the file in chunks of [`CHUNK_SIZE`] as the connection asks for them, with
//! `Content-Length` set from the file's size, so memory use does not grow with the file. A chunk counts as taken
//! when the connection polls for the next one (it only does so once it has room, i.e. once the chunk went to the
//! socket); the last chunk is confirmed by the server's answer, which is why the client reports the total only
//! after a 2xx.

use crate::http::error_chain;
use crate::store::{ProgressCallback, UploadRequest};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use zimbot_model::{ZimCode, ZimError};

/// Bytes read from the file per body chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// The file as a request body of exactly `remaining` bytes.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    /// Bytes confirmed taken, and the size of the chunk handed over but not yet confirmed.
    taken: u64,
    pending: u64,
    buffer: Vec<u8>,
    progress: ProgressCallback,
    /// The read error that ended the body, kept because reqwest reports it only as a generic body error.
    read_error: Arc<Mutex<Option<io::Error>>>,
}

impl FileBody {
    fn fail(&mut self, error: io::Error) -> io::Error {
        let copy = io::Error::new(error.kind(), error.to_string());
        if let Ok(mut slot) = self.read_error.lock() {
            *slot = Some(error);
        }
        copy
    }
}

impl http_body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.pending > 0 {
            this.taken += this.pending;
            this.pending = 0;
            (this.progress)(this.taken);
        }
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = CHUNK_SIZE.min(usize::try_from(this.remaining).unwrap_or(CHUNK_SIZE));
        if this.buffer.len() < want {
            this.buffer.resize(want, 0);
        }
        let mut read = ReadBuf::new(&mut this.buffer[..want]);
        if let Err(error) = ready!(Pin::new(&mut this.file).poll_read(context, &mut read)) {
            return Poll::Ready(Some(Err(this.fail(error))));
        }
        let filled = read.filled().len();
        if filled == 0 {
            let error = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the file ended {} bytes early (was it truncated while uploading?)", this.remaining),
            );
            return Poll::Ready(Some(Err(this.fail(error))));
        }
        // Hand the filled buffer over without copying; the next chunk gets a fresh one.
        let mut chunk = std::mem::take(&mut this.buffer);
        chunk.truncate(filled);
        this.remaining -= filled as u64;
        this.pending = filled as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(chunk)))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0 && self.pending == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// PUTs the file of `request` to `url` (with the optional `auth` header) and returns the 2xx response.
pub(crate) async fn put_file(
    client: &reqwest::Client,
    url: &str,
    auth: Option<&(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    request: &UploadRequest,
    progress: ProgressCallback,
) -> Result<reqwest::Response, ZimError> {
    let path = request.path.display();
    let file = tokio::fs::File::open(&request.path)
        .await
        .map_err(|error| ZimError::new(ZimCode::FILE_READ, format!("could not open {path} for upload: {error}")))?;
    let read_error = Arc::new(Mutex::new(None));
    let body = FileBody {
        file,
        remaining: request.size,
        taken: 0,
        pending: 0,
        buffer: Vec::new(),
        progress,
        read_error: Arc::clone(&read_error),
    };
    let mut builder = client
        .put(url)
        .header(reqwest::header::CONTENT_LENGTH, request.size)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(reqwest::Body::wrap(body));
    if let Some((name, value)) = auth {
        builder = builder.header(name, value);
    }
    let response = match builder.send().await {
        Ok(response) => response,
        Err(error) => {
            let read_error = read_error.lock().ok().and_then(|mut slot| slot.take());
            return Err(match read_error {
                Some(read_error) => {
                    ZimError::new(ZimCode::FILE_READ, format!("could not read {path} while uploading: {read_error}"))
                }
                None => ZimError::new(
                    ZimCode::UPLOAD_FAILED,
                    format!("uploading {path} to {url} failed: {}", error_chain(&error)),
                ),
            });
        }
    };
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let answer = response.text().await.unwrap_or_default();
    let answer = answer.chars().take(200).collect::<String>();
    let code = match status.as_u16() {
        413 => ZimCode::UPLOAD_TOO_LARGE,
        429 | 500..=599 => ZimCode::UPLOAD_FAILED,
        _ => ZimCode::BAD_RESPONSE,
    };
    Err(ZimError::new(
        code,
        format!("the media store at {url} answered HTTP {status} to the upload of {path}: {answer}"),
    ))
}
