//! Log forging against the webhook over real HTTP: newlines and escapes in a refused callback never make a log
//! line of their own, and a flood of refusals writes one line. A test binary of its own, because it installs a
//! log subscriber, and tracing caches which log sites are enabled across the threads of one process.

mod log_capture;
mod support;

use log_capture::Captured;
use std::sync::Arc;
use std::time::Duration;
use support::webhook::{lobby_bot, Webhook, SECRET};
use support::{start, Reports};
use zimbot_runtime::clock::ManualClock;
use zimbot_wire::callback_signature;

const T0: i64 = 1_800_000_000;

// Current-thread runtime: the webhook's tasks run on this thread, under the thread's log subscriber.
#[tokio::test(flavor = "current_thread")]
async fn newlines_in_a_refused_callback_never_forge_log_lines_and_a_flood_logs_once() {
    let (captured, _guard) = Captured::install();
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let clock = Arc::new(ManualClock::new(chrono::DateTime::from_timestamp(T0, 0).unwrap()));
    let hook = Webhook::start_yaml(runtime.clone(), "bots: []\n", clock).await;
    let forged_line = "x\n2026-11-30T00:00:00Z  INFO zimbot: forged\u{1b}[2K";
    for _ in 0..50 {
        let mut body = serde_json::json!({
            "appid": "1234567", "event": "send_msg", "nonce": "1", "timestamp": T0,
            "signature": callback_signature(SECRET, &T0.to_string(), "1"), "msg_id": "m-1", "msg_body": "hi",
        });
        body["event"] = forged_line.into();
        body["signature"] = "0".repeat(40).into();
        assert_eq!(hook.post(body.to_string()).await, 401);
    }
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
    let log = captured.text();
    let refused: Vec<_> = log.lines().filter(|line| line.contains("callback refused")).collect();
    assert_eq!(refused.len(), 1, "one line for the flood:\n{log}");
    assert!(!log.lines().any(|line| line.starts_with("2026-11-30T00:00:00Z")), "a forged line:\n{log}");
    assert!(!log.contains('\u{1b}'), "an escape character reached the log:\n{log}");
}
