//! The smallest files of each image format whose headers state a pixel size, and an mp4 and an mp3 that state
//! their duration: enough for the client to read them as a receiver's app would.

/// A PNG header (signature and IHDR) for a `width` × `height` picture.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

/// A GIF header for a `width` × `height` picture.
pub fn gif(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = b"GIF89a".to_vec();
    bytes.extend_from_slice(&width.to_le_bytes());
    bytes.extend_from_slice(&height.to_le_bytes());
    bytes.extend_from_slice(&[0, 0, 0]);
    bytes
}

/// A BMP header (BITMAPINFOHEADER) for a `width` × `height` picture.
pub fn bmp(width: i32, height: i32) -> Vec<u8> {
    let mut bytes = b"BM".to_vec();
    bytes.extend_from_slice(&[0u8; 12]);
    bytes.extend_from_slice(&40u32.to_le_bytes());
    bytes.extend_from_slice(&width.to_le_bytes());
    bytes.extend_from_slice(&height.to_le_bytes());
    bytes.extend_from_slice(&[1, 0, 24, 0]);
    bytes.extend_from_slice(&[0u8; 24]);
    bytes
}

/// A JPEG start (SOI, then a baseline SOF0 segment) for a `width` × `height` picture.
pub fn jpeg(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    bytes
}

/// A WebP (extended, VP8X) header for a `width` × `height` picture.
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"RIFF".to_vec();
    bytes.extend_from_slice(&22u32.to_le_bytes());
    bytes.extend_from_slice(b"WEBPVP8X");
    bytes.extend_from_slice(&10u32.to_le_bytes());
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    bytes.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    bytes
}

/// An mp4 (ftyp, then moov with a version 0 mvhd) lasting `seconds`.
pub fn mp4(seconds: u32) -> Vec<u8> {
    fn boxed(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut bytes = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(kind);
        bytes.extend_from_slice(content);
        bytes
    }
    let mut mvhd = vec![0u8; 12];
    mvhd.extend_from_slice(&1000u32.to_be_bytes());
    mvhd.extend_from_slice(&(seconds * 1000).to_be_bytes());
    mvhd.extend_from_slice(&[0u8; 80]);
    let mut bytes = boxed(b"ftyp", b"isom\0\0\0\0");
    bytes.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    bytes
}

/// A constant-bit-rate MP3 (MPEG 1 Layer III, 128 kbps, 44.1 kHz) whose audio plays `seconds`.
pub fn mp3(seconds: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFB, 0x90, 0x00];
    bytes.resize(16_000 * seconds, 0);
    bytes
}
