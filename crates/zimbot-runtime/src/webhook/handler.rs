//! The webhook's routes and what each answer means (see the module docs of `webhook`).

use super::{verify_callback, Dedupe};
use crate::clock::Clock;
use crate::runtime::Runtime;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zimbot_model::wire::Callback;

/// What the webhook has seen, for `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookStats {
    pub accepted: AtomicU64,
    pub duplicates: AtomicU64,
    pub unauthorized: AtomicU64,
    pub malformed: AtomicU64,
    pub ignored: AtomicU64,
    pub unavailable: AtomicU64,
}

/// Everything the webhook's handlers share.
pub struct WebhookState {
    runtime: Arc<Runtime>,
    callback_secret: String,
    timestamp_window: Duration,
    max_body_bytes: usize,
    clock: Arc<dyn Clock>,
    dedupe: Mutex<Dedupe>,
    accepting: AtomicBool,
    stats: WebhookStats,
    listener: zimbot_listener::Listener,
    extra_metrics: Box<dyn Fn() -> String + Send + Sync>,
}

impl WebhookState {
    /// State for a webhook in front of `runtime`. `extra_metrics` adds lines to `/metrics` (the client's counters).
    pub fn new(
        runtime: Arc<Runtime>,
        config: &crate::config::WebhookConfig,
        callback_secret: impl Into<String>,
        clock: Arc<dyn Clock>,
        extra_metrics: Box<dyn Fn() -> String + Send + Sync>,
    ) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            callback_secret: callback_secret.into(),
            timestamp_window: config.timestamp_window,
            max_body_bytes: config.max_body_bytes,
            clock,
            dedupe: Mutex::new(Dedupe::new(config.dedupe_window)),
            accepting: AtomicBool::new(true),
            stats: WebhookStats::default(),
            listener: zimbot_listener::Listener::new("webhook", config.limits.clone()),
            extra_metrics,
        })
    }

    /// From now on, message callbacks are answered 503 (retry later): used while the runtime stops.
    pub fn stop_accepting(&self) {
        self.accepting.store(false, Ordering::SeqCst);
    }

    pub fn stats(&self) -> &WebhookStats {
        &self.stats
    }

    /// The listener the webhook is served with (its limits and what they have done).
    pub fn listener(&self) -> &zimbot_listener::Listener {
        &self.listener
    }

    fn metrics(&self) -> String {
        let mut extra = String::new();
        let counters = [
            ("accepted", &self.stats.accepted),
            ("duplicate", &self.stats.duplicates),
            ("unauthorized", &self.stats.unauthorized),
            ("malformed", &self.stats.malformed),
            ("ignored", &self.stats.ignored),
            ("unavailable", &self.stats.unavailable),
        ];
        extra.push_str("# HELP zimbot_callbacks_total Callbacks received, by outcome.\n");
        extra.push_str("# TYPE zimbot_callbacks_total counter\n");
        for (outcome, counter) in counters {
            extra.push_str(&format!(
                "zimbot_callbacks_total{{outcome=\"{outcome}\"}} {}\n",
                counter.load(Ordering::Relaxed)
            ));
        }
        extra.push_str(&self.listener.stats().prometheus("webhook"));
        extra.push_str(&(self.extra_metrics)());
        self.runtime.metrics_text(&extra)
    }
}

/// The webhook's routes: `POST /zim/callback`, `GET /healthz`, `GET /metrics`.
pub fn router(state: Arc<WebhookState>) -> Router {
    let limit = state.max_body_bytes;
    Router::new()
        .route("/zim/callback", post(callback))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

fn answer(status: StatusCode, message: impl Into<String>) -> Response {
    let code = if status.is_success() { 0 } else { i64::from(status.as_u16()) };
    (status, Json(serde_json::json!({ "code": code, "message": message.into() }))).into_response()
}

async fn callback(State(state): State<Arc<WebhookState>>, body: Bytes) -> Response {
    let count = |counter: &AtomicU64| counter.fetch_add(1, Ordering::Relaxed);
    let callback: Callback = match serde_json::from_slice(&body) {
        Ok(callback) => callback,
        Err(error) => {
            count(&state.stats.malformed);
            return answer(StatusCode::BAD_REQUEST, format!("not a ZIM callback: {error}"));
        }
    };
    if let Err(error) = verify_callback(&callback, &state.callback_secret, state.clock.now(), state.timestamp_window) {
        count(&state.stats.unauthorized);
        tracing::warn!(event = callback.event.as_str(), "callback refused: {error}");
        return answer(StatusCode::UNAUTHORIZED, error.to_string());
    }
    if !callback.is_message() {
        count(&state.stats.ignored);
        return answer(StatusCode::OK, format!("event '{}' ignored", callback.event.as_str()));
    }
    let message = match callback.to_received_message() {
        Ok(message) => message,
        Err(error) => {
            count(&state.stats.malformed);
            return answer(StatusCode::BAD_REQUEST, format!("callback does not describe a message: {error}"));
        }
    };
    if !state.accepting.load(Ordering::SeqCst) {
        count(&state.stats.unavailable);
        return answer(StatusCode::SERVICE_UNAVAILABLE, "stopping; retry later");
    }
    let first = state
        .dedupe
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .first_time(&message.message_id, tokio::time::Instant::now());
    if !first {
        count(&state.stats.duplicates);
        return answer(StatusCode::OK, "duplicate ignored");
    }
    count(&state.stats.accepted);
    let delivered = state.runtime.deliver(message);
    answer(StatusCode::OK, format!("delivered to {} bot(s)", delivered.len()))
}

async fn healthz(State(state): State<Arc<WebhookState>>) -> Response {
    let bots: Vec<_> = state
        .runtime
        .bots()
        .iter()
        .map(|bot| {
            serde_json::json!({
                "id": bot.config().id,
                "plugin": bot.plugin().name,
                "stopped": bot.is_stopped(),
            })
        })
        .collect();
    let failed: Vec<_> = state
        .runtime
        .failed_bots()
        .iter()
        .map(|failed| serde_json::json!({ "id": failed.bot, "error": failed.message }))
        .collect();
    let healthy = state.runtime.bots().iter().all(|bot| !bot.is_stopped()) && failed.is_empty();
    let status = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(serde_json::json!({ "healthy": healthy, "bots": bots, "failed": failed }))).into_response()
}

async fn metrics(State(state): State<Arc<WebhookState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics()).into_response()
}
