//! `MessageBody`, and the JSON string a Server API media message carries in `MessageBody.Message`.

use serde::{Deserialize, Serialize};
use zimbot_model::MediaKind;

/// Offline push settings of a Server API message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflinePush {
    #[serde(rename = "Enable", default)]
    pub enable: u8,
    #[serde(rename = "Title", default)]
    pub title: String,
    #[serde(rename = "Content", default)]
    pub content: String,
    #[serde(rename = "Payload", default)]
    pub payload: String,
}

/// The `MessageBody` object of a send: text, or for media the JSON string of an [`ApiMediaBody`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageBody {
    #[serde(rename = "Message")]
    pub message: String,
    #[serde(rename = "ExtendedData", default)]
    pub extended_data: String,
    #[serde(rename = "OfflinePush", default, skip_serializing_if = "Option::is_none")]
    pub offline_push: Option<OfflinePush>,
}

impl MessageBody {
    /// A text body.
    pub fn text(text: impl Into<String>) -> Self {
        Self { message: text.into(), extended_data: String::new(), offline_push: None }
    }
}

/// An image's (or video frame's) URL and size, as the Server API writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiImageInfo {
    #[serde(rename = "Url")]
    pub url: String,
    #[serde(rename = "Width", default)]
    pub width: u32,
    #[serde(rename = "Height", default)]
    pub height: u32,
}

/// The media description a Server API media message carries, JSON-encoded, in `MessageBody.Message`.
///
/// Images put their URL in `Origin`; files, audio and video in `Url`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiMediaBody {
    #[serde(rename = "Uid")]
    pub uid: String,
    #[serde(rename = "Url", default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(rename = "Origin", default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<ApiImageInfo>,
    #[serde(rename = "LargeImage", default, skip_serializing_if = "Option::is_none")]
    pub large_image: Option<ApiImageInfo>,
    #[serde(rename = "Thumbnail", default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<ApiImageInfo>,
    #[serde(rename = "FileName", default)]
    pub file_name: String,
    #[serde(rename = "Size", default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(rename = "MediaDuration", default, skip_serializing_if = "Option::is_none")]
    pub media_duration: Option<u32>,
}

impl ApiMediaBody {
    /// The body for media of `kind` stored at `url`.
    pub fn new(kind: MediaKind, uid: impl Into<String>, url: impl Into<String>, file_name: impl Into<String>) -> Self {
        let url = url.into();
        let mut body = Self { uid: uid.into(), file_name: file_name.into(), ..Self::default() };
        match kind {
            MediaKind::Image => body.origin = Some(ApiImageInfo { url, ..ApiImageInfo::default() }),
            MediaKind::File | MediaKind::Audio | MediaKind::Video => body.url = Some(url),
        }
        body
    }

    /// Where the media can be downloaded: `Url`, else the original image's URL.
    pub fn download_url(&self) -> Option<&str> {
        self.url.as_deref().or(self.origin.as_ref().map(|origin| origin.url.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_carry_their_url_in_origin_and_files_in_url() {
        let image = ApiMediaBody::new(MediaKind::Image, "u1", "http://h/media/u1/a.png", "a.png");
        let json = serde_json::to_value(&image).unwrap();
        assert_eq!(json["Origin"]["Url"], "http://h/media/u1/a.png");
        assert!(json.get("Url").is_none());
        assert_eq!(image.download_url(), Some("http://h/media/u1/a.png"));

        let file = ApiMediaBody::new(MediaKind::File, "u2", "http://h/media/u2/b.pdf", "b.pdf");
        assert_eq!(serde_json::to_value(&file).unwrap()["Url"], "http://h/media/u2/b.pdf");
    }
}
