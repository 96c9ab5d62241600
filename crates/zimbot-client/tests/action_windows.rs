//! The service's per-action limits, seen from the transport on virtual time: each send action in its own exact
//! window (peer 20/s, room and group 10/s), the optional overall cap, throttling codes pausing their window, and
//! registration of many bots under the register limit.

mod support;

use std::sync::Arc;
use std::time::Duration;
use support::fakes::{FakeTransport, GatedStore, Start};
use support::sender;
use tokio::time::Instant;
use zimbot_client::{ActionLimits, Client, ClientConfig};
use zimbot_model::{ConversationType, Priority, SendRequest, ZimCode};
use zimbot_wire::RegisterUserInfo;

/// Per-action windows only, counted over exactly one second.
fn per_action_only() -> ClientConfig {
    ClientConfig { sends_per_window: 0, safety_margin_ms: Some(0), ..ClientConfig::default() }
}

fn client(transport: &Arc<FakeTransport>, config: ClientConfig) -> Client {
    Client::new(config, transport.clone(), GatedStore::new())
}

/// Sends `count` texts of bot `bot` to distinct conversations of `conversation_type` and waits for them all.
async fn send_many(client: &Client, bot: &str, conversation_type: ConversationType, count: usize) {
    let handles: Vec<_> = (0..count)
        .map(|index| {
            let request = SendRequest::text(format!("{index}"), format!("c{index}"), conversation_type);
            client.send(&sender(bot, Priority::Medium), request).unwrap()
        })
        .collect();
    for handle in handles {
        handle.result().await.unwrap();
    }
}

/// The largest number of `starts` of `conversation_type` inside any window `[t, t + 1 s)`.
fn busiest_second(starts: &[Start], conversation_type: Option<ConversationType>) -> usize {
    let of_type: Vec<Instant> = starts
        .iter()
        .filter(|start| conversation_type.is_none_or(|kind| start.conversation_type == kind))
        .map(|start| start.at)
        .collect();
    of_type
        .iter()
        .map(|from| of_type.iter().filter(|at| **at >= *from && **at < *from + Duration::from_secs(1)).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn peer_sends_start_twenty_in_any_second() {
    let transport = FakeTransport::new();
    let client = client(&transport, per_action_only());
    let begin = Instant::now();
    send_many(&client, "bot", ConversationType::Peer, 45).await;
    let starts = transport.starts();
    assert_eq!(busiest_second(&starts, None), 20);
    // Ten at once (half the limit), then one a slot of 50 ms: twenty by 500 ms; the 21st when the first leaves the
    // window at 1 s, and from there one a slot (20 a second), so the 45th at 2.2 s.
    assert_eq!(starts[19].at - begin, Duration::from_millis(500));
    assert_eq!(starts[20].at - begin, Duration::from_secs(1));
    assert_eq!(starts[44].at - begin, Duration::from_millis(2200));
}

#[tokio::test(start_paused = true)]
async fn room_sends_start_ten_in_any_second() {
    let transport = FakeTransport::new();
    let client = client(&transport, per_action_only());
    send_many(&client, "bot", ConversationType::Room, 35).await;
    assert_eq!(busiest_second(&transport.starts(), None), 10);
}

#[tokio::test(start_paused = true)]
async fn group_sends_start_ten_in_any_second() {
    let transport = FakeTransport::new();
    let client = client(&transport, per_action_only());
    send_many(&client, "bot", ConversationType::Group, 35).await;
    assert_eq!(busiest_second(&transport.starts(), None), 10);
}

#[tokio::test(start_paused = true)]
async fn each_action_fills_its_own_window_at_the_same_time() {
    let transport = FakeTransport::new();
    let client = client(&transport, per_action_only());
    let begin = Instant::now();
    let peer = send_many(&client, "a", ConversationType::Peer, 20);
    let room = send_many(&client, "b", ConversationType::Room, 10);
    let group = send_many(&client, "c", ConversationType::Group, 10);
    tokio::join!(peer, room, group);
    let starts = transport.starts();
    assert_eq!(starts.len(), 40);
    // Each action starts half its limit at once and the rest one slot apart, each in its own window: all 40 are
    // within the first half second, none held by another action's window.
    assert_eq!(starts.iter().filter(|start| start.at == begin).count(), 10 + 5 + 5);
    assert!(starts.iter().all(|start| start.at - begin <= Duration::from_millis(500)), "{starts:?}");
}

#[tokio::test(start_paused = true)]
async fn the_overall_cap_holds_all_send_actions_together() {
    let transport = FakeTransport::new();
    let config = ClientConfig { sends_per_window: 10, safety_margin_ms: Some(0), ..ClientConfig::default() };
    let client = client(&transport, config);
    let peer = send_many(&client, "a", ConversationType::Peer, 20);
    let group = send_many(&client, "c", ConversationType::Group, 10);
    tokio::join!(peer, group);
    assert_eq!(busiest_second(&transport.starts(), None), 10);
}

#[tokio::test(start_paused = true)]
async fn the_limits_are_configurable() {
    let transport = FakeTransport::new();
    let action_limits = ActionLimits { send_room_message: 3, ..ActionLimits::default() };
    let client = client(&transport, ClientConfig { action_limits, ..per_action_only() });
    send_many(&client, "bot", ConversationType::Room, 10).await;
    assert_eq!(busiest_second(&transport.starts(), None), 3);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_room_send_pauses_room_sends_but_not_peer_sends() {
    let transport = FakeTransport::new();
    let config = ClientConfig { rate_limit_pause_ms: 2000, ..per_action_only() };
    let client = client(&transport, config);
    transport.fail_next([ZimCode::CONVERSATION_FREQUENCY_LIMIT]);
    let begin = Instant::now();
    let room = client.send(&sender("a", Priority::High), SendRequest::text("room", "lobby", ConversationType::Room));
    let room = room.unwrap();
    // Let the room send meet its throttling answer (counted as a retry, in the same step that pauses its window)
    // before the peer send is made; virtual time does not move while this task yields.
    while client.stats().retried == 0 {
        tokio::task::yield_now().await;
    }
    let peer = client.send(&sender("b", Priority::Medium), SendRequest::text("peer", "alice", ConversationType::Peer));
    let peer = peer.unwrap().result().await.unwrap();
    let room = room.result().await.unwrap();
    let starts = transport.starts();
    let peer_start = starts.iter().find(|start| start.body == "peer").unwrap();
    let room_retry = starts.iter().filter(|start| start.body == "room").nth(1).unwrap();
    assert_eq!((peer.attempts, room.attempts), (1, 2));
    assert!(peer_start.at - begin < Duration::from_millis(2000), "the peer window is not paused");
    assert_eq!(room_retry.at - begin, Duration::from_millis(2000), "the room send waits out the pause");
}

#[tokio::test(start_paused = true)]
async fn every_throttling_code_pauses_and_retries() {
    for code in [7, 660_300_005, 660_300_006, 660_600_010, 660_700_001] {
        let transport = FakeTransport::new();
        let config = ClientConfig { rate_limit_pause_ms: 700, ..per_action_only() };
        let client = client(&transport, config);
        transport.fail_next([ZimCode(code)]);
        let begin = Instant::now();
        let request = SendRequest::text("hi", "lobby", ConversationType::Room);
        let sent = client.send(&sender("a", Priority::Medium), request).unwrap().result().await.unwrap();
        let starts = transport.starts();
        assert_eq!(sent.attempts, 2, "code {code}");
        assert_eq!(starts[1].at - begin, Duration::from_millis(700), "code {code}");
    }
}

fn bots(count: usize) -> Vec<RegisterUserInfo> {
    (0..count)
        .map(|index| RegisterUserInfo {
            user_id: format!("@RBT#{index}"),
            user_name: String::new(),
            user_avatar: String::new(),
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn registering_many_bots_stays_under_twenty_calls_a_second() {
    let transport = FakeTransport::new();
    let client = client(&transport, per_action_only());
    let begin = Instant::now();
    // 1000 bots: 50 calls of 20.
    client.register_bots(bots(1000)).await.unwrap();
    let registers = transport.registers();
    assert_eq!(registers.len(), 50);
    assert!(registers.iter().all(|(_, count)| *count == 20));
    let busiest = registers
        .iter()
        .map(|(from, _)| {
            registers.iter().filter(|(at, _)| *at >= *from && *at < *from + Duration::from_secs(1)).count()
        })
        .max();
    assert_eq!(busiest, Some(20));
    assert_eq!(registers[49].0 - begin, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_throttled_registration_pauses_the_register_window_and_retries() {
    let transport = FakeTransport::new();
    let config = ClientConfig { rate_limit_pause_ms: 1200, ..per_action_only() };
    let client = client(&transport, config);
    transport.fail_next_registers([ZimCode::REGISTER_FREQUENCY_LIMIT]);
    let begin = Instant::now();
    client.register_bots(bots(3)).await.unwrap();
    let registers = transport.registers();
    assert_eq!(registers.len(), 2);
    assert_eq!(registers[1].0 - begin, Duration::from_millis(1200));
}
