//! The media description the service renders, as it reaches the service double: an image's real pixel size read
//! from the file, audio and video durations from their container, and refusals for files the service could not
//! show.

mod support;

use std::sync::Arc;
use support::images;
use support::server::{APP_ID, SECRET};
use support::{fast_config, sender};
use zimbot_client::{Client, HttpPutStore};
use zimbot_double::ServiceDouble;
use zimbot_model::{
    ConversationType, ImageSize, MediaKind, MediaMessage, Priority, RejectReason, SendConfig, SendRequest,
};

async fn double_and_client() -> (ServiceDouble, Client) {
    let double = ServiceDouble::start(APP_ID, SECRET).await;
    let store = HttpPutStore::new(double.media_put_template(), double.media_put_template(), None).unwrap();
    let client =
        Client::new(fast_config(), Arc::new(support::transport_to(double.base_url(), SECRET)), Arc::new(store));
    (double, client)
}

/// Sends `message` to a room and returns the media description the double received.
async fn sent_description(message: MediaMessage) -> serde_json::Value {
    let (double, client) = double_and_client().await;
    let request = SendRequest::media(message, "lobby", ConversationType::Room, SendConfig::default());
    client.send(&sender("bot", Priority::Medium), request).unwrap().result().await.unwrap();
    double.captures()[0].media_description().expect("a media description")
}

async fn image_size_on_the_wire(name: &str, bytes: Vec<u8>) -> (u64, u64) {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let description = sent_description(MediaMessage::image(path)).await;
    (description["Origin"]["Width"].as_u64().unwrap(), description["Origin"]["Height"].as_u64().unwrap())
}

#[tokio::test]
async fn a_png_carries_its_real_width_and_height() {
    assert_eq!(image_size_on_the_wire("a.png", images::png(640, 480)).await, (640, 480));
}

#[tokio::test]
async fn a_jpeg_carries_its_real_width_and_height() {
    assert_eq!(image_size_on_the_wire("a.jpg", images::jpeg(1024, 768)).await, (1024, 768));
}

#[tokio::test]
async fn a_gif_carries_its_real_width_and_height() {
    assert_eq!(image_size_on_the_wire("a.gif", images::gif(32, 16)).await, (32, 16));
}

#[tokio::test]
async fn a_webp_carries_its_real_width_and_height() {
    assert_eq!(image_size_on_the_wire("a.webp", images::webp(300, 200)).await, (300, 200));
}

#[tokio::test]
async fn a_bmp_carries_its_real_width_and_height() {
    assert_eq!(image_size_on_the_wire("a.bmp", images::bmp(7, 5)).await, (7, 5));
}

#[tokio::test]
async fn the_files_own_size_wins_over_a_size_the_plugin_gave() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("a.png");
    std::fs::write(&path, images::png(10, 20)).unwrap();
    let mut image = MediaMessage::image(path);
    image.size = Some(ImageSize { width: 1, height: 1 });
    let description = sent_description(image).await;
    assert_eq!(
        (description["Origin"]["Width"].as_u64(), description["Origin"]["Height"].as_u64()),
        (Some(10), Some(20))
    );
}

#[tokio::test]
async fn an_image_whose_size_cannot_be_read_is_refused_before_sending() {
    let (double, client) = double_and_client().await;
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("broken.png");
    std::fs::write(&path, b"not an image").unwrap();
    let request =
        SendRequest::media(MediaMessage::image(&path), "lobby", ConversationType::Room, SendConfig::default());
    let rejected = client.send(&sender("bot", Priority::Medium), request).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::InvalidMessage);
    assert!(rejected.message.contains("broken.png") && rejected.message.contains("as a file"), "{}", rejected.message);
    assert!(double.captures().is_empty());
}

#[tokio::test]
async fn a_video_carries_the_duration_its_mp4_container_states() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("clip.mp4");
    std::fs::write(&path, images::mp4(42)).unwrap();
    let description = sent_description(MediaMessage::video(path)).await;
    assert_eq!(description["MediaDuration"], 42);
}

#[tokio::test]
async fn an_m4a_audio_carries_the_duration_its_container_states() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("voice.m4a");
    std::fs::write(&path, images::mp4(9)).unwrap();
    let description = sent_description(MediaMessage::audio(path)).await;
    assert_eq!(description["MediaDuration"], 9);
}

#[tokio::test]
async fn audio_whose_container_states_no_duration_goes_without_one() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("voice.mp3");
    std::fs::write(&path, b"ID3 and frames").unwrap();
    let description = sent_description(MediaMessage::audio(path)).await;
    assert!(description.get("MediaDuration").is_none(), "{description}");
}

#[tokio::test]
async fn an_uploaded_file_reaches_the_store_byte_for_byte() {
    let (double, client) = double_and_client().await;
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("a.png");
    std::fs::write(&path, images::png(2, 2)).unwrap();
    let request = SendRequest::media(
        MediaMessage::from_path(MediaKind::Image, &path),
        "g",
        ConversationType::Group,
        SendConfig::default(),
    );
    client.send(&sender("bot", Priority::Medium), request).unwrap().result().await.unwrap();
    let files = double.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].bytes.as_ref(), images::png(2, 2).as_slice());
}
