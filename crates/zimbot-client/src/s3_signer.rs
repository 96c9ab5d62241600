//! Addressing and signing the S3 requests of [`crate::S3Store`]: object URLs in path or virtual-host style, SigV4
//! `Authorization` headers and presigned `GET` links, both computed by `aws-sigv4`.

use crate::http::percent_encode;
use crate::s3_config::S3Config;
use crate::ClientError;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use std::time::{Duration, SystemTime};
use zimbot_model::{ZimCode, ZimError};

/// Where the bucket's objects are and the key that signs requests for them.
pub(crate) struct S3Signer {
    /// The bucket's base URL, without a trailing `/`: object URLs are `{base}/{encoded key}`.
    base: reqwest::Url,
    region: String,
    credentials: Credentials,
}

/// The body a request is signed for.
pub(crate) enum Payload<'a> {
    /// Streamed from a file: not hashed (S3's `UNSIGNED-PAYLOAD`), so it is read only once.
    Unsigned,
    Bytes(&'a [u8]),
}

impl S3Signer {
    pub(crate) fn new(config: &S3Config) -> Result<Self, ClientError> {
        let invalid = |what, value: &str, reason: &str| ClientError::InvalidSetting {
            what,
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        let endpoint = config.endpoint.clone().unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", config.region));
        crate::http::check_base_url("S3 endpoint", &endpoint)?;
        let mut base =
            reqwest::Url::parse(&endpoint).map_err(|error| invalid("S3 endpoint", &endpoint, &error.to_string()))?;
        if base.query().is_some() || base.path() != "/" {
            return Err(invalid("S3 endpoint", &endpoint, "give the service's base URL only, without a path or query"));
        }
        if config.path_style {
            base.set_path(&percent_encode(&config.bucket));
        } else {
            let host = base.host_str().unwrap_or_default().to_owned();
            base.set_host(Some(&format!("{}.{host}", config.bucket))).map_err(|error| {
                invalid(
                    "S3 bucket",
                    &config.bucket,
                    &format!("it cannot be part of a host name ({error}); use path_style"),
                )
            })?;
        }
        let credentials =
            Credentials::new(&config.access_key_id, &config.secret_access_key, None, None, "zimbot configuration");
        Ok(Self { base, region: config.region.clone(), credentials })
    }

    /// The URL of `key` with `query` (already encoded, e.g. `uploads` or `partNumber=1&uploadId=...`).
    pub(crate) fn object_url(&self, key: &str, query: Option<&str>) -> reqwest::Url {
        let encoded: Vec<String> = key.split('/').map(percent_encode).collect();
        let mut url = self.base.clone();
        let path = format!("{}/{}", url.path().trim_end_matches('/'), encoded.join("/"));
        url.set_path(&path);
        url.set_query(query);
        url
    }

    /// The signing headers (`Authorization`, `x-amz-date`, `x-amz-content-sha256`) for a request.
    pub(crate) fn headers(
        &self,
        method: &str,
        url: &reqwest::Url,
        headers: &[(&str, &str)],
        payload: Payload<'_>,
    ) -> Result<Vec<(String, String)>, ZimError> {
        let settings = self.settings(SignatureLocation::Headers, None);
        let instructions = self.sign(method, url, headers, payload, settings)?;
        Ok(instructions.headers().map(|(name, value)| (name.to_owned(), value.to_owned())).collect())
    }

    /// A presigned `GET` of `key`, valid for `valid_for`.
    pub(crate) fn presigned_get(&self, key: &str, valid_for: Duration) -> Result<String, ZimError> {
        let mut url = self.object_url(key, None);
        let settings = self.settings(SignatureLocation::QueryParams, Some(valid_for));
        let instructions = self.sign("GET", &url, &[], Payload::Unsigned, settings)?;
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in instructions.params() {
                query.append_pair(name, value);
            }
        }
        Ok(url.to_string())
    }

    fn settings(&self, location: SignatureLocation, expires_in: Option<Duration>) -> SigningSettings {
        let mut settings = SigningSettings::default();
        // S3's own rules: paths are signed as sent (encoded once, not normalized) and carry a payload hash header.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = match location {
            SignatureLocation::Headers => PayloadChecksumKind::XAmzSha256,
            _ => PayloadChecksumKind::NoHeader,
        };
        settings.signature_location = location;
        settings.expires_in = expires_in;
        settings
    }

    fn sign(
        &self,
        method: &str,
        url: &reqwest::Url,
        headers: &[(&str, &str)],
        payload: Payload<'_>,
        settings: SigningSettings,
    ) -> Result<aws_sigv4::http_request::SigningInstructions, ZimError> {
        let failed = |error: &dyn std::fmt::Display| {
            ZimError::new(ZimCode::BAD_RESPONSE, format!("could not sign the S3 request {method} {url}: {error}"))
        };
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|error| failed(&error))?
            .into();
        let body = match payload {
            Payload::Unsigned => SignableBody::UnsignedPayload,
            Payload::Bytes(bytes) => SignableBody::Bytes(bytes),
        };
        let request = SignableRequest::new(method, url.as_str(), headers.iter().copied(), body)
            .map_err(|error| failed(&error))?;
        let (instructions, _signature) = sign(request, &params).map_err(|error| failed(&error))?.into_parts();
        Ok(instructions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3_config::{S3Link, DEFAULT_PART_CONCURRENCY, DEFAULT_PART_SIZE};

    fn config(endpoint: Option<&str>, path_style: bool) -> S3Config {
        S3Config {
            bucket: "media".into(),
            region: "eu-west-1".into(),
            endpoint: endpoint.map(str::to_owned),
            path_style,
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            key_prefix: String::new(),
            link: S3Link::Presigned(Duration::from_secs(60)),
            part_size: DEFAULT_PART_SIZE,
            part_concurrency: DEFAULT_PART_CONCURRENCY,
        }
    }

    #[test]
    fn aws_is_the_default_endpoint_in_virtual_host_style() {
        let signer = S3Signer::new(&config(None, false)).unwrap();
        assert_eq!(
            signer.object_url("a b/c.png", None).as_str(),
            "https://media.s3.eu-west-1.amazonaws.com/a%20b/c.png"
        );
    }

    #[test]
    fn path_style_puts_the_bucket_in_the_path() {
        let signer = S3Signer::new(&config(Some("http://127.0.0.1:9000"), true)).unwrap();
        assert_eq!(
            signer.object_url("k/x.bin", Some("uploads")).as_str(),
            "http://127.0.0.1:9000/media/k/x.bin?uploads"
        );
    }

    #[test]
    fn an_endpoint_with_a_path_is_refused() {
        let error = S3Signer::new(&config(Some("http://127.0.0.1:9000/media"), true)).err().unwrap().to_string();
        assert!(error.contains("S3 endpoint"), "{error}");
    }

    #[test]
    fn a_presigned_link_carries_its_expiry_and_signature() {
        let signer = S3Signer::new(&config(Some("http://127.0.0.1:9000"), true)).unwrap();
        let link = signer.presigned_get("k/x.bin", Duration::from_secs(60)).unwrap();
        assert!(link.starts_with("http://127.0.0.1:9000/media/k/x.bin?"), "{link}");
        assert!(link.contains("X-Amz-Expires=60"), "{link}");
        assert!(link.contains("X-Amz-Signature="), "{link}");
    }
}
