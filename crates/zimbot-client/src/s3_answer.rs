//! Reading the answers of an S3-compatible service: the XML bodies zimbot needs (a new multipart upload's id) and
//! refusals turned into errors that say which store, bucket and key answered what, and whether to retry.

use serde::Deserialize;
use zimbot_model::{ZimCode, ZimError};

/// What a request was about, for error messages.
pub(crate) struct Target<'a> {
    /// e.g. `PUT`, `upload part 3`.
    pub action: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
    /// The URL the request went to (without its query, which may carry an upload id only).
    pub url: &'a reqwest::Url,
}

/// S3's `<Error>` document.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    request_id: String,
    /// Given with a wrong-region answer: where the bucket really is.
    #[serde(default)]
    region: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateMultipartUploadResult {
    upload_id: String,
}

/// Returns the response if it is a 2xx, else the error it stands for.
pub(crate) async fn check(response: reqwest::Response, target: &Target<'_>) -> Result<reqwest::Response, ZimError> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let header_request_id = response
        .headers()
        .get("x-amz-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    let text = response.text().await.unwrap_or_default();
    let mut body = quick_xml::de::from_str::<ErrorBody>(&text).unwrap_or_default();
    if body.request_id.is_empty() {
        body.request_id = header_request_id;
    }
    Err(refusal(status.as_u16(), &body, &text, target))
}

/// Reads the body of a 2xx answer that may still be an `<Error>` (S3 does so for `CompleteMultipartUpload`).
pub(crate) async fn body_text(response: reqwest::Response, target: &Target<'_>) -> Result<String, ZimError> {
    let text = response.text().await.map_err(|error| {
        ZimError::new(ZimCode::UPLOAD_FAILED, format!("reading the answer to {} failed: {error}", describe(target)))
    })?;
    if text.contains("<Error>") {
        let body = quick_xml::de::from_str::<ErrorBody>(&text).unwrap_or_default();
        // An error inside a 200 is S3's way of failing a long request late; it is worth another attempt.
        return Err(refusal(500, &body, &text, target));
    }
    Ok(text)
}

/// The upload id in the answer to `CreateMultipartUpload`.
pub(crate) fn upload_id(text: &str, target: &Target<'_>) -> Result<String, ZimError> {
    quick_xml::de::from_str::<InitiateMultipartUploadResult>(text)
        .map(|answer| answer.upload_id)
        .ok()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ZimError::new(
                ZimCode::BAD_RESPONSE,
                format!("{} answered without an UploadId: {}", describe(target), shorten(text)),
            )
        })
}

fn refusal(status: u16, body: &ErrorBody, text: &str, target: &Target<'_>) -> ZimError {
    let code = match (status, body.code.as_str()) {
        (_, "EntityTooLarge") | (413, _) => ZimCode::UPLOAD_TOO_LARGE,
        (_, "SlowDown" | "RequestTimeout" | "InternalError" | "ServiceUnavailable") => ZimCode::UPLOAD_FAILED,
        (429 | 500..=599, _) => ZimCode::UPLOAD_FAILED,
        _ => ZimCode::BAD_RESPONSE,
    };
    let what = if body.code.is_empty() {
        format!("HTTP {status}: {}", shorten(text))
    } else {
        format!("HTTP {status} {}: {}", body.code, body.message)
    };
    let request_id =
        if body.request_id.is_empty() { String::new() } else { format!(" (request id {})", body.request_id) };
    let hint = match body.code.as_str() {
        "SignatureDoesNotMatch" => "; check secret_access_key",
        "InvalidAccessKeyId" => "; check access_key_id",
        "AccessDenied" => "; the key may lack s3:PutObject on this bucket",
        "NoSuchBucket" => "; the bucket does not exist (check bucket, endpoint and path_style)",
        "AuthorizationHeaderMalformed" | "PermanentRedirect" | "IncorrectEndpoint" => {
            "; the bucket is in another region (check region and endpoint)"
        }
        _ => "",
    };
    let region =
        if body.region.is_empty() { String::new() } else { format!(" (the bucket's region: {})", body.region) };
    ZimError::new(code, format!("{} answered {what}{request_id}{region}{hint}", describe(target)))
}

fn describe(target: &Target<'_>) -> String {
    let mut url = target.url.clone();
    url.set_query(None);
    format!("the S3 store at {url} ({} of key {:?} in bucket {:?})", target.action, target.key, target.bucket)
}

fn shorten(text: &str) -> String {
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &reqwest::Url) -> Target<'_> {
        Target { action: "PUT", bucket: "media", key: "k/a.png", url }
    }

    #[test]
    fn a_refusal_names_store_bucket_key_code_and_request_id() {
        let url = reqwest::Url::parse("http://127.0.0.1:1/media/k/a.png?uploadId=x").unwrap();
        let body = ErrorBody {
            code: "AccessDenied".into(),
            message: "Access Denied".into(),
            request_id: "R1".into(),
            region: String::new(),
        };
        let error = refusal(403, &body, "", &target(&url));
        assert_eq!(error.code, ZimCode::BAD_RESPONSE);
        for part in ["http://127.0.0.1:1/media/k/a.png", "\"media\"", "\"k/a.png\"", "403 AccessDenied", "R1"] {
            assert!(error.message.contains(part), "{part} missing in {}", error.message);
        }
        assert!(!error.message.contains("uploadId"), "{}", error.message);
    }

    #[test]
    fn a_wrong_region_answer_names_the_buckets_region() {
        let url = reqwest::Url::parse("https://media.s3.us-east-1.amazonaws.com/k/a.png").unwrap();
        let text = "<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; \
                    expecting 'eu-west-1'</Message><Region>eu-west-1</Region><RequestId>R2</RequestId></Error>";
        let body = quick_xml::de::from_str::<ErrorBody>(text).unwrap();
        let error = refusal(400, &body, text, &target(&url));
        assert_eq!(error.code, ZimCode::BAD_RESPONSE);
        for part in ["AuthorizationHeaderMalformed", "the bucket's region: eu-west-1", "check region", "R2"] {
            assert!(error.message.contains(part), "{part} missing in {}", error.message);
        }
    }

    #[test]
    fn server_trouble_is_worth_another_attempt_and_refusals_are_not() {
        let url = reqwest::Url::parse("http://127.0.0.1:1/").unwrap();
        let with_code = |code: &str| ErrorBody { code: code.into(), ..ErrorBody::default() };
        assert_eq!(refusal(503, &with_code("SlowDown"), "", &target(&url)).code, ZimCode::UPLOAD_FAILED);
        assert_eq!(refusal(400, &with_code("RequestTimeout"), "", &target(&url)).code, ZimCode::UPLOAD_FAILED);
        assert_eq!(refusal(400, &with_code("EntityTooLarge"), "", &target(&url)).code, ZimCode::UPLOAD_TOO_LARGE);
        assert_eq!(refusal(404, &with_code("NoSuchBucket"), "", &target(&url)).code, ZimCode::BAD_RESPONSE);
    }

    #[test]
    fn the_upload_id_is_read_from_the_namespaced_answer() {
        let url = reqwest::Url::parse("http://127.0.0.1:1/").unwrap();
        let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>media</Bucket><Key>k</Key><UploadId>abc-1</UploadId></InitiateMultipartUploadResult>"#;
        assert_eq!(upload_id(text, &target(&url)).unwrap(), "abc-1");
        assert_eq!(upload_id("<x/>", &target(&url)).unwrap_err().code, ZimCode::BAD_RESPONSE);
    }
}
