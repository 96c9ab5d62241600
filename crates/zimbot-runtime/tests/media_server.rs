//! The local media store's listener over real HTTP: files served whole and by range, nothing else reachable.

use std::path::Path;
use zimbot_runtime::media_server;

/// Serves `folder` on a free loopback port; its base URL.
async fn serving(folder: &Path) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let folder = folder.to_owned();
    tokio::spawn(async move { media_server::serve(listener, &folder, std::future::pending()).await });
    format!("http://{address}")
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn stored(folder: &Path, token: &str, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(folder.join(token)).unwrap();
    std::fs::write(folder.join(token).join(name), bytes).unwrap();
}

#[tokio::test]
async fn a_stored_file_is_served_whole_with_its_content_type() {
    let folder = tempfile::tempdir().unwrap();
    stored(folder.path(), "0123abcd", "my cat.png", b"png bytes");
    let base = serving(folder.path()).await;
    let answer = http().get(format!("{base}/0123abcd/my%20cat.png")).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "image/png");
    assert_eq!(answer.bytes().await.unwrap().as_ref(), b"png bytes");
}

#[tokio::test]
async fn a_range_is_served_as_partial_content() {
    let folder = tempfile::tempdir().unwrap();
    stored(folder.path(), "t", "clip.mp4", b"0123456789");
    let base = serving(folder.path()).await;
    let answer = http().get(format!("{base}/t/clip.mp4")).header("range", "bytes=2-5").send().await.unwrap();
    assert_eq!(answer.status(), 206);
    assert_eq!(answer.headers()["content-range"], "bytes 2-5/10");
    assert_eq!(answer.bytes().await.unwrap().as_ref(), b"2345");
}

#[tokio::test]
async fn folders_are_never_listed() {
    let folder = tempfile::tempdir().unwrap();
    stored(folder.path(), "secret-token", "a.png", b"x");
    let base = serving(folder.path()).await;
    for path in ["/", "/secret-token/", "/secret-token"] {
        let answer = http().get(format!("{base}{path}")).send().await.unwrap();
        let status = answer.status().as_u16();
        let body = answer.text().await.unwrap();
        assert!(status == 404 || (300..400).contains(&status), "{path}: {status}");
        assert!(!body.contains("a.png"), "{path} lists the folder: {body}");
    }
}

#[tokio::test]
async fn no_path_leaves_the_folder() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("private.txt"), b"secret").unwrap();
    let folder = outer.path().join("files");
    stored(&folder, "t", "a.png", b"x");
    let base = serving(&folder).await;
    for path in ["/../private.txt", "/t/../../private.txt", "/%2e%2e/private.txt", "/t/..%2f..%2fprivate.txt"] {
        let answer = http().get(format!("{base}{path}")).send().await.unwrap();
        let status = answer.status().as_u16();
        assert_ne!(answer.text().await.unwrap(), "secret", "{path} ({status}) left the folder");
    }
}

#[tokio::test]
async fn an_uploaded_page_can_never_run_as_a_page_of_this_origin() {
    let folder = tempfile::tempdir().unwrap();
    stored(folder.path(), "t", "page.html", b"<script>alert(1)</script>");
    let base = serving(folder.path()).await;
    let answer = http().get(format!("{base}/t/page.html")).send().await.unwrap();
    assert_eq!(answer.headers()["content-security-policy"], "sandbox");
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
}
