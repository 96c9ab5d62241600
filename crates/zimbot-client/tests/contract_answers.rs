//! Every documented answer shape, given by the service double over real HTTP and read through the client: ids as
//! numbers or strings, `null` and missing optional fields, partial `ErrorList`/`SuccList`, `AuditInfos`,
//! idempotent registration, and the documented codes (throttling codes retried, the others final).

mod support;

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::server::{APP_ID, SECRET};
use support::{fast_config, sender};
use zimbot_client::{Client, ClientConfig, HttpPutStore, ServerApiConfig, ServerApiTransport};
use zimbot_double::{Reply, ServiceDouble};
use zimbot_model::{ConversationType, MessageSentResult, Priority, SendFailure, SendRequest, ZimCode};
use zimbot_wire::RegisterUserInfo;

async fn double() -> ServiceDouble {
    ServiceDouble::start(APP_ID, SECRET).await
}

fn client_with(double: &ServiceDouble, config: ClientConfig, timeout: Duration) -> Client {
    let store = HttpPutStore::new(double.media_put_template(), double.media_put_template(), None).unwrap();
    let transport = ServerApiTransport::new(ServerApiConfig {
        base_url: double.base_url(),
        app_id: APP_ID,
        server_secret: SECRET.into(),
        request_timeout: timeout,
    })
    .unwrap();
    Client::new(config, Arc::new(transport), Arc::new(store))
}

fn client(double: &ServiceDouble) -> Client {
    client_with(double, fast_config(), Duration::from_secs(5))
}

async fn send(
    client: &Client,
    conversation_type: ConversationType,
    to: &str,
) -> Result<MessageSentResult, SendFailure> {
    let request = SendRequest::text("hello", to, conversation_type);
    client.send(&sender("bot", Priority::Medium), request).unwrap().result().await
}

fn envelope(extra: serde_json::Value) -> serde_json::Value {
    let mut answer = json!({"Code": 0, "Message": "success", "RequestId": "343649807833778782"});
    if let (Some(answer), Some(extra)) = (answer.as_object_mut(), extra.as_object()) {
        answer.extend(extra.clone());
    }
    answer
}

fn bots(count: usize) -> Vec<RegisterUserInfo> {
    (0..count)
        .map(|index| RegisterUserInfo {
            user_id: format!("@RBT#b{index}"),
            user_name: format!("b{index}"),
            user_avatar: String::new(),
        })
        .collect()
}

/// Every answer the double gave conformed to the published answer schema.
fn assert_documented(double: &ServiceDouble) {
    for capture in double.captures() {
        assert!(
            capture.answer_errors.is_empty(),
            "{:?} is not documented: {:?}",
            capture.answer,
            capture.answer_errors
        );
    }
}

// --- ids and optional fields -------------------------------------------------------------------------------------

#[tokio::test]
async fn a_group_send_answered_with_a_numeric_msg_id_is_sent_with_every_digit_of_it() {
    let double = double().await;
    // 2^53 + 1: a float would round it to ...992.
    double
        .script("SendGroupMessage", [Reply::Documented(envelope(json!({"MsgId": 9007199254740993u64, "MsgSeq": 7})))]);
    let sent = send(&client(&double), ConversationType::Group, "team").await.unwrap();
    assert_eq!((sent.message_id.as_deref(), sent.message_seq), (Some("9007199254740993"), Some(7)));
    assert_documented(&double);
}

#[tokio::test]
async fn a_group_send_answered_with_a_string_msg_id_is_sent_too() {
    let double = double().await;
    // The embedded hub's shape until it follows the schema.
    double.script("SendGroupMessage", [Reply::Raw(envelope(json!({"MsgId": "m1", "MsgSeq": 1})))]);
    let sent = send(&client(&double), ConversationType::Group, "team").await.unwrap();
    assert_eq!(sent.message_id.as_deref(), Some("m1"));
}

#[tokio::test]
async fn a_peer_send_answered_with_a_string_msg_id_is_sent_with_it() {
    let double = double().await;
    let sent = send(&client(&double), ConversationType::Peer, "alice").await.unwrap();
    let expected = double.captures()[0].answer.as_ref().unwrap()["SuccList"][0]["MsgId"].as_str().unwrap().to_owned();
    assert_eq!(sent.message_id, Some(expected));
    assert_documented(&double);
}

#[tokio::test]
async fn a_peer_send_answered_with_a_numeric_msg_id_is_sent_with_its_digits() {
    let double = double().await;
    double.script(
        "SendPeerMessage",
        [Reply::Raw(envelope(json!({"SuccList": [{"UserId": "alice", "MsgId": 6654861479614u64, "MsgSeq": 1}]})))],
    );
    let sent = send(&client(&double), ConversationType::Peer, "alice").await.unwrap();
    assert_eq!(sent.message_id.as_deref(), Some("6654861479614"));
}

#[tokio::test]
async fn null_optional_fields_read_as_absent() {
    let double = double().await;
    double.script(
        "SendPeerMessage",
        [Reply::Raw(envelope(json!({"SuccList": null, "ErrorList": null, "AuditInfos": null})))],
    );
    double.script("SendGroupMessage", [Reply::Raw(envelope(json!({"MsgId": null, "MsgSeq": null})))]);
    double.script("SendRoomMessage", [Reply::Raw(envelope(json!({"AuditInfos": null})))]);
    let client = client(&double);
    let peer = send(&client, ConversationType::Peer, "alice").await.unwrap();
    let group = send(&client, ConversationType::Group, "team").await.unwrap();
    send(&client, ConversationType::Room, "lobby").await.unwrap();
    assert_eq!((peer.message_id, group.message_id, group.message_seq), (None, None, None));
}

#[tokio::test]
async fn missing_optional_fields_read_as_absent() {
    let double = double().await;
    double.script("SendPeerMessage", [Reply::Documented(json!({"Code": 0}))]);
    double.script("SendGroupMessage", [Reply::Documented(json!({"Code": 0}))]);
    let client = client(&double);
    assert_eq!(send(&client, ConversationType::Peer, "alice").await.unwrap().message_id, None);
    assert_eq!(send(&client, ConversationType::Group, "team").await.unwrap().message_id, None);
    assert_documented(&double);
}

// --- partial results -----------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_peer_send_that_failed_only_for_another_user_is_sent() {
    let double = double().await;
    double.script(
        "SendPeerMessage",
        [Reply::Documented(envelope(json!({
            "SuccList": [{"UserId": "alice", "MsgId": "11", "MsgSeq": 2}],
            "ErrorList": [{"UserId": "bob", "SubCode": 660200001}]
        })))],
    );
    let sent = send(&client(&double), ConversationType::Peer, "alice").await.unwrap();
    assert_eq!(sent.message_id.as_deref(), Some("11"));
    assert_documented(&double);
}

#[tokio::test]
async fn a_peer_send_that_failed_for_every_user_fails_with_the_receivers_sub_code() {
    let double = double().await;
    double.script(
        "SendPeerMessage",
        [Reply::Documented(json!({"Code": 660200001, "Message": "all failed", "RequestId": "r",
                                  "ErrorList": [{"UserId": "ghost", "SubCode": 660700012}]}))],
    );
    let failure = send(&client(&double), ConversationType::Peer, "ghost").await.unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::USER_NOT_FOUND_2, 1));
    assert!(failure.error.message.contains("ghost"), "{}", failure.error.message);
}

// --- moderation ----------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_send_refused_by_moderation_with_code_zero_fails_with_the_reason() {
    for (action, conversation_type, to) in [
        ("SendPeerMessage", ConversationType::Peer, "alice"),
        ("SendRoomMessage", ConversationType::Room, "lobby"),
        ("SendGroupMessage", ConversationType::Group, "team"),
    ] {
        let double = double().await;
        double.script(action, [Reply::Documented(envelope(json!({"AuditInfos": [{"Index": 0, "Reason": "spam"}]})))]);
        let failure = send(&client(&double), conversation_type, to).await.unwrap_err();
        assert_eq!((failure.error.code, failure.attempts), (ZimCode::MODERATION_REFUSED, 1), "{action}");
        assert!(failure.error.message.contains("spam"), "{action}: {}", failure.error.message);
        assert_documented(&double);
    }
}

// --- registration ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn registering_bots_that_all_exist_already_succeeds() {
    let double = double().await;
    let client = client(&double);
    client.register_bots(bots(3)).await.unwrap();
    client.register_bots(bots(3)).await.unwrap();
    let second = &double.captures_of("RobotRegister")[1];
    assert_eq!(second.answer.as_ref().unwrap()["Code"], 660700002, "the double answers as documented");
    assert_documented(&double);
}

#[tokio::test]
async fn registering_bots_of_which_some_exist_succeeds() {
    let double = double().await;
    double.preregister(["@RBT#b0".to_owned()]);
    client(&double).register_bots(bots(2)).await.unwrap();
    let answer = double.captures()[0].answer.clone().unwrap();
    assert_eq!((answer["Code"].as_i64(), answer["ErrorList"].as_array().map(Vec::len)), (Some(0), Some(1)));
}

#[tokio::test]
async fn registering_bots_fails_with_the_sub_code_of_a_bot_that_was_refused() {
    let double = double().await;
    double.script(
        "RobotRegister",
        [Reply::Documented(json!({"Code": 660700006, "Message": "name too long", "RequestId": "r",
            "ErrorList": [{"UserId": "@RBT#b0", "SubCode": 660700006, "SubMessage": "UserName too long"}]}))],
    );
    let error = client(&double).register_bots(bots(1)).await.unwrap_err();
    assert_eq!(error.code, ZimCode(660_700_006));
    assert!(error.message.contains("@RBT#b0"), "{}", error.message);
}

// --- codes ---------------------------------------------------------------------------------------------------------

/// A send answered once with a throttling `code` is retried and then sent.
async fn throttled_send_is_retried(code: i64) {
    let double = double().await;
    double.script("SendRoomMessage", Reply::throttled(code, 2));
    let sent = send(&client(&double), ConversationType::Room, "lobby").await.unwrap();
    assert_eq!(sent.attempts, 3, "code {code}");
    assert_documented(&double);
}

#[tokio::test]
async fn code_7_qps_exceeded_is_retried() {
    throttled_send_is_retried(7).await;
}

#[tokio::test]
async fn code_660300005_app_frequency_limit_is_retried() {
    throttled_send_is_retried(660_300_005).await;
}

#[tokio::test]
async fn code_660300006_conversation_frequency_limit_is_retried() {
    throttled_send_is_retried(660_300_006).await;
}

#[tokio::test]
async fn code_660600010_group_create_frequency_limit_is_retried() {
    throttled_send_is_retried(660_600_010).await;
}

#[tokio::test]
async fn code_660700001_register_frequency_limit_retries_the_registration() {
    let double = double().await;
    double.script("RobotRegister", Reply::throttled(660_700_001, 2));
    client(&double).register_bots(bots(1)).await.unwrap();
    assert_eq!(double.captures_of("RobotRegister").len(), 3);
}

#[tokio::test]
async fn code_660000001_general_business_error_is_retried() {
    throttled_send_is_retried(660_000_001).await;
}

#[tokio::test]
async fn every_documented_final_code_fails_the_send_at_once_with_that_code() {
    let final_codes = [
        3,           // authentication failed
        100_000_004, // signature expired
        660_000_002, // input parameter error
        660_000_011, // too many users
        660_000_025, // base64 signaling failed
        660_200_001, // user does not exist
        660_300_001, // room does not exist
        660_300_013, // room messages take no receipts
        660_400_001, // message too large
        660_500_002, // sender not logged in / registered
        660_600_001, // group does not exist
    ];
    let double = double().await;
    // A group: a room send answered 660300001 creates the room and is sent again (tested below).
    double.script("SendGroupMessage", final_codes.iter().map(|code| Reply::Code(*code)));
    let client = client(&double);
    for code in final_codes {
        let failure = send(&client, ConversationType::Group, "team").await.unwrap_err();
        assert_eq!((failure.error.code, failure.attempts), (ZimCode(code), 1));
        assert!(failure.error.message.contains("SendGroupMessage"), "{}", failure.error.message);
    }
    assert_eq!(double.captures().len(), final_codes.len());
    assert_documented(&double);
}

#[tokio::test]
async fn a_code_sent_as_a_string_is_read() {
    let double = double().await;
    double.script("SendGroupMessage", [Reply::Raw(json!({"Code": "660600001", "Message": "group does not exist"}))]);
    let failure = send(&client(&double), ConversationType::Group, "team").await.unwrap_err();
    assert_eq!(failure.error.code, ZimCode::GROUP_NOT_FOUND);
}

// --- transport trouble ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn http_5xx_answers_are_retried() {
    let double = double().await;
    double.script(
        "SendGroupMessage",
        [Reply::Status(502, "bad gateway".into()), Reply::Status(503, "unavailable".into())],
    );
    let sent = send(&client(&double), ConversationType::Group, "team").await.unwrap();
    assert_eq!(sent.attempts, 3);
}

#[tokio::test]
async fn an_answer_slower_than_the_request_timeout_is_retried() {
    let double = double().await;
    double.script("SendRoomMessage", [Reply::Slow(Duration::from_secs(5), Box::new(Reply::Normal))]);
    let client = client_with(&double, fast_config(), Duration::from_millis(300));
    let sent = send(&client, ConversationType::Room, "lobby").await.unwrap();
    assert_eq!(sent.attempts, 2);
}

#[tokio::test]
async fn a_slow_answer_within_the_request_timeout_is_read() {
    let double = double().await;
    double.script("SendRoomMessage", [Reply::Slow(Duration::from_millis(200), Box::new(Reply::Normal))]);
    let sent = send(&client(&double), ConversationType::Room, "lobby").await.unwrap();
    assert_eq!(sent.attempts, 1);
}

#[tokio::test]
async fn a_service_that_never_answers_ends_in_a_network_failure_after_the_attempts() {
    let double = double().await;
    double.script("SendRoomMessage", std::iter::repeat_n(Reply::Hang, 3));
    let config = ClientConfig { max_attempts: 3, ..fast_config() };
    let client = client_with(&double, config, Duration::from_millis(200));
    let failure = send(&client, ConversationType::Room, "lobby").await.unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::NETWORK, 3));
}

#[tokio::test]
async fn an_answer_that_is_not_an_envelope_fails_at_once() {
    let double = double().await;
    double.script("SendRoomMessage", [Reply::Raw(json!({"ok": true}))]);
    let failure = send(&client(&double), ConversationType::Room, "lobby").await.unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::BAD_RESPONSE, 1));
}

// --- rooms that do not exist ---------------------------------------------------------------------------------------

fn actions(double: &ServiceDouble) -> Vec<String> {
    double.captures().into_iter().map(|capture| capture.action).collect()
}

#[tokio::test]
async fn a_room_send_to_a_room_that_does_not_exist_creates_it_and_is_sent() {
    let double = double().await;
    double.script("SendRoomMessage", [Reply::Code(660_300_001)]);
    let sent = send(&client(&double), ConversationType::Room, "lobby").await.unwrap();
    assert_eq!(sent.attempts, 2);
    assert_eq!(actions(&double), ["SendRoomMessage", "CreateRoom", "SendRoomMessage"]);
    let create = &double.captures_of("CreateRoom")[0];
    assert_eq!((create.body["FromUserId"].as_str(), create.body["RoomId"].as_str()), (Some("@RBT#bot"), Some("lobby")));
    assert!(create.request_errors.is_empty(), "{:?}", create.request_errors);
    assert_documented(&double);
}

#[tokio::test]
async fn a_room_created_meanwhile_by_someone_else_counts_as_created() {
    let double = double().await;
    double.script("SendRoomMessage", [Reply::Code(660_300_001)]);
    double.script("CreateRoom", [Reply::Code(660_300_014)]);
    let sent = send(&client(&double), ConversationType::Room, "lobby").await.unwrap();
    assert_eq!(sent.attempts, 2);
}

#[tokio::test]
async fn a_room_that_cannot_be_created_fails_the_send_with_both_reasons() {
    let double = double().await;
    double.script("SendRoomMessage", [Reply::Code(660_300_001)]);
    double.script("CreateRoom", [Reply::Documented(json!({"Code": 660000002, "Message": "bad room id"}))]);
    let failure = send(&client(&double), ConversationType::Room, "lobby").await.unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::ROOM_NOT_FOUND, 1));
    assert!(failure.error.message.contains("bad room id"), "{}", failure.error.message);
}

#[tokio::test]
async fn a_room_is_created_at_most_once_per_send() {
    let double = double().await;
    double.script("SendRoomMessage", [Reply::Code(660_300_001), Reply::Code(660_300_001)]);
    let failure = send(&client(&double), ConversationType::Room, "lobby").await.unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::ROOM_NOT_FOUND, 2));
    assert_eq!(actions(&double), ["SendRoomMessage", "CreateRoom", "SendRoomMessage"]);
}

#[tokio::test]
async fn a_group_send_to_a_group_that_does_not_exist_fails_at_once_saying_it_was_disbanded() {
    let double = double().await;
    double.script("SendGroupMessage", [Reply::Code(660_600_001)]);
    let failure = send(&client(&double), ConversationType::Group, "team").await.unwrap_err();
    assert_eq!((failure.error.code, failure.attempts), (ZimCode::GROUP_NOT_FOUND, 1));
    assert!(failure.error.message.contains("group 'team' does not exist"), "{}", failure.error.message);
    assert!(failure.error.message.contains("disbanded"), "{}", failure.error.message);
    assert!(failure.error.message.contains("never used again"), "{}", failure.error.message);
    assert_eq!(actions(&double), ["SendGroupMessage"], "never retried, never created again");
}
