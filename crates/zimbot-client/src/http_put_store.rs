//! A media store reached by a plain HTTP PUT, for real deployments (an object store, a CDN's upload endpoint).
//!
//! Two URL templates with the placeholders `{uid}` and `{file_name}` (both percent-encoded when filled in): one the
//! file is PUT to, one it is downloaded from afterwards. An optional header (`"Name: value"`, e.g.
//! `"Authorization: Bearer ..."`) goes with every upload. Any 2xx answer means stored.

use crate::http::{build_client, percent_encode};
use crate::store::{MediaStore, ProgressCallback, UploadRequest};
use crate::upload::put_file;
use crate::ClientError;
use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use zimbot_model::ZimError;

/// Uploads with `PUT` to a URL template. See the module documentation.
#[derive(Debug, Clone)]
pub struct HttpPutStore {
    client: reqwest::Client,
    put_url_template: String,
    public_url_template: String,
    auth: Option<(HeaderName, HeaderValue)>,
}

impl HttpPutStore {
    /// A store putting files to `put_url_template` and publishing them at `public_url_template`.
    pub fn new(
        put_url_template: impl Into<String>,
        public_url_template: impl Into<String>,
        auth_header: Option<String>,
    ) -> Result<Self, ClientError> {
        let put_url_template = put_url_template.into();
        let public_url_template = public_url_template.into();
        for (what, template) in
            [("upload URL template", &put_url_template), ("public URL template", &public_url_template)]
        {
            if !template.contains("{file_name}") && !template.contains("{uid}") {
                return Err(ClientError::InvalidSetting {
                    what,
                    value: template.clone(),
                    reason: "it names neither {uid} nor {file_name}, so every upload would go to one URL".into(),
                });
            }
            crate::http::check_base_url(what, &fill(template, "uid", "name"))?;
        }
        let auth = auth_header.map(|header| parse_header(&header)).transpose()?;
        Ok(Self {
            client: build_client("the HTTP PUT media store", None)?,
            put_url_template,
            public_url_template,
            auth,
        })
    }

    /// Where `request` is PUT.
    pub fn upload_url(&self, request: &UploadRequest) -> String {
        fill(&self.put_url_template, &request.uid, &request.file_name)
    }

    /// Where `request`'s file is downloaded from once stored.
    pub fn public_url(&self, request: &UploadRequest) -> String {
        fill(&self.public_url_template, &request.uid, &request.file_name)
    }
}

fn fill(template: &str, uid: &str, file_name: &str) -> String {
    template.replace("{uid}", &percent_encode(uid)).replace("{file_name}", &percent_encode(file_name))
}

fn parse_header(header: &str) -> Result<(HeaderName, HeaderValue), ClientError> {
    let invalid = |reason: String| ClientError::InvalidSetting {
        what: "upload auth header",
        // The value is a secret: show at most its name.
        value: header
            .split_once(':')
            .map_or_else(|| "(hidden)".to_owned(), |(name, _)| format!("{}: ...", name.trim())),
        reason,
    };
    let (name, value) = header
        .split_once(':')
        .ok_or_else(|| invalid("expected \"Name: value\", e.g. \"Authorization: Bearer ...\"".into()))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|error| invalid(error.to_string()))?;
    let mut value = HeaderValue::from_str(value.trim()).map_err(|error| invalid(error.to_string()))?;
    value.set_sensitive(true);
    Ok((name, value))
}

#[async_trait]
impl MediaStore for HttpPutStore {
    async fn upload(&self, request: &UploadRequest, progress: ProgressCallback) -> Result<String, ZimError> {
        put_file(&self.client, &self.upload_url(request), self.auth.as_ref(), request, progress).await?;
        Ok(self.public_url(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> UploadRequest {
        UploadRequest { uid: "u1".into(), file_name: "my cat.png".into(), path: "/tmp/x".into(), size: 1 }
    }

    #[test]
    fn templates_are_filled_with_encoded_names() {
        let store =
            HttpPutStore::new("http://up.example/b/{uid}/{file_name}", "https://cdn.example/{uid}/{file_name}", None)
                .unwrap();
        assert_eq!(store.upload_url(&request()), "http://up.example/b/u1/my%20cat.png");
        assert_eq!(store.public_url(&request()), "https://cdn.example/u1/my%20cat.png");
    }

    #[test]
    fn a_template_without_placeholders_is_refused() {
        let error = HttpPutStore::new("http://up.example/file", "http://x/{uid}", None).unwrap_err().to_string();
        assert!(error.contains("upload URL template"), "{error}");
    }

    #[test]
    fn a_malformed_auth_header_is_refused_without_showing_its_value() {
        let error = HttpPutStore::new("http://u/{uid}", "http://p/{uid}", Some("Bearer secret".into()))
            .unwrap_err()
            .to_string();
        assert!(error.contains("Name: value"), "{error}");
        assert!(!error.contains("secret"), "{error}");
    }
}
