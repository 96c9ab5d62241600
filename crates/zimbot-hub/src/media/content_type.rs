//! The Content-Type a stored file is served with (from its name, as [`zimbot_model::content_type`] reads it), and
//! whether a browser may show it inline.

pub(super) use zimbot_model::content_type::for_file_name;

/// Whether a file of `content_type` may be shown in the browser (`Content-Disposition: inline`): only inert types
/// (raster images, audio, video and plain text). SVG, HTML, PDF and unknown types are served as attachments, so an
/// uploaded file never runs as a page of the hub's origin.
pub(super) fn is_inline_safe(content_type: &str) -> bool {
    zimbot_model::content_type::is_inert(content_type)
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
