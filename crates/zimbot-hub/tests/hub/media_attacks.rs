//! Attacks on the media store and the client API over real HTTP: uploads without a token, into someone else's
//! folder, over an existing file or past a quota; bot impersonation; hostile query values and media URLs.

use crate::support::{start_hub, start_hub_in, TestHub};
use axum::http::StatusCode;
use serde_json::{json, Value};

async fn person_token(hub: &TestHub, from: &str) -> (StatusCode, Value) {
    let response = hub.http.post(hub.url("/client/v1/uploads")).json(&json!({ "from": from })).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn put_with(hub: &TestHub, path: &str, token: &str, body: &'static str) -> StatusCode {
    hub.http.put(hub.url(path)).bearer_auth(token).body(body).send().await.unwrap().status()
}

async fn download(hub: &TestHub, path: &str) -> String {
    hub.http.get(hub.url(path)).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn an_upload_without_a_valid_token_is_refused_and_stores_nothing() {
    let hub = start_hub(|_| {}).await;
    let bare = hub.http.put(hub.url("/media/u1/a.txt")).body("x").send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(put_with(&hub, "/media/u1/a.txt", "made-up", "x").await, StatusCode::UNAUTHORIZED);
    assert_eq!(hub.http.get(hub.url("/media/u1/a.txt")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_persons_token_stores_one_file_in_its_own_folder_only() {
    let hub = start_hub(|_| {}).await;
    let (status, answer) = person_token(&hub, "alice").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (token, uid) = (answer["token"].as_str().unwrap(), answer["uid"].as_str().unwrap());
    assert_eq!(put_with(&hub, "/media/victim/a.txt", token, "x").await, StatusCode::FORBIDDEN);
    let (_, answer) = person_token(&hub, "alice").await;
    let (token, uid_2) = (answer["token"].as_str().unwrap(), answer["uid"].as_str().unwrap());
    assert_ne!(uid, uid_2, "each token has a folder of its own");
    assert_eq!(put_with(&hub, &format!("/media/{uid_2}/a.txt"), token, "mine").await, StatusCode::OK);
    assert_eq!(put_with(&hub, &format!("/media/{uid_2}/b.txt"), token, "again").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_file_seen_in_a_rooms_history_cannot_be_overwritten() {
    let hub = start_hub(|_| {}).await;
    assert_eq!(hub.put_media("/media/u1/cat.png", "original").await.status(), StatusCode::OK);
    let (_, answer) = person_token(&hub, "mallory").await;
    assert_eq!(
        put_with(&hub, "/media/u1/cat.png", answer["token"].as_str().unwrap(), "evil").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(hub.put_media("/media/u1/cat.png", "evil").await.status(), StatusCode::CONFLICT);
    assert_eq!(download(&hub, "/media/u1/cat.png").await, "original");
}

#[tokio::test]
async fn each_uploader_and_all_together_stay_within_their_storage_quota() {
    let hub = start_hub(|config| {
        config.max_user_storage_bytes = 10;
        config.max_total_storage_bytes = 15;
    })
    .await;
    let upload = |from: &'static str, body: &'static str| {
        let hub = &hub;
        async move {
            let (_, answer) = person_token(hub, from).await;
            let path = format!("/media/{}/f.txt", answer["uid"].as_str().unwrap());
            put_with(hub, &path, answer["token"].as_str().unwrap(), body).await
        }
    };
    assert_eq!(upload("alice", "123456").await, StatusCode::OK);
    assert_eq!(upload("alice", "123456").await, StatusCode::INSUFFICIENT_STORAGE, "alice's own quota");
    assert_eq!(upload("bob", "123456").await, StatusCode::OK);
    assert_eq!(upload("carol", "1234").await, StatusCode::INSUFFICIENT_STORAGE, "the total quota");
    assert_eq!(upload("carol", "123").await, StatusCode::OK);
}

#[tokio::test]
async fn storage_used_before_a_restart_still_counts() {
    let data_dir = tempfile::tempdir().unwrap();
    let quota = |config: &mut zimbot_hub::HubConfig| config.max_user_storage_bytes = 10;
    let hub = start_hub_in(data_dir.path(), quota).await;
    assert_eq!(hub.put_media("/media/u1/a.txt", "12345678").await.status(), StatusCode::OK);
    hub.hub.shutdown().await;
    let hub = start_hub_in(data_dir.path(), quota).await;
    assert_eq!(hub.put_media("/media/u1/b.txt", "12345678").await.status(), StatusCode::INSUFFICIENT_STORAGE);
    hub.hub.shutdown().await;
}

#[tokio::test]
async fn an_operators_upload_key_stores_files_for_a_generic_put_store() {
    let key = "operator-upload-key-0001";
    let hub = start_hub(|config| config.upload_keys = vec![key.to_owned()]).await;
    assert_eq!(put_with(&hub, "/media/u1/a.txt", key, "a").await, StatusCode::OK);
    assert_eq!(put_with(&hub, "/media/u1/b.txt", key, "b").await, StatusCode::OK);
}

#[tokio::test]
async fn the_temporary_files_of_a_crashed_upload_are_removed_at_start() {
    let data_dir = tempfile::tempdir().unwrap();
    let partial = data_dir.path().join("media").join(".partial");
    std::fs::create_dir_all(&partial).unwrap();
    std::fs::write(partial.join("0123456789abcdef"), vec![0u8; 1000]).unwrap();
    let hub = start_hub_in(data_dir.path(), |_| {}).await;
    assert_eq!(std::fs::read_dir(&partial).unwrap().count(), 0);
    hub.hub.shutdown().await;
}

#[tokio::test]
async fn the_client_api_never_posts_as_or_creates_a_bot() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#announcer").await;
    let (status, answer) =
        hub.post_client(json!({"from": "@RBT#announcer", "conv_type": "room", "conv_id": "lobby", "text": "hi"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    let (status, _) =
        hub.post_client(json!({"from": "@RBT#fake", "conv_type": "room", "conv_id": "lobby", "text": "hi"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(person_token(&hub, "@RBT#fake").await.0, StatusCode::FORBIDDEN);
    let users = hub.get_json("/client/v1/users").await;
    let ids: Vec<&str> =
        users["users"].as_array().unwrap().iter().map(|user| user["user_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["@RBT#announcer"]);
    let history = hub.get_json("/client/v1/messages?conv_type=room&conv_id=lobby").await;
    assert_eq!(history["messages"], json!([]));
}

#[tokio::test]
async fn an_after_seq_larger_than_any_seq_answers_400() {
    let hub = start_hub(|_| {}).await;
    let path = format!("/client/v1/messages?conv_type=room&conv_id=lobby&after_seq={}", 1u64 << 63);
    let response = hub.http.get(hub.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_client_api_refuses_media_urls_that_are_not_http() {
    let hub = start_hub(|_| {}).await;
    for url in [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html,<script>x</script>",
        "//evil.example/x",
    ] {
        let media = json!({"type": "file", "url": url, "file_name": "x.pdf", "file_size": 1});
        let (status, answer) =
            hub.post_client(json!({"from": "alice", "conv_type": "room", "conv_id": "lobby", "media": media})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {answer}");
    }
    let media = json!({"type": "file", "url": "https://cdn.example/x.pdf", "file_name": "x.pdf", "file_size": 1});
    let (status, _) =
        hub.post_client(json!({"from": "alice", "conv_type": "room", "conv_id": "lobby", "media": media})).await;
    assert_eq!(status, StatusCode::OK);
}
