//! The `Content-Type` of a media file, from its name, and whether that type is inert (can never run script when a
//! browser opens it). Every place that stores or serves files (the hub's media store, the S3 store) types them here,
//! so a name means the same type everywhere.

/// The MIME type for `file_name`, by its extension (case-insensitive); unknown extensions are
/// `application/octet-stream`.
pub fn for_file_name(file_name: &str) -> &'static str {
    let extension = file_name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase());
    match extension.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("bmp") => "image/bmp",
        Some("tif" | "tiff") => "image/tiff",
        Some("heic") => "image/heic",
        Some("svg") => "image/svg+xml",
        Some("mp3") => "audio/mpeg",
        Some("m4a") => "audio/mp4",
        Some("wav") => "audio/wav",
        Some("ogg") => "audio/ogg",
        Some("aac") => "audio/aac",
        Some("mp4" | "m4v") => "video/mp4",
        Some("mov") => "video/quicktime",
        Some("webm") => "video/webm",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain; charset=utf-8",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// Whether a file of `content_type` can never run script when a browser opens it: raster images, audio, video and
/// plain text. SVG, HTML, XML, JSON, PDF and unknown types are not.
pub fn is_inert(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/jpeg"
            | "image/png"
            | "image/gif"
            | "image/webp"
            | "image/bmp"
            | "image/tiff"
            | "image/heic"
            | "text/plain; charset=utf-8"
    ) || content_type.starts_with("audio/")
        || content_type.starts_with("video/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_is_typed_by_its_extension_whatever_its_case() {
        assert_eq!(for_file_name("Cat.PNG"), "image/png");
        assert_eq!(for_file_name("clip.mp4"), "video/mp4");
        assert_eq!(for_file_name("no-extension"), "application/octet-stream");
    }

    #[test]
    fn types_that_can_run_script_are_not_inert() {
        for name in ["x.svg", "x.html", "x.htm", "x.pdf", "x.json", "x", "x.xml", "x.js"] {
            assert!(!is_inert(for_file_name(name)), "{name}");
        }
        for name in ["x.png", "x.JPG", "x.tiff", "x.mp3", "x.mp4", "x.txt"] {
            assert!(is_inert(for_file_name(name)), "{name}");
        }
    }
}
