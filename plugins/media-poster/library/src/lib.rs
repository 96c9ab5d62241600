//! The media-poster plugin as a dynamic library: only the entry symbol, around the plugin crate (`plugins/media-poster`).
//!
//! The plugin lives in its own crate so that the zimbot binary can link it as a built-in next to the other
//! example plugins: each library exports the same C symbol, and one binary can hold it only once.

zimbot_sdk::export_plugin!(media_poster_plugin::MediaPoster);
