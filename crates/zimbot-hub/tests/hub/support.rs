//! What the specifications share: a hub in a temporary directory, a signed Server API call, and a callback
//! receiver that records every attempt and can be told to fail.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use zimbot_hub::ServerAction as Action;
use zimbot_hub::{Hub, HubConfig, HubStats};
use zimbot_wire::{Callback, CallbackEvent, SignedQuery};

/// The longest any specification waits for something that should happen at once.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub const APP_ID: u32 = 4242;
pub const SERVER_SECRET: &str = "server-secret";
pub const CALLBACK_SECRET: &str = "callback-secret";

/// A running hub and a client for it.
pub struct TestHub {
    pub hub: Hub,
    pub http: reqwest::Client,
    pub data_dir: std::path::PathBuf,
    /// Removes the data directory when the hub was given its own.
    _temporary: Option<tempfile::TempDir>,
}

/// The test configuration: port 0, fast retries, the test secrets; `configure` adjusts it further.
pub fn test_config(data_dir: &std::path::Path) -> HubConfig {
    HubConfig {
        listen: "127.0.0.1:0".parse().expect("a valid address"),
        data_dir: data_dir.to_owned(),
        app_id: APP_ID,
        server_secret: SERVER_SECRET.to_owned(),
        callback_secret: CALLBACK_SECRET.to_owned(),
        callback_retry_delays: vec![Duration::from_millis(10); 5],
        callback_timeout: Duration::from_secs(5),
        ..HubConfig::default()
    }
}

/// A hub in a fresh temporary data directory.
pub async fn start_hub(configure: impl FnOnce(&mut HubConfig)) -> TestHub {
    let temporary = tempfile::tempdir().expect("a temporary directory");
    let mut hub = start_hub_in(temporary.path(), configure).await;
    hub._temporary = Some(temporary);
    hub
}

/// A hub on the data directory `data_dir`, which the caller keeps.
pub async fn start_hub_in(data_dir: &std::path::Path, configure: impl FnOnce(&mut HubConfig)) -> TestHub {
    let mut config = test_config(data_dir);
    configure(&mut config);
    let hub = Hub::start(config).await.expect("the hub starts");
    TestHub { hub, http: http_client(), data_dir: data_dir.to_owned(), _temporary: None }
}

pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(DEADLINE).build().expect("an HTTP client")
}

/// A query for `action` signed now with the test secret.
pub fn signed_query(action: Action) -> SignedQuery {
    let nonce = format!("{:016x}", rand::random::<u64>());
    sign(action, APP_ID, SERVER_SECRET, nonce, unix_now())
}

/// A query for `action` signed with `secret` for `app_id` at `timestamp`.
pub fn sign(action: Action, app_id: u32, secret: &str, nonce: String, timestamp: i64) -> SignedQuery {
    let signature = zimbot_wire::server_api_signature(app_id, &nonce, secret, timestamp);
    SignedQuery {
        action: action.name().to_owned(),
        app_id,
        signature_nonce: nonce,
        timestamp,
        signature_version: "2.0".to_owned(),
        signature,
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("a clock after 1970").as_secs() as i64
}

impl TestHub {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.hub.base_url())
    }

    /// POSTs `body` with `query`; the HTTP status and the JSON answer.
    pub async fn call_with(&self, query: &SignedQuery, body: &Value) -> (StatusCode, Value) {
        let response = self.http.post(self.url("/")).query(query).json(body).send().await.expect("the hub answers");
        let status = response.status();
        (status, response.json().await.expect("a JSON answer"))
    }

    /// A correctly signed call of `action`; the JSON envelope.
    pub async fn call(&self, action: Action, body: Value) -> Value {
        let (status, answer) = self.call_with(&signed_query(action), &body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer
    }

    pub async fn register_bot(&self, bot: &str) {
        let answer = self.call(Action::RobotRegister, json!({"UserInfo": [{"UserId": bot}]})).await;
        assert_eq!(answer["Code"], 0, "{answer}");
    }

    pub async fn register_user(&self, user: &str) {
        let answer = self.call(Action::UserRegister, json!({"UserInfo": [{"UserId": user}]})).await;
        assert_eq!(answer["Code"], 0, "{answer}");
    }

    /// Creates room `room` through the Server API, as `from`.
    pub async fn create_room(&self, from: &str, room: &str) {
        let answer = self.call(Action::CreateRoom, json!({"FromUserId": from, "RoomId": room})).await;
        assert_eq!(answer["Code"], 0, "{answer}");
    }

    /// Creates group `group` owned by `owner` through the Server API.
    pub async fn create_group(&self, owner: &str, group: &str) {
        let answer = self.call(Action::CreateGroup, json!({"GroupOwner": owner, "GroupId": group})).await;
        assert_eq!(answer["Code"], 0, "{answer}");
    }

    /// A text message from `from` to room `room` through the Server API.
    pub async fn send_room_text(&self, from: &str, room: &str, text: &str) -> Value {
        self.call(Action::SendRoomMessage, text_body(from, "RoomId", json!(room), text)).await
    }

    /// An upload token for a server, asked for with a Server API signature.
    pub async fn server_token(&self) -> String {
        let response = self
            .http
            .post(self.url("/media/tokens"))
            .query(&signed_query(Action::UserRegister))
            .send()
            .await
            .expect("the hub answers");
        assert_eq!(response.status(), StatusCode::OK);
        let answer: Value = response.json().await.expect("a JSON answer");
        answer["token"].as_str().expect("a token").to_owned()
    }

    /// PUTs `body` to the media path `path` with a fresh server token.
    pub async fn put_media(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        let token = self.server_token().await;
        self.http.put(self.url(path)).bearer_auth(token).body(body).send().await.expect("the hub answers")
    }

    /// POSTs a client API message; the HTTP status and the JSON answer.
    pub async fn post_client(&self, body: Value) -> (StatusCode, Value) {
        let response =
            self.http.post(self.url("/client/v1/messages")).json(&body).send().await.expect("the hub answers");
        let status = response.status();
        (status, response.json().await.expect("a JSON answer"))
    }

    /// A client API GET; the JSON answer, which must be 200.
    pub async fn get_json(&self, path_and_query: &str) -> Value {
        let response = self.http.get(self.url(path_and_query)).send().await.expect("the hub answers");
        assert_eq!(response.status(), StatusCode::OK, "GET {path_and_query}");
        response.json().await.expect("a JSON answer")
    }

    /// Polls the stats until `done` holds, failing after [`DEADLINE`].
    pub async fn stats_until(&self, what: &str, done: impl Fn(&HubStats) -> bool) -> HubStats {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let stats = self.hub.stats();
            if done(&stats) {
                return stats;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {stats:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// A send body with a text message.
pub fn text_body(from: &str, target_field: &str, target: Value, text: &str) -> Value {
    json!({"FromUserId": from, target_field: target, "MessageType": 1, "Priority": 2,
           "MessageBody": {"Message": text}})
}

/// One attempt the receiver saw, and whether it answered it with 2xx.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub callback: Callback,
    /// The body as sent, with the fields `Callback` does not read.
    pub raw: Value,
    pub accepted: bool,
}

/// An HTTP server on 127.0.0.1:0 that records every callback attempt. It answers 500 to the first
/// `failures` attempts, then 200; it stops when dropped.
pub struct CallbackReceiver {
    pub url: String,
    attempts: mpsc::UnboundedReceiver<Attempt>,
    stop: CancellationToken,
}

#[derive(Clone)]
struct ReceiverState {
    failures_left: Arc<AtomicUsize>,
    attempts: mpsc::UnboundedSender<Attempt>,
}

impl CallbackReceiver {
    pub async fn start(failures: usize) -> Self {
        let (sender, attempts) = mpsc::unbounded_channel();
        let state = ReceiverState { failures_left: Arc::new(AtomicUsize::new(failures)), attempts: sender };
        let router = Router::new().route("/callback", post(receive)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let url = format!("http://{}/callback", listener.local_addr().expect("a bound address"));
        let stop = CancellationToken::new();
        let serving = axum::serve(listener, router).with_graceful_shutdown(stop.clone().cancelled_owned());
        tokio::spawn(async move { serving.await.expect("the receiver serves") });
        Self { url, attempts, stop }
    }

    /// The next attempt, failing after [`DEADLINE`].
    pub async fn next_attempt(&mut self) -> Attempt {
        tokio::time::timeout(DEADLINE, self.attempts.recv())
            .await
            .expect("a callback within the deadline")
            .expect("the receiver is running")
    }

    /// The body of the next accepted callback of `event`, skipping the others.
    pub async fn next_event(&mut self, event: &str) -> Value {
        loop {
            let attempt = self.next_attempt().await;
            if attempt.accepted && attempt.raw["event"] == event {
                return attempt.raw;
            }
        }
    }

    /// The next message callback (`send_msg`, `bot_msg`) the receiver accepted, skipping refused attempts and
    /// membership events.
    pub async fn next_accepted(&mut self) -> Callback {
        loop {
            let attempt = self.next_attempt().await;
            if attempt.accepted && matches!(attempt.callback.event, CallbackEvent::SendMsg | CallbackEvent::BotMsg) {
                return attempt.callback;
            }
        }
    }
}

impl Drop for CallbackReceiver {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn receive(State(state): State<ReceiverState>, Json(raw): Json<Value>) -> StatusCode {
    let callback: Callback = serde_json::from_value(raw.clone()).expect("a callback the model reads");
    let refuse =
        state.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok();
    let _ = state.attempts.send(Attempt { callback, raw, accepted: !refuse });
    if refuse {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}
