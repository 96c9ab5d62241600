//! The Server API transport and the hub store over real HTTP on loopback, through the client.

mod support;

use std::sync::Arc;
use support::server::{Answer, TestServer, SECRET};
use support::{all_events, assert_event_order, fast_config, sender, transport_to};
use zimbot_client::{Client, HubMediaStore, ServerApiTransport, Transport};
use zimbot_model::{
    ConversationType, MediaKind, MediaMessage, Priority, PushConfig, SendConfig, SendEvent, SendRequest, ZimCode,
};
use zimbot_wire::{server_api_signature, RegisterUserInfo};

fn transport(server: &TestServer) -> ServerApiTransport {
    transport_to(server.base_url(), SECRET)
}

fn client(server: &TestServer) -> Client {
    let store = HubMediaStore::new(server.base_url()).unwrap();
    Client::new(fast_config(), Arc::new(transport(server)), Arc::new(store))
}

#[test]
fn the_signature_matches_the_published_test_vector() {
    assert_eq!(
        server_api_signature(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943),
        "43e5cfcca828314675f91b001390566a"
    );
}

#[tokio::test]
async fn every_request_is_signed_with_a_fresh_nonce_and_the_current_time() {
    let server = TestServer::start().await;
    let client = client(&server);
    for index in 0..3 {
        let request = SendRequest::text(format!("hi {index}"), "lobby", ConversationType::Room);
        client.send(&sender("bot", Priority::Medium), request).unwrap().result().await.unwrap();
    }
    let calls = server.calls();
    assert_eq!(calls.len(), 3);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    for call in &calls {
        assert!(call.signature_ok, "{:?}", call.query);
        assert_eq!(call.query.signature_version, "2.0");
        assert_eq!(call.query.signature_nonce.len(), 16);
        assert!(call.query.signature_nonce.chars().all(|c| c.is_ascii_hexdigit()));
        assert!((call.query.timestamp - now).abs() < 60);
    }
    let nonces: std::collections::HashSet<_> = calls.iter().map(|call| call.query.signature_nonce.clone()).collect();
    assert_eq!(nonces.len(), 3);
}

#[tokio::test]
async fn a_wrong_secret_fails_at_once_with_the_signature_code() {
    let server = TestServer::start().await;
    let transport = transport_to(server.base_url(), "wrong");
    let client =
        Client::new(fast_config(), Arc::new(transport), Arc::new(HubMediaStore::new(server.base_url()).unwrap()));
    let failure = client
        .send(&sender("bot", Priority::Medium), SendRequest::text("hi", "lobby", ConversationType::Room))
        .unwrap()
        .result()
        .await
        .unwrap_err();
    assert_eq!(failure.error.code, ZimCode::SIGNATURE_INVALID);
    assert!(
        failure.error.message.contains("signature invalid (check app id and server secret)"),
        "{}",
        failure.error.message
    );
    assert_eq!(failure.attempts, 1);
    assert_eq!(server.calls().len(), 1);
}

#[tokio::test]
async fn a_room_media_send_uploads_then_carries_the_media_body() {
    let server = TestServer::start().await;
    let client = client(&server);
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("cat photo.png");
    let mut bytes = support::images::png(64, 48);
    bytes.resize(300_000, 7);
    std::fs::write(&path, bytes).unwrap();
    let image = MediaMessage::image(&path).with_extended_data("a caption");
    let config = SendConfig {
        push: Some(PushConfig { title: "New photo".into(), content: "look".into(), payload: "p".into() }),
        sender_unaware: true,
        ..SendConfig::default()
    };
    let sent = client
        .send(&sender("poster", Priority::Medium), SendRequest::media(image, "lobby", ConversationType::Room, config))
        .unwrap()
        .result()
        .await
        .unwrap();

    let uploads = server.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!((uploads[0].received, uploads[0].content_length), (300_000, Some(300_000)));
    assert_eq!(uploads[0].file_name, "cat photo.png");
    let url = sent.media_url.clone().unwrap();
    // The hub answers with the public URL; the client passes it on as is.
    assert_eq!(url, format!("{}/media/{}/cat photo.png", server.base_url(), uploads[0].uid));

    let call = &server.calls()[0];
    assert_eq!(call.action(), "SendRoomMessage");
    assert_eq!(call.body["FromUserId"], "@RBT#poster");
    assert_eq!(call.body["RoomId"], "lobby");
    assert_eq!(call.body["MessageType"], 11);
    assert_eq!(call.body["Priority"], 2);
    assert_eq!(call.body["SenderUnaware"], 1);
    assert_eq!(call.body["MessageBody"]["ExtendedData"], "a caption");
    assert_eq!(call.body["MessageBody"]["OfflinePush"]["Title"], "New photo");
    assert_eq!(call.body["MessageBody"]["OfflinePush"]["Enable"], 1);
    let description = call.media_description();
    assert_eq!(description["Origin"]["Url"], url.as_str());
    assert_eq!(
        (description["Origin"]["Width"].as_u64(), description["Origin"]["Height"].as_u64()),
        (Some(64), Some(48))
    );
    assert_eq!(description["Size"], 300_000);
    assert_eq!(description["Uid"].as_str().unwrap(), uploads[0].uid);
}

#[tokio::test]
async fn each_send_gets_its_own_media_uid() {
    let server = TestServer::start().await;
    let client = client(&server);
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("a.txt");
    std::fs::write(&path, b"abc").unwrap();
    for _ in 0..2 {
        let request =
            SendRequest::media(MediaMessage::file(&path), "lobby", ConversationType::Room, SendConfig::default());
        client.send(&sender("bot", Priority::Medium), request).unwrap().result().await.unwrap();
    }
    let uids: Vec<_> = server.uploads().into_iter().map(|upload| upload.uid).collect();
    assert_eq!(uids.len(), 2);
    assert_ne!(uids[0], uids[1]);
}

#[tokio::test]
async fn url_media_is_sent_without_an_upload() {
    let server = TestServer::start().await;
    let client = client(&server);
    let message = MediaMessage::from_url(MediaKind::Video, "http://cdn.example/clip.mp4", "clip.mp4");
    let mut handle = client
        .send(
            &sender("bot", Priority::Medium),
            SendRequest::media(message, "g1", ConversationType::Group, SendConfig::default()),
        )
        .unwrap();
    let events = all_events(&mut handle).await;
    assert!(assert_event_order(&events).is_empty(), "no progress without an upload");
    assert!(server.uploads().is_empty());
    assert_eq!(server.calls()[0].media_description()["Url"], "http://cdn.example/clip.mp4");
}

#[tokio::test]
async fn a_peer_send_sets_no_unread_and_returns_the_message_id_and_seq() {
    let server = TestServer::start().await;
    let client = client(&server);
    let mut request = SendRequest::text("hello", "alice", ConversationType::Peer);
    request.config.disable_unread_message_count = true;
    let sent = client.send(&sender("bot", Priority::Medium), request).unwrap().result().await.unwrap();
    assert_eq!((sent.message_id.as_deref(), sent.message_seq), (Some("m1"), Some(1)));
    let call = &server.calls()[0];
    assert_eq!(call.action(), "SendPeerMessage");
    assert_eq!(call.body["ToUserId"], serde_json::json!(["alice"]));
    assert_eq!(call.body["SendMsgOptions"]["NoUnread"], true);
    assert_eq!(call.body["MessageBody"]["Message"], "hello");
    assert!(call.body.get("SenderUnaware").is_none());
}

#[tokio::test]
async fn a_group_send_returns_the_message_id_and_seq() {
    let server = TestServer::start().await;
    let client = client(&server);
    let sent = client
        .send(&sender("bot", Priority::Medium), SendRequest::text("hi", "g1", ConversationType::Group))
        .unwrap()
        .result()
        .await
        .unwrap();
    assert_eq!((sent.message_id.as_deref(), sent.message_seq), (Some("m1"), Some(1)));
    assert_eq!(server.calls()[0].body["GroupId"], "g1");
}

#[tokio::test]
async fn a_peer_send_whose_error_list_names_the_receiver_fails_with_its_sub_code() {
    let server = TestServer::start().await;
    server.answer([Answer::Json(serde_json::json!({
        "Code": 0, "Message": "success", "RequestId": "r",
        "SuccList": [], "ErrorList": [{"UserId": "ghost", "SubCode": 660200001}]
    }))]);
    let client = client(&server);
    let failure = client
        .send(&sender("bot", Priority::Medium), SendRequest::text("hi", "ghost", ConversationType::Peer))
        .unwrap()
        .result()
        .await
        .unwrap_err();
    assert_eq!(failure.error.code, ZimCode::USER_NOT_FOUND);
    assert!(failure.error.message.contains("ghost"), "{}", failure.error.message);
    assert_eq!(server.calls().len(), 1, "a missing user is not retried");
}

#[tokio::test]
async fn retryable_failures_are_retried_until_success_with_one_terminal_event() {
    let server = TestServer::start().await;
    server.answer([Answer::Status(503), Answer::Code(7)]);
    let client = client(&server);
    let mut handle = client
        .send(&sender("bot", Priority::Medium), SendRequest::text("hi", "lobby", ConversationType::Room))
        .unwrap();
    let events = all_events(&mut handle).await;
    assert_event_order(&events);
    match events.last().unwrap() {
        SendEvent::Sent(sent) => assert_eq!(sent.attempts, 3),
        other => panic!("expected sent, got {other:?}"),
    }
    assert_eq!(server.calls().len(), 3);
    assert_eq!(client.stats().retried, 2);
}

#[tokio::test]
async fn a_permanent_code_fails_at_once_with_one_terminal_event() {
    let server = TestServer::start().await;
    server.answer([Answer::Code(660600001)]);
    let client = client(&server);
    let mut handle = client
        .send(&sender("bot", Priority::Medium), SendRequest::text("hi", "nowhere", ConversationType::Group))
        .unwrap();
    let events = all_events(&mut handle).await;
    assert_event_order(&events);
    match events.last().unwrap() {
        SendEvent::Failed(failure) => {
            assert_eq!((failure.error.code, failure.attempts), (ZimCode::GROUP_NOT_FOUND, 1));
            assert!(failure.error.message.contains("SendGroupMessage"), "{}", failure.error.message);
        }
        other => panic!("expected failed, got {other:?}"),
    }
    assert_eq!(server.calls().len(), 1);
}

#[tokio::test]
async fn retries_stop_after_max_attempts() {
    let server = TestServer::start().await;
    server.answer(std::iter::repeat_n(Answer::Status(500), 10));
    let client = client(&server);
    let failure = client
        .send(&sender("bot", Priority::Medium), SendRequest::text("hi", "lobby", ConversationType::Room))
        .unwrap()
        .result()
        .await
        .unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::HTTP_STATUS, 5));
    assert_eq!(server.calls().len(), 5);
}

#[tokio::test]
async fn an_unreachable_service_is_a_network_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let transport = transport_to(base_url, SECRET);
    let message = zimbot_client::outbound_message(
        &zimbot_model::UserId::from("@RBT#a"),
        &SendRequest::text("hi", "lobby", ConversationType::Room),
        "",
        "",
    );
    let error = transport.send_message(&message).await.unwrap_err();
    assert_eq!(error.code, ZimCode::NETWORK);
}

#[tokio::test]
async fn registering_bots_treats_already_existing_as_success_and_batches_by_twenty() {
    let server = TestServer::start().await;
    server.answer([Answer::Json(serde_json::json!({
        "Code": 0, "Message": "success", "RequestId": "r", "ErrorList": [{"UserId": "@RBT#0", "SubCode": 660700002}]
    }))]);
    let client = client(&server);
    let bots: Vec<_> = (0..25)
        .map(|index| RegisterUserInfo {
            user_id: format!("@RBT#{index}"),
            user_name: format!("bot {index}"),
            user_avatar: String::new(),
        })
        .collect();
    client.register_bots(bots).await.unwrap();
    let calls = server.calls();
    assert!(calls.iter().all(|call| call.action() == "RobotRegister"));
    let sizes: Vec<_> = calls.iter().map(|call| call.body["UserInfo"].as_array().unwrap().len()).collect();
    assert_eq!(sizes, vec![20, 5]);
}

#[tokio::test]
async fn registering_bots_reports_other_sub_codes() {
    let server = TestServer::start().await;
    server.answer([Answer::Json(serde_json::json!({
        "Code": 0, "Message": "success", "RequestId": "r", "ErrorList": [{"UserId": "@RBT#x", "SubCode": 660000002}]
    }))]);
    let client = client(&server);
    let bot = RegisterUserInfo { user_id: "@RBT#x".into(), user_name: "x".into(), user_avatar: String::new() };
    let error = client.register_bots(vec![bot]).await.unwrap_err();
    assert_eq!(error.code, ZimCode::INVALID_PARAMETER);
    assert!(error.message.contains("@RBT#x"), "{}", error.message);
}
