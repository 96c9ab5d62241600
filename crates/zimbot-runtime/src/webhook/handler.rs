//! The webhook's routes and what each answer means (see the module docs of `webhook`).

use super::{check_id_lengths, verify_callback, Dedupe, DedupeLimits, Fingerprints, KeyPrint, Recall};
use crate::clock::Clock;
use crate::runtime::{Refusal, Runtime};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zimbot_listener::RateLimitedLog;
use zimbot_model::{MembershipEvent, MAX_ID_BYTES};
use zimbot_wire::{membership_event, Callback, MEMBERSHIP_EVENTS};

/// What the webhook has seen, for `/metrics`.
#[derive(Debug, Default)]
pub struct WebhookStats {
    pub accepted: AtomicU64,
    pub duplicates: AtomicU64,
    pub unauthorized: AtomicU64,
    pub malformed: AtomicU64,
    pub ignored: AtomicU64,
    pub unavailable: AtomicU64,
    /// Signatures seen again with a different body.
    pub replayed: AtomicU64,
    /// Callbacks answered 503 because the memory of recent ids was full.
    pub dedupe_full: AtomicU64,
    /// Callbacks answered 503 because a bot's mailbox was full (journaled messages are never dropped).
    pub busy: AtomicU64,
    /// Callbacks answered 503 because the journal could not keep them.
    pub storage_unavailable: AtomicU64,
}

/// One rate-limited log per kind of refusal.
#[derive(Debug, Default)]
struct RefusalLogs {
    malformed: RateLimitedLog,
    unauthorized: RateLimitedLog,
    replayed: RateLimitedLog,
    full: RateLimitedLog,
    unavailable: RateLimitedLog,
}

/// Everything the webhook's handlers share.
pub struct WebhookState {
    runtime: Arc<Runtime>,
    callback_secrets: Vec<String>,
    timestamp_window: Duration,
    dedupe_window: Duration,
    max_body_bytes: usize,
    clock: Arc<dyn Clock>,
    dedupe: Mutex<Dedupe>,
    prints: Fingerprints,
    accepting: AtomicBool,
    stats: WebhookStats,
    logs: RefusalLogs,
    listener: zimbot_listener::Listener,
    extra_metrics: Box<dyn Fn() -> crate::metrics::Collectors + Send + Sync>,
}

impl WebhookState {
    /// State for a webhook in front of `runtime`. Callbacks signed with `callback_secret` or with
    /// `config.previous_callback_secret` are accepted. `extra_metrics` adds collectors to each scrape of
    /// `/metrics` (the client's counters).
    pub fn new(
        runtime: Arc<Runtime>,
        config: &crate::config::WebhookConfig,
        callback_secret: impl Into<String>,
        clock: Arc<dyn Clock>,
        extra_metrics: Box<dyn Fn() -> crate::metrics::Collectors + Send + Sync>,
    ) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            callback_secrets: std::iter::once(callback_secret.into())
                .chain(config.previous_callback_secret.clone())
                .collect(),
            timestamp_window: config.timestamp_window,
            dedupe_window: config.dedupe_window,
            max_body_bytes: config.max_body_bytes,
            clock,
            dedupe: Mutex::new(Dedupe::new(DedupeLimits {
                max_entries: config.dedupe_max_entries,
                max_bytes: config.dedupe_max_bytes,
            })),
            prints: Fingerprints::new(),
            accepting: AtomicBool::new(true),
            stats: WebhookStats::default(),
            logs: RefusalLogs::default(),
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
        let callbacks = [
            ("accepted", &self.stats.accepted),
            ("duplicate", &self.stats.duplicates),
            ("unauthorized", &self.stats.unauthorized),
            ("malformed", &self.stats.malformed),
            ("ignored", &self.stats.ignored),
            ("unavailable", &self.stats.unavailable),
            ("replayed", &self.stats.replayed),
            ("dedupe_full", &self.stats.dedupe_full),
            ("busy", &self.stats.busy),
            ("storage_unavailable", &self.stats.storage_unavailable),
        ]
        .map(|(outcome, counter)| (outcome, counter.load(Ordering::Relaxed)));
        let remembered = {
            let dedupe = self.dedupe();
            [("entries", dedupe.len()), ("capacity", dedupe.capacity())]
        };
        let webhook = WebhookMetrics { callbacks, remembered, listener: self.listener.stats().limits() };
        let mut extra: crate::metrics::Collectors = vec![Box::new(webhook)];
        extra.extend((self.extra_metrics)());
        self.runtime.metrics_text(extra)
    }
}

/// The webhook's counters at a scrape: callbacks by outcome, and what its listener's limits did.
#[derive(Debug)]
struct WebhookMetrics {
    callbacks: [(&'static str, u64); 10],
    remembered: [(&'static str, usize); 2],
    listener: [(&'static str, u64); 6],
}

impl prometheus_client::collector::Collector for WebhookMetrics {
    fn encode(&self, mut encoder: prometheus_client::encoding::DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        crate::metrics::counter_family(
            &mut encoder,
            "zimbot_callbacks",
            "Callbacks received, by outcome.",
            self.callbacks.map(|(outcome, count)| ([("outcome", outcome)], count)),
        )?;
        crate::metrics::gauge_family(
            &mut encoder,
            "zimbot_webhook_remembered",
            "Recent callback ids and signatures the webhook remembers (entries; expired ones leave as callbacks come), \
             and how many fit (capacity).",
            self.remembered.map(|(what, count)| ([("what", what)], crate::metrics::gauge(count))),
        )?;
        crate::metrics::counter_family(
            &mut encoder,
            "zimbot_listener_limited",
            "Times a listener limit bit, by limit.",
            self.listener.map(|(limit, count)| ([("listener", "webhook"), ("limit", limit)], count)),
        )
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
    let malformed = |message: String| {
        count(&state.stats.malformed);
        state
            .logs
            .malformed
            .log(|unlogged| tracing::warn!(unlogged, reason = ?message, "callback refused as malformed"));
        answer(StatusCode::BAD_REQUEST, message)
    };
    let callback: Callback = match serde_json::from_slice(&body) {
        Ok(callback) => callback,
        Err(error) => return malformed(format!("not a ZIM callback: {error}")),
    };
    if let Err(error) = check_id_lengths(&callback) {
        return malformed(error.to_string());
    }
    if let Err(error) = verify_callback(&callback, &state.callback_secrets, state.clock.now(), state.timestamp_window) {
        count(&state.stats.unauthorized);
        state
            .logs
            .unauthorized
            .log(|unlogged| tracing::warn!(unlogged, event = ?callback.event.as_str(), "callback refused: {error}"));
        return answer(StatusCode::UNAUTHORIZED, error.to_string());
    }
    let now = state.clock.now().timestamp();
    let until = state.remember_until(callback.timestamp_secs(), now);
    let signature_key = state.prints.key(&format!(
        "sig:{}:{}:{}",
        callback.timestamp,
        callback.nonce,
        callback.signature.to_ascii_lowercase()
    ));
    let digest = state.prints.body(&body);
    let recalled = state.dedupe().recall(signature_key, digest, until, now);
    match recalled {
        Recall::New | Recall::Same => {}
        Recall::Different => {
            count(&state.stats.replayed);
            state.logs.replayed.log(|unlogged| {
                tracing::warn!(unlogged, "callback refused: its signature was already used with another body")
            });
            return answer(StatusCode::UNAUTHORIZED, "this signature was already used with another body");
        }
        Recall::Full => return state.full(),
    }
    if let Some(event) = membership(&callback, &body) {
        let event = match event {
            Ok(event) => event,
            Err(error) => return malformed(error),
        };
        if !state.accepting.load(Ordering::SeqCst) {
            count(&state.stats.unavailable);
            return answer(StatusCode::SERVICE_UNAVAILABLE, "stopping; retry later");
        }
        // A retry of a membership callback (new nonce and signature, same change) reaches bots once.
        let member_key = match serde_json::from_slice(&body) {
            Ok(raw) => super::membership_key::membership_key(&raw),
            Err(error) => return malformed(format!("not a ZIM callback: {error}")),
        };
        let accepting = state.runtime.accept_membership(event, now.saturating_mul(1000), until.saturating_mul(1000));
        return take_once(&state, state.prints.key(&member_key), signature_key, recalled, until, now, accepting).await;
    }
    if !callback.is_message() {
        count(&state.stats.ignored);
        return answer(StatusCode::OK, format!("event {:?} ignored", callback.event.as_str()));
    }
    let message = match callback.to_received_message() {
        Ok(message) => message,
        Err(error) => return malformed(format!("callback does not describe a message: {error}")),
    };
    if !state.accepting.load(Ordering::SeqCst) {
        count(&state.stats.unavailable);
        return answer(StatusCode::SERVICE_UNAVAILABLE, "stopping; retry later");
    }
    let message_key = format!("msg:{}", message.message_id);
    let accepting = state.runtime.accept(message, now.saturating_mul(1000), until.saturating_mul(1000));
    take_once(&state, state.prints.key(&message_key), signature_key, recalled, until, now, accepting).await
}

/// Takes a callback once by `key` (its message id, or a membership change's content): a retry remembered in
/// memory, or in the journal (`accepting` answers `Duplicate`), is acknowledged and dropped; one `accepting`
/// refuses is forgotten under both keys, so its retry is neither a duplicate nor a replay.
async fn take_once(
    state: &WebhookState,
    key: KeyPrint,
    signature_key: KeyPrint,
    recalled: Recall,
    until: i64,
    now: i64,
    accepting: impl std::future::Future<Output = Result<Vec<zimbot_model::BotId>, Refusal>>,
) -> Response {
    let count = |counter: &AtomicU64| counter.fetch_add(1, Ordering::Relaxed);
    // Recalled in a statement of its own: the memory's lock is released before an arm below takes it again.
    let recalled_key = state.dedupe().recall(key, 0, until, now);
    match recalled_key {
        Recall::New => {}
        Recall::Same | Recall::Different => {
            count(&state.stats.duplicates);
            return answer(StatusCode::OK, "duplicate ignored");
        }
        Recall::Full => {
            // The retry will come with a fresh signature; this one need not be kept for it.
            if recalled == Recall::New {
                state.dedupe().forget(signature_key);
            }
            return state.full();
        }
    }
    match accepting.await {
        Ok(delivered) => {
            count(&state.stats.accepted);
            answer(StatusCode::OK, format!("delivered to {} bot(s)", delivered.len()))
        }
        Err(Refusal::Duplicate) => {
            count(&state.stats.duplicates);
            answer(StatusCode::OK, "duplicate ignored")
        }
        Err(refusal) => {
            // Not kept: the retry must be taken for neither a duplicate nor a replay.
            state.dedupe().forget(key);
            if recalled == Recall::New {
                state.dedupe().forget(signature_key);
            }
            state.refused(refusal)
        }
    }
}

/// The membership or presence event a callback describes, if it is one (`room_enter`, `group_join`,
/// `user_action`, ...). Its ids are held to the service's 32 bytes like a message's.
fn membership(callback: &Callback, body: &[u8]) -> Option<Result<MembershipEvent, String>> {
    let name = callback.event.as_str();
    if !MEMBERSHIP_EVENTS.contains(&name) {
        return None;
    }
    let raw: serde_json::Value = match serde_json::from_slice(body) {
        Ok(raw) => raw,
        Err(error) => return Some(Err(format!("not a ZIM callback: {error}"))),
    };
    let event = membership_event(name, &raw)?;
    Some(event.and_then(|event| {
        let ids = event.conversation().map(|(_, id)| id.as_str()).into_iter().chain([event.actor().as_str()]);
        for id in ids {
            if id.len() > MAX_ID_BYTES {
                return Err(format!(
                    "{name} callback names an id of {} bytes; ids have at most {MAX_ID_BYTES}",
                    id.len()
                ));
            }
        }
        Ok(event)
    }))
}

impl WebhookState {
    /// The 503 for a callback the runtime could not take (a full mailbox, storage unavailable): counted, logged
    /// at a bounded rate, and retried by the service.
    fn refused(&self, refusal: Refusal) -> Response {
        let counter = match refusal {
            Refusal::Busy(_) => &self.stats.busy,
            _ => &self.stats.storage_unavailable,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.logs.unavailable.log(|unlogged| tracing::warn!(unlogged, "callback answered 503: {refusal}"));
        answer(StatusCode::SERVICE_UNAVAILABLE, format!("{refusal}; retry later"))
    }
    fn dedupe(&self) -> MutexGuard<'_, Dedupe> {
        self.dedupe.lock()
    }

    /// Until when (unix seconds) a callback stamped `timestamp` must be remembered: past the last second it could
    /// pass the timestamp check, and at least the dedupe window from `now`.
    fn remember_until(&self, timestamp: i64, now: i64) -> i64 {
        let seconds = |duration: Duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
        let passes_until = timestamp.saturating_add(seconds(self.timestamp_window));
        now.saturating_add(seconds(self.dedupe_window)).max(passes_until.saturating_add(1))
    }

    fn full(&self) -> Response {
        self.stats.dedupe_full.fetch_add(1, Ordering::Relaxed);
        self.logs.full.log(|unlogged| {
            tracing::warn!(
                unlogged,
                "callback answered 503: the memory of recent callbacks is full (raise \
                 webhook.dedupe_max_entries / dedupe_max_bytes); the service will retry"
            )
        });
        answer(StatusCode::SERVICE_UNAVAILABLE, "too many recent callbacks to remember; retry later")
    }
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
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], state.metrics()).into_response()
}
