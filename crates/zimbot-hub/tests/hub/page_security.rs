//! The hub's answers against script injection: a policy and `nosniff` on every answer, uploads that can never run
//! as a page of the hub's origin, and a page script that never turns message fields into HTML or unchecked links.

use crate::support::start_hub;
use axum::http::{header, StatusCode};

#[tokio::test]
async fn every_answer_carries_a_content_security_policy_and_nosniff() {
    let hub = start_hub(|_| {}).await;
    for path in ["/", "/app.js", "/style.css", "/client/v1/users", "/healthz", "/no-such-page"] {
        let response = hub.http.get(hub.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && policy.contains("object-src 'none'"), "{path}: {policy}");
        assert!(!policy.contains("'unsafe-inline'"), "{path}: no inline script or style: {policy}");
    }
}

#[tokio::test]
async fn an_uploaded_svg_or_html_file_is_served_as_a_sandboxed_attachment() {
    let hub = start_hub(|_| {}).await;
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(localStorage.getItem('zimbot.user'))"/>"#;
    for name in ["evil.svg", "evil.html"] {
        assert_eq!(hub.put_media(&format!("/media/u1/{name}"), svg).await.status(), StatusCode::OK);
        let response = hub.http.get(hub.url(&format!("/media/u1/{name}"))).send().await.unwrap();
        let headers = response.headers();
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment;"), "{name}: {disposition}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("sandbox") && policy.contains("default-src 'none'"), "{name}: {policy}");
    }
}

#[tokio::test]
async fn an_uploaded_picture_is_shown_inline() {
    let hub = start_hub(|_| {}).await;
    assert_eq!(hub.put_media("/media/u1/cat%20%C3%BC.png", "png").await.status(), StatusCode::OK);
    let response = hub.http.get(hub.url("/media/u1/cat%20%C3%BC.png")).send().await.unwrap();
    let disposition = response.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().to_owned();
    assert_eq!(disposition, "inline; filename=\"cat _.png\"; filename*=UTF-8''cat%20%C3%BC.png");
}

/// The page script as served.
const APP_JS: &str = include_str!("../../static/app.js");

#[test]
fn the_page_script_never_writes_html() {
    for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
        assert!(!APP_JS.contains(sink), "app.js uses {sink}");
    }
}

#[test]
fn every_link_and_source_the_page_script_sets_is_a_checked_media_url() {
    let render = APP_JS.find("function renderMedia(").expect("renderMedia exists");
    let checked =
        APP_JS[render..].find("media = { ...media, url };").map(|at| render + at).expect("the URL is checked");
    let end = APP_JS[render..].find("\n}\n").map(|at| render + at).expect("renderMedia ends");
    for sink in [".href =", ".src =", ".action =", ".formAction =", "setAttribute('href'", "setAttribute('src'"] {
        for (at, _) in APP_JS.match_indices(sink) {
            assert!(at > checked && at < end, "app.js sets {sink} outside renderMedia's checked URL (byte {at})");
            let line = APP_JS[at..].lines().next().unwrap_or_default();
            assert!(line.trim_end().ends_with("= media.url;"), "app.js sets {sink} from something else: {line}");
        }
    }
    assert!(APP_JS.contains("parsed.protocol === 'http:' || parsed.protocol === 'https:'"), "only http(s) passes");
}
