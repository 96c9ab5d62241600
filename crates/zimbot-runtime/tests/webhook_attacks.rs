//! The webhook under attack over real HTTP on loopback: replayed and re-bodied signatures, a full memory of
//! recent callbacks, oversized ids and hostile timestamps; and a secret rotation.

mod support;

use chrono::{DateTime, Utc};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use support::webhook::{lobby_bot, room_callback, Webhook, SECRET};
use support::{start, Reports};
use zimbot_runtime::clock::ManualClock;
use zimbot_wire::callback_signature;

const T0: i64 = 1_800_000_000;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

/// A room callback with its fields as JSON, for tests that change a field after signing.
fn callback_json(msg_id: &str, text: &str, timestamp: i64, nonce: &str) -> serde_json::Value {
    serde_json::json!({
        "appid": "1234567", "event": "send_msg", "nonce": nonce, "timestamp": timestamp,
        "signature": callback_signature(SECRET, &timestamp.to_string(), nonce),
        "from_user_id": "alice", "conv_type": 1, "conv_id": "lobby", "msg_type": 1, "sub_msg_type": 0,
        "source": 0, "msg_body": text, "msg_id": msg_id, "msg_seq": 1, "msg_time": timestamp.saturating_mul(1000),
        "send_result": 0, "payload": "", "user_list": []
    })
}

/// A runtime with one lobby bot, and a webhook in front of it on a manual clock at `T0`.
async fn lobby(webhook_section: &str) -> (Webhook, Reports, Arc<ManualClock>, Arc<zimbot_runtime::Runtime>) {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let clock = Arc::new(ManualClock::new(at(T0)));
    let yaml = format!("webhook: {webhook_section}\nbots: []\n");
    let hook = Webhook::start_yaml(runtime.clone(), &yaml, clock.clone()).await;
    (hook, reports, clock, runtime)
}

async fn finish(hook: Webhook, runtime: Arc<zimbot_runtime::Runtime>) {
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn an_identical_callback_replayed_while_its_signature_is_valid_is_dropped() {
    let (hook, mut reports, clock, runtime) = lobby("{}").await;
    let body = room_callback("m-1", "once", SECRET, T0);
    assert_eq!(hook.post(body.clone()).await, 200);
    assert_eq!(reports.next().await, "room lobby once");
    for later in [125, 299, 300] {
        clock.set(at(T0 + later));
        assert_eq!(hook.post(body.clone()).await, 200, "replayed {later} s later");
    }
    clock.set(at(T0 + 301));
    assert_eq!(hook.post(body).await, 401, "past the timestamp window the signature itself is refused");
    assert_eq!(hook.state.stats().duplicates.load(Ordering::Relaxed), 3);
    assert_eq!(hook.post(room_callback("m-2", "next", SECRET, T0 + 301)).await, 200);
    assert_eq!(reports.next().await, "room lobby next", "no replay reached the bot");
    finish(hook, runtime).await;
}

#[tokio::test]
async fn a_captured_signature_carrying_another_body_is_refused() {
    let (hook, mut reports, _clock, runtime) = lobby("{}").await;
    assert_eq!(hook.post(callback_json("m-1", "genuine", T0, "4711").to_string()).await, 200);
    assert_eq!(reports.next().await, "room lobby genuine");
    let mut forged = callback_json("m-666", "forged", T0, "4711");
    forged["signature"] = callback_json("m-1", "genuine", T0, "4711")["signature"].clone();
    assert_eq!(hook.post(forged.to_string()).await, 401);
    assert_eq!(hook.state.stats().replayed.load(Ordering::Relaxed), 1);
    assert_eq!(hook.post(callback_json("m-2", "after", T0, "4712").to_string()).await, 200);
    assert_eq!(reports.next().await, "room lobby after", "the forged body never reached the bot");
    finish(hook, runtime).await;
}

#[tokio::test]
async fn a_nonce_used_again_at_another_time_is_accepted() {
    let (hook, mut reports, clock, runtime) = lobby("{}").await;
    assert_eq!(hook.post(callback_json("m-1", "first", T0, "42").to_string()).await, 200);
    assert_eq!(reports.next().await, "room lobby first");
    clock.set(at(T0 + 1));
    assert_eq!(hook.post(callback_json("m-2", "second", T0 + 1, "42").to_string()).await, 200);
    assert_eq!(reports.next().await, "room lobby second");
    finish(hook, runtime).await;
}

#[tokio::test]
async fn when_the_memory_of_recent_callbacks_is_full_callbacks_get_503_and_nothing_is_forgotten() {
    // Each delivered callback takes two entries: its signature and its msg_id.
    let (hook, mut reports, clock, runtime) = lobby("{ dedupe_max_entries: 4 }").await;
    for (id, text) in [("m-1", "one"), ("m-2", "two")] {
        assert_eq!(hook.post(room_callback(id, text, SECRET, T0)).await, 200);
        assert_eq!(reports.next().await, format!("room lobby {text}"));
    }
    assert_eq!(hook.post(room_callback("m-3", "three", SECRET, T0)).await, 503);
    assert_eq!(hook.state.stats().dedupe_full.load(Ordering::Relaxed), 1);
    assert_eq!(hook.post(room_callback("m-1", "one", SECRET, T0)).await, 200, "m-1 is still remembered");
    assert_eq!(hook.state.stats().duplicates.load(Ordering::Relaxed), 1);
    clock.set(at(T0 + 302));
    assert_eq!(hook.post(room_callback("m-3", "three", SECRET, T0 + 302)).await, 200, "the retry, once room was made");
    assert_eq!(reports.next().await, "room lobby three");
    finish(hook, runtime).await;
}

/// The status of posting `body`, or the end of the test process when there is none within 10 s: a webhook that
/// blocks its worker (a lock taken twice) would also keep the test's runtime from shutting down, so the failure
/// has to end the process rather than hang it.
async fn post_or_exit(hook: &Webhook, body: String, what: &str) -> reqwest::StatusCode {
    match tokio::time::timeout(Duration::from_secs(10), hook.post(body)).await {
        Ok(status) => status,
        Err(_) => {
            eprintln!("FAILED: the webhook did not answer {what} within 10 s");
            std::process::exit(101);
        }
    }
}

// Two workers: were the webhook to block one, the other still runs the test's timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_whose_signature_takes_the_last_place_in_memory_gets_503_and_the_webhook_keeps_serving() {
    // Room for three entries: m-1 takes two; m-2's signature takes the last and its msg_id finds the memory full.
    let (hook, mut reports, _clock, runtime) = lobby("{ dedupe_max_entries: 3 }").await;
    assert_eq!(hook.post(room_callback("m-1", "one", SECRET, T0)).await, 200);
    assert_eq!(reports.next().await, "room lobby one");
    let m2 = || room_callback("m-2", "two", SECRET, T0);
    assert_eq!(post_or_exit(&hook, m2(), "a callback meeting a full memory").await, 503);
    assert_eq!(hook.state.stats().dedupe_full.load(Ordering::Relaxed), 1);
    // Its signature was given back: the same body is not a replay, and meets the full memory again.
    assert_eq!(post_or_exit(&hook, m2(), "the callback's retry").await, 503);
    assert_eq!(hook.state.stats().replayed.load(Ordering::Relaxed), 0);
    assert_eq!(hook.post(room_callback("m-1", "one", SECRET, T0)).await, 200, "m-1 is still remembered");
    assert_eq!(hook.state.stats().duplicates.load(Ordering::Relaxed), 1);
    assert_eq!(reports.drain(), Vec::<String>::new(), "m-2 reached no bot");
    finish(hook, runtime).await;
}

#[tokio::test]
async fn ids_over_their_cap_are_refused_and_reach_no_bot() {
    let (hook, mut reports, _clock, runtime) = lobby("{}").await;
    let long_msg_id = "9".repeat(zimbot_runtime::webhook::MAX_TOKEN_BYTES + 1);
    assert_eq!(hook.post(room_callback(&long_msg_id, "huge id", SECRET, T0)).await, 400);
    let mut long_sender = callback_json("m-1", "huge sender", T0, "1");
    long_sender["from_user_id"] = "a".repeat(zimbot_runtime::webhook::MAX_ID_BYTES + 1).into();
    let response =
        hook.http.post(format!("{}/zim/callback", hook.url)).body(long_sender.to_string()).send().await.unwrap();
    assert_eq!(response.status(), 400);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["message"], "`from_user_id` is 129 bytes; at most 128 are accepted");
    assert_eq!(hook.post(room_callback("m-2", "fine", SECRET, T0)).await, 200);
    assert_eq!(reports.next().await, "room lobby fine");
    finish(hook, runtime).await;
}

#[tokio::test]
async fn the_most_negative_timestamp_is_refused_and_the_webhook_keeps_serving() {
    let (hook, mut reports, _clock, runtime) = lobby("{}").await;
    assert_eq!(hook.post(room_callback("m-1", "ancient", SECRET, i64::MIN)).await, 401);
    assert_eq!(hook.post(room_callback("m-1", "future", SECRET, i64::MAX)).await, 401);
    assert_eq!(hook.post(room_callback("m-2", "now", SECRET, T0)).await, 200);
    assert_eq!(reports.next().await, "room lobby now");
    finish(hook, runtime).await;
}

#[tokio::test]
async fn during_a_rotation_callbacks_signed_with_either_secret_are_accepted() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let yaml = "zim:\n  callback_secret: new-secret\n  previous_callback_secret: old-secret\nbots: []\n";
    let hook = Webhook::start_rotating(runtime.clone(), yaml, Arc::new(ManualClock::new(at(T0)))).await;
    assert_eq!(hook.post(room_callback("m-1", "old", "old-secret", T0)).await, 200);
    assert_eq!(reports.next().await, "room lobby old");
    assert_eq!(hook.post(room_callback("m-2", "new", "new-secret", T0)).await, 200);
    assert_eq!(reports.next().await, "room lobby new");
    assert_eq!(hook.post(room_callback("m-3", "other", "other-secret", T0)).await, 401);
    finish(hook, runtime).await;
}
