//! Media messages a bot sends: an image, file, audio or video, from a local file or an existing URL.

use crate::MessageType;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The four media kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    File,
    Audio,
    Video,
}

impl MediaKind {
    pub const ALL: [MediaKind; 4] = [Self::Image, Self::File, Self::Audio, Self::Video];

    /// The message type number this kind is sent as.
    pub fn message_type(self) -> MessageType {
        match self {
            Self::Image => MessageType::Image,
            Self::File => MessageType::File,
            Self::Audio => MessageType::Audio,
            Self::Video => MessageType::Video,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::File => "file",
            Self::Audio => "audio",
            Self::Video => "video",
        }
    }

    /// The kind a file extension suggests, following the formats the service documents for each kind: images
    /// jpg/jpeg, png, bmp, tiff/tif, gif, webp, heic; audio mp3 and m4a only; video mp4 and mov only. Anything
    /// else (wav, ogg, webm, ...) is sent as a `File`, which every client can download but none plays inline.
    pub fn from_extension(extension: &str) -> Self {
        match extension.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" | "png" | "bmp" | "tiff" | "tif" | "gif" | "webp" | "heic" => Self::Image,
            "mp3" | "m4a" => Self::Audio,
            "mp4" | "mov" => Self::Video,
            _ => Self::File,
        }
    }
}

impl std::fmt::Display for MediaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MediaKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "image" => Ok(Self::Image),
            "file" => Ok(Self::File),
            "audio" => Ok(Self::Audio),
            "video" => Ok(Self::Video),
            other => Err(format!("unknown media type '{other}' (expected image, file, audio or video)")),
        }
    }
}

/// Pixel size of an image or video frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageSize {
    pub width: u32,
    pub height: u32,
}

/// A media message to send, mirroring the SDK's `ZIMMediaMessage`.
///
/// Either `file_local_path` names a file to upload first, or `file_download_url` names media that is already
/// stored somewhere (then nothing is uploaded). `file_name` defaults to the local file's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaMessage {
    pub kind: MediaKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_local_path: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_download_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Size in bytes; filled in from the file for local files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// Audio and video length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<u32>,
    /// Image size, or a video's first-frame size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<ImageSize>,
    /// Image thumbnail or video first-frame URL, when one exists already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// Free text carried with the message (`ExtendedData` on the wire).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub extended_data: String,
}

impl MediaMessage {
    /// A message that uploads the local file at `path`.
    pub fn from_path(kind: MediaKind, path: impl Into<PathBuf>) -> Self {
        Self { file_local_path: Some(path.into()), ..Self::empty(kind) }
    }

    /// A message for media already stored at `url`.
    pub fn from_url(kind: MediaKind, url: impl Into<String>, file_name: impl Into<String>) -> Self {
        Self { file_download_url: Some(url.into()), file_name: Some(file_name.into()), ..Self::empty(kind) }
    }

    /// An image from a local file.
    pub fn image(path: impl Into<PathBuf>) -> Self {
        Self::from_path(MediaKind::Image, path)
    }

    /// A file from a local file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::from_path(MediaKind::File, path)
    }

    /// An audio clip from a local file.
    pub fn audio(path: impl Into<PathBuf>) -> Self {
        Self::from_path(MediaKind::Audio, path)
    }

    /// A video from a local file.
    pub fn video(path: impl Into<PathBuf>) -> Self {
        Self::from_path(MediaKind::Video, path)
    }

    fn empty(kind: MediaKind) -> Self {
        Self {
            kind,
            file_local_path: None,
            file_download_url: None,
            file_name: None,
            file_size: None,
            duration_secs: None,
            size: None,
            thumbnail_url: None,
            extended_data: String::new(),
        }
    }

    /// Sets the extended data (a caption, for example).
    pub fn with_extended_data(mut self, data: impl Into<String>) -> Self {
        self.extended_data = data.into();
        self
    }

    /// Sets the file name shown to receivers.
    pub fn with_file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// The name shown to receivers: `file_name`, else the local file's name, else empty.
    pub fn display_file_name(&self) -> String {
        if let Some(name) = &self.file_name {
            return name.clone();
        }
        self.file_local_path
            .as_ref()
            .and_then(|path| path.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Largest accepted size per media kind, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaLimits {
    pub image: u64,
    pub file: u64,
    pub audio: u64,
    pub video: u64,
}

impl MediaLimits {
    const MB: u64 = 1024 * 1024;

    /// The limit for one kind.
    pub fn for_kind(&self, kind: MediaKind) -> u64 {
        match kind {
            MediaKind::Image => self.image,
            MediaKind::File => self.file,
            MediaKind::Audio => self.audio,
            MediaKind::Video => self.video,
        }
    }
}

impl Default for MediaLimits {
    /// The service's documented limits: image 10 MB, file 100 MB, audio 6 MB, video 100 MB.
    fn default() -> Self {
        Self { image: 10 * Self::MB, file: 100 * Self::MB, audio: 6 * Self::MB, video: 100 * Self::MB }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_name_falls_back_to_the_local_file_name() {
        assert_eq!(MediaMessage::image("/tmp/cat.png").display_file_name(), "cat.png");
        assert_eq!(MediaMessage::image("/tmp/cat.png").with_file_name("dog.png").display_file_name(), "dog.png");
    }

    #[test]
    fn extensions_suggest_kinds() {
        assert_eq!(MediaKind::from_extension("PNG"), MediaKind::Image);
        assert_eq!(MediaKind::from_extension("mp3"), MediaKind::Audio);
        assert_eq!(MediaKind::from_extension("mov"), MediaKind::Video);
        assert_eq!(MediaKind::from_extension("pdf"), MediaKind::File);
    }

    #[test]
    fn undocumented_audio_and_video_formats_go_as_files() {
        for extension in ["wav", "ogg", "aac", "webm", "m4v", "mkv"] {
            assert_eq!(MediaKind::from_extension(extension), MediaKind::File, "{extension}");
        }
    }

    #[test]
    fn default_limits_are_the_documented_ones() {
        let limits = MediaLimits::default();
        assert_eq!(limits.for_kind(MediaKind::Image), 10 * 1024 * 1024);
        assert_eq!(limits.for_kind(MediaKind::Audio), 6 * 1024 * 1024);
    }
}
