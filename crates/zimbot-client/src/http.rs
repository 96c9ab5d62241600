//! HTTP plumbing shared by the Server API transport and the media stores: building a reqwest client on rustls
//! with the ring provider, and percent-encoding a URL path segment.

use crate::ClientError;
use std::time::Duration;

/// A reqwest client for `purpose` (named in errors). `timeout` bounds a whole request when given; uploads pass
/// `None` because a large file may rightly take long, and rely on the connect and read timeouts instead.
pub(crate) fn build_client(purpose: &'static str, timeout: Option<Duration>) -> Result<reqwest::Client, ClientError> {
    // reqwest is built without a default crypto provider; installing ring twice is harmless (the second call
    // reports that one is installed, which is what we want).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(Duration::from_secs(60))
        .tcp_nodelay(true);
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    builder.build().map_err(|source| ClientError::HttpClient { purpose, source })
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a file name is one safe path segment.
pub(crate) fn percent_encode(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Checks that `url` is an http(s) URL a request can go to; `what` names the setting in the error.
pub(crate) fn check_base_url(what: &'static str, url: &str) -> Result<(), ClientError> {
    let invalid = |reason: &str| ClientError::InvalidSetting { what, value: url.to_owned(), reason: reason.into() };
    let parsed =
        reqwest::Url::parse(url).map_err(|error| invalid(&format!("{error}; expected e.g. http://127.0.0.1:8080")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    Ok(())
}

/// An error with its causes, so "error sending request" says why.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_one_safe_segment() {
        assert_eq!(percent_encode("cat photo/1.png"), "cat%20photo%2F1.png");
        assert_eq!(percent_encode("héllo"), "h%C3%A9llo");
        assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
    }

    #[test]
    fn a_base_url_must_be_http() {
        assert!(check_base_url("base url", "http://127.0.0.1:1").is_ok());
        let error = check_base_url("base url", "ftp://x").unwrap_err().to_string();
        assert!(error.contains("scheme"), "{error}");
        assert!(check_base_url("base url", "not a url").is_err());
    }
}
