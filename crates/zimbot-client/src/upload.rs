//! One streamed HTTP request body from a local file (the whole file or a byte range of it, for one part of a
//! multipart upload), counting the bytes the server takes. Every store uploads through it.
//!
//! The body is handed out in chunks of [`CHUNK_SIZE`] as the connection asks for them, with
//! `Content-Length` set from the file's size, so memory use does not grow with the file. A chunk counts as taken
//! when the connection polls for the next one (it only does so once it has room, i.e. once the chunk went to the
//! socket); the last chunk is confirmed by the server's answer, which is why the client reports the total only
//! after a 2xx.

use crate::http::error_chain;
use crate::store::{ProgressCallback, UploadRequest};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use parking_lot::Mutex;
use std::future::Future as _;
use std::io;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use zimbot_model::{ZimCode, ZimError};

/// Bytes per body chunk handed to the connection.
pub const CHUNK_SIZE: usize = 64 * 1024;

/// Bytes per read from the file. Reads run on tokio's blocking pool; one read per chunk would spend more time
/// handing work to that pool than reading, so the file is read in larger blocks that are cut into chunks without
/// copying. At most two blocks are in memory: the one being handed out and the next one being read.
const READ_SIZE: usize = 16 * CHUNK_SIZE;

type BlockRead = tokio::task::JoinHandle<io::Result<(std::fs::File, Vec<u8>)>>;

/// The file as a request body of exactly `remaining` bytes.
struct FileBody {
    /// The file, while no read is running.
    file: Option<std::fs::File>,
    /// The read running on the blocking pool.
    reading: Option<BlockRead>,
    /// Bytes not yet asked of the file.
    unread: u64,
    /// Bytes read and not yet handed out.
    block: Bytes,
    /// Bytes not yet handed out.
    remaining: u64,
    /// Bytes confirmed taken, and the size of the chunk handed over but not yet confirmed.
    taken: u64,
    pending: u64,
    progress: ProgressCallback,
    /// The read error that ended the body, kept because reqwest reports it only as a generic body error.
    read_error: Arc<Mutex<Option<io::Error>>>,
}

impl FileBody {
    fn fail(&mut self, error: io::Error) -> io::Error {
        let copy = io::Error::new(error.kind(), error.to_string());
        *self.read_error.lock() = Some(error);
        copy
    }

    /// Starts reading the next block, if there is one and no read is running.
    fn read_ahead(&mut self) {
        if self.reading.is_some() || self.unread == 0 {
            return;
        }
        let Some(mut file) = self.file.take() else {
            return;
        };
        let want = READ_SIZE.min(usize::try_from(self.unread).unwrap_or(READ_SIZE));
        self.reading = Some(tokio::task::spawn_blocking(move || {
            let mut block = vec![0; want];
            let mut filled = 0;
            while filled < want {
                match file.read(&mut block[filled..]) {
                    Ok(0) => break,
                    Ok(read) => filled += read,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => return Err(error),
                }
            }
            block.truncate(filled);
            Ok((file, block))
        }));
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
        if this.block.is_empty() {
            this.read_ahead();
            let Some(reading) = this.reading.as_mut() else {
                return Poll::Ready(Some(Err(this.fail(io::Error::other("the upload lost its file handle")))));
            };
            let finished = ready!(Pin::new(reading).poll(context));
            this.reading = None;
            let (file, block) = match finished {
                Ok(Ok(read)) => read,
                Ok(Err(error)) => return Poll::Ready(Some(Err(this.fail(error)))),
                Err(error) => return Poll::Ready(Some(Err(this.fail(io::Error::other(error))))),
            };
            if block.is_empty() {
                let error = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the file ended {} bytes early (was it truncated while uploading?)", this.remaining),
                );
                return Poll::Ready(Some(Err(this.fail(error))));
            }
            this.file = Some(file);
            this.unread -= block.len() as u64;
            this.block = Bytes::from(block);
        }
        // Read the next block while this one goes out.
        this.read_ahead();
        let chunk = this.block.split_to(CHUNK_SIZE.min(this.block.len()));
        this.remaining -= chunk.len() as u64;
        this.pending = chunk.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0 && self.pending == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// A byte range of a local file sent as one request body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileSlice<'a> {
    pub path: &'a Path,
    pub offset: u64,
    pub len: u64,
}

/// Sends `builder` with `slice` streamed as its body (`Content-Length` set) and returns the answer, whatever its
/// status. `target` names where it went in errors. A failure to read the file is `FILE_READ`; any other failure to
/// get an answer is `UPLOAD_FAILED`.
pub(crate) async fn send_file(
    builder: reqwest::RequestBuilder,
    slice: FileSlice<'_>,
    progress: ProgressCallback,
    target: &str,
) -> Result<reqwest::Response, ZimError> {
    let path = slice.path.display();
    let file = tokio::fs::File::open(slice.path)
        .await
        .map_err(|error| ZimError::new(ZimCode::FILE_READ, format!("could not open {path} for upload: {error}")))?;
    // Reads happen on the blocking pool (see `READ_SIZE`), so the body holds the std handle.
    let mut file = file.into_std().await;
    if slice.offset > 0 {
        let offset = slice.offset;
        file = tokio::task::spawn_blocking(move || file.seek(SeekFrom::Start(offset)).map(|_| file))
            .await
            .map_err(io::Error::other)
            .and_then(|seeked| seeked)
            .map_err(|error| {
                ZimError::new(ZimCode::FILE_READ, format!("could not seek to byte {offset} of {path}: {error}"))
            })?;
    }
    let read_error = Arc::new(Mutex::new(None));
    let body = FileBody {
        file: Some(file),
        reading: None,
        unread: slice.len,
        block: Bytes::new(),
        remaining: slice.len,
        taken: 0,
        pending: 0,
        progress,
        read_error: Arc::clone(&read_error),
    };
    let builder = builder.header(reqwest::header::CONTENT_LENGTH, slice.len).body(reqwest::Body::wrap(body));
    builder.send().await.map_err(|error| {
        let read_error = read_error.lock().take();
        match read_error {
            Some(read_error) => {
                ZimError::new(ZimCode::FILE_READ, format!("could not read {path} while uploading: {read_error}"))
            }
            None => ZimError::new(
                ZimCode::UPLOAD_FAILED,
                format!("uploading {path} to {target} failed: {}", error_chain(&error)),
            ),
        }
    })
}

/// PUTs the file of `request` to `url` (with the optional `auth` header) and returns the 2xx response.
pub(crate) async fn put_file(
    client: &reqwest::Client,
    url: &str,
    auth: Option<&(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    request: &UploadRequest,
    progress: ProgressCallback,
) -> Result<reqwest::Response, ZimError> {
    let mut builder = client.put(url).header(reqwest::header::CONTENT_TYPE, "application/octet-stream");
    if let Some((name, value)) = auth {
        builder = builder.header(name, value);
    }
    let slice = FileSlice { path: &request.path, offset: 0, len: request.size };
    let response = send_file(builder, slice, progress, url).await?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let path = request.path.display();
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
