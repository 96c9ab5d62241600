//! A restart on the same data directory keeps history, seqs, users and media.

use crate::support::{start_hub_in, text_body};
use serde_json::json;
use zimbot_hub::ServerAction as Action;

#[tokio::test]
async fn a_restart_keeps_history_seqs_users_and_media() {
    let data_dir = tempfile::tempdir().unwrap();
    let hub = start_hub_in(data_dir.path(), |_| {}).await;
    hub.register_bot("@RBT#poster").await;
    hub.create_group("@RBT#poster", "team").await;
    hub.call(Action::SendGroupMessage, text_body("@RBT#poster", "GroupId", json!("team"), "before")).await;
    hub.put_media("/media/u1/a.bin", vec![7u8; 4096]).await;
    hub.hub.shutdown().await;

    let hub = start_hub_in(data_dir.path(), |_| {}).await;
    let answer = hub.call(Action::SendGroupMessage, text_body("@RBT#poster", "GroupId", json!("team"), "after")).await;
    assert_eq!(answer["Code"], 0, "the bot is still registered: {answer}");
    assert_eq!(answer["MsgSeq"], 2, "the seq continues: {answer}");
    let history = hub.get_json("/client/v1/messages?conv_type=group&conv_id=team").await;
    let texts: Vec<&str> =
        history["messages"].as_array().unwrap().iter().map(|message| message["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["before", "after"]);
    assert_ne!(history["messages"][0]["id"], history["messages"][1]["id"], "message ids are not reused");
    let media = hub.http.get(hub.url("/media/u1/a.bin")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(media.as_ref(), vec![7u8; 4096].as_slice());
    hub.hub.shutdown().await;
}

#[tokio::test]
async fn shutdown_completes_while_an_event_stream_is_open() {
    let data_dir = tempfile::tempdir().unwrap();
    let hub = start_hub_in(data_dir.path(), |_| {}).await;
    let stream = hub.http.get(hub.url("/client/v1/events")).send().await.unwrap();
    tokio::time::timeout(crate::support::DEADLINE, hub.hub.shutdown())
        .await
        .expect("shutdown does not wait on streams");
    drop(stream);
}
