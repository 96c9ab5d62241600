//! The `Content-Type` an object is stored with, from its file name, so browsers and CDNs serve images, audio and
//! video as such. Types that can run script when opened from the bucket's origin (HTML, SVG, XML, PDF) are stored
//! as plain bytes instead: a public bucket must never serve a page.

use zimbot_model::content_type;

/// The MIME type for `file_name` when it is inert; anything else is `application/octet-stream`.
pub(crate) fn for_file_name(file_name: &str) -> &'static str {
    let mime = content_type::for_file_name(file_name);
    if content_type::is_inert(mime) {
        mime
    } else {
        "application/octet-stream"
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
        for name in ["page.html", "page.htm", "image.svg", "feed.xml", "app.js", "doc.pdf"] {
            assert_eq!(for_file_name(name), "application/octet-stream", "{name}");
        }
    }
}
