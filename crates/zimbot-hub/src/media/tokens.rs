//! Upload tokens: no file is stored without one, and each names the uploader its bytes count against.
//!
//! - People get one from `POST /client/v1/uploads` `{"from": "alice"}`: it allows one upload into a folder the hub
//!   picks for it, so no one can write to a path they saw in a room's history.
//! - Servers (the runtime's hub media store) get one from `POST /media/tokens` with a Server API signature in the
//!   query, as every Server API request carries: it allows one upload into any folder.
//! - An operator can give a generic HTTP PUT store a long-lived upload key (`zimbot hub --upload-key`).
//!
//! A token is sent as `Authorization: Bearer <token>`, used once, and expires after [`TOKEN_LIFETIME`]. At most
//! [`MAX_OUTSTANDING`] tokens wait at once, so asking for tokens cannot grow memory without bound.

use super::MediaError;
use axum::http::{header, HeaderMap};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// How long an unused token stays valid.
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Most tokens issued and not yet used or expired.
const MAX_OUTSTANDING: usize = 10_000;
/// The uploader name of uploads made with a server-signed token.
pub(crate) const SERVER_UPLOADER: &str = "@server";
/// The uploader name of uploads made with an operator's upload key.
const KEY_UPLOADER: &str = "@upload-key";

/// What a token allows.
#[derive(Debug, Clone)]
struct Grant {
    uploader: String,
    /// The one folder (uid) it may write to; `None` for any.
    folder: Option<String>,
    expires: Instant,
}

/// The tokens issued and not yet used, and the operator's long-lived keys.
#[derive(Debug)]
pub(crate) struct UploadTokens {
    grants: Mutex<HashMap<String, Grant>>,
    keys: Vec<String>,
}

impl UploadTokens {
    pub(crate) fn new(keys: Vec<String>) -> Self {
        Self { grants: Mutex::new(HashMap::new()), keys }
    }

    /// A fresh token for `uploader`, limited to `folder` when given.
    pub(crate) fn issue(&self, uploader: &str, folder: Option<String>) -> Result<String, MediaError> {
        let now = Instant::now();
        let mut grants = self.grants.lock();
        grants.retain(|_, grant| grant.expires > now);
        if grants.len() >= MAX_OUTSTANDING {
            return Err(MediaError::TooManyTokens { max: MAX_OUTSTANDING });
        }
        let token = format!("{:032x}", rand::random::<u128>());
        grants.insert(token.clone(), Grant { uploader: uploader.to_owned(), folder, expires: now + TOKEN_LIFETIME });
        Ok(token)
    }

    /// The uploader an upload into `uid` with these headers is made by; uses up the token.
    pub(crate) fn redeem(&self, headers: &HeaderMap, uid: &str) -> Result<String, MediaError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(MediaError::NoToken)?;
        if self.keys.iter().any(|key| constant_time_eq(key.as_bytes(), token.as_bytes())) {
            return Ok(KEY_UPLOADER.to_owned());
        }
        let mut grants = self.grants.lock();
        let grant = grants.remove(token).filter(|grant| grant.expires > Instant::now()).ok_or(MediaError::BadToken)?;
        match &grant.folder {
            Some(folder) if folder != uid => Err(MediaError::WrongFolder { folder: folder.clone() }),
            _ => Ok(grant.uploader),
        }
    }
}

/// Compares without stopping at the first difference, so timing does not reveal a key.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        headers
    }

    #[test]
    fn a_token_is_good_for_one_upload_into_its_folder() {
        let tokens = UploadTokens::new(Vec::new());
        let token = tokens.issue("alice", Some("web-1".into())).unwrap();
        assert!(matches!(tokens.redeem(&bearer(&token), "other"), Err(MediaError::WrongFolder { .. })));
        let token = tokens.issue("alice", Some("web-1".into())).unwrap();
        assert_eq!(tokens.redeem(&bearer(&token), "web-1").unwrap(), "alice");
        assert!(matches!(tokens.redeem(&bearer(&token), "web-1"), Err(MediaError::BadToken)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_expires() {
        let tokens = UploadTokens::new(Vec::new());
        let token = tokens.issue("alice", None).unwrap();
        tokio::time::advance(TOKEN_LIFETIME).await;
        assert!(matches!(tokens.redeem(&bearer(&token), "u"), Err(MediaError::BadToken)));
    }

    #[test]
    fn an_upload_key_is_good_for_any_number_of_uploads() {
        let tokens = UploadTokens::new(vec!["operator-key".into()]);
        for _ in 0..3 {
            assert_eq!(tokens.redeem(&bearer("operator-key"), "u").unwrap(), KEY_UPLOADER);
        }
        assert!(matches!(tokens.redeem(&HeaderMap::new(), "u"), Err(MediaError::NoToken)));
    }
}
