//! The Server API's room and group rules as the hub emulates them, one documented refusal or rule per test.

use crate::support::{start_hub, text_body, TestHub};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use zimbot_clock::ManualClock;
use zimbot_hub::ServerAction as Action;

/// A hub whose rooms and windows run on a clock the test moves.
async fn hub_on_manual_clock() -> (TestHub, ManualClock) {
    let clock = ManualClock::default();
    let shared = Arc::new(clock.clone());
    (start_hub(move |config| config.clock = shared).await, clock)
}

async fn with_bot() -> TestHub {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#a").await;
    hub
}

async fn room_send(hub: &TestHub, room: &str) -> Value {
    hub.send_room_text("@RBT#a", room, "hi").await
}

async fn group_send(hub: &TestHub, group: &str) -> Value {
    hub.call(Action::SendGroupMessage, text_body("@RBT#a", "GroupId", json!(group), "hi")).await
}

async fn invite(hub: &TestHub, from: &str, group: &str, users: &[&str]) -> Value {
    hub.call(
        Action::InviteUsersIntoGroup,
        json!({"FromUserId": from, "GroupId": group, "UserIds": users,
                                                  "GroupMemberInfos": []}),
    )
    .await
}

async fn members_of(hub: &TestHub, room: &str) -> Option<Vec<String>> {
    let rooms = hub.get_json("/client/v1/rooms").await;
    rooms["rooms"].as_array().unwrap().iter().find(|listed| listed["room_id"] == room).map(|listed| {
        listed["members"].as_array().unwrap().iter().map(|member| member.as_str().unwrap().to_owned()).collect()
    })
}

#[tokio::test]
async fn a_room_send_to_a_room_never_created_answers_660300001() {
    let hub = with_bot().await;
    assert_eq!(room_send(&hub, "lobby").await["Code"], 660_300_001);
}

#[tokio::test]
async fn create_room_does_not_make_its_creator_a_member() {
    let hub = with_bot().await;
    hub.create_room("@RBT#a", "lobby").await;
    assert_eq!(members_of(&hub, "lobby").await, Some(Vec::new()));
}

#[tokio::test]
async fn creating_an_existing_room_answers_660300014() {
    let hub = with_bot().await;
    hub.create_room("@RBT#a", "lobby").await;
    let again = hub.call(Action::CreateRoom, json!({"FromUserId": "@RBT#a", "RoomId": "lobby"})).await;
    assert_eq!(again["Code"], 660_300_014, "{again}");
}

#[tokio::test]
async fn a_destroy_delay_over_10800_seconds_answers_660000002() {
    let hub = with_bot().await;
    let body = json!({"FromUserId": "@RBT#a", "RoomId": "lobby", "DestroyDelayTime": 10_801});
    let answer = hub.call(Action::CreateRoom, body).await;
    assert_eq!(answer["Code"], 660_000_002, "{answer}");
    assert!(answer["Message"].as_str().unwrap().contains("DestroyDelayTime"), "{answer}");
}

#[tokio::test]
async fn create_room_by_an_unregistered_operator_answers_660500002() {
    let hub = start_hub(|_| {}).await;
    let answer = hub.call(Action::CreateRoom, json!({"FromUserId": "@RBT#ghost", "RoomId": "lobby"})).await;
    assert_eq!(answer["Code"], 660_500_002, "{answer}");
}

#[tokio::test]
async fn an_empty_room_is_destroyed_once_its_destroy_delay_has_passed() {
    let (hub, clock) = hub_on_manual_clock().await;
    hub.register_bot("@RBT#a").await;
    let body = json!({"FromUserId": "@RBT#a", "RoomId": "lobby", "DestroyDelayTime": 60});
    assert_eq!(hub.call(Action::CreateRoom, body).await["Code"], 0);
    clock.advance(Duration::from_secs(59));
    assert_eq!(room_send(&hub, "lobby").await["Code"], 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(room_send(&hub, "lobby").await["Code"], 660_300_001);
}

#[tokio::test]
async fn a_room_is_kept_while_it_has_a_member_and_destroyed_after_the_last_one_leaves() {
    let (hub, clock) = hub_on_manual_clock().await;
    hub.register_bot("@RBT#a").await;
    let body = json!({"FromUserId": "@RBT#a", "RoomId": "lobby", "DestroyDelayTime": 60});
    assert_eq!(hub.call(Action::CreateRoom, body).await["Code"], 0);
    let entered = hub.http.post(hub.url("/client/v1/rooms/lobby/enter")).json(&json!({"user": "alice"})).send();
    assert_eq!(entered.await.unwrap().status(), 200);
    clock.advance(Duration::from_secs(3600));
    assert_eq!(room_send(&hub, "lobby").await["Code"], 0, "a room with a member stays");
    let left = hub.http.post(hub.url("/client/v1/rooms/lobby/leave")).json(&json!({"user": "alice"})).send();
    assert_eq!(left.await.unwrap().status(), 200);
    clock.advance(Duration::from_secs(60));
    assert_eq!(room_send(&hub, "lobby").await["Code"], 660_300_001);
}

#[tokio::test]
async fn the_hub_setting_shortens_every_destroy_delay() {
    let clock = ManualClock::default();
    let shared = Arc::new(clock.clone());
    let hub = start_hub(move |config| {
        config.clock = shared;
        config.room_destroy_delay_cap = Duration::from_secs(2);
    })
    .await;
    hub.register_bot("@RBT#a").await;
    hub.create_room("@RBT#a", "lobby").await;
    clock.advance(Duration::from_secs(2));
    assert_eq!(room_send(&hub, "lobby").await["Code"], 660_300_001);
}

#[tokio::test]
async fn a_group_send_to_a_group_never_created_answers_660600001() {
    let hub = with_bot().await;
    assert_eq!(group_send(&hub, "team").await["Code"], 660_600_001);
}

#[tokio::test]
async fn creating_a_group_with_an_id_in_use_answers_660600011() {
    let hub = with_bot().await;
    hub.create_group("@RBT#a", "team").await;
    let again = hub.call(Action::CreateGroup, json!({"GroupOwner": "@RBT#a", "GroupId": "team"})).await;
    assert_eq!(again["Code"], 660_600_011, "{again}");
}

#[tokio::test]
async fn a_group_is_disbanded_when_its_last_member_leaves_and_its_id_is_never_used_again() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#a").await;
    hub.register_user("alice").await;
    let created = hub.call(Action::CreateGroup, json!({"GroupOwner": "alice", "GroupId": "team"})).await;
    assert_eq!(created["Code"], 0, "{created}");
    let left = hub.http.post(hub.url("/client/v1/groups/team/leave")).json(&json!({"user": "alice"})).send().await;
    let left: Value = left.unwrap().json().await.unwrap();
    assert_eq!(left["disbanded"], true, "{left}");
    assert_eq!(group_send(&hub, "team").await["Code"], 660_600_001);
    let again = hub.call(Action::CreateGroup, json!({"GroupOwner": "alice", "GroupId": "team"})).await;
    assert_eq!(again["Code"], 660_600_011, "{again}");
}

#[tokio::test]
async fn create_group_with_an_unregistered_owner_answers_660600013() {
    let hub = start_hub(|_| {}).await;
    let answer = hub.call(Action::CreateGroup, json!({"GroupOwner": "ghost", "GroupId": "team"})).await;
    assert_eq!(answer["Code"], 660_600_013, "{answer}");
}

#[tokio::test]
async fn create_group_without_an_id_gets_one_starting_with_a_hash() {
    let hub = with_bot().await;
    let answer = hub.call(Action::CreateGroup, json!({"GroupOwner": "@RBT#a"})).await;
    assert!(answer["GroupId"].as_str().is_some_and(|id| id.starts_with('#')), "{answer}");
}

#[tokio::test]
async fn create_group_lists_unregistered_users_in_error_users() {
    let hub = with_bot().await;
    hub.register_user("alice").await;
    let body = json!({"GroupOwner": "@RBT#a", "GroupId": "team", "UserId": ["alice", "ghost"]});
    let answer = hub.call(Action::CreateGroup, body).await;
    assert_eq!(answer["Code"], 0, "{answer}");
    assert_eq!(answer["ErrorUsers"], json!([{"UserId": "ghost", "SubCode": 660_200_001}]));
    let members: Vec<&str> =
        answer["Members"].as_array().unwrap().iter().map(|m| m["UserId"].as_str().unwrap()).collect();
    assert_eq!(members, ["@RBT#a", "alice"]);
}

#[tokio::test]
async fn inviting_more_than_100_users_answers_660000011() {
    let hub = with_bot().await;
    hub.create_group("@RBT#a", "team").await;
    let users: Vec<String> = (0..101).map(|index| format!("user{index}")).collect();
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    assert_eq!(invite(&hub, "@RBT#a", "team", &users).await["Code"], 660_000_011);
}

#[tokio::test]
async fn a_second_invite_into_one_group_within_a_second_answers_660300006() {
    let (hub, clock) = hub_on_manual_clock().await;
    hub.register_bot("@RBT#a").await;
    hub.register_user("alice").await;
    hub.register_user("bob").await;
    hub.create_group("@RBT#a", "team").await;
    hub.create_group("@RBT#a", "family").await;
    assert_eq!(invite(&hub, "@RBT#a", "team", &["alice"]).await["Code"], 0);
    assert_eq!(invite(&hub, "@RBT#a", "team", &["bob"]).await["Code"], 660_300_006);
    assert_eq!(invite(&hub, "@RBT#a", "family", &["bob"]).await["Code"], 0, "each group has its own window");
    clock.advance(Duration::from_secs(1));
    assert_eq!(invite(&hub, "@RBT#a", "team", &["bob"]).await["Code"], 0);
}

#[tokio::test]
async fn an_invite_drops_the_operator_from_its_list() {
    let hub = start_hub(|_| {}).await;
    hub.register_bot("@RBT#a").await;
    hub.register_user("alice").await;
    hub.register_user("bob").await;
    hub.call(Action::CreateGroup, json!({"GroupOwner": "alice", "GroupId": "team"})).await;
    let answer = invite(&hub, "@RBT#a", "team", &["@RBT#a", "bob"]).await;
    assert_eq!((answer["Code"].clone(), answer["ErrorUsers"].clone()), (json!(0), json!([])), "{answer}");
    let joined = hub.http.post(hub.url("/client/v1/groups/team/join")).json(&json!({"user": "alice"})).send().await;
    let group: Value = joined.unwrap().json().await.unwrap();
    assert_eq!(group["members"], json!(["alice", "bob"]), "the operator was not added: {group}");
}

#[tokio::test]
async fn an_invite_into_a_group_that_does_not_exist_answers_660600001() {
    let hub = with_bot().await;
    hub.register_user("alice").await;
    assert_eq!(invite(&hub, "@RBT#a", "team", &["alice"]).await["Code"], 660_600_001);
}

#[tokio::test]
async fn a_field_the_published_schema_does_not_list_answers_660000002_naming_it() {
    let hub = with_bot().await;
    hub.create_room("@RBT#a", "lobby").await;
    let mut body = text_body("@RBT#a", "RoomId", json!("lobby"), "hi");
    body["Colour"] = json!("red");
    let answer = hub.call(Action::SendRoomMessage, body).await;
    assert_eq!(answer["Code"], 660_000_002, "{answer}");
    assert!(answer["Message"].as_str().unwrap().contains("Colour"), "{answer}");
}

#[tokio::test]
async fn every_answer_conforms_to_the_published_answer_schema() {
    let contract = zimbot_contract::Contract::published().unwrap();
    let hub = with_bot().await;
    hub.register_user("alice").await;
    let calls = [
        (Action::CreateRoom, json!({"FromUserId": "@RBT#a", "RoomId": "lobby", "RoomName": "Lobby"})),
        (Action::SendRoomMessage, text_body("@RBT#a", "RoomId", json!("lobby"), "hi")),
        (Action::CreateGroup, json!({"GroupOwner": "@RBT#a", "GroupId": "team", "UserId": ["alice"]})),
        (Action::SendGroupMessage, text_body("@RBT#a", "GroupId", json!("team"), "hi")),
        (Action::SendPeerMessage, text_body("@RBT#a", "ToUserId", json!(["alice"]), "hi")),
        (Action::RobotRegister, json!({"UserInfo": [{"UserId": "@RBT#a"}]})),
        (Action::UserRegister, json!({"UserInfo": [{"UserId": "bob"}]})),
        (
            Action::InviteUsersIntoGroup,
            json!({"FromUserId": "@RBT#a", "GroupId": "team", "UserIds": ["bob"],
                                              "GroupMemberInfos": []}),
        ),
    ];
    for (action, body) in calls {
        let answer = hub.call(action, body).await;
        let errors = contract.action(action.name()).unwrap().response_errors(&answer);
        assert!(errors.is_empty(), "{}: {answer} breaks the schema: {errors:?}", action.name());
    }
}
