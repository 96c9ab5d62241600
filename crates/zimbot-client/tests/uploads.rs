//! Uploads over real HTTP: progress, retries that re-open the file, refusals.

mod support;

use std::sync::Arc;
use support::server::{TestServer, SECRET};
use support::{all_events, assert_event_order, fast_config, sender, transport_to};
use zimbot_client::{Client, HttpPutStore, HubMediaStore, MediaStore};
use zimbot_model::{ConversationType, MediaMessage, Priority, SendConfig, SendEvent, SendRequest, ZimCode};

fn client_with(server: &TestServer, store: Arc<dyn MediaStore>) -> Client {
    let transport = transport_to(server.base_url(), SECRET);
    Client::new(fast_config(), Arc::new(transport), store)
}

fn hub(server: &TestServer) -> Arc<dyn MediaStore> {
    Arc::new(HubMediaStore::new(server.base_url()).unwrap())
}

fn file_of(directory: &tempfile::TempDir, name: &str, size: usize) -> std::path::PathBuf {
    let path = directory.path().join(name);
    std::fs::write(&path, vec![1u8; size]).unwrap();
    path
}

fn file_send(path: &std::path::Path) -> SendRequest {
    SendRequest::media(MediaMessage::file(path), "lobby", ConversationType::Room, SendConfig::default())
}

#[tokio::test]
async fn progress_rises_and_reaches_the_total_only_after_the_store_acknowledged() {
    let server = TestServer::start().await;
    let client = client_with(&server, hub(&server));
    let directory = tempfile::tempdir().unwrap();
    let size = 8 * 1024 * 1024;
    let mut handle =
        client.send(&sender("bot", Priority::Medium), file_send(&file_of(&directory, "big.bin", size))).unwrap();
    let mut events = Vec::new();
    while let Some(event) = handle.events.recv().await {
        if let SendEvent::Progress(progress) = &event {
            if progress.is_complete() {
                // The server records an upload before it answers; the total may only come after that answer.
                assert_eq!(server.uploads().len(), 1, "current == total before the store acknowledged");
            }
        }
        let terminal = event.is_terminal();
        events.push(event);
        if terminal {
            break;
        }
    }
    let progress = assert_event_order(&events);
    assert!(progress.len() >= 2, "{progress:?}");
    assert!(progress.windows(2).all(|pair| pair[0].0 < pair[1].0), "not monotonic: {progress:?}");
    assert!(progress.iter().all(|&(_, total)| total == size as u64));
    assert_eq!(progress.last().unwrap().0, size as u64);
    assert!(progress[..progress.len() - 1].iter().all(|&(current, total)| current < total));
    assert!(progress.len() <= 102, "throttled to 1 % steps: {} events", progress.len());
    assert!(matches!(events.last(), Some(SendEvent::Sent(_))));
    assert_eq!(client.stats().uploaded_bytes, size as u64);
}

#[tokio::test]
async fn a_failed_upload_is_retried_by_re_opening_the_file() {
    let server = TestServer::start().await;
    server.answer_uploads([500]);
    let client = client_with(&server, hub(&server));
    let directory = tempfile::tempdir().unwrap();
    let mut handle =
        client.send(&sender("bot", Priority::Medium), file_send(&file_of(&directory, "a.bin", 200_000))).unwrap();
    let events = all_events(&mut handle).await;
    let progress = assert_event_order(&events);
    assert!(progress.windows(2).all(|pair| pair[0].0 < pair[1].0), "{progress:?}");
    assert!(matches!(events.last(), Some(SendEvent::Sent(_))));
    let uploads = server.uploads();
    assert_eq!(uploads.len(), 2);
    assert!(uploads.iter().all(|upload| upload.received == 200_000), "each attempt sends the whole file again");
}

#[tokio::test]
async fn a_store_refusing_the_size_fails_the_send_without_retry() {
    let server = TestServer::start().await;
    server.answer_uploads([413]);
    let client = client_with(&server, hub(&server));
    let directory = tempfile::tempdir().unwrap();
    let failure = client
        .send(&sender("bot", Priority::Medium), file_send(&file_of(&directory, "a.bin", 10)))
        .unwrap()
        .result()
        .await
        .unwrap_err();
    assert_eq!(failure.error.code, ZimCode::UPLOAD_TOO_LARGE);
    assert_eq!(server.uploads().len(), 1);
    assert!(server.calls().is_empty(), "nothing is sent when the upload failed");
}

#[tokio::test]
async fn a_file_deleted_after_acceptance_fails_as_unreadable() {
    let server = TestServer::start().await;
    let client = client_with(&server, hub(&server));
    let directory = tempfile::tempdir().unwrap();
    let path = file_of(&directory, "gone.bin", 10);
    // The test runtime runs one task at a time: the upload cannot start before this test awaits, so the file is
    // gone by the time the store opens it.
    let handle = client.send(&sender("bot", Priority::Medium), file_send(&path)).unwrap();
    std::fs::remove_file(&path).unwrap();
    let failure = handle.result().await.unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::FILE_READ, 1));
    assert!(failure.error.message.contains("gone.bin"), "{}", failure.error.message);
    assert!(server.uploads().is_empty());
}

#[tokio::test]
async fn the_http_put_store_uploads_to_its_template_with_the_auth_header_and_returns_the_public_url() {
    let server = TestServer::start().await;
    let store = HttpPutStore::new(
        format!("{}/media/{{uid}}/{{file_name}}", server.base_url()),
        "https://cdn.example/{uid}/{file_name}",
        Some("Authorization: Bearer token".into()),
    )
    .unwrap();
    let client = client_with(&server, Arc::new(store));
    let directory = tempfile::tempdir().unwrap();
    let sent = client
        .send(&sender("bot", Priority::Medium), file_send(&file_of(&directory, "report 1.pdf", 1000)))
        .unwrap()
        .result()
        .await
        .unwrap();
    let upload = &server.uploads()[0];
    assert_eq!((upload.file_name.as_str(), upload.received), ("report 1.pdf", 1000));
    assert_eq!(upload.authorization.as_deref(), Some("Bearer token"));
    assert_eq!(sent.media_url.unwrap(), format!("https://cdn.example/{}/report%201.pdf", upload.uid));
}
