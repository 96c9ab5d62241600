//! What the service renders from the file itself: an image's pixel size (`Width`/`Height` of `Origin`), read with
//! `imagesize` (PNG, JPEG, GIF, WebP, BMP, TIFF, HEIC, ...), and the playing time of audio and video
//! (`MediaDuration`) where the container states it (mp4, mov, m4a; see `mp4_duration`) or the first MP3 frame
//! tells it (a Xing/Info frame count, else the constant bit rate; see `mp3_duration`).
//!
//! An image whose size cannot be read is refused: the service would show it as a 0 × 0 picture. A duration that
//! cannot be read is left out, as the wire allows.

use crate::mp3_duration::mp3_duration_secs;
use crate::mp4_duration::mp4_duration_secs;
use std::path::Path;
use zimbot_model::{ImageSize, MediaKind};

/// What probing a local file found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Probed {
    pub size: Option<ImageSize>,
    pub duration_secs: Option<u32>,
}

/// Probes the file at `path` sent as `kind`. Fails, saying why, only for an image whose size cannot be read.
pub(crate) fn probe(kind: MediaKind, path: &Path) -> Result<Probed, String> {
    match kind {
        MediaKind::Image => {
            let size = imagesize::size(path).map_err(|error| {
                format!(
                    "the image {} has no pixel size zimbot can read ({error}); send it as a file, or use PNG, JPEG, \
                     GIF, WebP or BMP",
                    path.display()
                )
            })?;
            let dimension = |value: usize| u32::try_from(value).unwrap_or(u32::MAX);
            Ok(Probed {
                size: Some(ImageSize { width: dimension(size.width), height: dimension(size.height) }),
                duration_secs: None,
            })
        }
        MediaKind::Audio | MediaKind::Video => {
            let extension =
                path.extension().and_then(|extension| extension.to_str()).unwrap_or_default().to_ascii_lowercase();
            let duration_secs = match extension.as_str() {
                "mp4" | "mov" | "m4a" => mp4_duration_secs(path),
                "mp3" => mp3_duration_secs(path),
                _ => None,
            };
            Ok(Probed { size: None, duration_secs })
        }
        MediaKind::File => Ok(Probed::default()),
    }
}
