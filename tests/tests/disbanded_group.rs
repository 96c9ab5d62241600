//! A send to a disbanded group, end to end: a `zimbot hub` process whose group lost its last member, and the
//! shared client sending to it over loopback HTTP. The send fails once, with the service's code and a reason a
//! plugin's `on_message_send_failed` can show as it is.

mod support;

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::*;
use zimbot_client::{Client, ClientConfig, HubMediaStore, Sender, ServerApiConfig, ServerApiTransport};
use zimbot_model::{BotId, ConversationType, Priority, SendRequest, UserId, ZimCode};
use zimbot_wire::RegisterUserInfo;

/// The development app the hub runs with by default.
const APP_ID: u32 = 1234567;
const SERVER_SECRET: &str = "0123456789abcdef0123456789abcdef";

async fn client_post(hub: &str, path: &str, user: &str) {
    let response = http().post(format!("{hub}{path}")).json(&json!({ "user": user })).send().await.unwrap();
    assert!(response.status().is_success(), "POST {path}: {}", response.status());
}

#[tokio::test]
async fn a_send_to_a_disbanded_group_fails_once_saying_it_was_disbanded() {
    let setup = Setup::new();
    let hub_process = setup.hub().await;
    let hub = setup.hub_url();
    // alice makes group team by joining it (its owner), then leaves it as its last member: it is disbanded.
    client_post(&hub, "/client/v1/groups/team/join", "alice").await;
    client_post(&hub, "/client/v1/groups/team/leave", "alice").await;

    let transport = ServerApiTransport::new(ServerApiConfig {
        base_url: format!("{hub}/"),
        app_id: APP_ID,
        server_secret: SERVER_SECRET.into(),
        request_timeout: Duration::from_secs(10),
    })
    .unwrap();
    let client =
        Client::new(ClientConfig::default(), Arc::new(transport), Arc::new(HubMediaStore::new(hub.clone()).unwrap()));
    let bot =
        RegisterUserInfo { user_id: "@RBT#poster".into(), user_name: "poster".into(), user_avatar: String::new() };
    client.register_bots(vec![bot]).await.unwrap();
    let sender =
        Sender { bot: BotId::from("poster"), user_id: UserId::from("@RBT#poster"), priority: Priority::Medium };

    let request = SendRequest::text("news", "team", ConversationType::Group);
    let failure = client.send(&sender, request).unwrap().result().await.unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::GROUP_NOT_FOUND, 1));
    assert!(failure.error.message.contains("group 'team' does not exist"), "{}", failure.error.message);
    assert!(failure.error.message.contains("disbanded"), "{}", failure.error.message);
    assert!(failure.error.message.contains("never used again"), "{}", failure.error.message);
    assert!(hub_process.stop().await.success());
}
