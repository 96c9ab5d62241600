//! `GET /media/{uid}/{file_name}`: streams a stored file, whole or one byte range of it.

use super::range::{self, RangeRequest};
use super::{checked_path, content_type, MediaError};
use crate::state::SharedState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::io::SeekFrom;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

/// Serves `{uid}/{file_name}`: 200 with the whole file, 206 with one `Range`, 416 for a range past the end.
pub(crate) async fn download(
    State(state): State<SharedState>,
    Path((uid, file_name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, MediaError> {
    let (uid, file_name) = checked_path(&uid, &file_name)?;
    let path = state.media_dir.join(uid).join(file_name);
    let not_found = || MediaError::NotFound { uid: uid.to_owned(), file_name: file_name.to_owned() };
    let mut file = tokio::fs::File::open(&path).await.map_err(|_| not_found())?;
    let length = match file.metadata().await {
        Ok(metadata) if metadata.is_file() => metadata.len(),
        _ => return Err(not_found()),
    };
    let mime = content_type::for_file_name(file_name);
    let content_type = HeaderValue::from_static(mime);
    let accept_ranges = (header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let disposition = (header::CONTENT_DISPOSITION, disposition(content_type::is_inline_safe(mime), file_name));
    // Even shown inline, a stored file gets no script, no plugins and an origin of its own.
    let policy = (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(MEDIA_POLICY));
    let requested = headers.get(header::RANGE).and_then(|value| value.to_str().ok());
    match range::parse(requested, length) {
        RangeRequest::Whole => Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type),
                (header::CONTENT_LENGTH, HeaderValue::from(length)),
                accept_ranges,
                disposition,
                policy,
            ],
            Body::from_stream(ReaderStream::new(file)),
        )
            .into_response()),
        RangeRequest::Part { start, end } => {
            file.seek(SeekFrom::Start(start)).await.map_err(MediaError::disk(&path))?;
            let part_length = end - start + 1;
            let content_range = HeaderValue::from_str(&format!("bytes {start}-{end}/{length}"))
                .map_err(|error| MediaError::Disk { path: path.clone(), source: std::io::Error::other(error) })?;
            Ok((
                StatusCode::PARTIAL_CONTENT,
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CONTENT_LENGTH, HeaderValue::from(part_length)),
                    (header::CONTENT_RANGE, content_range),
                    accept_ranges,
                    disposition,
                    policy,
                ],
                Body::from_stream(ReaderStream::new(file.take(part_length))),
            )
                .into_response())
        }
        RangeRequest::Unsatisfiable => Err(MediaError::RangeNotSatisfiable { length }),
    }
}

/// The Content-Security-Policy of every stored file.
const MEDIA_POLICY: &str = "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

/// `inline` or `attachment`, with the file name (RFC 6266: an ASCII fallback and the UTF-8 name encoded).
fn disposition(inline: bool, file_name: &str) -> HeaderValue {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String = file_name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let value = format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}", super::encode_segment(file_name));
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}
