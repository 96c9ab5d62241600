//! Room messages as the service delivers them: only to the people in the room as a message is sent, with no room
//! history for people who were not there, and nobody left in a room once they go offline.

use crate::support::*;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use zimbot_hub::ServerAction as Action;

const BOT: &str = "@RBT#announcer";

/// A hub with the bot registered and `lobby` created (kept an hour once empty).
async fn hub_with_lobby() -> TestHub {
    let hub = start_hub(|_| {}).await;
    hub.register_bot(BOT).await;
    let answer =
        hub.call(Action::CreateRoom, json!({"FromUserId": BOT, "RoomId": "lobby", "DestroyDelayTime": 3600})).await;
    assert_eq!(answer["Code"], 0, "{answer}");
    hub
}

async fn client_post(hub: &TestHub, path: &str, body: Value) {
    let response = hub.http.post(hub.url(path)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "POST {path}");
}

async fn bot_says(hub: &TestHub, text: &str) {
    let answer = hub.send_room_text(BOT, "lobby", text).await;
    assert_eq!(answer["Code"], 0, "{answer}");
}

fn texts(history: &Value) -> Vec<String> {
    history["messages"].as_array().unwrap().iter().map(|message| message["text"].as_str().unwrap().to_owned()).collect()
}

/// A subscription to the event stream with `query`.
struct Events {
    stream: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl Events {
    async fn subscribe(hub: &TestHub, query: &str) -> Self {
        let response = hub.http.get(hub.url(&format!("/client/v1/events?{query}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Self { stream: response.bytes_stream().boxed(), buffer: String::new() }
    }

    /// The text of the next message event.
    async fn next_text(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                let data = event.lines().find_map(|line| line.strip_prefix("data: "));
                if let (true, Some(data)) = (event.contains("event: message"), data) {
                    let message: Value = serde_json::from_str(data).unwrap();
                    return message["text"].as_str().unwrap_or_default().to_owned();
                }
                continue;
            }
            let chunk = tokio::time::timeout(DEADLINE, self.stream.next()).await.expect("an event in time");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk.expect("the stream stays open").unwrap()));
        }
    }
}

#[tokio::test]
async fn a_room_message_reaches_the_people_in_the_room() {
    let hub = hub_with_lobby().await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    let mut alice = Events::subscribe(&hub, "user=alice").await;
    bot_says(&hub, "news").await;
    assert_eq!(alice.next_text().await, "news");
}

#[tokio::test]
async fn a_room_message_does_not_reach_people_outside_the_room() {
    let hub = hub_with_lobby().await;
    hub.register_user("bob").await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    let mut bob = Events::subscribe(&hub, "user=bob").await;
    bot_says(&hub, "news").await;
    // A message bob does get, sent after the room message: the first thing his stream shows.
    let (status, _) =
        hub.post_client(json!({"from": "alice", "conv_type": "peer", "conv_id": "bob", "text": "marker"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bob.next_text().await, "marker");
}

#[tokio::test]
async fn a_room_message_does_not_reach_people_who_left_the_room() {
    let hub = hub_with_lobby().await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    client_post(&hub, "/client/v1/rooms/lobby/leave", json!({"user": "alice"})).await;
    let mut alice = Events::subscribe(&hub, "conv_type=room&conv_id=lobby&user=alice").await;
    bot_says(&hub, "news").await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    bot_says(&hub, "later news").await;
    assert_eq!(alice.next_text().await, "later news");
}

#[tokio::test]
async fn a_persons_room_history_holds_only_what_was_sent_while_they_were_in_the_room() {
    let hub = hub_with_lobby().await;
    bot_says(&hub, "before").await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    bot_says(&hub, "during").await;
    client_post(&hub, "/client/v1/rooms/lobby/leave", json!({"user": "alice"})).await;
    bot_says(&hub, "after").await;

    let history = hub.get_json("/client/v1/messages?conv_type=room&conv_id=lobby&user=alice").await;
    assert_eq!(texts(&history), ["during"]);
}

#[tokio::test]
async fn a_room_keeps_no_history_for_someone_who_was_never_in_it() {
    let hub = hub_with_lobby().await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    bot_says(&hub, "news").await;
    let history = hub.get_json("/client/v1/messages?conv_type=room&conv_id=lobby&user=bob").await;
    assert_eq!(texts(&history), Vec::<String>::new());
}

#[tokio::test]
async fn going_offline_leaves_every_room() {
    let hub = hub_with_lobby().await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    client_post(&hub, "/client/v1/presence", json!({"user": "alice", "action": "offline"})).await;
    let lobby = hub.get_json("/client/v1/rooms/lobby").await;
    assert_eq!(lobby["members"], json!([]), "{lobby}");
}

#[tokio::test]
async fn a_room_read_alone_names_its_destroy_delay() {
    let hub = hub_with_lobby().await;
    let lobby = hub.get_json("/client/v1/rooms/lobby").await;
    assert_eq!((lobby["exists"].clone(), lobby["destroy_delay_secs"].clone()), (json!(true), json!(3600)), "{lobby}");
}
