//! Following a send: the plugin's own data rides in every event of its send and never reaches the service, and
//! the results name the file and its kind. Over real HTTP to the service double and its media store.

mod support;

use serde_json::json;
use std::sync::Arc;
use support::server::{APP_ID, SECRET};
use support::{all_events, fast_config, sender};
use zimbot_client::{Client, HttpPutStore};
use zimbot_double::{Reply, ServiceDouble};
use zimbot_model::{ConversationType, MediaKind, MediaMessage, Priority, SendConfig, SendEvent, SendRequest, ZimCode};

async fn double_and_client() -> (ServiceDouble, Client) {
    let double = ServiceDouble::start(APP_ID, SECRET).await;
    let store = HttpPutStore::new(double.media_put_template(), double.media_put_template(), None).unwrap();
    let client =
        Client::new(fast_config(), Arc::new(support::transport_to(double.base_url(), SECRET)), Arc::new(store));
    (double, client)
}

/// A 200 KiB file send to room `lobby` carrying `{"post": 7}`, so the upload reports progress.
fn tracked_file_send(directory: &tempfile::TempDir) -> SendRequest {
    let path = directory.path().join("report.bin");
    std::fs::write(&path, vec![7u8; 200 * 1024]).unwrap();
    SendRequest::media(MediaMessage::file(path), "lobby", ConversationType::Room, SendConfig::default())
        .with_local_data(&json!({ "post": 7 }))
        .unwrap()
}

#[tokio::test]
async fn every_event_of_a_send_carries_its_local_data() {
    let (_double, client) = double_and_client().await;
    let directory = tempfile::tempdir().unwrap();
    let mut handle = client.send(&sender("bot", Priority::Medium), tracked_file_send(&directory)).unwrap();
    let events = all_events(&mut handle).await;
    assert!(events.iter().any(|event| matches!(event, SendEvent::Progress(_))), "{events:?}");
    for event in &events {
        let carried = match event {
            SendEvent::Attached(attached) => &attached.local_data,
            SendEvent::Progress(progress) => &progress.local_data,
            SendEvent::Sent(result) => &result.local_data,
            SendEvent::Failed(failure) => &failure.local_data,
        };
        assert_eq!(carried, &Some(json!({ "post": 7 })), "{event:?}");
    }
}

#[tokio::test]
async fn local_data_never_reaches_the_service() {
    let (double, client) = double_and_client().await;
    let directory = tempfile::tempdir().unwrap();
    let request = tracked_file_send(&directory).with_local_data(&json!({ "marker": "kept-local-4c1d" })).unwrap();
    client.send(&sender("bot", Priority::Medium), request).unwrap().result().await.unwrap();
    let captures = double.captures();
    assert_eq!(captures.len(), 1);
    let wire = format!("{:?} {}", captures[0].query, captures[0].body);
    assert!(!wire.contains("kept-local-4c1d") && !wire.contains("marker"), "{wire}");
    assert!(captures[0].request_errors.is_empty(), "{:?}", captures[0].request_errors);
}

#[tokio::test]
async fn a_sent_result_names_the_file_and_its_kind() {
    let (_double, client) = double_and_client().await;
    let directory = tempfile::tempdir().unwrap();
    let result =
        client.send(&sender("bot", Priority::Medium), tracked_file_send(&directory)).unwrap().result().await.unwrap();
    assert_eq!((result.file_name.as_str(), result.media_kind), ("report.bin", Some(MediaKind::File)));
    assert_eq!(result.local_data::<serde_json::Value>().unwrap().unwrap(), json!({ "post": 7 }));
}

#[tokio::test]
async fn a_failure_names_the_file_its_kind_and_carries_the_local_data() {
    let (double, client) = double_and_client().await;
    // A signature error fails at once, with no retry.
    double.script("SendRoomMessage", [Reply::Code(ZimCode::SIGNATURE_INVALID.0)]);
    let directory = tempfile::tempdir().unwrap();
    let failure = client
        .send(&sender("bot", Priority::Medium), tracked_file_send(&directory))
        .unwrap()
        .result()
        .await
        .unwrap_err();
    assert_eq!((failure.file_name.as_str(), failure.media_kind), ("report.bin", Some(MediaKind::File)));
    assert_eq!(failure.local_data, Some(json!({ "post": 7 })));
}
