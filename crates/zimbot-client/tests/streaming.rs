//! A large upload is streamed: the whole file reaches the server while the process's memory barely grows.
//!
//! Alone in its own test binary so that no other test's allocations show in the process's peak memory.

mod support;

use std::sync::Arc;
use support::server::{TestServer, SECRET};
use support::{fast_config, sender, transport_to};
use zimbot_client::{Client, HubMediaStore};
use zimbot_model::{ConversationType, MediaMessage, Priority, SendConfig, SendRequest};

/// A field of /proc/self/status in KiB (VmRSS: resident now, VmHWM: the peak so far).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_256_mib_file_is_streamed_with_bounded_memory() {
    const SIZE: u64 = 256 * 1024 * 1024;
    let server = TestServer::start().await;
    let transport = transport_to(server.base_url(), SECRET);
    let mut config = fast_config();
    config.media_limits.file = SIZE;
    let client = Client::new(config, Arc::new(transport), Arc::new(HubMediaStore::new(server.base_url()).unwrap()));
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("big.bin");
    std::fs::File::create(&path).unwrap().set_len(SIZE).unwrap();

    let rss_before = status_kib("VmRSS:");
    let request = SendRequest::media(MediaMessage::file(&path), "lobby", ConversationType::Room, SendConfig::default());
    client.send(&sender("bot", Priority::Medium), request).unwrap().result().await.unwrap();
    let peak = status_kib("VmHWM:");

    let upload = &server.uploads()[0];
    assert_eq!((upload.received, upload.content_length), (SIZE, Some(SIZE)));
    let growth_mib = peak.saturating_sub(rss_before) / 1024;
    assert!(growth_mib < 32, "peak memory grew by {growth_mib} MiB while uploading a 256 MiB file");
}
