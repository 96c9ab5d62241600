//! The Server API: authentication codes, each action's answer shape, body validation.

use crate::support::sign;
use crate::support::{signed_query, start_hub, text_body, unix_now, APP_ID, SERVER_SECRET};
use axum::http::StatusCode;
use serde_json::json;
use zimbot_hub::ServerAction as Action;

#[tokio::test]
async fn a_correctly_signed_request_is_accepted() {
    let hub = start_hub(|_| {}).await;
    let answer = hub.call(Action::UserRegister, json!({"UserInfo": [{"UserId": "alice"}]})).await;
    assert_eq!(answer["Code"], 0, "{answer}");
    assert_eq!(answer["Message"], "success");
    assert!(answer["RequestId"].as_str().is_some_and(|id| !id.is_empty()), "{answer}");
}

#[tokio::test]
async fn a_bad_signature_answers_100000005_with_http_200() {
    let hub = start_hub(|_| {}).await;
    let query = sign(Action::UserRegister, APP_ID, "not-the-secret", "0011223344556677".into(), unix_now());
    let (status, answer) = hub.call_with(&query, &json!({"UserInfo": [{"UserId": "alice"}]})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["Code"], 100_000_005, "{answer}");
}

#[tokio::test]
async fn a_timestamp_over_ten_minutes_old_answers_100000004() {
    let hub = start_hub(|_| {}).await;
    let stale = unix_now() - 11 * 60;
    let query = sign(Action::UserRegister, APP_ID, SERVER_SECRET, "0011223344556677".into(), stale);
    let (_, answer) = hub.call_with(&query, &json!({"UserInfo": [{"UserId": "alice"}]})).await;
    assert_eq!(answer["Code"], 100_000_004, "{answer}");
}

#[tokio::test]
async fn a_timestamp_nine_minutes_off_is_accepted() {
    let hub = start_hub(|_| {}).await;
    let skewed = unix_now() + 9 * 60;
    let query = sign(Action::UserRegister, APP_ID, SERVER_SECRET, "0011223344556677".into(), skewed);
    let (_, answer) = hub.call_with(&query, &json!({"UserInfo": [{"UserId": "alice"}]})).await;
    assert_eq!(answer["Code"], 0, "{answer}");
}

#[tokio::test]
async fn another_app_id_answers_auth_failed() {
    let hub = start_hub(|_| {}).await;
    let query = sign(Action::UserRegister, APP_ID + 1, SERVER_SECRET, "0011223344556677".into(), unix_now());
    let (_, answer) = hub.call_with(&query, &json!({"UserInfo": [{"UserId": "alice"}]})).await;
    assert_eq!(answer["Code"], 3, "{answer}");
    assert!(answer["Message"].as_str().unwrap().contains(&APP_ID.to_string()), "{answer}");
}

#[tokio::test]
async fn a_bad_query_answers_http_200_with_660000002_naming_the_parameter() {
    let hub = start_hub(|_| {}).await;
    let response = hub.http.post(hub.url("/?Action=SendRoomMessage&AppId=abc")).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["Code"], 660_000_002, "{answer}");
    assert!(answer["Message"].as_str().unwrap().contains("AppId"), "{answer}");
}

#[tokio::test]
async fn an_unknown_action_is_refused_by_name() {
    let hub = start_hub(|_| {}).await;
    let mut query = signed_query(Action::SendRoomMessage);
    query.action = "RecallMessage".into();
    let (_, answer) = hub.call_with(&query, &json!({})).await;
    assert_eq!(answer["Code"], 660_000_002, "{answer}");
    assert!(answer["Message"].as_str().unwrap().contains("RecallMessage"), "{answer}");
}

#[tokio::test]
async fn a_peer_send_answers_each_receiver_with_its_message_id_and_seq() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#echo").await;
    hub.register_user("alice").await;
    hub.register_user("bob").await;
    let answer =
        hub.call(Action::SendPeerMessage, text_body("@RBT#echo", "ToUserId", json!(["alice", "bob"]), "hi")).await;
    assert_eq!(answer["Code"], 0, "{answer}");
    let successes = answer["SuccList"].as_array().unwrap();
    let receivers: Vec<&str> = successes.iter().map(|item| item["UserId"].as_str().unwrap()).collect();
    assert_eq!(receivers, ["alice", "bob"]);
    assert!(successes.iter().all(|item| item["MsgSeq"] == 1), "each pair is its own conversation: {answer}");
    assert_ne!(successes[0]["MsgId"], successes[1]["MsgId"]);
    assert_eq!(answer["ErrorList"], json!([]));
}

#[tokio::test]
async fn a_peer_send_lists_unknown_receivers_in_its_error_list() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#echo").await;
    hub.register_user("alice").await;
    let answer =
        hub.call(Action::SendPeerMessage, text_body("@RBT#echo", "ToUserId", json!(["alice", "ghost"]), "hi")).await;
    assert_eq!(answer["Code"], 0, "{answer}");
    assert_eq!(answer["SuccList"].as_array().unwrap().len(), 1);
    assert_eq!(answer["ErrorList"], json!([{"UserId": "ghost", "SubCode": 660_200_001}]));
}

#[tokio::test]
async fn a_peer_send_to_no_existing_receiver_fails_with_660200001() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#echo").await;
    let answer = hub.call(Action::SendPeerMessage, text_body("@RBT#echo", "ToUserId", json!(["ghost"]), "hi")).await;
    assert_eq!(answer["Code"], 660_200_001, "{answer}");
    assert_eq!(answer["ErrorList"][0]["UserId"], "ghost");
}

#[tokio::test]
async fn a_group_send_answers_its_message_id_and_the_next_seq() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#poster").await;
    hub.create_group("@RBT#poster", "team").await;
    let body = text_body("@RBT#poster", "GroupId", json!("team"), "hi");
    let first = hub.call(Action::SendGroupMessage, body.clone()).await;
    let second = hub.call(Action::SendGroupMessage, body).await;
    assert_eq!((first["Code"].clone(), first["MsgSeq"].clone()), (json!(0), json!(1)), "{first}");
    assert_eq!(second["MsgSeq"], 2, "{second}");
    assert!(first["MsgId"].is_u64(), "MsgId is a number, as published: {first}");
    assert_ne!(first["MsgId"], second["MsgId"]);
}

#[tokio::test]
async fn a_room_send_answers_the_envelope_only() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#announcer").await;
    hub.create_room("@RBT#announcer", "lobby").await;
    let answer = hub.send_room_text("@RBT#announcer", "lobby", "hello").await;
    let mut keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["Code", "Message", "RequestId"], "{answer}");
    assert_eq!(answer["Code"], 0);
}

#[tokio::test]
async fn registering_only_existing_bots_answers_660700002_listing_each() {
    let hub = start_hub(|_| {}).await;
    let body = json!({"UserInfo": [{"UserId": "@RBT#echo", "UserName": "Echo"}, {"UserId": "@RBT#poster"}]});
    let first = hub.call(Action::RobotRegister, body.clone()).await;
    assert_eq!((first["Code"].clone(), first["ErrorList"].clone()), (json!(0), json!([])), "{first}");
    let again = hub.call(Action::RobotRegister, body).await;
    assert_eq!(again["Code"], 660_700_002, "{again}");
    assert_eq!(
        again["ErrorList"],
        json!([{"UserId": "@RBT#echo", "SubCode": 660_700_002}, {"UserId": "@RBT#poster", "SubCode": 660_700_002}])
    );
}

#[tokio::test]
async fn registering_new_and_existing_bots_answers_0_listing_the_existing_one() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#echo").await;
    let answer =
        hub.call(Action::RobotRegister, json!({"UserInfo": [{"UserId": "@RBT#echo"}, {"UserId": "@RBT#new"}]})).await;
    assert_eq!(answer["Code"], 0, "{answer}");
    assert_eq!(answer["ErrorList"], json!([{"UserId": "@RBT#echo", "SubCode": 660_700_002}]));
}

#[tokio::test]
async fn robot_register_refuses_ids_without_the_bot_prefix() {
    let hub = start_hub(|_| {}).await;
    let answer = hub.call(Action::RobotRegister, json!({"UserInfo": [{"UserId": "echo"}]})).await;
    assert_eq!(answer["ErrorList"], json!([{"UserId": "echo", "SubCode": 660_000_002}]), "{answer}");
}

#[tokio::test]
async fn an_unregistered_sender_answers_660500002() {
    let hub = start_hub(|_| {}).await;
    hub.register_user("alice").await;
    hub.create_room("alice", "lobby").await;
    let answer = hub.send_room_text("@RBT#stranger", "lobby", "hello").await;
    assert_eq!(answer["Code"], 660_500_002, "{answer}");
}

#[tokio::test]
async fn a_bad_body_answers_660000002_naming_the_field() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#announcer").await;
    let mut body = text_body("@RBT#announcer", "RoomId", json!("lobby"), "hello");
    body["Priority"] = json!(9);
    let answer = hub.call(Action::SendRoomMessage, body).await;
    assert_eq!(answer["Code"], 660_000_002, "{answer}");
    assert!(answer["Message"].as_str().unwrap().contains("Priority"), "{answer}");
}

#[tokio::test]
async fn a_body_that_is_not_json_answers_660000002() {
    let hub = start_hub(|_| {}).await;
    let response = hub
        .http
        .post(hub.url("/"))
        .query(&signed_query(Action::SendRoomMessage))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: serde_json::Value = response.json().await.unwrap();
    assert_eq!(answer["Code"], 660_000_002, "{answer}");
}
