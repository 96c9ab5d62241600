//! A webhook on 127.0.0.1:0 in front of a runtime, and signed callbacks to send it.
//!
//! Its clock stands still at [`now`] unless a test brings its own, so a callback's age is exactly what the test
//! wrote (a real clock could tick between signing and checking and move a boundary case across the window).

use std::sync::Arc;
use zimbot_runtime::clock::{Clock, ManualClock};
use zimbot_runtime::config::Config;
use zimbot_runtime::webhook::{self, WebhookState};
use zimbot_runtime::Runtime;
use zimbot_wire::callback_signature;

pub const SECRET: &str = "hook-secret";

pub struct Webhook {
    pub url: String,
    pub state: Arc<WebhookState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub http: reqwest::Client,
}

impl Webhook {
    pub async fn start(runtime: Arc<Runtime>, max_body_bytes: usize) -> Self {
        Self::start_with(runtime, &format!("{{ max_body_bytes: {max_body_bytes} }}")).await
    }

    /// A webhook with the `webhook:` section `section` (YAML flow mapping).
    pub async fn start_with(runtime: Arc<Runtime>, section: &str) -> Self {
        let clock = Arc::new(ManualClock::new(chrono::DateTime::from_timestamp(NOW, 0).expect("a valid time")));
        Self::start_yaml(runtime, &format!("webhook: {section}\nbots: []\n"), clock).await
    }

    /// A webhook whose secrets come from the `zim:` section of `yaml` (the callback secret and the previous one).
    pub async fn start_rotating(runtime: Arc<Runtime>, yaml: &str, clock: Arc<dyn Clock>) -> Self {
        let config = super::parse(yaml);
        Self::serve(runtime, &config, &config.zim.callback_secret, clock).await
    }

    /// A webhook configured by the bots.yaml `yaml` (its bots are not started), reading time from `clock`.
    pub async fn start_yaml(runtime: Arc<Runtime>, yaml: &str, clock: Arc<dyn Clock>) -> Self {
        let config = super::parse(yaml);
        Self::serve(runtime, &config, SECRET, clock).await
    }

    async fn serve(runtime: Arc<Runtime>, config: &Config, secret: &str, clock: Arc<dyn Clock>) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let state = WebhookState::new(runtime, &config.webhook, secret, clock, Box::new(Vec::new));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(webhook::serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Self { url, state, stop: Some(stop), task, http: reqwest::Client::new() }
    }

    pub async fn post(&self, body: impl Into<reqwest::Body>) -> reqwest::StatusCode {
        self.http
            .post(format!("{}/zim/callback", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap().unwrap();
    }
}

/// The Unix time a webhook started by [`Webhook::start`] reads: callbacks signed at it are fresh.
pub fn now() -> i64 {
    NOW
}

/// The Unix time at which the clock of [`Webhook::start`] stands still.
const NOW: i64 = 1_767_225_600;

/// A room text callback as the service sends it, signed with `secret` at `timestamp`.
pub fn room_callback(msg_id: &str, text: &str, secret: &str, timestamp: i64) -> String {
    // ZIM draws a fresh nonce per callback; a fixed one would make two callbacks of one second share a signature.
    let nonce = &nonce_for(msg_id, text);
    serde_json::json!({
        "appid": "1234567", "event": "send_msg", "nonce": nonce, "timestamp": timestamp,
        "signature": callback_signature(secret, &timestamp.to_string(), nonce),
        "from_user_id": "alice", "conv_type": 1, "conv_id": "lobby", "msg_type": 1, "sub_msg_type": 0,
        "source": 0, "msg_body": text, "msg_id": msg_id, "msg_seq": 1, "msg_time": timestamp.saturating_mul(1000),
        "send_result": 0, "payload": "", "user_list": []
    })
    .to_string()
}

/// A nonce that differs between callbacks and repeats for the same one (FNV-1a of its id and text).
fn nonce_for(msg_id: &str, text: &str) -> String {
    let hash = msg_id
        .bytes()
        .chain([0])
        .chain(text.bytes())
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3));
    (hash % 10_000_000).to_string()
}

pub fn lobby_bot(key: &str) -> String {
    format!("bots:\n  - id: lobby\n    user_id: \"@RBT#lobby\"\n    plugin: probe\n    config: {{ probe: {key} }}\n    listen: {{ rooms: [lobby] }}\n")
}
