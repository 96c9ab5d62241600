//! A media store in S3-compatible object storage (AWS S3, Cloudflare R2, MinIO, Ceph, Wasabi, Backblaze B2, ...).
//!
//! Requests are signed with SigV4 (`Authorization` header, payload unsigned so files stream from disk) by
//! `aws-sigv4`, and sent with the same reqwest client and streamed file body as the other stores, so progress
//! events are the same. A file up to one part (`part_size`) goes in one `PUT`; a larger one in a multipart upload
//! (see [`crate::s3_multipart`]). Keys are laid out by [`crate::s3_key`]; the link is public (a URL template) or,
//! as an explicit opt-in, presigned (expiring after at most 7 days).
//!
//! With an upload journal ([`S3Store::with_upload_journal`]), every open multipart upload is recorded on disk until
//! it is completed or aborted, and [`S3Store::abort_leftover_uploads`] aborts, at the next start, exactly the
//! uploads a crashed zimbot left open (see [`crate::s3_journal`]). They are aborted, not resumed: the client's
//! send is retried from the start anyway.

use crate::http::build_client;
use crate::s3_answer::{check, Target};
use crate::s3_config::{S3Config, S3Link, MAX_PRESIGNED_LINK, MIN_PART_SIZE};
use crate::s3_content_type::for_file_name;
use crate::s3_journal::UploadJournal;
use crate::s3_key::key_and_link;
use crate::s3_signer::{Payload, S3Signer};
use crate::store::{MediaStore, ProgressCallback, UploadRequest};
use crate::upload::{send_file, FileSlice};
use crate::ClientError;
use async_trait::async_trait;
use zimbot_model::{ZimCode, ZimError};

/// Uploads to an S3-compatible bucket. See the module documentation.
pub struct S3Store {
    pub(crate) client: reqwest::Client,
    pub(crate) signer: S3Signer,
    pub(crate) config: S3Config,
    pub(crate) journal: Option<UploadJournal>,
}

/// What [`S3Store::abort_leftover_uploads`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LeftoverUploads {
    /// Keys whose open upload was aborted (or was already gone).
    pub aborted: Vec<String>,
    /// Uploads that could not be aborted, with why; they stay in the journal for the next start.
    pub failed: Vec<String>,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("S3Store").field("config", &self.config).finish_non_exhaustive()
    }
}

impl S3Store {
    /// A store for `config`, checked: names given, part size at least S3's 5 MiB, a public template with `{key}`
    /// or a presigned validity of at most 7 days.
    pub fn new(config: S3Config) -> Result<Self, ClientError> {
        let invalid = |what: &'static str, value: String, reason: &str| ClientError::InvalidSetting {
            what,
            value,
            reason: reason.to_owned(),
        };
        for (what, value) in
            [("S3 bucket", &config.bucket), ("S3 region", &config.region), ("S3 access key id", &config.access_key_id)]
        {
            if value.trim().is_empty() {
                return Err(invalid(what, value.clone(), "it is empty"));
            }
        }
        if config.secret_access_key.is_empty() {
            return Err(invalid("S3 secret access key", "(hidden)".into(), "it is empty"));
        }
        match &config.link {
            S3Link::Public(template) => {
                if !template.contains("{key}") {
                    return Err(invalid(
                        "S3 public URL template",
                        template.clone(),
                        "it has no {key}, so every file would get one link",
                    ));
                }
                crate::http::check_base_url("S3 public URL template", &template.replace("{key}", "key"))?;
            }
            S3Link::Presigned(valid_for) => {
                if valid_for.is_zero() || *valid_for > MAX_PRESIGNED_LINK {
                    return Err(invalid(
                        "S3 presigned link validity",
                        format!("{}s", valid_for.as_secs()),
                        "SigV4 allows 1 second to 7 days",
                    ));
                }
            }
        }
        if config.part_size < MIN_PART_SIZE {
            return Err(invalid(
                "S3 part size",
                config.part_size.to_string(),
                "S3 refuses parts below 5 MiB (5242880 bytes)",
            ));
        }
        if config.part_concurrency == 0 {
            return Err(invalid("S3 part concurrency", "0".into(), "at least one part must be able to go"));
        }
        let signer = S3Signer::new(&config)?;
        Ok(Self { client: build_client("the S3 media store", None)?, signer, config, journal: None })
    }

    /// Records open multipart uploads in `folder` (e.g. `{state_dir}/s3-uploads`), created if missing.
    pub fn with_upload_journal(mut self, folder: &std::path::Path) -> Result<Self, ClientError> {
        let journal = UploadJournal::open(folder).map_err(|error| ClientError::InvalidSetting {
            what: "S3 upload journal folder",
            value: folder.display().to_string(),
            reason: error.to_string(),
        })?;
        self.journal = Some(journal);
        Ok(self)
    }

    /// Aborts the multipart uploads that processes no longer running left in the journal (none without one).
    pub async fn abort_leftover_uploads(&self) -> LeftoverUploads {
        let mut report = LeftoverUploads::default();
        let Some(journal) = &self.journal else {
            return report;
        };
        let leftovers = match journal.leftovers() {
            Ok(leftovers) => leftovers,
            Err(error) => {
                report.failed.push(format!("could not read the upload journal: {error}"));
                return report;
            }
        };
        for (entry, upload) in leftovers {
            let query = format!("uploadId={}", crate::http::percent_encode(&upload.upload_id));
            match self
                .send_signed(reqwest::Method::DELETE, &upload.key, Some(&query), &[], Vec::new(), "abort upload")
                .await
            {
                Ok(_) => {}
                // Already completed, aborted or expired by a lifecycle rule: nothing is left open.
                Err(error) if error.message.contains("NoSuchUpload") => {}
                Err(error) => {
                    report.failed.push(error.message);
                    continue;
                }
            }
            tracing::info!(
                key = upload.key,
                upload_id = upload.upload_id,
                "aborted a multipart upload left by a crash"
            );
            journal.forget(&entry);
            report.aborted.push(upload.key);
        }
        report
    }

    /// The object key and link an upload of `request` gets.
    pub fn key_and_link(&self, request: &UploadRequest) -> Result<(String, String), ZimError> {
        key_and_link(&self.config.key_prefix, &request.uid, &request.file_name, |key| self.link(key))
    }

    /// The link receivers download `key` from.
    pub fn link(&self, key: &str) -> Result<String, ZimError> {
        match &self.config.link {
            S3Link::Public(template) => {
                let encoded: Vec<String> = key.split('/').map(crate::http::percent_encode).collect();
                Ok(template.replace("{key}", &encoded.join("/")))
            }
            S3Link::Presigned(valid_for) => self.signer.presigned_get(key, *valid_for),
        }
    }

    /// Deletes `key` (used by the online check, which writes one object and removes it again).
    pub async fn delete(&self, key: &str) -> Result<(), ZimError> {
        self.send_signed(reqwest::Method::DELETE, key, None, &[], Vec::new(), "DELETE").await.map(|_| ())
    }

    /// One signed request with a small body; the answer if it is a 2xx.
    pub(crate) async fn send_signed(
        &self,
        method: reqwest::Method,
        key: &str,
        query: Option<&str>,
        extra_headers: &[(&str, &str)],
        body: Vec<u8>,
        action: &str,
    ) -> Result<reqwest::Response, ZimError> {
        let url = self.signer.object_url(key, query);
        let headers = self.signer.headers(method.as_str(), &url, extra_headers, Payload::Bytes(&body))?;
        let mut builder = self.client.request(method, url.clone());
        for (name, value) in extra_headers {
            builder = builder.header(*name, *value);
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let response = builder.body(body).send().await.map_err(|error| {
            ZimError::new(
                ZimCode::UPLOAD_FAILED,
                format!(
                    "{action} of key {key:?} at the S3 store {url} got no answer: {}",
                    crate::http::error_chain(&error)
                ),
            )
        })?;
        check(response, &self.target(action, key, &url)).await
    }

    /// Streams `slice` to `url` with a signed `PUT`; the answer if it is a 2xx.
    pub(crate) async fn put_slice(
        &self,
        url: &reqwest::Url,
        key: &str,
        slice: FileSlice<'_>,
        progress: ProgressCallback,
        extra_headers: &[(&str, &str)],
        action: &str,
    ) -> Result<reqwest::Response, ZimError> {
        let headers = self.signer.headers("PUT", url, extra_headers, Payload::Unsigned)?;
        let mut builder = self.client.put(url.clone());
        for (name, value) in extra_headers {
            builder = builder.header(*name, *value);
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let response = send_file(builder, slice, progress, url.as_str()).await?;
        check(response, &self.target(action, key, url)).await
    }

    pub(crate) fn target<'a>(&'a self, action: &'a str, key: &'a str, url: &'a reqwest::Url) -> Target<'a> {
        Target { action, bucket: &self.config.bucket, key, url }
    }
}

#[async_trait]
impl MediaStore for S3Store {
    async fn upload(&self, request: &UploadRequest, progress: ProgressCallback) -> Result<String, ZimError> {
        let (key, link) = self.key_and_link(request)?;
        if request.size <= self.config.part_size {
            let url = self.signer.object_url(&key, None);
            let slice = FileSlice { path: &request.path, offset: 0, len: request.size };
            let content_type = [("content-type", for_file_name(&key))];
            self.put_slice(&url, &key, slice, progress, &content_type, "PUT").await?;
        } else {
            crate::s3_multipart::upload_in_parts(self, &key, request, progress).await?;
        }
        tracing::debug!(bucket = %self.config.bucket, key, size = request.size, "uploaded to S3");
        Ok(link)
    }
}
