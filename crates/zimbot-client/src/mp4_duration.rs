//! The playing time of an ISO base media file (mp4, mov, m4a): the movie header box (`moov/mvhd`) holds a time
//! scale (units per second) and the duration in those units.
//!
//! Only box headers are read, seeking past everything else, so a large video costs a few small reads. Files whose
//! `moov` is missing, truncated or malformed give `None`: the duration is optional on the wire.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The duration of the mp4/mov/m4a file at `path` in whole seconds (rounded up, so a 0.4 s clip says 1), if its
/// movie header can be found and read.
pub(crate) fn mp4_duration_secs(path: &Path) -> Option<u32> {
    let mut file = File::open(path).ok()?;
    let end = file.metadata().ok()?.len();
    let (moov_start, moov_end) = find_box(&mut file, 0, end, b"moov")?;
    let (mvhd_start, mvhd_end) = find_box(&mut file, moov_start, moov_end, b"mvhd")?;
    file.seek(SeekFrom::Start(mvhd_start)).ok()?;
    let mut version_and_flags = [0u8; 4];
    file.read_exact(&mut version_and_flags).ok()?;
    // Version 1 has 64-bit creation/modification times and duration; version 0 has 32-bit ones.
    let (time_scale, duration) = match version_and_flags[0] {
        0 => {
            let mut fields = [0u8; 16];
            file.read_exact(&mut fields).ok()?;
            (
                u32::from_be_bytes(fields[8..12].try_into().ok()?),
                u64::from(u32::from_be_bytes(fields[12..16].try_into().ok()?)),
            )
        }
        1 => {
            let mut fields = [0u8; 28];
            file.read_exact(&mut fields).ok()?;
            (u32::from_be_bytes(fields[16..20].try_into().ok()?), u64::from_be_bytes(fields[20..28].try_into().ok()?))
        }
        _ => return None,
    };
    if time_scale == 0 || mvhd_end < mvhd_start + 20 || duration == u64::MAX || duration == u64::from(u32::MAX) {
        // All ones means "unknown duration" in both versions.
        return None;
    }
    u32::try_from(duration.div_ceil(u64::from(time_scale))).ok()
}

/// The content range `(start, end)` of the first box of type `kind` among the boxes in `[from, to)`.
fn find_box(file: &mut File, from: u64, to: u64, kind: &[u8; 4]) -> Option<(u64, u64)> {
    let mut at = from;
    while at + 8 <= to {
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header).ok()?;
        let size32 = u32::from_be_bytes(header[0..4].try_into().ok()?);
        let (content_start, size) = match size32 {
            // The box runs to the end of its parent.
            0 => (at + 8, to - at),
            1 => {
                let mut large = [0u8; 8];
                file.read_exact(&mut large).ok()?;
                (at + 16, u64::from_be_bytes(large))
            }
            size => (at + 8, u64::from(size)),
        };
        let end = at.checked_add(size)?;
        if size < content_start - at || end > to {
            return None;
        }
        if &header[4..8] == kind {
            return Some((content_start, end));
        }
        at = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut bytes = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(content);
        bytes
    }

    fn mvhd_v0(time_scale: u32, duration: u32) -> Vec<u8> {
        let mut content = vec![0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2];
        content.extend_from_slice(&time_scale.to_be_bytes());
        content.extend_from_slice(&duration.to_be_bytes());
        content.extend_from_slice(&[0u8; 80]);
        boxed(b"mvhd", &content)
    }

    fn mvhd_v1(time_scale: u32, duration: u64) -> Vec<u8> {
        let mut content = vec![1, 0, 0, 0];
        content.extend_from_slice(&[0u8; 16]);
        content.extend_from_slice(&time_scale.to_be_bytes());
        content.extend_from_slice(&duration.to_be_bytes());
        content.extend_from_slice(&[0u8; 80]);
        boxed(b"mvhd", &content)
    }

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        file
    }

    #[test]
    fn a_version_0_movie_header_gives_the_duration_in_seconds() {
        let mut bytes = boxed(b"ftyp", b"isom\0\0\0\0");
        bytes.extend(boxed(b"mdat", &[0u8; 100]));
        bytes.extend(boxed(b"moov", &mvhd_v0(600, 7200)));
        assert_eq!(mp4_duration_secs(file_with(&bytes).path()), Some(12));
    }

    #[test]
    fn a_version_1_movie_header_gives_the_duration_in_seconds() {
        let mut bytes = boxed(b"ftyp", b"M4A \0\0\0\0");
        bytes.extend(boxed(b"moov", &[boxed(b"udta", b"xx"), mvhd_v1(44_100, 44_100 * 90 + 1)].concat()));
        assert_eq!(mp4_duration_secs(file_with(&bytes).path()), Some(91), "a partial second rounds up");
    }

    #[test]
    fn a_file_without_a_movie_header_has_no_duration() {
        assert_eq!(mp4_duration_secs(file_with(&boxed(b"ftyp", b"isom")).path()), None);
        assert_eq!(mp4_duration_secs(file_with(b"not a movie at all").path()), None);
    }

    #[test]
    fn a_box_that_claims_more_than_the_file_holds_gives_no_duration() {
        let mut bytes = 10_000u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"moov");
        bytes.extend(mvhd_v0(1000, 5000));
        assert_eq!(mp4_duration_secs(file_with(&bytes).path()), None);
    }
}
