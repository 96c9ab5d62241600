//! Membership and presence callbacks: what entering, leaving, joining, disbanding and coming online fire, with
//! the documented fields, signed like message callbacks.

use crate::support::{start_hub, CallbackReceiver, TestHub, CALLBACK_SECRET};
use serde_json::{json, Value};
use zimbot_hub::ServerAction as Action;
use zimbot_wire::callback_signature;

async fn hub_with_receiver() -> (TestHub, CallbackReceiver) {
    let receiver = CallbackReceiver::start(0).await;
    let url = receiver.url.clone();
    (start_hub(move |config| config.callback_url = Some(url)).await, receiver)
}

async fn client_post(hub: &TestHub, path: &str, body: Value) -> Value {
    let response = hub.http.post(hub.url(path)).json(&body).send().await.expect("the hub answers");
    assert_eq!(response.status(), 200, "POST {path}");
    response.json().await.expect("a JSON answer")
}

fn signed(event: &Value) -> bool {
    let timestamp = event["timestamp"].as_i64().expect("a numeric timestamp").to_string();
    event["signature"] == callback_signature(CALLBACK_SECRET, &timestamp, event["nonce"].as_str().unwrap())
}

#[tokio::test]
async fn create_room_fires_room_create_naming_the_operator_and_the_room() {
    let (hub, mut receiver) = hub_with_receiver().await;
    hub.register_bot("@RBT#a").await;
    hub.call(Action::CreateRoom, json!({"FromUserId": "@RBT#a", "RoomId": "lobby", "RoomName": "Lobby"})).await;
    let event = receiver.next_event("room_create").await;
    assert_eq!(
        (&event["room_id"], &event["operator_account"], &event["room_name"]),
        (&json!("lobby"), &json!("@RBT#a"), &json!("Lobby"))
    );
    assert!(signed(&event), "{event}");
    assert!(event["timestamp"].as_i64().unwrap() > 100_000_000_000, "room events stamp milliseconds: {event}");
}

#[tokio::test]
async fn entering_and_leaving_a_room_fire_room_enter_and_room_exit() {
    let (hub, mut receiver) = hub_with_receiver().await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    let entered = receiver.next_event("room_enter").await;
    assert_eq!((&entered["room_id"], &entered["operator_account"]), (&json!("lobby"), &json!("alice")));
    client_post(&hub, "/client/v1/rooms/lobby/leave", json!({"user": "alice"})).await;
    let left = receiver.next_event("room_exit").await;
    assert_eq!((&left["room_id"], &left["operator_account"]), (&json!("lobby"), &json!("alice")));
}

#[tokio::test]
async fn a_room_a_person_created_by_entering_is_destroyed_when_they_leave_firing_room_destroy() {
    let (hub, mut receiver) = hub_with_receiver().await;
    let room = client_post(&hub, "/client/v1/rooms/den/enter", json!({"user": "alice"})).await;
    assert_eq!(room["members"], json!(["alice"]));
    let left = client_post(&hub, "/client/v1/rooms/den/leave", json!({"user": "alice"})).await;
    assert_eq!(left["exists"], false, "{left}");
    assert_eq!(receiver.next_event("room_destroy").await["room_id"], "den");
}

#[tokio::test]
async fn create_group_fires_group_create_with_its_members() {
    let (hub, mut receiver) = hub_with_receiver().await;
    hub.register_bot("@RBT#a").await;
    hub.register_user("alice").await;
    hub.call(
        Action::CreateGroup,
        json!({"GroupOwner": "@RBT#a", "GroupId": "team", "GroupName": "Team",
                                         "UserId": ["alice"]}),
    )
    .await;
    let event = receiver.next_event("group_create").await;
    assert_eq!(
        (&event["group_id"], &event["owner_account"], &event["group_name"]),
        (&json!("team"), &json!("@RBT#a"), &json!("Team"))
    );
    assert_eq!(event["user_ids"], json!(["@RBT#a", "alice"]));
}

#[tokio::test]
async fn an_invite_fires_group_join_of_the_invited_users() {
    let (hub, mut receiver) = hub_with_receiver().await;
    hub.register_bot("@RBT#a").await;
    hub.register_user("bob").await;
    hub.create_group("@RBT#a", "team").await;
    hub.call(
        Action::InviteUsersIntoGroup,
        json!({"FromUserId": "@RBT#a", "GroupId": "team", "UserIds": ["bob"],
                                                  "GroupMemberInfos": []}),
    )
    .await;
    let event = receiver.next_event("group_join").await;
    assert_eq!(
        (&event["operator_account"], &event["join_type"], &event["new_user_ids"]),
        (&json!("@RBT#a"), &json!("Invited"), &json!(["bob"]))
    );
}

#[tokio::test]
async fn the_last_member_leaving_fires_group_exit_then_group_destroy() {
    let (hub, mut receiver) = hub_with_receiver().await;
    client_post(&hub, "/client/v1/groups/club/join", json!({"user": "alice"})).await;
    assert_eq!(receiver.next_event("group_create").await["owner_account"], "alice");
    client_post(&hub, "/client/v1/groups/club/leave", json!({"user": "alice"})).await;
    let exit = receiver.next_event("group_exit").await;
    assert_eq!((&exit["group_id"], &exit["operator_account"]), (&json!("club"), &json!("alice")));
    assert_eq!(receiver.next_event("group_destroy").await["group_id"], "club");
}

#[tokio::test]
async fn a_disbanded_group_cannot_be_joined_again() {
    let (hub, _receiver) = hub_with_receiver().await;
    client_post(&hub, "/client/v1/groups/club/join", json!({"user": "alice"})).await;
    client_post(&hub, "/client/v1/groups/club/leave", json!({"user": "alice"})).await;
    let response = hub.http.post(hub.url("/client/v1/groups/club/join")).json(&json!({"user": "bob"})).send().await;
    assert_eq!(response.unwrap().status(), 410);
}

#[tokio::test]
async fn coming_online_and_going_offline_fire_user_action() {
    let (hub, mut receiver) = hub_with_receiver().await;
    client_post(&hub, "/client/v1/presence", json!({"user": "alice", "action": "online"})).await;
    let online = receiver.next_event("user_action").await;
    assert_eq!((&online["user_id"], &online["action"]), (&json!("alice"), &json!(0)));
    assert!(online["timestamp"].as_i64().unwrap() < 100_000_000_000, "user_action stamps seconds: {online}");
    client_post(&hub, "/client/v1/presence", json!({"user": "alice", "action": "offline"})).await;
    assert_eq!(receiver.next_event("user_action").await["action"], 2);
}

#[tokio::test]
async fn a_retried_membership_callback_keeps_the_timestamp_of_its_change_with_a_new_nonce() {
    let receiver = CallbackReceiver::start(1).await;
    let url = receiver.url.clone();
    let mut receiver = receiver;
    let hub = start_hub(move |config| config.callback_url = Some(url)).await;
    client_post(&hub, "/client/v1/rooms/lobby/enter", json!({"user": "alice"})).await;
    let refused = receiver.next_attempt().await;
    let retried = receiver.next_attempt().await;
    assert_eq!((refused.accepted, retried.accepted), (false, true));
    assert_eq!((&refused.raw["event"], &retried.raw["event"]), (&json!("room_create"), &json!("room_create")));
    assert_eq!(refused.raw["timestamp"], retried.raw["timestamp"], "the time of the change, on every attempt");
    assert_ne!(refused.raw["nonce"], retried.raw["nonce"]);
    assert!(signed(&retried.raw));
}
