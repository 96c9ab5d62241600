//! Why a media request failed, and the HTTP answer for each reason.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum MediaError {
    #[error("{0}")]
    BadPath(String),
    #[error("no media stored as {uid}/{file_name}")]
    NotFound { uid: String, file_name: String },
    #[error("the upload is {size} bytes or more; this hub stores at most {cap} bytes per file (raise `zim.hub.max_upload_mb` or `zimbot hub --max-upload-mb`)")]
    TooLarge { size: u64, cap: u64 },
    #[error("the upload of {uid}/{file_name} broke off: {reason}")]
    BrokenUpload { uid: String, file_name: String, reason: String },
    #[error("an upload needs a token in `Authorization: Bearer <token>`: get one from POST /client/v1/uploads (people) or POST /media/tokens with a Server API signature (servers)")]
    NoToken,
    #[error("the upload token is unknown, used or expired; get a new one")]
    BadToken,
    #[error("the upload token allows only the folder '{folder}'")]
    WrongFolder { folder: String },
    #[error("{max} upload tokens are waiting to be used; retry later")]
    TooManyTokens { max: usize },
    #[error("an upload needs a Content-Length header, so its size can be checked against the quotas")]
    NoLength,
    #[error("{uid}/{file_name} is already stored; media are never replaced, upload under a new name")]
    Exists { uid: String, file_name: String },
    #[error("the upload of {size} bytes would pass the {which} storage quota ({used} of {quota} bytes used; raise `{setting}`)")]
    QuotaExceeded { which: &'static str, used: u64, size: u64, quota: u64, setting: &'static str },
    #[error("the range starts past the end of the {length}-byte file")]
    RangeNotSatisfiable { length: u64 },
    #[error("the hub could not read or write {}: {source}; check the data directory", path.display())]
    Disk { path: PathBuf, source: std::io::Error },
}

impl MediaError {
    pub(super) fn disk(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Disk { path: path.to_owned(), source }
    }
}

impl IntoResponse for MediaError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::BadPath(_) => StatusCode::BAD_REQUEST,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BrokenUpload { .. } => StatusCode::BAD_REQUEST,
            Self::NoToken | Self::BadToken => StatusCode::UNAUTHORIZED,
            Self::WrongFolder { .. } => StatusCode::FORBIDDEN,
            Self::TooManyTokens { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::NoLength => StatusCode::LENGTH_REQUIRED,
            Self::Exists { .. } => StatusCode::CONFLICT,
            Self::QuotaExceeded { .. } => StatusCode::INSUFFICIENT_STORAGE,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Disk { .. } => {
                tracing::error!("media store failed: {self}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut response = (status, Json(serde_json::json!({ "error": self.to_string() }))).into_response();
        if let Self::RangeNotSatisfiable { length } = self {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
        }
        response
    }
}
