//! The playing time of an MP3 file, from its first MPEG audio frame: a Xing/Info header (written by encoders for
//! variable bit rates, and often for constant ones) gives the frame count exactly; otherwise the file is taken
//! to have the first frame's constant bit rate, and its audio bytes say how long it plays.
//!
//! Reads only the start of the file. A file without a recognisable frame in its first 64 KiB after the ID3 tag
//! gives `None`: the duration is optional on the wire.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How far past the ID3 tag the first frame is looked for.
const SEARCH_BYTES: usize = 64 * 1024;

/// The duration of the MP3 file at `path` in whole seconds (rounded up), if its first frame can be read.
pub(crate) fn mp3_duration_secs(path: &Path) -> Option<u32> {
    let mut file = File::open(path).ok()?;
    let length = file.metadata().ok()?.len();
    let audio_start = id3_size(&mut file)?;
    file.seek(SeekFrom::Start(audio_start)).ok()?;
    let mut head = Vec::with_capacity(SEARCH_BYTES);
    file.by_ref().take(SEARCH_BYTES as u64).read_to_end(&mut head).ok()?;
    let (offset, frame) =
        (0..head.len().saturating_sub(4)).find_map(|at| Frame::parse(&head[at..]).map(|f| (at, f)))?;
    let seconds = match frame.xing_frames(&head[offset..]) {
        Some(frames) => f64::from(frames) * f64::from(frame.samples) / f64::from(frame.sample_rate),
        None => {
            let audio_bytes = length.checked_sub(audio_start + offset as u64)?;
            audio_bytes as f64 * 8.0 / f64::from(frame.bitrate_kbps * 1000)
        }
    };
    (seconds.is_finite() && seconds > 0.0).then(|| seconds.ceil().min(f64::from(u32::MAX)) as u32)
}

/// The size of a leading ID3v2 tag (0 when there is none), so the audio can be found after it.
fn id3_size(file: &mut File) -> Option<u64> {
    let mut header = [0u8; 10];
    if file.read_exact(&mut header).is_err() || &header[..3] != b"ID3" {
        return Some(0);
    }
    // A "syncsafe" integer: 7 bits per byte; a footer adds another 10 bytes.
    let size = header[6..10].iter().fold(0u64, |size, byte| (size << 7) | u64::from(byte & 0x7f));
    let footer = if header[5] & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

/// What an MPEG audio frame header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frame {
    mpeg1: bool,
    mono: bool,
    bitrate_kbps: u32,
    sample_rate: u32,
    samples: u32,
}

impl Frame {
    /// The frame header at the start of `bytes` (MPEG 1, 2 or 2.5, Layer III), if there is one.
    fn parse(bytes: &[u8]) -> Option<Frame> {
        let header = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?);
        if header >> 21 != 0x7ff {
            return None;
        }
        let version = (header >> 19) & 0b11; // 0: MPEG 2.5, 2: MPEG 2, 3: MPEG 1
        let layer = (header >> 17) & 0b11; // 1: Layer III
        let bitrate_index = ((header >> 12) & 0b1111) as usize;
        let rate_index = ((header >> 10) & 0b11) as usize;
        if version == 1 || layer != 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
            return None;
        }
        let mpeg1 = version == 3;
        const MPEG1_KBPS: [u32; 15] = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
        const MPEG2_KBPS: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
        let bitrate_kbps = if mpeg1 { MPEG1_KBPS } else { MPEG2_KBPS }[bitrate_index];
        let base_rate = [44_100, 48_000, 32_000][rate_index];
        let sample_rate = match version {
            3 => base_rate,
            2 => base_rate / 2,
            _ => base_rate / 4,
        };
        let mono = (header >> 6) & 0b11 == 0b11;
        Some(Frame { mpeg1, mono, bitrate_kbps, sample_rate, samples: if mpeg1 { 1152 } else { 576 } })
    }

    /// The frame count of a Xing or Info header in this frame, when it has one that states it.
    fn xing_frames(&self, frame: &[u8]) -> Option<u32> {
        // The side information before the Xing tag is 32/17 bytes (MPEG 1 stereo/mono) or 17/9 (MPEG 2).
        let side = match (self.mpeg1, self.mono) {
            (true, false) => 32,
            (true, true) | (false, false) => 17,
            (false, true) => 9,
        };
        let tag = frame.get(4 + side..4 + side + 12)?;
        if &tag[..4] != b"Xing" && &tag[..4] != b"Info" {
            return None;
        }
        let flags = u32::from_be_bytes(tag[4..8].try_into().ok()?);
        (flags & 1 != 0).then(|| u32::from_be_bytes(tag[8..12].try_into().unwrap_or_default())).filter(|n| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MPEG 1 Layer III, 128 kbps, 44.1 kHz, stereo frame header.
    const HEADER_128K: [u8; 4] = [0xFF, 0xFB, 0x90, 0x00];

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, bytes).unwrap();
        file
    }

    #[test]
    fn a_constant_bit_rate_file_lasts_its_audio_bytes_at_that_rate() {
        // 128 kbps = 16 000 bytes a second: 80 000 bytes of audio play 5 s.
        let mut bytes = HEADER_128K.to_vec();
        bytes.resize(80_000, 0);
        assert_eq!(mp3_duration_secs(file_with(&bytes).path()), Some(5));
    }

    #[test]
    fn an_id3_tag_before_the_audio_is_skipped() {
        let mut bytes = b"ID3\x04\x00\x00\x00\x00\x01\x00".to_vec(); // a 128-byte tag
        bytes.extend([0u8; 128]);
        bytes.extend(HEADER_128K);
        bytes.resize(bytes.len() + 16_000 - 4, 0);
        assert_eq!(mp3_duration_secs(file_with(&bytes).path()), Some(1));
    }

    #[test]
    fn a_xing_header_gives_the_frame_count() {
        let mut bytes = HEADER_128K.to_vec();
        bytes.extend([0u8; 32]);
        bytes.extend(b"Xing");
        bytes.extend(1u32.to_be_bytes());
        bytes.extend(3828u32.to_be_bytes()); // 3828 frames × 1152 samples / 44 100 Hz = 99.99 s
        bytes.resize(2_000, 0);
        assert_eq!(mp3_duration_secs(file_with(&bytes).path()), Some(100));
    }

    #[test]
    fn a_file_without_an_mpeg_frame_has_no_duration() {
        assert_eq!(mp3_duration_secs(file_with(b"RIFF....WAVEfmt ").path()), None);
    }
}
