//! The media store: streamed uploads with a cap, downloads with ranges, no way out of the media directory.

use crate::support::start_hub;
use axum::http::{header, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes that are not all alike, so a shifted or truncated copy cannot pass as the original.
fn sample(length: usize) -> Vec<u8> {
    (0..length).map(|index| (index * 31 % 251) as u8).collect()
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn an_upload_answers_its_public_url_and_downloads_byte_identical() {
    let hub = start_hub(|_| {}).await;
    let bytes = sample(300_000);
    let response = hub.put_media("/media/u1/my%20cat.png", bytes.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["url"], format!("{}/media/u1/my%20cat.png", hub.hub.base_url()));

    let download = hub.http.get(answer["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()[header::CONTENT_LENGTH], bytes.len().to_string().as_str());
    assert_eq!(download.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(download.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let stats = hub.hub.stats();
    assert_eq!((stats.uploads, stats.upload_bytes), (1, bytes.len() as u64));
}

#[tokio::test]
async fn media_urls_use_the_configured_public_base() {
    let hub = start_hub(|config| config.public_base_url = Some("https://chat.example/".into())).await;
    let answer: serde_json::Value = hub.put_media("/media/u1/a.txt", "x").await.json().await.unwrap();
    assert_eq!(answer["url"], "https://chat.example/media/u1/a.txt");
}

#[tokio::test]
async fn a_range_request_answers_206_with_exactly_that_slice() {
    let hub = start_hub(|_| {}).await;
    let bytes = sample(1000);
    hub.put_media("/media/u1/clip.mp4", bytes.clone()).await;
    let response =
        hub.http.get(hub.url("/media/u1/clip.mp4")).header(header::RANGE, "bytes=100-199").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.headers()[header::CONTENT_RANGE], "bytes 100-199/1000");
    assert_eq!(response.headers()[header::CONTENT_LENGTH], "100");
    assert_eq!(response.bytes().await.unwrap().as_ref(), &bytes[100..200]);
}

#[tokio::test]
async fn a_range_past_the_end_answers_416() {
    let hub = start_hub(|_| {}).await;
    hub.put_media("/media/u1/clip.mp4", sample(10)).await;
    let response = hub.http.get(hub.url("/media/u1/clip.mp4")).header(header::RANGE, "bytes=10-").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(response.headers()[header::CONTENT_RANGE], "bytes */10");
}

#[tokio::test]
async fn an_upload_declared_over_the_cap_answers_413_and_leaves_no_file() {
    let hub = start_hub(|config| config.max_upload_bytes = 1000).await;
    let response = hub.put_media("/media/u1/big.bin", sample(1001)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(files_under(hub.data_dir.join("media").as_path()), Vec::<std::path::PathBuf>::new());
    assert_eq!(hub.http.get(hub.url("/media/u1/big.bin")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_upload_without_a_declared_length_answers_411_and_leaves_no_file() {
    let hub = start_hub(|config| config.max_upload_bytes = 100_000).await;
    // No Content-Length: the size could not be checked against the quotas before storing.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..3).map(|_| Ok(sample(8192))).collect();
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let response = hub.put_media("/media/u1/big.bin", body).await;
    assert_eq!(response.status(), StatusCode::LENGTH_REQUIRED);
    assert_eq!(files_under(hub.data_dir.join("media").as_path()), Vec::<std::path::PathBuf>::new());
    assert_eq!(hub.hub.stats().uploads, 0);
}

#[tokio::test]
async fn a_stored_file_is_never_replaced() {
    let hub = start_hub(|_| {}).await;
    hub.put_media("/media/u1/a.bin", sample(50)).await;
    let refused = hub.put_media("/media/u1/a.bin", sample(60)).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let kept = hub.http.get(hub.url("/media/u1/a.bin")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(kept.as_ref(), sample(50).as_slice());
}

#[tokio::test]
async fn encoded_separators_in_a_media_path_are_refused() {
    let hub = start_hub(|_| {}).await;
    for path in ["/media/u1/..%2F..%2Fhistory.sqlite3", "/media/..%2F..%2Fetc/passwd", "/media/u1/a%5C..%5Cb"] {
        let get = hub.http.get(hub.url(path)).send().await.unwrap();
        assert_eq!(get.status(), StatusCode::BAD_REQUEST, "GET {path}");
        let put = hub.put_media(path, "x").await;
        assert_eq!(put.status(), StatusCode::BAD_REQUEST, "PUT {path}");
    }
}

#[tokio::test]
async fn a_dot_dot_segment_is_refused_even_when_sent_verbatim() {
    let hub = start_hub(|_| {}).await;
    std::fs::write(hub.data_dir.join("secret.txt"), "secret").unwrap();
    // HTTP clients normalise `..` away, so write the request by hand.
    let mut stream = tokio::net::TcpStream::connect(hub.hub.local_addr()).await.unwrap();
    let request = "GET /media/../secret.txt HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(!answer.contains("secret\r\n") && !answer.ends_with("secret"), "{answer}");
}
