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
async fn an_mp3_audio_carries_the_duration_its_frames_tell() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("voice.mp3");
    std::fs::write(&path, images::mp3(7)).unwrap();
    let description = sent_description(MediaMessage::audio(path)).await;
    assert_eq!(description["MediaDuration"], 7);
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

// --- the service's size limits, refused before sending --------------------------------------------------------------

fn room_text(text: String) -> SendRequest {
    SendRequest::text(text, "lobby", ConversationType::Room)
}

#[tokio::test]
async fn a_text_over_two_kilobytes_is_refused_naming_the_setting() {
    let (double, client) = double_and_client().await;
    let rejected = client.send(&sender("bot", Priority::Medium), room_text("x".repeat(2049))).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::TooLarge);
    assert!(
        rejected.message.contains("2049") && rejected.message.contains("client.max_message_bytes"),
        "{}",
        rejected.message
    );
    assert!(double.captures().is_empty());
}

#[tokio::test]
async fn a_text_of_exactly_two_kilobytes_is_sent() {
    let (double, client) = double_and_client().await;
    client.send(&sender("bot", Priority::Medium), room_text("x".repeat(2048))).unwrap().result().await.unwrap();
    assert_eq!(double.captures().len(), 1);
}

#[tokio::test]
async fn the_message_size_limit_is_configurable() {
    let double = ServiceDouble::start(APP_ID, SECRET).await;
    let store = HttpPutStore::new(double.media_put_template(), double.media_put_template(), None).unwrap();
    let config = zimbot_client::ClientConfig { max_message_bytes: 32_768, ..fast_config() };
    let client = Client::new(config, Arc::new(support::transport_to(double.base_url(), SECRET)), Arc::new(store));
    client.send(&sender("bot", Priority::Medium), room_text("x".repeat(10_000))).unwrap().result().await.unwrap();
    assert_eq!(double.captures().len(), 1);
}

#[tokio::test]
async fn extended_data_over_one_kilobyte_is_refused() {
    let (_double, client) = double_and_client().await;
    let message = MediaMessage::from_url(MediaKind::File, "http://127.0.0.1:1/a.pdf", "a.pdf")
        .with_extended_data("e".repeat(1025));
    let request = SendRequest::media(message, "lobby", ConversationType::Room, SendConfig::default());
    let rejected = client.send(&sender("bot", Priority::Medium), request).unwrap_err();
    assert!(rejected.message.contains("extended data is 1025 bytes"), "{}", rejected.message);
}

#[tokio::test]
async fn a_download_url_over_five_hundred_bytes_is_refused() {
    let (_double, client) = double_and_client().await;
    let url = format!("http://127.0.0.1:1/{}", "a".repeat(490));
    let request = SendRequest::media(
        MediaMessage::from_url(MediaKind::File, url, "a.pdf"),
        "lobby",
        ConversationType::Room,
        SendConfig::default(),
    );
    let rejected = client.send(&sender("bot", Priority::Medium), request).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::InvalidMessage);
    assert!(rejected.message.contains("500 bytes"), "{}", rejected.message);
}

#[tokio::test]
async fn a_thumbnail_url_over_five_hundred_bytes_is_refused() {
    let (_double, client) = double_and_client().await;
    let mut message = MediaMessage::from_url(MediaKind::Video, "http://127.0.0.1:1/v.mp4", "v.mp4");
    message.thumbnail_url = Some(format!("http://127.0.0.1:1/{}", "t".repeat(500)));
    let request = SendRequest::media(message, "lobby", ConversationType::Room, SendConfig::default());
    let rejected = client.send(&sender("bot", Priority::Medium), request).unwrap_err();
    assert!(rejected.message.contains("media URL") && rejected.message.contains("at most 500"), "{}", rejected.message);
}

#[tokio::test]
async fn a_file_name_over_one_hundred_fifty_bytes_is_refused() {
    let (_double, client) = double_and_client().await;
    let name = format!("{}.pdf", "n".repeat(147));
    let request = SendRequest::media(
        MediaMessage::from_url(MediaKind::File, "http://127.0.0.1:1/a.pdf", name),
        "lobby",
        ConversationType::Room,
        SendConfig::default(),
    );
    let rejected = client.send(&sender("bot", Priority::Medium), request).unwrap_err();
    assert!(rejected.message.contains("151 bytes") && rejected.message.contains("150"), "{}", rejected.message);
}

#[tokio::test]
async fn an_upload_whose_public_url_is_too_long_fails_without_being_sent() {
    let double = ServiceDouble::start(APP_ID, SECRET).await;
    let long_public = format!("{}/media/{{uid}}/{}/{{file_name}}", double.base_url(), "p".repeat(480));
    let store = HttpPutStore::new(double.media_put_template(), long_public, None).unwrap();
    let client =
        Client::new(fast_config(), Arc::new(support::transport_to(double.base_url(), SECRET)), Arc::new(store));
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("a.pdf");
    std::fs::write(&path, b"pdf").unwrap();
    let request = SendRequest::media(MediaMessage::file(&path), "lobby", ConversationType::Room, SendConfig::default());
    let failure = client.send(&sender("bot", Priority::Medium), request).unwrap().result().await.unwrap_err();
    assert_eq!(failure.error.code, zimbot_model::ZimCode::WIRE_LIMIT);
    assert!(failure.error.message.contains("public URL"), "{}", failure.error.message);
    assert!(double.captures().is_empty(), "nothing reached the Server API");
}
