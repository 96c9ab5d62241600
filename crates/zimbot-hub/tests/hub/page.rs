//! The chat page: `GET /` and the files it loads come from the binary, each with its content type.

use crate::support::start_hub;
use axum::http::{header, StatusCode};

/// Fetches `path` and answers its status, content type and body.
async fn fetch(path: &str) -> (StatusCode, String, String) {
    let hub = start_hub(|_| {}).await;
    let response = hub.http.get(hub.url(path)).send().await.expect("the hub answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.expect("a text body");
    (status, content_type, body)
}

#[tokio::test]
async fn the_root_serves_the_chat_page_as_html() {
    let (status, content_type, body) = fetch("/").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    assert!(body.contains("<script src=\"/app.js\""), "the page loads its script: {body}");
}

#[tokio::test]
async fn the_script_is_served_as_javascript() {
    let (status, content_type, body) = fetch("/app.js").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "text/javascript; charset=utf-8"));
    assert!(body.contains("/client/v1/events"), "the script follows the event stream");
}

#[tokio::test]
async fn the_stylesheet_is_served_as_css() {
    let (status, content_type, _) = fetch("/style.css").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "text/css; charset=utf-8"));
}

#[tokio::test]
async fn the_icon_is_served_as_svg() {
    let (status, content_type, body) = fetch("/favicon.svg").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert!(body.starts_with("<svg"), "{body}");
}
