//! The `Content-Type` an object is stored with, from its file name, so browsers and CDNs serve images, audio and
//! video as such. Types that can run script when opened from the bucket's origin (HTML, SVG, XML) are stored as
//! plain bytes instead: a public bucket must never serve a page.

/// The MIME type for `file_name`; anything not known to be inert is `application/octet-stream`.
pub(crate) fn for_file_name(file_name: &str) -> &'static str {
    let extension = file_name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase());
    match extension.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("bmp") => "image/bmp",
        Some("tif" | "tiff") => "image/tiff",
        Some("heic") => "image/heic",
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
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_is_typed_by_its_extension() {
        assert_eq!(for_file_name("Cat.PNG"), "image/png");
        assert_eq!(for_file_name("clip.mp4"), "video/mp4");
        assert_eq!(for_file_name("no-extension"), "application/octet-stream");
    }

    #[test]
    fn types_that_could_run_script_are_stored_as_bytes() {
        for name in ["page.html", "page.htm", "image.svg", "feed.xml", "app.js"] {
            assert_eq!(for_file_name(name), "application/octet-stream", "{name}");
        }
    }
}
