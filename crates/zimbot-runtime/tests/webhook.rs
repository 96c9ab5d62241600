//! The webhook over real HTTP on loopback: signed callbacks reach bots once; forged, stale, malformed, oversized
//! and duplicate ones are answered as documented and reach no bot.

mod support;

use std::time::Duration;
use support::webhook::{lobby_bot, now, room_callback, Webhook, SECRET};
use support::{start, Reports};
use zimbot_wire::callback_signature;

#[tokio::test]
async fn a_signed_callback_is_delivered_and_its_retry_is_dropped() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let body = room_callback("m-1", "hello", SECRET, now());
    assert_eq!(hook.post(body.clone()).await, 200);
    assert_eq!(reports.next().await, "room lobby hello");
    assert_eq!(hook.post(body).await, 200, "a retried callback is acknowledged");
    assert_eq!(hook.post(room_callback("m-2", "second", SECRET, now())).await, 200);
    assert_eq!(reports.next().await, "room lobby second", "the duplicate never reached the bot");
    assert_eq!(hook.state.stats().duplicates.load(std::sync::atomic::Ordering::Relaxed), 1);
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn forged_stale_malformed_and_oversized_callbacks_are_refused_and_reach_no_bot() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 4096).await;

    assert_eq!(hook.post(room_callback("f-1", "forged", "wrong-secret", now())).await, 401);
    assert_eq!(hook.post(room_callback("s-1", "stale", SECRET, now() - 301)).await, 401);
    assert_eq!(hook.post(room_callback("s-2", "future", SECRET, now() + 301)).await, 401);
    assert_eq!(hook.post("{not json").await, 400);
    assert_eq!(hook.post(r#"{"event":"send_msg"}"#).await, 400);
    let oversized = room_callback("o-1", &"x".repeat(8192), SECRET, now());
    assert_eq!(hook.post(oversized).await, 413);

    assert_eq!(hook.post(room_callback("ok-1", "after all that", SECRET, now())).await, 200);
    assert_eq!(reports.next().await, "room lobby after all that", "nothing refused reached the bot first");
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn unknown_events_are_acknowledged_and_ignored() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let timestamp = now();
    let body = serde_json::json!({
        "appid": "1", "event": "user_login", "nonce": "n1", "timestamp": timestamp,
        "signature": callback_signature(SECRET, &timestamp.to_string(), "n1"),
    });
    assert_eq!(hook.post(body.to_string()).await, 200);
    assert_eq!(hook.state.stats().ignored.load(std::sync::atomic::Ordering::Relaxed), 1);
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(reports.drain(), ["stop"]);
}

#[tokio::test]
async fn a_room_enter_callback_stamped_in_milliseconds_is_accepted_and_routed() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let timestamp = now() * 1000 + 123;
    let body = serde_json::json!({
        "appid": "1", "event": "room_enter", "nonce": "n1", "timestamp": timestamp,
        "signature": callback_signature(SECRET, &timestamp.to_string(), "n1"),
        "room_id": "lobby", "operator_account": "alice",
    });
    assert_eq!(hook.post(body.to_string()).await, 200);
    let stats = hook.state.stats();
    let counts = [&stats.accepted, &stats.ignored].map(|count| count.load(std::sync::atomic::Ordering::Relaxed));
    assert_eq!(counts, [1, 0], "accepted as a membership event, not ignored");
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_room_enter_callback_without_its_room_is_refused_as_malformed() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let timestamp = now() * 1000;
    let body = serde_json::json!({
        "appid": "1", "event": "room_enter", "nonce": "n1", "timestamp": timestamp,
        "signature": callback_signature(SECRET, &timestamp.to_string(), "n1"), "operator_account": "alice",
    });
    assert_eq!(hook.post(body.to_string()).await, 400);
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn while_stopping_message_callbacks_ask_for_a_retry_and_are_not_remembered() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let body = room_callback("r-1", "try later", SECRET, now());
    hook.state.stop_accepting();
    assert_eq!(hook.post(body).await, 503);
    assert_eq!(hook.state.stats().duplicates.load(std::sync::atomic::Ordering::Relaxed), 0);
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn health_and_metrics_describe_the_bots() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let health: serde_json::Value =
        hook.http.get(format!("{}/healthz", hook.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["healthy"], true);
    assert_eq!(health["bots"][0]["id"], "lobby");
    assert_eq!(hook.post(room_callback("x-1", "count me", SECRET, now())).await, 200);
    reports.next().await;
    let metrics = hook.http.get(format!("{}/metrics", hook.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("zimbot_messages_delivered_total{bot=\"lobby\"} 1"), "{metrics}");
    assert!(metrics.contains("zimbot_callbacks_total{outcome=\"accepted\"} 1"), "{metrics}");
    // One callback is remembered by its message id and by its signature.
    assert!(metrics.contains("zimbot_webhook_remembered{what=\"entries\"} 2"), "{metrics}");
    assert!(metrics.contains("zimbot_webhook_remembered{what=\"capacity\"} 500000"), "{metrics}");
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_signed_callback_gets_200_while_idle_and_slowloris_sockets_hold_every_connection() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start_with(runtime.clone(), "{ limits: { max_connections: 16 } }").await;
    let address = hook.url.trim_start_matches("http://").to_owned();
    let mut attackers = Vec::new();
    for index in 0..200 {
        let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
        if index % 2 == 1 {
            // Slowloris: a head that is started and never finished.
            tokio::io::AsyncWriteExt::write_all(&mut socket, b"POST /zim/callback HTTP/1.1\r\nHost: x\r\nX-a: ")
                .await
                .unwrap();
        }
        attackers.push(socket);
    }
    assert_eq!(hook.post(room_callback("v-1", "still served", SECRET, now())).await, 200);
    assert_eq!(reports.next().await, "room lobby still served");
    let evicted = hook.state.listener().stats().evicted();
    assert!(evicted >= 184, "the waiting sockets past the cap were closed for newer ones ({evicted})");
    let metrics = hook.http.get(format!("{}/metrics", hook.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("zimbot_listener_limited_total{listener=\"webhook\",limit=\"evicted\"}"), "{metrics}");
    drop(attackers);
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

/// A signed `room_enter` of `user` into lobby, its change at `timestamp` (ms), sent with `nonce`.
fn room_enter(user: &str, timestamp: i64, nonce: &str) -> String {
    serde_json::json!({
        "appid": "1", "event": "room_enter", "nonce": nonce, "timestamp": timestamp,
        "signature": callback_signature(SECRET, &timestamp.to_string(), nonce),
        "room_id": "lobby", "operator_account": user,
    })
    .to_string()
}

#[tokio::test]
async fn a_retried_membership_callback_reaches_the_bots_once() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let changed_at = now() * 1000;
    assert_eq!(hook.post(room_enter("alice", changed_at, "1")).await, 200);
    assert_eq!(reports.next().await, "entered lobby alice");
    // The service's retry: the same change, signed afresh.
    assert_eq!(hook.post(room_enter("alice", changed_at, "2")).await, 200, "a retry is acknowledged");
    assert_eq!(hook.post(room_enter("bob", changed_at, "3")).await, 200);
    assert_eq!(reports.next().await, "entered lobby bob", "the retry never reached the bot");
    assert_eq!(hook.state.stats().duplicates.load(std::sync::atomic::Ordering::Relaxed), 1);
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn the_same_person_entering_again_later_reaches_the_bots_again() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&lobby_bot(&key));
    reports.until("start").await;
    let hook = Webhook::start(runtime.clone(), 1 << 20).await;
    let changed_at = now() * 1000;
    assert_eq!(hook.post(room_enter("alice", changed_at, "1")).await, 200);
    assert_eq!(reports.next().await, "entered lobby alice");
    assert_eq!(hook.post(room_enter("alice", changed_at + 5_000, "2")).await, 200);
    assert_eq!(reports.next().await, "entered lobby alice");
    hook.stop().await;
    runtime.shutdown(Duration::from_secs(5)).await;
}
