//! Fairness, priority, order and the limit, seen from the transport, on virtual time.

mod support;

use std::sync::Arc;
use std::time::Duration;
use support::fakes::{sparse_file, FakeTransport, GatedStore, Start};
use support::sender;
use tokio::time::Instant;
use zimbot_client::{Client, ClientConfig};
use zimbot_model::{ConversationType, MediaMessage, Priority, SendConfig, SendEvent, SendRequest, ZimCode};

fn client(transport: &Arc<FakeTransport>, store: &Arc<GatedStore>, config: ClientConfig) -> Client {
    Client::new(config, transport.clone(), store.clone())
}

fn text(text: &str, room: &str) -> SendRequest {
    SendRequest::text(text, room, ConversationType::Room)
}

/// The largest number of starts inside any half-open window `[t, t + window)`.
fn busiest_window(starts: &[Start], window: Duration) -> usize {
    starts
        .iter()
        .map(|from| starts.iter().filter(|s| s.at >= from.at && s.at < from.at + window).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn no_one_second_window_ever_sees_more_than_ten_starts() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let mut handles = Vec::new();
    // Bursts from several bots, separated by gaps shorter and longer than a window.
    for (round, gap_ms) in [0u64, 300, 1500, 50, 990, 2000].into_iter().enumerate() {
        tokio::time::advance(Duration::from_millis(gap_ms)).await;
        for bot in 0..3 {
            for index in 0..(7 + round * 3) {
                let bot_sender = sender(&format!("bot{bot}"), Priority::Medium);
                handles
                    .push(client.send(&bot_sender, text(&format!("{round}-{index}"), &format!("room{bot}"))).unwrap());
            }
        }
    }
    let total = handles.len();
    for handle in handles {
        handle.result().await.unwrap();
    }
    let starts = transport.starts();
    assert_eq!(starts.len(), total);
    assert_eq!(busiest_window(&starts, Duration::from_secs(1)), 10);
    assert_eq!(client.stats().window_violations, 0);
}

#[tokio::test(start_paused = true)]
async fn half_the_limit_starts_at_once_the_rest_one_slot_apart_and_the_eleventh_waits_a_window_from_the_first_answer() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let begin = Instant::now();
    let handles: Vec<_> = (0..11)
        .map(|index| {
            client.send(&sender("bot", Priority::Medium), text(&index.to_string(), &format!("r{index}"))).unwrap()
        })
        .collect();
    for handle in handles {
        handle.result().await.unwrap();
    }
    let starts = transport.starts();
    assert!(starts[..5].iter().all(|start| start.at == begin));
    // Then one a slot (at least 100 ms apart), all within the first half of the window.
    for pair in starts[4..10].windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(100), "{starts:?}");
    }
    assert!(starts[9].at - begin < Duration::from_millis(650), "{starts:?}");
    // The answers came back at once: the first send counted until then, so the eleventh starts a window later.
    assert_eq!(starts[10].at - begin, Duration::from_millis(1000));
}

#[tokio::test(start_paused = true)]
async fn a_light_bot_starts_within_two_slots_of_a_flooding_bot() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let flood = sender("flood", Priority::Medium);
    let mut flood_handles: Vec<_> =
        (0..200).map(|index| client.send(&flood, text(&format!("flood-{index}"), "room")).unwrap()).collect();
    // Let the flood run for a while, then the light bot sends once.
    let rest = flood_handles.split_off(35);
    for handle in flood_handles {
        handle.result().await.unwrap();
    }
    let starts_before = transport.starts().len();
    let light = client.send(&sender("light", Priority::Medium), text("light", "other-room")).unwrap();
    light.result().await.unwrap();
    let light_index = transport.bodies().iter().position(|body| body == "light").unwrap();
    let waited_slots = light_index - starts_before;
    assert!(waited_slots <= 2, "the light bot waited {waited_slots} send slots");
    drop(rest);
}

#[tokio::test(start_paused = true)]
async fn backlogged_bots_share_the_slots_evenly() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let mut handles = Vec::new();
    for bot in ["a", "b", "c"] {
        for index in 0..20 {
            handles.push(client.send(&sender(bot, Priority::Medium), text(&format!("{bot}{index}"), "room")).unwrap());
        }
    }
    for handle in handles.drain(..30) {
        handle.result().await.unwrap();
    }
    let first_thirty: Vec<_> = transport.starts().into_iter().take(30).map(|start| start.from).collect();
    for bot in ["a", "b", "c"] {
        let count = first_thirty.iter().filter(|from| from.as_str() == format!("@RBT#{bot}")).count();
        assert_eq!(count, 10, "bot {bot} got {count} of the first 30 slots: {first_thirty:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_higher_priority_bot_is_served_before_a_lower_one() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let mut handles = Vec::new();
    // One conversation per send, so that every send is ready at once and only priority decides.
    for index in 0..15 {
        let room = format!("room{index}");
        handles.push(client.send(&sender("low", Priority::Low), text(&format!("low{index}"), &room)).unwrap());
        handles.push(client.send(&sender("medium", Priority::Medium), text(&format!("medium{index}"), &room)).unwrap());
        handles.push(client.send(&sender("high", Priority::High), text(&format!("high{index}"), &room)).unwrap());
    }
    for handle in handles {
        handle.result().await.unwrap();
    }
    let classes: Vec<String> =
        transport.bodies().into_iter().map(|body| body.trim_end_matches(char::is_numeric).to_owned()).collect();
    let expected: Vec<String> =
        ["high", "medium", "low"].iter().flat_map(|class| std::iter::repeat_n(class.to_string(), 15)).collect();
    assert_eq!(classes, expected);
}

#[tokio::test(start_paused = true)]
async fn a_small_upload_waits_for_an_earlier_big_one_to_the_same_conversation() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let directory = tempfile::tempdir().unwrap();
    let big = sparse_file(&directory, "big.bin", 90 * 1024 * 1024);
    let small = sparse_file(&directory, "small.bin", 10);
    store.gate("big.bin");
    let bot = sender("poster", Priority::Medium);
    let config = SendConfig::default();
    let big_handle =
        client.send(&bot, SendRequest::media(MediaMessage::file(&big), "room", ConversationType::Room, config.clone()));
    let mut small_handle = client
        .send(&bot, SendRequest::media(MediaMessage::file(&small), "room", ConversationType::Room, config))
        .unwrap();
    let other_room = client.send(&bot, text("elsewhere", "other-room")).unwrap();
    // The small upload completes (its final progress event) while the big one is held.
    loop {
        match small_handle.events.recv().await.unwrap() {
            SendEvent::Progress(progress) if progress.is_complete() => break,
            SendEvent::Sent(_) | SendEvent::Failed(_) => panic!("the small send ended before the big one was sent"),
            _ => {}
        }
    }
    other_room.result().await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(store.completed(), vec!["small.bin".to_owned()]);
    assert_eq!(transport.bodies(), vec!["elsewhere".to_owned()], "nothing may reach the room before the big file");

    store.open("big.bin");
    big_handle.unwrap().result().await.unwrap();
    small_handle.result().await.unwrap();
    let to_room: Vec<String> = transport
        .starts()
        .into_iter()
        .filter(|start| start.to == "room")
        .map(|start| serde_json::from_str::<serde_json::Value>(&start.body).unwrap()["FileName"].to_string())
        .collect();
    assert_eq!(to_room, vec!["\"big.bin\"", "\"small.bin\""]);
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_code_pauses_every_send_and_the_send_is_retried_in_place() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let config = ClientConfig { rate_limit_pause_ms: 1500, ..ClientConfig::default() };
    let client = client(&transport, &store, config);
    transport.fail_next([ZimCode::APP_FREQUENCY_LIMIT]);
    let begin = Instant::now();
    let bot = sender("bot", Priority::Medium);
    let first = client.send(&bot, text("first", "room")).unwrap();
    let second = client.send(&bot, text("second", "room")).unwrap();
    // A lower class, so that "first" is surely the attempt that meets the scripted rate-limit answer.
    let other = client.send(&sender("other", Priority::Low), text("other", "lobby")).unwrap();
    let first = first.result().await.unwrap();
    second.result().await.unwrap();
    other.result().await.unwrap();
    assert_eq!(first.attempts, 2);
    let starts = transport.starts();
    let bodies: Vec<_> = starts.iter().map(|start| start.body.as_str()).collect();
    // "other" started together with the first attempt (before the rate-limit answer), the rest after the pause.
    assert_eq!(bodies, vec!["first", "other", "first", "second"]);
    assert!(starts[2..].iter().all(|start| start.at - begin >= Duration::from_millis(1500)), "{starts:?}");
    assert_eq!(client.stats().retried, 1);
}

#[tokio::test(start_paused = true)]
async fn close_lets_queued_sends_finish_before_the_deadline() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let handles: Vec<_> = (0..25)
        .map(|index| client.send(&sender("bot", Priority::Medium), text(&index.to_string(), "room")).unwrap())
        .collect();
    client.close(Duration::from_secs(30)).await;
    for handle in handles {
        assert!(handle.result().await.is_ok());
    }
    assert_eq!(client.stats().sent, 25);
}

#[tokio::test(start_paused = true)]
async fn close_ends_every_open_send_with_exactly_one_terminal_event() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let directory = tempfile::tempdir().unwrap();
    store.gate("held.bin");
    let bot = sender("bot", Priority::Medium);
    let mut handles = vec![
        client.send(&bot, text("quick", "done-room")).unwrap(),
        client.send(&bot, text("hang 1", "room-a")).unwrap(),
        client.send(&bot, text("behind hang 1", "room-a")).unwrap(),
        client.send(&bot, text("hang 2", "room-b")).unwrap(),
        client
            .send(
                &bot,
                SendRequest::media(
                    MediaMessage::file(sparse_file(&directory, "held.bin", 1000)),
                    "room-c",
                    ConversationType::Room,
                    SendConfig::default(),
                ),
            )
            .unwrap(),
    ];
    handles.extend((0..30).map(|index| client.send(&bot, text(&format!("queued {index}"), "room-d")).unwrap()));
    client.close(Duration::from_secs(2)).await;

    let rejected = client.send(&bot, text("late", "room")).unwrap_err();
    assert_eq!(rejected.reason, zimbot_model::RejectReason::Closed);

    let mut sent = 0;
    let mut cancelled = 0;
    for handle in &mut handles {
        let events = support::all_events(handle).await;
        support::assert_event_order(&events);
        match events.last().unwrap() {
            SendEvent::Sent(_) => sent += 1,
            SendEvent::Failed(failure) => {
                assert_eq!(failure.error.code, ZimCode::CANCELLED);
                cancelled += 1;
            }
            other => panic!("not terminal: {other:?}"),
        }
    }
    // Before the 2 s deadline: at 0 s "quick", both "hang"s and "queued 0" and "queued 1" start (half the limit),
    // then one a slot of 100.5 ms (the window and the adaptive margin's floor, 5 ms, over ten) until the window is
    // full at 0.5 s, and again from 1.005 s: twenty starts, so "queued 0".."queued 16". The hanging sends, the one
    // behind "hang 1", the held upload and "queued 17".."queued 29" are cancelled.
    assert_eq!((sent, cancelled), (18, 17));
    let stats = client.stats();
    assert_eq!((stats.sent + stats.failed) as usize, handles.len());
    assert_eq!(stats.in_progress, 0);
}

/// 100 bots flood (5 texts each, 50 s at 10/s) while a light bot sends once every 1.3 s (a different bot each
/// time, so each is under its fair share). Returns every start and the light sends' call times.
async fn flood_with_light_sends() -> (Vec<Start>, Vec<(String, Instant)>) {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let client = client(&transport, &store, ClientConfig::default());
    let mut handles = Vec::new();
    for index in 0..5 {
        for bot in 0..100 {
            let bot_sender = sender(&format!("flood{bot}"), Priority::Medium);
            handles.push(client.send(&bot_sender, text(&format!("flood{bot}-{index}"), "flood-room")).unwrap());
        }
    }
    let mut calls = Vec::new();
    for light in 0..30 {
        tokio::time::sleep(Duration::from_millis(1300)).await;
        let body = format!("light{light}");
        calls.push((body.clone(), Instant::now()));
        handles.push(client.send(&sender(&body, Priority::Medium), text(&body, "light-room")).unwrap());
    }
    for handle in handles {
        handle.result().await.unwrap();
    }
    (transport.starts(), calls)
}

#[tokio::test(start_paused = true)]
async fn under_a_flood_a_light_bot_waits_at_most_one_slot_not_a_window() {
    let (starts, calls) = flood_with_light_sends().await;
    for (body, called) in calls {
        let started = starts.iter().find(|start| start.body == body).unwrap().at;
        // One slot is the counted window over ten: 100.5 ms with the margin's floor; timers fire on whole ms.
        assert!(started - called <= Duration::from_millis(102), "{body} waited {:?}", started - called);
    }
}

#[tokio::test(start_paused = true)]
async fn under_a_flood_every_round_of_a_hundred_flood_sends_holds_each_bot_once() {
    let (starts, _) = flood_with_light_sends().await;
    let flood: Vec<&str> =
        starts.iter().filter(|start| start.body.starts_with("flood")).map(|start| start.from.as_str()).collect();
    assert_eq!(flood.len(), 500);
    for (index, round) in flood.chunks(100).enumerate() {
        let distinct: std::collections::HashSet<&&str> = round.iter().collect();
        assert_eq!(distinct.len(), 100, "round {index} holds a bot twice");
    }
}

/// On real threads (where tokio runs the last spawned task first): ten sends held back, then released together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_granted_at_one_instant_reach_the_transport_in_the_order_they_were_granted() {
    let (transport, store) = (FakeTransport::new(), GatedStore::new());
    let config = ClientConfig { sends_per_window: 0, ..ClientConfig::default() };
    let client = client(&transport, &store, config);
    let alice = zimbot_model::ConversationId::from("alice");
    client.hold_conversations([(ConversationType::Peer, alice.clone())]);
    let handles: Vec<_> = (0..10)
        .map(|bot| {
            let request = SendRequest::text("hi", "alice", ConversationType::Peer);
            client.send(&sender(&format!("bot{bot}"), Priority::Medium), request).unwrap()
        })
        .collect();
    // Released at once: the peer window lets all ten start at one instant (half its limit of twenty), granted in
    // the order the bots became active.
    client.release_conversation(ConversationType::Peer, &alice);
    for handle in handles {
        handle.result().await.unwrap();
    }
    let order: Vec<String> = transport.starts().into_iter().map(|start| start.from).collect();
    let granted: Vec<String> = (0..10).map(|bot| format!("@RBT#bot{bot}")).collect();
    assert_eq!(order, granted);
}
