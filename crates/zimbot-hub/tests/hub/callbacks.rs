//! Callbacks: signed, `bot_msg` for bots, retried until accepted, in order, never blocking the APIs.

use crate::support::{start_hub, text_body, CallbackReceiver, CALLBACK_SECRET, DEADLINE};
use serde_json::json;
use std::time::Duration;
use zimbot_hub::ServerAction as Action;
use zimbot_wire::{callback_signature, CallbackEvent, CallbackMediaBody};

fn signature_is_valid(callback: &zimbot_wire::Callback) -> bool {
    callback.signature == callback_signature(CALLBACK_SECRET, &callback.timestamp.to_string(), &callback.nonce)
}

#[tokio::test]
async fn a_room_message_fires_a_signed_send_msg_from_the_server_api() {
    let mut receiver = CallbackReceiver::start(0).await;
    let hub = start_hub(|config| config.callback_url = Some(receiver.url.clone())).await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    hub.send_room_text("@RBT#announcer", "lobby", "doors open").await;

    let callback = receiver.next_accepted().await;
    assert!(signature_is_valid(&callback), "{callback:?}");
    assert_eq!(callback.event, CallbackEvent::SendMsg);
    assert_eq!(callback.appid, crate::support::APP_ID.to_string());
    assert_eq!((callback.conv_type, callback.conv_id.as_str()), (1, "lobby"));
    assert_eq!((callback.from_user_id.as_str(), callback.msg_body.as_str()), ("@RBT#announcer", "doors open"));
    assert_eq!((callback.source, callback.msg_type, callback.msg_seq), (1, 1, 1));
    let received = callback.to_received_message().expect("the runtime can read it");
    assert_eq!(received.text(), Some("doors open"));
}

#[tokio::test]
async fn a_peer_message_to_a_bot_fires_send_msg_then_bot_msg_named_by_the_receiver() {
    let mut receiver = CallbackReceiver::start(0).await;
    let hub = start_hub(|config| config.callback_url = Some(receiver.url.clone())).await;
    hub.register_bot("@RBT#echo").await;
    let (status, _) =
        hub.post_client(json!({"from": "alice", "conv_type": "peer", "conv_id": "@RBT#echo", "text": "ping"})).await;
    assert!(status.is_success());

    let first = receiver.next_accepted().await;
    let second = receiver.next_accepted().await;
    assert_eq!((first.event.clone(), second.event.clone()), (CallbackEvent::SendMsg, CallbackEvent::BotMsg));
    for callback in [&first, &second] {
        assert!(signature_is_valid(callback));
        assert_eq!((callback.conv_type, callback.conv_id.as_str()), (0, "@RBT#echo"));
        assert_eq!((callback.from_user_id.as_str(), callback.source), ("alice", 0));
    }
    assert_ne!(first.nonce, second.nonce, "every callback gets a fresh nonce");
    assert_eq!(first.msg_id, second.msg_id);
}

#[tokio::test]
async fn a_peer_message_between_people_fires_no_bot_msg() {
    let mut receiver = CallbackReceiver::start(0).await;
    let hub = start_hub(|config| config.callback_url = Some(receiver.url.clone())).await;
    hub.register_user("bob").await;
    hub.post_client(json!({"from": "alice", "conv_type": 0, "conv_id": "bob", "text": "one"})).await;
    hub.post_client(json!({"from": "alice", "conv_type": 0, "conv_id": "bob", "text": "two"})).await;
    let events = [receiver.next_accepted().await, receiver.next_accepted().await];
    assert!(events.iter().all(|callback| callback.event == CallbackEvent::SendMsg), "{events:?}");
    assert_eq!(events.map(|callback| callback.msg_body), ["one", "two"]);
}

#[tokio::test]
async fn client_media_fires_the_client_form_of_msg_body() {
    let mut receiver = CallbackReceiver::start(0).await;
    let hub = start_hub(|config| config.callback_url = Some(receiver.url.clone())).await;
    let media = json!({"type": "image", "url": "http://h/media/u/cat.png", "file_name": "cat.png", "file_size": 3});
    hub.post_client(json!({"from": "alice", "conv_type": "group", "conv_id": "team", "media": media})).await;

    let callback = receiver.next_accepted().await;
    assert_eq!(callback.msg_type, 11);
    let body: CallbackMediaBody = serde_json::from_str(&callback.msg_body).expect("a client media body");
    assert_eq!(
        (body.download_url.as_str(), body.file_name.as_str(), body.file_size),
        ("http://h/media/u/cat.png", "cat.png", 3)
    );
}

#[tokio::test]
async fn a_refused_callback_is_retried_until_the_receiver_answers_2xx() {
    let mut receiver = CallbackReceiver::start(2).await;
    let hub = start_hub(|config| config.callback_url = Some(receiver.url.clone())).await;
    // A peer message: a room would fire room_create first.
    hub.register_bot("@RBT#announcer").await;
    hub.register_user("alice").await;
    hub.call(Action::SendPeerMessage, text_body("@RBT#announcer", "ToUserId", json!(["alice"]), "hi")).await;

    let attempts = [receiver.next_attempt().await, receiver.next_attempt().await, receiver.next_attempt().await];
    assert_eq!(attempts.each_ref().map(|attempt| attempt.accepted), [false, false, true]);
    assert!(attempts.iter().all(|attempt| attempt.callback.msg_id == attempts[0].callback.msg_id));
    assert!(attempts.iter().all(|attempt| signature_is_valid(&attempt.callback)), "retries are signed afresh");
    let stats = hub.stats_until("the delivery to be counted", |stats| stats.callbacks_delivered == 1).await;
    assert_eq!((stats.callbacks_retried, stats.callbacks_failed), (2, 0));
}

#[tokio::test]
async fn a_callback_is_given_up_after_the_last_retry() {
    let mut receiver = CallbackReceiver::start(usize::MAX).await;
    let hub = start_hub(|config| {
        config.callback_url = Some(receiver.url.clone());
        config.callback_retry_delays = vec![Duration::from_millis(5); 2];
    })
    .await;
    hub.register_bot("@RBT#announcer").await;
    hub.register_user("alice").await;
    hub.call(Action::SendPeerMessage, text_body("@RBT#announcer", "ToUserId", json!(["alice"]), "hi")).await;

    for _ in 0..3 {
        assert!(!receiver.next_attempt().await.accepted);
    }
    let stats = hub.stats_until("the callback to be given up", |stats| stats.callbacks_failed == 1).await;
    assert_eq!((stats.callbacks_delivered, stats.callbacks_retried), (0, 2));
}

#[tokio::test]
async fn callbacks_of_one_conversation_are_delivered_in_message_order_despite_retries() {
    let mut receiver = CallbackReceiver::start(3).await;
    let hub = start_hub(|config| config.callback_url = Some(receiver.url.clone())).await;
    hub.register_bot("@RBT#poster").await;
    hub.create_group("@RBT#poster", "team").await;
    for number in 1..=5 {
        let answer = hub
            .call(Action::SendGroupMessage, text_body("@RBT#poster", "GroupId", json!("team"), &number.to_string()))
            .await;
        assert_eq!(answer["Code"], 0, "{answer}");
    }
    let mut delivered = Vec::new();
    for _ in 1..=5 {
        delivered.push(receiver.next_accepted().await.msg_seq);
    }
    assert_eq!(delivered, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_receiver_that_never_answers_does_not_hold_up_the_server_api() {
    // A listener that accepts connections and never reads them: every callback attempt hangs.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", silent.local_addr().unwrap());
    let hub = start_hub(|config| {
        config.callback_url = Some(url);
        config.callback_timeout = Duration::from_secs(60);
        config.callback_retry_delays = vec![Duration::from_secs(60)];
    })
    .await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    let sending = async {
        for _ in 0..5 {
            assert_eq!(hub.send_room_text("@RBT#announcer", "lobby", "hi").await["Code"], 0);
        }
    };
    tokio::time::timeout(DEADLINE, sending).await.expect("the sends are answered while callbacks hang");
    assert_eq!(hub.hub.stats().messages, 5);
    drop(silent);
}

#[tokio::test]
async fn a_conversations_queue_behind_a_hanging_receiver_is_bounded_by_dropping_the_oldest_waiting() {
    // A listener that accepts connections and never reads them: the first callback stays in delivery.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/callback", silent.local_addr().unwrap());
    let hub = start_hub(|config| {
        config.callback_url = Some(url);
        config.callback_timeout = Duration::from_secs(60);
        config.callback_queue_limit = 3;
    })
    .await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    // Eight sends: within SendRoomMessage's 10 per second.
    for number in 1..=8 {
        assert_eq!(hub.send_room_text("@RBT#announcer", "lobby", &number.to_string()).await["Code"], 0);
    }
    // room_create in delivery, three messages waiting: the other five were dropped, oldest first, each counted.
    assert_eq!(hub.hub.stats().callbacks_dropped, 5);
    hub.create_room("@RBT#announcer", "other-room").await;
    assert_eq!(hub.send_room_text("@RBT#announcer", "other-room", "x").await["Code"], 0);
    assert_eq!(hub.hub.stats().callbacks_dropped, 5, "another conversation has its own queue");
    drop(silent);
}
