//! The embedded hub's media store: `PUT {base}/media/{uid}/{file_name}` with the raw bytes, answered by
//! `{"url": "..."}`, the public URL.
//!
//! The hub stores nothing without an upload token. With the app's credentials ([`HubMediaStore::with_credentials`])
//! each upload first asks `POST {base}/media/tokens` for one, signed as a Server API request, and sends it as
//! `Authorization: Bearer`; each attempt gets a fresh token, since a token is used up by one upload.

use crate::http::{build_client, check_base_url, percent_encode};
use crate::store::{MediaStore, ProgressCallback, UploadRequest};
use crate::upload::put_file;
use crate::ClientError;
use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use zimbot_model::{ZimCode, ZimError};
use zimbot_wire::{Action, SignedQuery};

/// A fresh signature nonce: 16 hex characters, as the Server API's.
fn nonce() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Uploads to the hub (`zimbot hub`, or the one embedded in `zimbot run`).
#[derive(Debug, Clone)]
pub struct HubMediaStore {
    client: reqwest::Client,
    base_url: String,
    /// The app id and server secret upload tokens are asked for with.
    credentials: Option<(u32, String)>,
}

#[derive(Deserialize)]
struct HubUploadAnswer {
    url: String,
}

#[derive(Deserialize)]
struct HubTokenAnswer {
    token: String,
}

impl HubMediaStore {
    /// A store for the hub at `base_url` (e.g. `http://127.0.0.1:8700`).
    pub fn new(base_url: impl Into<String>) -> Result<Self, ClientError> {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        check_base_url("hub media store URL", &base_url)?;
        Ok(Self { client: build_client("the hub media store", None)?, base_url, credentials: None })
    }

    /// Asks for an upload token before each upload, signed with the app's `app_id` and `server_secret`.
    pub fn with_credentials(mut self, app_id: u32, server_secret: impl Into<String>) -> Self {
        self.credentials = Some((app_id, server_secret.into()));
        self
    }

    /// An upload token from the hub, when credentials are set.
    async fn token(&self) -> Result<Option<(HeaderName, HeaderValue)>, ZimError> {
        let Some((app_id, secret)) = &self.credentials else {
            return Ok(None);
        };
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        // The signature covers the app id, nonce, secret and timestamp only; the action is not sent.
        let query = SignedQuery::sign(Action::UserRegister, *app_id, secret, nonce(), timestamp);
        let url = format!("{}/media/tokens", self.base_url);
        let failed = |reason: String| {
            ZimError::new(ZimCode::UPLOAD_FAILED, format!("asking {url} for an upload token: {reason}"))
        };
        let response = self
            .client
            .post(&url)
            .query(&[
                ("AppId", query.app_id.to_string()),
                ("SignatureNonce", query.signature_nonce),
                ("Timestamp", query.timestamp.to_string()),
                ("SignatureVersion", query.signature_version),
                ("Signature", query.signature),
            ])
            .send()
            .await
            .map_err(|error| failed(error.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|error| failed(error.to_string()))?;
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))));
        }
        let answer: HubTokenAnswer = serde_json::from_slice(&body).map_err(|error| failed(error.to_string()))?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", answer.token))
            .map_err(|error| failed(format!("the token is not a header value: {error}")))?;
        value.set_sensitive(true);
        Ok(Some((reqwest::header::AUTHORIZATION, value)))
    }

    /// Where `request` is PUT.
    pub fn upload_url(&self, request: &UploadRequest) -> String {
        format!("{}/media/{}/{}", self.base_url, percent_encode(&request.uid), percent_encode(&request.file_name))
    }
}

#[async_trait]
impl MediaStore for HubMediaStore {
    async fn upload(&self, request: &UploadRequest, progress: ProgressCallback) -> Result<String, ZimError> {
        let url = self.upload_url(request);
        let token = self.token().await?;
        let response = put_file(&self.client, &url, token.as_ref(), request, progress).await?;
        let answer = response.bytes().await.map_err(|error| {
            ZimError::new(ZimCode::UPLOAD_FAILED, format!("reading the hub's answer to the upload to {url}: {error}"))
        })?;
        let answer: HubUploadAnswer = serde_json::from_slice(&answer).map_err(|error| {
            ZimError::new(
                ZimCode::BAD_RESPONSE,
                format!("the hub answered the upload to {url} without a JSON {{\"url\": ...}} ({error})"),
            )
        })?;
        Ok(answer.url)
    }
}
