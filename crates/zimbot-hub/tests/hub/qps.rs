//! Per-action QPS over a sliding one-second window, measured with a hand-moved clock.

use crate::support::{start_hub, test_config};
use std::sync::Arc;
use std::time::Duration;
use zimbot_clock::ManualClock;
use zimbot_hub::ServerAction as Action;

#[tokio::test]
async fn exactly_the_limit_passes_and_one_more_answers_7_and_counts_a_violation() {
    let clock = ManualClock::default();
    let hub = start_hub(|config| {
        config.clock = Arc::new(clock.clone());
        config.qps_limits.insert(Action::SendRoomMessage, 3);
    })
    .await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    for attempt in 0..3 {
        let answer = hub.send_room_text("@RBT#announcer", "lobby", "hi").await;
        assert_eq!(answer["Code"], 0, "attempt {attempt}: {answer}");
    }
    let refused = hub.send_room_text("@RBT#announcer", "lobby", "hi").await;
    assert_eq!(refused["Code"], 7, "{refused}");
    assert_eq!(hub.hub.stats().qps_violations.get("SendRoomMessage"), Some(&1));
    assert_eq!(hub.hub.stats().messages, 3, "the refused request stored nothing");

    clock.advance(Duration::from_secs(1));
    let later = hub.send_room_text("@RBT#announcer", "lobby", "hi").await;
    assert_eq!(later["Code"], 0, "a second later the window has room again: {later}");
}

#[tokio::test]
async fn each_action_has_its_own_window() {
    let clock = ManualClock::default();
    let hub = start_hub(|config| {
        config.clock = Arc::new(clock.clone());
        config.qps_limits.insert(Action::SendRoomMessage, 1);
    })
    .await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    assert_eq!(hub.send_room_text("@RBT#announcer", "lobby", "hi").await["Code"], 0);
    hub.register_user("alice").await;
    assert_eq!(hub.send_room_text("@RBT#announcer", "lobby", "hi").await["Code"], 7);
}

#[test]
fn the_default_limits_are_the_documented_ones() {
    let config = test_config(std::path::Path::new("unused"));
    let documented = [
        (Action::SendPeerMessage, 20),
        (Action::SendRoomMessage, 10),
        (Action::SendGroupMessage, 10),
        (Action::RobotRegister, 20),
    ];
    for (action, limit) in documented {
        assert_eq!(config.qps_limits.get(&action), Some(&limit), "{action:?}");
    }
}

#[tokio::test]
async fn forged_requests_do_not_spend_the_window_of_signed_ones() {
    let clock = ManualClock::default();
    let hub = start_hub(|config| {
        config.clock = Arc::new(clock.clone());
        config.qps_limits.insert(Action::SendRoomMessage, 3);
    })
    .await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    let body = crate::support::text_body("@RBT#announcer", "RoomId", serde_json::json!("lobby"), "forged");
    for _ in 0..50 {
        let mut forged = crate::support::signed_query(Action::SendRoomMessage);
        forged.signature = "0".repeat(32);
        let (_, answer) = hub.call_with(&forged, &body).await;
        assert_eq!(answer["Code"], 100000005, "{answer}");
    }
    for attempt in 0..3 {
        let answer = hub.send_room_text("@RBT#announcer", "lobby", "real").await;
        assert_eq!(answer["Code"], 0, "signed request {attempt}: {answer}");
    }
    assert_eq!(hub.hub.stats().qps_violations.get("SendRoomMessage"), None);
}

#[tokio::test]
async fn the_most_negative_timestamp_is_refused_as_expired() {
    let hub = start_hub(|_| {}).await;
    let query = crate::support::sign(
        Action::UserRegister,
        crate::support::APP_ID,
        crate::support::SERVER_SECRET,
        "0011223344556677".to_owned(),
        i64::MIN,
    );
    let (status, answer) = hub.call_with(&query, &serde_json::json!({"UserInfo": [{"UserId": "alice"}]})).await;
    assert_eq!((status.as_u16(), answer["Code"].as_i64()), (200, Some(100000004)), "{answer}");
    hub.register_user("alice").await;
}
