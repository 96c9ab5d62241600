//! The dispatcher through the real plugin ABI: routing rules, both lanes' ordering, loop protection and panic
//! containment, with a built-in probe plugin reporting every hook.

mod support;

use std::time::Duration;
use support::{start, start_with_state, text, Reports};
use zimbot_model::{BotId, ConversationType::*};

fn bots_yaml(bots: &[(&str, &str, &str)]) -> String {
    let mut yaml = String::from("bots:\n");
    for (id, probe, listen) in bots {
        yaml.push_str(&format!(
            "  - id: {id}\n    user_id: \"@RBT#{id}\"\n    plugin: probe\n    hook_timeout_secs: 2\n    config: {{ probe: {probe} }}\n    listen: {listen}\n"
        ));
    }
    yaml
}

#[tokio::test]
async fn room_messages_reach_only_the_bots_listening_to_that_room() {
    let (lobby_key, mut lobby) = Reports::new();
    let (other_key, mut other) = Reports::new();
    let (runtime, _) =
        start(&bots_yaml(&[("lobby", &lobby_key, "{ rooms: [lobby] }"), ("other", &other_key, "{ rooms: [other] }")]));
    assert_eq!(lobby.until("start").await, ["created seen=0", "start"]);
    other.until("start").await;

    let delivered = runtime.deliver(text(Room, "lobby", "alice", "hello"));
    assert_eq!(delivered, [BotId::from("lobby")]);
    assert_eq!(lobby.next().await, "room lobby hello");
    runtime.deliver(text(Room, "other", "alice", "hi other"));
    assert_eq!(other.next().await, "room other hi other");
    assert!(runtime.deliver(text(Room, "nowhere", "alice", "anyone?")).is_empty());
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(lobby.drain(), ["stop"], "the lobby bot saw only its own room");
}

#[tokio::test]
async fn peer_messages_reach_only_the_bot_they_were_sent_to() {
    let (a_key, mut a) = Reports::new();
    let (b_key, mut b) = Reports::new();
    let (runtime, _) = start(&bots_yaml(&[("a", &a_key, "{ peers: ['*'] }"), ("b", &b_key, "{ peers: [carol] }")]));
    a.until("start").await;
    b.until("start").await;

    assert_eq!(runtime.deliver(text(Peer, "@RBT#a", "alice", "hi a")), [BotId::from("a")]);
    assert_eq!(a.next().await, "peer @RBT#a hi a");
    assert!(runtime.deliver(text(Peer, "@RBT#b", "alice", "hi b")).is_empty(), "b only talks to carol");
    assert_eq!(runtime.deliver(text(Peer, "@RBT#b", "carol", "hi b")), [BotId::from("b")]);
    assert_eq!(b.next().await, "peer @RBT#b hi b");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn group_wildcards_and_match_patterns_filter_messages() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&bots_yaml(&[("g", &key, "{ groups: ['*'], match: '^!' }")]));
    reports.until("start").await;
    assert!(runtime.deliver(text(Group, "team", "alice", "no command")).is_empty());
    assert_eq!(runtime.deliver(text(Group, "team", "alice", "!go")), [BotId::from("g")]);
    assert_eq!(reports.next().await, "group team !go");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn no_bot_receives_messages_sent_by_a_bot_user_of_the_runtime() {
    let (a_key, mut a) = Reports::new();
    let (b_key, mut b) = Reports::new();
    let (runtime, _) =
        start(&bots_yaml(&[("a", &a_key, "{ rooms: [lobby], peers: ['*'] }"), ("b", &b_key, "{ rooms: [lobby] }")]));
    a.until("start").await;
    b.until("start").await;
    assert!(runtime.deliver(text(Room, "lobby", "@RBT#a", "my own post")).is_empty());
    assert!(runtime.deliver(text(Room, "lobby", "@RBT#b", "the other bot's post")).is_empty());
    assert!(runtime.deliver(text(Peer, "@RBT#a", "@RBT#b", "bot to bot")).is_empty());
    assert!(runtime.is_bot_user(&"@RBT#b".into()));
    runtime.shutdown(Duration::from_secs(5)).await;
    assert_eq!(a.drain(), ["stop"]);
    assert_eq!(b.drain(), ["stop"]);
}

#[tokio::test]
async fn the_inbound_lane_runs_hooks_in_arrival_order() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&bots_yaml(&[("ordered", &key, "{ rooms: [lobby] }")]));
    reports.until("start").await;
    for index in 0..50 {
        runtime.deliver(text(Room, "lobby", "alice", &format!("m{index}")));
    }
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen.push(reports.next().await);
    }
    let expected: Vec<String> = (0..50).map(|index| format!("room lobby m{index}")).collect();
    assert_eq!(seen, expected);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_hook_can_await_its_own_send_without_deadlock_and_send_hooks_come_in_order() {
    let (key, mut reports) = Reports::new();
    let (runtime, outbound) = start(&bots_yaml(&[("sender", &key, "{ rooms: [lobby] }")]));
    reports.until("start").await;
    runtime.deliver(text(Room, "lobby", "alice", "send and wait"));
    let mut seen = vec![reports.next().await, reports.next().await, reports.next().await];
    // The awaited result and the notification lane run side by side; per send, attached precedes sent.
    let attached = seen.iter().position(|report| report == "attached 1").expect("attached");
    let sent = seen.iter().position(|report| report == "sent 1").expect("sent");
    assert!(attached < sent, "{seen:?}");
    seen.sort();
    assert_eq!(seen, ["attached 1", "result sent", "sent 1"]);
    let sends = outbound.sent();
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0].0.user_id.as_str(), "@RBT#sender");
    assert_eq!(sends[0].1.to_conversation_id.as_str(), "lobby");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_refused_send_returns_an_error_and_fires_no_hook() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&bots_yaml(&[("refused", &key, "{ rooms: [lobby] }")]));
    reports.until("start").await;
    runtime.deliver(text(Room, "lobby", "alice", "send bad"));
    assert_eq!(reports.next().await, "rejected true");
    runtime.deliver(text(Room, "lobby", "alice", "after"));
    assert_eq!(reports.next().await, "room lobby after", "no attached/sent/failed hook came in between");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_panicking_hook_is_contained_and_the_instance_is_rebuilt_from_its_snapshot() {
    let (key, mut reports) = Reports::new();
    let (other_key, mut other) = Reports::new();
    let (runtime, _) =
        start(&bots_yaml(&[("fragile", &key, "{ rooms: [lobby] }"), ("steady", &other_key, "{ rooms: [lobby] }")]));
    reports.until("start").await;
    other.until("start").await;

    runtime.deliver(text(Room, "lobby", "alice", "seen"));
    assert_eq!(reports.next().await, "seen 1");
    // State is read at most once per SNAPSHOT_INTERVAL: on_start's read was the first, "seen" gets the next.
    let fragile = runtime.bot(&"fragile".into()).unwrap();
    let snapshots = || fragile.stats().snapshots_taken.load(std::sync::atomic::Ordering::Relaxed);
    tokio::time::timeout(Duration::from_secs(20), async {
        while snapshots() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the state after \"seen\" was read");
    runtime.deliver(text(Room, "lobby", "alice", "panic fragile"));
    assert_eq!(reports.next().await, "created seen=1", "rebuilt from the last state read after a good hook");
    runtime.deliver(text(Room, "lobby", "alice", "seen"));
    assert_eq!(reports.next().await, "seen 2");

    assert_eq!(fragile.stats().hook_panics.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert!(!fragile.is_stopped());
    // The other bot saw every message, panic or not.
    assert_eq!(other.until("room lobby panic fragile").await, ["seen 1", "room lobby panic fragile"]);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn repeated_panics_stop_only_that_bot() {
    let (key, mut reports) = Reports::new();
    let (other_key, mut other) = Reports::new();
    let (runtime, _) =
        start(&bots_yaml(&[("fragile", &key, "{ rooms: [lobby] }"), ("steady", &other_key, "{ peers: ['*'] }")]));
    reports.until("start").await;
    other.until("start").await;
    for _ in 0..zimbot_runtime::internals::MAX_PANICS {
        runtime.deliver(text(Room, "lobby", "alice", "panic"));
    }
    // Two rebuilds, then the third panic stops the bot.
    assert_eq!(reports.next().await, "created seen=0");
    assert_eq!(reports.next().await, "created seen=0");
    let fragile = runtime.bot(&"fragile".into()).unwrap().clone();
    tokio::time::timeout(Duration::from_secs(20), fragile.wait_stopped()).await.expect("the bot stops");
    assert!(fragile.is_stopped(), "the bot is stopped after repeated panics");
    assert!(runtime.deliver(text(Room, "lobby", "alice", "anyone?")).is_empty());
    assert_eq!(runtime.deliver(text(Peer, "@RBT#steady", "alice", "still there?")), [BotId::from("steady")]);
    assert_eq!(other.next().await, "peer @RBT#steady still there?");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn hook_errors_are_counted_and_the_bot_keeps_running() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&bots_yaml(&[("erring", &key, "{ rooms: [lobby] }")]));
    reports.until("start").await;
    runtime.deliver(text(Room, "lobby", "alice", "fail"));
    runtime.deliver(text(Room, "lobby", "alice", "next"));
    assert_eq!(reports.next().await, "room lobby next");
    let stats = runtime.bot(&"erring".into()).unwrap().stats();
    assert_eq!(stats.hook_errors.load(std::sync::atomic::Ordering::Relaxed), 1);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(start_paused = true)]
async fn a_hook_that_runs_past_its_timeout_is_cancelled_and_the_lane_moves_on() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&bots_yaml(&[("slow", &key, "{ rooms: [lobby] }")]));
    reports.until("start").await;
    runtime.deliver(text(Room, "lobby", "alice", "hang"));
    runtime.deliver(text(Room, "lobby", "alice", "next"));
    assert_eq!(reports.next().await, "room lobby next");
    let stats = runtime.bot(&"slow".into()).unwrap().stats();
    assert_eq!(stats.hook_timeouts.load(std::sync::atomic::Ordering::Relaxed), 1);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn shutdown_drains_the_mailbox_then_calls_on_stop_last() {
    let (key, mut reports) = Reports::new();
    let (runtime, _) = start(&bots_yaml(&[("draining", &key, "{ rooms: [lobby] }")]));
    reports.until("start").await;
    for index in 0..5 {
        runtime.deliver(text(Room, "lobby", "alice", &format!("m{index}")));
    }
    runtime.shutdown(Duration::from_secs(5)).await;
    let seen = reports.drain();
    assert_eq!(seen.last().map(String::as_str), Some("stop"));
    assert_eq!(seen.len(), 6, "every queued message was handled before on_stop: {seen:?}");
}

#[tokio::test]
async fn a_plugin_that_refuses_to_start_is_reported_and_the_others_start() {
    let (key, mut reports) = Reports::new();
    let yaml = format!(
        "{}  - id: broken\n    user_id: \"@RBT#broken\"\n    plugin: probe\n    config: {{ probe: nobody-listens }}\n    listen: {{ rooms: [lobby] }}\n  - id: missing\n    user_id: \"@RBT#missing\"\n    plugin: no-such-plugin\n",
        bots_yaml(&[("fine", &key, "{ rooms: [lobby] }")])
    );
    let (runtime, _) = start(&yaml);
    reports.until("start").await;
    let failed: Vec<(String, String)> =
        runtime.failed_bots().iter().map(|failed| (failed.bot.to_string(), failed.message.clone())).collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0].0, "broken");
    assert!(failed[0].1.contains("no reporter named nobody-listens"), "the plugin's own message: {failed:?}");
    assert_eq!(failed[1].0, "missing");
    assert!(failed[1].1.contains("resolves to nothing"), "{failed:?}");
    assert_eq!(runtime.deliver(text(Room, "lobby", "alice", "hi")), [BotId::from("fine")]);
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn plugin_state_is_kept_across_a_restart_of_the_runtime() {
    let state = tempfile::tempdir().unwrap();
    let (key, mut reports) = Reports::new();
    let yaml = bots_yaml(&[("keeper", &key, "{ rooms: [lobby] }")]);
    let runtime = start_with_state(&yaml, state.path());
    assert_eq!(reports.until("start").await, ["created seen=0", "start"]);
    runtime.deliver(text(Room, "lobby", "alice", "one"));
    runtime.deliver(text(Room, "lobby", "alice", "seen"));
    assert_eq!(reports.next().await, "room lobby one");
    assert_eq!(reports.next().await, "seen 2");
    runtime.shutdown(Duration::from_secs(5)).await;

    let again = start_with_state(&yaml, state.path());
    assert_eq!(reports.until("start").await, ["stop", "created seen=2", "start"]);
    again.shutdown(Duration::from_secs(5)).await;
}
