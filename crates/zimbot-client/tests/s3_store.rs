//! The S3 media store against a real local S3-compatible server (see `support/s3_server.rs`): single and
//! multipart uploads, part retries and aborts, signatures checked by the server, and sends through the client.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use support::s3_server::{download, S3ServerOptions, S3TestServer};
use support::server::{TestServer, SECRET};
use support::{assert_event_order, fast_config, sender, transport_to};
use zimbot_client::{
    Client, MediaStore, ProgressCallback, S3Link, S3Store, UploadRequest, MIN_PART_SIZE, PART_ATTEMPTS,
};
use zimbot_model::{ConversationType, MediaMessage, Priority, SendConfig, SendEvent, SendRequest, ZimCode};

/// A file of `size` bytes that differ from one position to the next, so a misplaced part shows.
fn file_of(directory: &tempfile::TempDir, name: &str, size: usize) -> PathBuf {
    let path = directory.path().join(name);
    let mut bytes: Vec<u8> = (0..size).map(|index| (index % 251) as u8).collect();
    // An image must have a pixel size the client can read: give .png files a PNG header.
    if name.ends_with(".png") {
        let header = support::images::png(4, 4);
        let length = header.len().min(size);
        bytes[..length].copy_from_slice(&header[..length]);
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

fn request_for(path: &Path) -> UploadRequest {
    UploadRequest {
        uid: format!("{:032x}", rand_uid()),
        file_name: path.file_name().unwrap().to_string_lossy().into_owned(),
        path: path.to_owned(),
        size: std::fs::metadata(path).unwrap().len(),
    }
}

fn rand_uid() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

/// A progress callback recording every value.
fn recorder() -> (ProgressCallback, Arc<Mutex<Vec<u64>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    (Arc::new(move |taken| sink.lock().unwrap().push(taken)), seen)
}

fn part_uploads(requests: &[(String, String, String)], number: u32) -> usize {
    let wanted = format!("partNumber={number}&");
    requests.iter().filter(|(method, _, query)| method == "PUT" && query.starts_with(&wanted)).count()
}

#[tokio::test]
async fn a_small_file_goes_up_in_one_put_and_its_public_link_downloads_the_same_bytes() {
    let server = S3TestServer::start();
    let store = S3Store::new(server.config()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = file_of(&directory, "cat photo.png", 300_000);
    let (progress, _) = recorder();
    let link = store.upload(&request_for(&path), progress).await.unwrap();
    let requests = server.requests().await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!((requests[0].0.as_str(), requests[0].2.as_str()), ("PUT", ""));
    assert!(link.ends_with("/cat%20photo.png"), "{link}");
    assert_eq!(download(&link).await, (200, std::fs::read(&path).unwrap()));
}

#[tokio::test]
async fn a_file_larger_than_a_part_goes_up_in_parts_with_rising_progress() {
    let server = S3TestServer::start();
    let store = S3Store::new(server.config()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let size = 2 * MIN_PART_SIZE as usize + 123_457;
    let path = file_of(&directory, "clip.mp4", size);
    let (progress, seen) = recorder();
    let link = store.upload(&request_for(&path), progress).await.unwrap();
    let requests = server.requests().await;
    let methods: Vec<&str> = requests.iter().map(|(method, _, _)| method.as_str()).collect();
    assert_eq!(methods, ["POST", "PUT", "PUT", "PUT", "POST"], "{requests:?}");
    assert!((1..=3).all(|number| part_uploads(&requests, number) == 1), "{requests:?}");
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "not rising: {seen:?}");
    assert!(*seen.last().unwrap() <= size as u64);
    assert!(server.open_uploads().await.is_empty());
    assert_eq!(download(&link).await, (200, std::fs::read(&path).unwrap()));
}

#[tokio::test]
async fn objects_are_stored_with_the_content_type_of_their_name() {
    let server = S3TestServer::start();
    let store = S3Store::new(server.config()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    for (name, size, expected) in [
        ("cat.png", 1000, "image/png"),
        ("clip.mp4", MIN_PART_SIZE as usize + 1, "video/mp4"),
        ("page.html", 10, "application/octet-stream"),
    ] {
        let (progress, _) = recorder();
        let link = store.upload(&request_for(&file_of(&directory, name, size)), progress).await.unwrap();
        let answer = support::s3_server::anonymous_client().get(&link).send().await.unwrap();
        assert_eq!(answer.headers()["content-type"], expected, "{name}");
    }
}

#[tokio::test]
async fn a_failed_part_is_sent_again_alone() {
    let server = S3TestServer::start_with(S3ServerOptions { failing_parts: vec![(2, Some(1))], ..Default::default() });
    let store = S3Store::new(server.config()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = file_of(&directory, "clip.mp4", 2 * MIN_PART_SIZE as usize + 10);
    let (progress, seen) = recorder();
    let link = store.upload(&request_for(&path), progress).await.unwrap();
    let requests = server.requests().await;
    assert_eq!([1, 2, 3].map(|number| part_uploads(&requests, number)), [1, 2, 1], "{requests:?}");
    let seen = seen.lock().unwrap().clone();
    assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "a retried part made progress fall: {seen:?}");
    assert_eq!(download(&link).await, (200, std::fs::read(&path).unwrap()));
}

#[tokio::test]
async fn a_part_failing_every_attempt_aborts_the_upload() {
    let server = S3TestServer::start_with(S3ServerOptions { failing_parts: vec![(2, None)], ..Default::default() });
    let store = S3Store::new(server.config()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = file_of(&directory, "clip.mp4", MIN_PART_SIZE as usize + 10);
    let (progress, _) = recorder();
    let error = store.upload(&request_for(&path), progress).await.unwrap_err();
    assert_eq!(error.code, ZimCode::UPLOAD_FAILED, "{}", error.message);
    assert!(error.message.contains("upload part 2"), "{}", error.message);
    let requests = server.requests().await;
    assert_eq!(part_uploads(&requests, 2), PART_ATTEMPTS as usize, "{requests:?}");
    let aborts =
        requests.iter().filter(|(method, _, query)| method == "DELETE" && query.starts_with("uploadId=")).count();
    assert_eq!(aborts, 1, "{requests:?}");
    assert_eq!(server.open_uploads().await, Vec::<(String, String)>::new());
}

#[tokio::test]
async fn a_store_that_checks_signatures_accepts_single_and_multipart_uploads() {
    let server = S3TestServer::start_with(S3ServerOptions { check_signatures: true, ..Default::default() });
    let store = S3Store::new(server.config()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    for (name, size) in [("small.png", 1000), ("large.mp4", MIN_PART_SIZE as usize + 1000)] {
        let (progress, _) = recorder();
        let result = store.upload(&request_for(&file_of(&directory, name, size)), progress).await;
        assert!(result.is_ok(), "{name}: {result:?}");
    }
    assert!(server.open_uploads().await.is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_a_final_error_that_names_bucket_key_and_answer() {
    let server = S3TestServer::start_with(S3ServerOptions { check_signatures: true, ..Default::default() });
    let mut config = server.config();
    config.secret_access_key = "not-the-secret".into();
    let store = S3Store::new(config).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let request = request_for(&file_of(&directory, "cat.png", 1000));
    let (progress, _) = recorder();
    let error = store.upload(&request, progress).await.unwrap_err();
    assert_eq!(error.code, ZimCode::BAD_RESPONSE, "{}", error.message);
    assert!(!error.code.is_retryable());
    for part in ["403", "SignatureDoesNotMatch", "secret_access_key", &server.access.bucket, &request.uid] {
        assert!(error.message.contains(part), "{part:?} missing in {}", error.message);
    }
    assert!(!error.message.contains("not-the-secret"), "{}", error.message);
}

#[tokio::test]
async fn a_missing_bucket_is_a_final_error_that_says_so() {
    let server = S3TestServer::start();
    let mut config = server.config();
    config.bucket = "no-such-bucket".into();
    let store = S3Store::new(config).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let (progress, _) = recorder();
    let error = store.upload(&request_for(&file_of(&directory, "cat.png", 1000)), progress).await.unwrap_err();
    assert_eq!(error.code, ZimCode::BAD_RESPONSE, "{}", error.message);
    assert!(error.message.contains("NoSuchBucket") && error.message.contains("no-such-bucket"), "{}", error.message);
}

#[tokio::test]
async fn a_presigned_link_downloads_the_file() {
    let server = S3TestServer::start();
    let mut config = server.config();
    config.link = S3Link::Presigned(std::time::Duration::from_secs(3600));
    let store = S3Store::new(config).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = file_of(&directory, "report.pdf", 2000);
    let (progress, _) = recorder();
    let link = store.upload(&request_for(&path), progress).await.unwrap();
    assert!(link.contains("X-Amz-Expires=3600") && link.len() <= 500, "{link}");
    assert_eq!(download(&link).await, (200, std::fs::read(&path).unwrap()));
}

fn media_send(media: MediaMessage) -> SendRequest {
    SendRequest::media(media, "lobby", ConversationType::Room, SendConfig::default())
}

#[tokio::test]
async fn image_file_audio_and_video_sends_carry_links_that_download_the_uploaded_bytes() {
    let s3 = S3TestServer::start();
    let zim = TestServer::start().await;
    let client = Client::new(
        fast_config(),
        Arc::new(transport_to(zim.base_url(), SECRET)),
        Arc::new(S3Store::new(s3.config()).unwrap()),
    );
    let directory = tempfile::tempdir().unwrap();
    let sends = [
        MediaMessage::image(file_of(&directory, "cat.png", 40_000)),
        MediaMessage::file(file_of(&directory, "report.pdf", 50_000)),
        MediaMessage::audio(file_of(&directory, "note.mp3", 60_000)),
        MediaMessage::video(file_of(&directory, "clip.mp4", MIN_PART_SIZE as usize + 70_000)),
    ];
    for media in sends {
        let path = media.file_local_path.clone().unwrap();
        let sent = client.send(&sender("bot", Priority::Medium), media_send(media)).unwrap().result().await.unwrap();
        let link = sent.media_url.unwrap();
        assert_eq!(download(&link).await, (200, std::fs::read(&path).unwrap()), "{}", path.display());
    }
    let calls = zim.calls();
    assert_eq!(calls.len(), 4);
    assert!(calls.iter().all(|call| call.body.to_string().contains(&s3.access.endpoint)), "{calls:?}");
}

#[tokio::test]
async fn a_multipart_send_reports_the_total_only_after_the_upload_completed() {
    let s3 = S3TestServer::start();
    let zim = TestServer::start().await;
    let client = Client::new(
        fast_config(),
        Arc::new(transport_to(zim.base_url(), SECRET)),
        Arc::new(S3Store::new(s3.config()).unwrap()),
    );
    let directory = tempfile::tempdir().unwrap();
    let size = 2 * MIN_PART_SIZE + 5;
    let path = file_of(&directory, "clip.mp4", size as usize);
    let mut handle = client.send(&sender("bot", Priority::Medium), media_send(MediaMessage::video(&path))).unwrap();
    let mut events = Vec::new();
    while let Some(event) = handle.events.recv().await {
        if let SendEvent::Progress(progress) = &event {
            if progress.is_complete() {
                let completes = s3
                    .requests()
                    .await
                    .iter()
                    .filter(|(method, _, query)| method == "POST" && query.starts_with("uploadId="))
                    .count();
                assert_eq!(completes, 1, "the total came before the upload was completed");
            }
        }
        let terminal = event.is_terminal();
        events.push(event);
        if terminal {
            break;
        }
    }
    let progress = assert_event_order(&events);
    assert!(progress.windows(2).all(|pair| pair[0].0 < pair[1].0), "{progress:?}");
    assert_eq!(progress.last().unwrap(), &(size, size));
    assert!(matches!(events.last(), Some(SendEvent::Sent(_))), "{events:?}");
}

/// Starts uploading `request` and drops the upload once its first bytes went out, as a crash would cut it off.
async fn cut_off(store: &S3Store, request: &UploadRequest) {
    let started = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&started);
    let progress: ProgressCallback = Arc::new(move |_| signal.notify_one());
    tokio::select! {
        result = store.upload(request, progress) => panic!("the upload finished before it could be cut off: {result:?}"),
        () = started.notified() => {}
    }
}

/// Renames this process's journal entries to those of a process that has ended, as a crash leaves them.
fn as_left_by_a_crashed_process(journal: &Path) {
    let mut ended = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = ended.id();
    ended.wait().unwrap();
    for entry in std::fs::read_dir(journal).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let (_, rest) = name.split_once('-').unwrap();
        std::fs::rename(&path, journal.join(format!("{dead_pid}-{rest}"))).unwrap();
    }
}

#[tokio::test]
async fn an_upload_cut_off_by_a_crash_is_aborted_at_the_next_start_and_another_instances_is_left_alone() {
    let server = S3TestServer::start();
    let directory = tempfile::tempdir().unwrap();
    let (ours, theirs) = (directory.path().join("ours"), directory.path().join("theirs"));
    let path = file_of(&directory, "clip.mp4", 3 * MIN_PART_SIZE as usize);
    let (our_upload, their_upload) = (request_for(&path), request_for(&path));
    let crashed = S3Store::new(server.config()).unwrap().with_upload_journal(&ours).unwrap();
    cut_off(&crashed, &our_upload).await;
    let other_instance = S3Store::new(server.config()).unwrap().with_upload_journal(&theirs).unwrap();
    cut_off(&other_instance, &their_upload).await;
    assert_eq!(server.open_uploads().await.len(), 2);
    as_left_by_a_crashed_process(&ours);

    let restarted = S3Store::new(server.config()).unwrap().with_upload_journal(&ours).unwrap();
    let report = restarted.abort_leftover_uploads().await;

    let (our_key, _) = restarted.key_and_link(&our_upload).unwrap();
    let (their_key, _) = restarted.key_and_link(&their_upload).unwrap();
    assert_eq!((report.aborted, report.failed), (vec![our_key], Vec::<String>::new()));
    let open: Vec<String> = server.open_uploads().await.into_iter().map(|(key, _)| key).collect();
    assert_eq!(open, [their_key]);
    assert_eq!(std::fs::read_dir(&ours).unwrap().count(), 0, "the aborted upload is still journaled");
}

#[tokio::test]
async fn the_online_check_writes_reads_back_through_the_link_and_deletes() {
    let server = S3TestServer::start();
    let store = S3Store::new(server.config()).unwrap();
    let report = store.probe().await.unwrap();
    assert!(report.link.starts_with(&server.access.endpoint), "{report:?}");
    let methods: Vec<String> = server.requests().await.into_iter().map(|(method, _, _)| method).collect();
    assert_eq!(methods, ["PUT", "GET", "DELETE"]);
    assert_eq!(download(&report.link).await.0, 404, "the check object was left behind");
}

#[tokio::test]
async fn the_online_check_says_when_the_link_does_not_reach_the_object() {
    let server = S3TestServer::start();
    let mut config = server.config();
    config.link = S3Link::Public(format!("{}/elsewhere/{{key}}", server.access.endpoint));
    let error = S3Store::new(config).unwrap().probe().await.unwrap_err();
    assert!(error.message.contains("HTTP 404") && error.message.contains("check public_url"), "{}", error.message);
    let deletes = server.requests().await.iter().filter(|(method, _, _)| method == "DELETE").count();
    assert_eq!(deletes, 1, "the check object was left behind");
}

#[tokio::test]
async fn the_online_check_says_when_receivers_cannot_download() {
    let server = S3TestServer::start_with(S3ServerOptions { private: true, ..Default::default() });
    let error = S3Store::new(server.config()).unwrap().probe().await.unwrap_err();
    assert!(error.message.contains("HTTP 403") && error.message.contains("publicly readable"), "{}", error.message);
}
