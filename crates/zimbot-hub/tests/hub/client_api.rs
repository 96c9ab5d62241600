//! The client API: posting as a person, history, conversations, users, the live event stream.

use crate::support::{start_hub, text_body, DEADLINE};
use axum::http::StatusCode;
use futures::StreamExt;
use serde_json::{json, Value};
use zimbot_hub::ServerAction as Action;
use zimbot_model::MediaKind;
use zimbot_wire::ApiMediaBody;

#[tokio::test]
async fn posting_text_answers_the_stored_message_and_registers_the_sender() {
    let hub = start_hub(|_| {}).await;
    let (status, message) =
        hub.post_client(json!({"from": "alice", "conv_type": "room", "conv_id": "lobby", "text": "hello"})).await;
    assert_eq!(status, StatusCode::OK, "{message}");
    assert_eq!(
        (message["from"].clone(), message["text"].clone(), message["seq"].clone()),
        (json!("alice"), json!("hello"), json!(1))
    );
    assert_eq!(
        (message["type"].clone(), message["is_bot"].clone(), message["source"].clone()),
        (json!("text"), json!(false), json!("client"))
    );
    let users = hub.get_json("/client/v1/users").await;
    assert_eq!(users["users"][0]["user_id"], "alice", "{users}");
}

#[tokio::test]
async fn posting_to_a_peer_that_does_not_exist_answers_404() {
    let hub = start_hub(|_| {}).await;
    let (status, answer) =
        hub.post_client(json!({"from": "alice", "conv_type": "peer", "conv_id": "@RBT#nobody", "text": "hi"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(answer["error"].as_str().unwrap().contains("@RBT#nobody"), "{answer}");
}

#[tokio::test]
async fn a_post_with_both_text_and_media_is_refused() {
    let hub = start_hub(|_| {}).await;
    let media = json!({"type": "file", "url": "http://h/a.pdf", "file_name": "a.pdf"});
    let (status, answer) = hub
        .post_client(json!({"from": "alice", "conv_type": 1, "conv_id": "lobby", "text": "hi", "media": media}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

#[tokio::test]
async fn an_unknown_conversation_type_is_refused_with_the_accepted_ones() {
    let hub = start_hub(|_| {}).await;
    let (status, answer) =
        hub.post_client(json!({"from": "alice", "conv_type": "channel", "conv_id": "x", "text": "hi"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().contains("peer, room or group"), "{answer}");
}

#[tokio::test]
async fn a_peer_history_is_one_conversation_whichever_side_writes() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#echo").await;
    hub.post_client(json!({"from": "alice", "conv_type": "peer", "conv_id": "@RBT#echo", "text": "ping"})).await;
    let answer = hub.call(Action::SendPeerMessage, text_body("@RBT#echo", "ToUserId", json!(["alice"]), "pong")).await;
    assert_eq!(answer["SuccList"][0]["MsgSeq"], 2, "{answer}");

    for (conv_id, user) in [("@RBT%23echo", "alice"), ("alice", "@RBT%23echo")] {
        let history = hub.get_json(&format!("/client/v1/messages?conv_type=peer&conv_id={conv_id}&user={user}")).await;
        let texts: Vec<&Value> =
            history["messages"].as_array().unwrap().iter().map(|message| &message["text"]).collect();
        assert_eq!(texts, [&json!("ping"), &json!("pong")], "{history}");
        assert_eq!(history["messages"][1]["is_bot"], true);
    }
}

#[tokio::test]
async fn history_shows_media_sent_through_the_server_api() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#poster").await;
    hub.create_group("@RBT#poster", "team").await;
    let mut media = ApiMediaBody::new(MediaKind::Video, "u1", "http://h/media/u1/v.mp4", "v.mp4");
    media.size = Some(1234);
    let body = json!({"FromUserId": "@RBT#poster", "GroupId": "team", "MessageType": 14, "Priority": 2,
                      "MessageBody": {"Message": serde_json::to_string(&media).unwrap()}});
    assert_eq!(hub.call(Action::SendGroupMessage, body).await["Code"], 0);

    let history = hub.get_json("/client/v1/messages?conv_type=group&conv_id=team").await;
    let message = &history["messages"][0];
    assert_eq!(message["type"], "video");
    assert_eq!(
        message["media"],
        json!({"kind": "video", "url": "http://h/media/u1/v.mp4", "file_name": "v.mp4", "file_size": 1234})
    );
    assert_eq!(message["source"], "server_api");
}

#[tokio::test]
async fn history_pages_forward_from_a_seq_and_otherwise_shows_the_newest() {
    let hub = start_hub(|_| {}).await;
    for number in 1..=5 {
        hub.post_client(json!({"from": "alice", "conv_type": "room", "conv_id": "lobby", "text": number.to_string()}))
            .await;
    }
    let seqs = |history: Value| -> Vec<u64> {
        history["messages"].as_array().unwrap().iter().map(|message| message["seq"].as_u64().unwrap()).collect()
    };
    assert_eq!(seqs(hub.get_json("/client/v1/messages?conv_type=room&conv_id=lobby&limit=2").await), [4, 5]);
    assert_eq!(seqs(hub.get_json("/client/v1/messages?conv_type=1&conv_id=lobby&after_seq=1&limit=2").await), [2, 3]);
}

#[tokio::test]
async fn conversations_with_activity_are_listed_for_a_user() {
    let hub = start_hub(|_| {}).await;
    hub.register_user("bob").await;
    hub.post_client(json!({"from": "alice", "conv_type": "peer", "conv_id": "bob", "text": "hi"})).await;
    hub.post_client(json!({"from": "carol", "conv_type": "group", "conv_id": "team", "text": "hi"})).await;
    hub.register_user("dave").await;
    hub.post_client(json!({"from": "carol", "conv_type": "peer", "conv_id": "dave", "text": "hi"})).await;

    let listed = hub.get_json("/client/v1/conversations?user=bob").await;
    let mut names: Vec<String> = listed["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|conversation| {
            format!("{}:{}", conversation["conv_type"].as_str().unwrap(), conversation["conv_id"].as_str().unwrap())
        })
        .collect();
    names.sort();
    assert_eq!(names, ["group:team", "peer:alice"], "{listed}");
}

#[tokio::test]
async fn the_event_stream_delivers_new_messages_of_the_followed_conversation() {
    let hub = start_hub(|_| {}).await;
    let response =
        hub.http.get(hub.url("/client/v1/events?conv_type=room&conv_id=lobby")).timeout(DEADLINE).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));

    hub.post_client(json!({"from": "alice", "conv_type": "room", "conv_id": "elsewhere", "text": "not this"})).await;
    hub.post_client(json!({"from": "alice", "conv_type": "room", "conv_id": "lobby", "text": "this one"})).await;

    let mut stream = response.bytes_stream();
    let mut received = String::new();
    let message = loop {
        let chunk =
            tokio::time::timeout(DEADLINE, stream.next()).await.expect("an event in time").expect("open").unwrap();
        received.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(data) = received.split("\n\n").find_map(|event| {
            event.contains("event: message").then(|| event.lines().find_map(|line| line.strip_prefix("data: ")))?
        }) {
            break serde_json::from_str::<Value>(data).unwrap();
        }
    };
    assert_eq!((message["conv_id"].clone(), message["text"].clone()), (json!("lobby"), json!("this one")));
}

#[tokio::test]
async fn health_and_stats_are_served() {
    let hub = start_hub(|_| {}).await;
    let health = hub.http.get(hub.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    hub.post_client(json!({"from": "alice", "conv_type": "room", "conv_id": "lobby", "text": "hi"})).await;
    let stats = hub.get_json("/stats").await;
    assert_eq!(stats["messages"], 1, "{stats}");
    assert_eq!(stats["qps_violations"], json!({}));
}
