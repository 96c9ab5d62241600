//! The hub's listener under a slow-connection attack: idle and slowloris sockets past the connection cap are
//! closed for newer connections, so the Server API and the page keep answering.

use crate::support::{start_hub, text_body};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use zimbot_hub::ServerAction as Action;

#[tokio::test]
async fn the_server_api_answers_while_idle_and_slowloris_sockets_hold_every_connection() {
    let hub = start_hub(|config| config.limits.max_connections = 16).await;
    let mut attackers = Vec::new();
    for index in 0..200 {
        let mut socket = tokio::net::TcpStream::connect(hub.hub.local_addr()).await.unwrap();
        if index % 2 == 1 {
            socket.write_all(b"PUT /media/u/f.png HTTP/1.1\r\nHost: x\r\nX-a: ").await.unwrap();
        }
        attackers.push(socket);
    }
    hub.register_user("alice").await;
    hub.create_room("alice", "lobby").await;
    let answer = hub.call(Action::SendRoomMessage, text_body("alice", "RoomId", json!("lobby"), "hi")).await;
    assert_eq!(answer["Code"], 0, "{answer}");
    assert!(hub.hub.listener_stats().evicted() >= 184, "evicted {}", hub.hub.listener_stats().evicted());
    drop(attackers);
}
