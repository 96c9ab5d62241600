//! The Content-Type a stored file is served with, from its extension, and whether a browser may show it inline.

/// The MIME type for `file_name`; unknown extensions are served as bytes.
pub(super) fn for_file_name(file_name: &str) -> &'static str {
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

/// Whether a file of `content_type` may be shown in the browser (`Content-Disposition: inline`). Only types that
/// cannot run script: raster images, audio, video and plain text. SVG, HTML, PDF and unknown types are served as
/// attachments, so an uploaded file never runs as a page of the hub's origin.
pub(super) fn is_inline_safe(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/bmp" | "text/plain; charset=utf-8"
    ) || content_type.starts_with("audio/")
        || content_type.starts_with("video/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_can_run_script_are_never_inline() {
        for name in ["x.svg", "x.html", "x.htm", "x.pdf", "x.json", "x", "x.xml"] {
            assert!(!is_inline_safe(for_file_name(name)), "{name}");
        }
        for name in ["x.png", "x.JPG", "x.mp3", "x.mp4", "x.txt"] {
            assert!(is_inline_safe(for_file_name(name)), "{name}");
        }
    }
}
