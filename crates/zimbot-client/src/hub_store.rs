//! The embedded hub's media store: `PUT {base}/media/{uid}/{file_name}` with the raw bytes, answered by
//! `{"url": "..."}`, the public URL.

use crate::http::{build_client, check_base_url, percent_encode};
use crate::store::{MediaStore, ProgressCallback, UploadRequest};
use crate::upload::put_file;
use crate::ClientError;
use async_trait::async_trait;
use serde::Deserialize;
use zimbot_model::{ZimCode, ZimError};

/// Uploads to the hub (`zimbot hub`, or the one embedded in `zimbot run`).
#[derive(Debug, Clone)]
pub struct HubMediaStore {
    client: reqwest::Client,
    base_url: String,
}

#[derive(Deserialize)]
struct HubUploadAnswer {
    url: String,
}

impl HubMediaStore {
    /// A store for the hub at `base_url` (e.g. `http://127.0.0.1:8700`).
    pub fn new(base_url: impl Into<String>) -> Result<Self, ClientError> {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        check_base_url("hub media store URL", &base_url)?;
        Ok(Self { client: build_client("the hub media store", None)?, base_url })
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
        let response = put_file(&self.client, &url, None, request, progress).await?;
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
