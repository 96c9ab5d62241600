//! The callback queue survives a restart of the hub: what was owed is delivered after it, in order, and what was
//! delivered is not delivered again.

use crate::support::{start_hub_in, CallbackReceiver};
use serde_json::json;
use std::time::Duration;

/// Retries far apart, so a refused callback is still waiting for its next attempt when the hub stops.
const SLOW_RETRIES: Duration = Duration::from_secs(600);

#[tokio::test]
async fn callbacks_waiting_for_a_retry_at_shutdown_are_delivered_in_order_after_the_restart() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut refusing = CallbackReceiver::start(usize::MAX).await;
    let hub = start_hub_in(data_dir.path(), |config| {
        config.callback_url = Some(refusing.url.clone());
        config.callback_retry_delays = vec![SLOW_RETRIES; 5];
    })
    .await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    hub.send_room_text("@RBT#announcer", "lobby", "one").await;
    hub.send_room_text("@RBT#announcer", "lobby", "two").await;
    assert!(!refusing.next_attempt().await.accepted, "the first attempt was refused");
    hub.hub.shutdown().await;

    let mut accepting = CallbackReceiver::start(0).await;
    let hub = start_hub_in(data_dir.path(), |config| config.callback_url = Some(accepting.url.clone())).await;
    let delivered = [accepting.next_accepted().await.msg_body, accepting.next_accepted().await.msg_body];
    assert_eq!(delivered, ["one", "two"]);
    hub.hub.shutdown().await;
}

#[tokio::test]
async fn a_delivered_callback_is_not_delivered_again_after_a_restart() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut first = CallbackReceiver::start(0).await;
    let hub = start_hub_in(data_dir.path(), |config| config.callback_url = Some(first.url.clone())).await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    hub.send_room_text("@RBT#announcer", "lobby", "before").await;
    assert_eq!(first.next_accepted().await.msg_body, "before");
    // The receiver has it; the hub counts it delivered once it has read the answer. Two callbacks went out in the
    // room's order: room_create, then the message's send_msg.
    hub.stats_until("both callbacks delivered", |stats| stats.callbacks_delivered >= 2).await;
    hub.hub.shutdown().await;

    let mut second = CallbackReceiver::start(0).await;
    let hub = start_hub_in(data_dir.path(), |config| config.callback_url = Some(second.url.clone())).await;
    // Rooms live in the hub's memory, as an empty room lives only until its destroy delay on the service.
    hub.create_room("@RBT#announcer", "lobby").await;
    hub.send_room_text("@RBT#announcer", "lobby", "after").await;
    assert_eq!(second.next_accepted().await.msg_body, "after", "the first run's callback came again");
    hub.hub.shutdown().await;
}

#[tokio::test]
async fn membership_callbacks_waiting_for_a_retry_at_shutdown_are_delivered_in_order_after_the_restart() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut refusing = CallbackReceiver::start(usize::MAX).await;
    let hub = start_hub_in(data_dir.path(), |config| {
        config.callback_url = Some(refusing.url.clone());
        config.callback_retry_delays = vec![SLOW_RETRIES; 5];
    })
    .await;
    let entered = hub.http.post(hub.url("/client/v1/rooms/lobby/enter")).json(&json!({"user": "alice"})).send().await;
    assert!(entered.unwrap().status().is_success());
    assert!(!refusing.next_attempt().await.accepted, "the first attempt was refused");
    hub.hub.shutdown().await;

    let mut accepting = CallbackReceiver::start(0).await;
    let hub = start_hub_in(data_dir.path(), |config| config.callback_url = Some(accepting.url.clone())).await;
    let first = accepting.next_attempt().await.raw;
    let second = accepting.next_attempt().await.raw;
    assert_eq!(
        [
            (first["event"].clone(), first["room_id"].clone()),
            (second["event"].clone(), second["operator_account"].clone())
        ],
        [(json!("room_create"), json!("lobby")), (json!("room_enter"), json!("alice"))]
    );
    hub.hub.shutdown().await;
}
