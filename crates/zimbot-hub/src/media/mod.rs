//! The media store: `PUT /media/{uid}/{file_name}` stores a file, `GET` the same path serves it back.
//!
//! Uploads need a token and count against storage quotas (see `tokens`, `quota`); `POST /media/tokens` issues
//! tokens to servers that sign the request as the Server API does.
//!
//! Files live at `{data_dir}/media/{uid}/{file_name}`. Both path segments are checked before any file is
//! touched (see [`checked_segment`]), so no request can reach outside the media directory.

mod content_type;
mod download;
mod error;
mod quota;
mod range;
mod token_routes;
mod tokens;
mod upload;

pub(crate) use download::download;
pub(crate) use error::MediaError;
pub(crate) use quota::Quota;
pub use range::{parse as parse_range, RangeRequest};
pub(crate) use token_routes::issue_server_token;
pub(crate) use tokens::{UploadTokens, TOKEN_LIFETIME};
pub(crate) use upload::upload;

/// The folder in the media directory where uploads are written until they are complete. It starts with a dot,
/// which no accepted uid can, so it never collides with stored media.
pub(crate) const PARTIAL_DIR: &str = ".partial";
/// Longest accepted uid, in bytes.
const MAX_UID_BYTES: usize = 128;
/// Longest accepted file name, in bytes (the service's `FileName` limit).
const MAX_FILE_NAME_BYTES: usize = 150;

/// `segment` if it is safe as one path component: not empty, not `.`/`..`-like, no separators or control
/// characters, and not hidden.
fn checked_segment<'a>(what: &str, segment: &'a str, max_bytes: usize) -> Result<&'a str, MediaError> {
    let refuse = |why: &str| MediaError::BadPath(format!("the {what} '{segment}' {why}"));
    if segment.is_empty() {
        return Err(refuse("is empty"));
    }
    if segment.len() > max_bytes {
        return Err(refuse(&format!("is longer than {max_bytes} bytes")));
    }
    if segment.starts_with('.') {
        return Err(refuse("starts with '.', which could leave the media directory or hide the file"));
    }
    if segment.chars().any(|character| matches!(character, '/' | '\\' | ':') || character.is_control()) {
        return Err(refuse("contains a path separator or a control character"));
    }
    Ok(segment)
}

/// Checks both segments of a media path.
fn checked_path<'a>(uid: &'a str, file_name: &'a str) -> Result<(&'a str, &'a str), MediaError> {
    Ok((checked_segment("uid", uid, MAX_UID_BYTES)?, checked_segment("file name", file_name, MAX_FILE_NAME_BYTES)?))
}

/// `text` percent-encoded for use as one URL path segment.
pub(crate) fn encode_segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_hidden_segments_are_refused() {
        for segment in ["..", ".", "../etc", "a/b", "a\\b", ".partial", "", "a\0b", "c:x"] {
            assert!(checked_segment("file name", segment, 150).is_err(), "{segment:?} must be refused");
        }
    }

    #[test]
    fn ordinary_names_are_accepted() {
        for segment in ["cat.png", "report 2024.pdf", "ü-ñ.mp3", "a..b"] {
            assert!(checked_segment("file name", segment, 150).is_ok(), "{segment:?} must be accepted");
        }
    }

    #[test]
    fn segments_are_percent_encoded_for_urls() {
        assert_eq!(encode_segment("a b/ü.png"), "a%20b%2F%C3%BC.png");
    }
}
