//! The online check of an S3 store (`zimbot check --online`): write one small object, read it back through its
//! link without credentials, delete it. It proves the credentials, the bucket, the bucket's (or CDN's) public read
//! and the link template before the first real post, and says which step failed and what the store answered.

use crate::s3_signer::Payload;
use crate::s3_store::S3Store;
use zimbot_model::{ZimCode, ZimError};

/// What a passed online check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeReport {
    pub key: String,
    /// The link the object was read back from.
    pub link: String,
    pub bytes: usize,
}

impl S3Store {
    /// Writes, reads back through the link and deletes one small object. See the module documentation.
    pub async fn probe(&self) -> Result<ProbeReport, ZimError> {
        let uid = hex::encode(rand::random::<[u8; 16]>());
        let (key, link) =
            crate::s3_key::key_and_link(&self.config.key_prefix, &uid, "zimbot-check.txt", |key| self.link(key))?;
        let body = format!("zimbot online check {uid}\n").into_bytes();
        let url = self.signer.object_url(&key, None);
        let content_type = [("content-type", "text/plain; charset=utf-8")];
        let headers = self.signer.headers("PUT", &url, &content_type, Payload::Bytes(&body))?;
        let mut request = self.client.put(url.clone()).body(body.clone()).header("content-type", content_type[0].1);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let answer = request.send().await.map_err(|error| {
            ZimError::new(
                ZimCode::UPLOAD_FAILED,
                format!("writing {key:?} to the S3 store at {url} got no answer: {}", crate::http::error_chain(&error)),
            )
        })?;
        crate::s3_answer::check(answer, &self.target("PUT", &key, &url)).await?;
        let read_back = self.read_link(&link).await;
        // Delete whatever the read showed, so a failed check leaves nothing behind.
        let deleted = self.delete(&key).await;
        let read_back = read_back?;
        deleted?;
        if read_back != body {
            return Err(ZimError::new(
                ZimCode::BAD_RESPONSE,
                format!("the link {link} answered with other bytes than were written to {key:?}: check public_url"),
            ));
        }
        Ok(ProbeReport { key, link, bytes: body.len() })
    }

    async fn read_link(&self, link: &str) -> Result<Vec<u8>, ZimError> {
        let failed = |what: String| ZimError::new(ZimCode::BAD_RESPONSE, format!("reading back {link}: {what}"));
        let answer = self.client.get(link).send().await.map_err(|error| failed(crate::http::error_chain(&error)))?;
        let status = answer.status();
        let hint = match status.as_u16() {
            200..=299 => {
                return answer.bytes().await.map(|bytes| bytes.to_vec()).map_err(|error| failed(error.to_string()))
            }
            401 | 403 => "receivers cannot download it: make the bucket (or the CDN in front of it) publicly readable",
            404 => "the link does not reach the object: check public_url (and path_style)",
            _ => "the link does not serve the object",
        };
        Err(failed(format!("HTTP {status} without credentials; {hint}")))
    }
}
