//! Object keys of the S3 store: `{key_prefix}{uid}/{file name}`.
//!
//! - Never collide: `uid` is the send's fresh random media id (128 bits), so two sends of equal names, from one
//!   instance or many, get different keys.
//! - Never leak local paths: only the file's name is used, with path separators and control characters replaced.
//! - Keep the file's name for the download: it is the key's last segment.
//! - Fit ZIM's 500-byte URL budget whatever the prefix: when the link would be longer, the name's stem is
//!   shortened (its extension kept); when even a one-character stem does not fit, the upload is refused before
//!   any byte is sent.

use crate::validate::MAX_URL_BYTES;
use zimbot_model::{ZimCode, ZimError};

/// The object key for `uid` and `file_name` whose link (made by `link`) fits [`MAX_URL_BYTES`], with that link.
pub(crate) fn key_and_link(
    prefix: &str,
    uid: &str,
    file_name: &str,
    link: impl Fn(&str) -> Result<String, ZimError>,
) -> Result<(String, String), ZimError> {
    let name = safe_name(file_name);
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name.as_str(), ""),
    };
    let mut stem: Vec<char> = stem.chars().collect();
    loop {
        let candidate = format!("{prefix}{uid}/{}{extension}", stem.iter().collect::<String>());
        let url = link(&candidate)?;
        if url.len() <= MAX_URL_BYTES {
            return Ok((candidate, url));
        }
        if stem.len() <= 1 {
            return Err(ZimError::new(
                ZimCode::INVALID_PARAMETER,
                format!(
                    "the media link would be {} bytes even with the file name cut to {:?}; ZIM takes at most \
                     {MAX_URL_BYTES}: shorten key_prefix or the public URL",
                    url.len(),
                    format!("{}{extension}", stem.iter().collect::<String>()),
                ),
            ));
        }
        // Drop about as many characters as the link is too long (each may take up to 9 bytes encoded).
        let excess = (url.len() - MAX_URL_BYTES).div_ceil(9).max(1);
        stem.truncate(stem.len().saturating_sub(excess).max(1));
    }
}

/// `file_name` without anything that would make it more than one key segment or hide in a URL.
fn safe_name(file_name: &str) -> String {
    let name: String =
        file_name.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
    let name = name.trim_matches(|c: char| c == '.' || c.is_whitespace());
    if name.is_empty() {
        "file".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(key: &str) -> Result<String, ZimError> {
        Ok(format!("https://cdn.example/{key}"))
    }

    #[test]
    fn a_key_is_prefix_uid_and_the_file_name() {
        let (key, url) = key_and_link("zimbot/", "0123abcd", "cat.png", public).unwrap();
        assert_eq!(key, "zimbot/0123abcd/cat.png");
        assert_eq!(url, "https://cdn.example/zimbot/0123abcd/cat.png");
    }

    #[test]
    fn path_separators_never_reach_the_key() {
        let (key, _) = key_and_link("", "u", "../../etc/passwd", public).unwrap();
        assert_eq!(key, "u/_.._etc_passwd");
        let (key, _) = key_and_link("", "u", "C:\\Users\\me\\a.png", public).unwrap();
        assert_eq!(key, "u/C:_Users_me_a.png");
    }

    #[test]
    fn a_long_name_is_shortened_to_fit_keeping_its_extension() {
        let name = format!("{}.mp4", "é".repeat(300));
        let (key, url) = key_and_link("p/", "u", &name, |key| {
            Ok(format!("https://cdn.example/{}", crate::http::percent_encode(key)))
        })
        .unwrap();
        assert!(url.len() <= MAX_URL_BYTES, "{}", url.len());
        assert!(url.len() > MAX_URL_BYTES - 20, "shortened more than needed: {}", url.len());
        assert!(key.starts_with("p/u/é") && key.ends_with(".mp4"), "{key}");
    }

    #[test]
    fn a_prefix_too_long_for_any_link_is_refused() {
        let prefix = "x".repeat(600);
        let error = key_and_link(&prefix, "u", "a.png", public).unwrap_err();
        assert_eq!(error.code, ZimCode::INVALID_PARAMETER);
        assert!(error.message.contains("key_prefix"), "{}", error.message);
    }
}
