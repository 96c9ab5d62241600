//! Registering bot users in the background (`Client::start_registration`): the first call before it returns, the
//! others while bots already send; a bot's sends wait until its user is registered without holding other bots'
//! sends, and fail with the registration's error when its batch fails for good. Timing on virtual time (an
//! in-memory transport), the wire over real HTTP against the service double.

mod support;

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::fakes::{FakeTransport, GatedStore};
use support::server::{APP_ID, SECRET};
use support::{fast_config, sender};
use tokio::time::Instant;
use zimbot_client::{Client, ClientConfig, HttpPutStore, ServerApiConfig, ServerApiTransport};
use zimbot_double::{Capture, Reply, ServiceDouble};
use zimbot_model::{ConversationId, ConversationType, Priority, SendRequest, UserId, ZimCode};
use zimbot_wire::RegisterUserInfo;

/// Users `@RBT#b0` … : bot `b{index}` of [`sender`].
fn bots(count: usize) -> Vec<RegisterUserInfo> {
    (0..count)
        .map(|index| RegisterUserInfo {
            user_id: format!("@RBT#b{index}"),
            user_name: format!("b{index}"),
            user_avatar: String::new(),
        })
        .collect()
}

fn peer_text(to: &str) -> SendRequest {
    SendRequest::text("hello", to, ConversationType::Peer)
}

fn double_client(double: &ServiceDouble) -> Client {
    let store = HttpPutStore::new(double.media_put_template(), double.media_put_template(), None).unwrap();
    let transport = ServerApiTransport::new(ServerApiConfig {
        base_url: double.base_url(),
        app_id: APP_ID,
        server_secret: SECRET.into(),
        request_timeout: Duration::from_secs(5),
    })
    .unwrap();
    Client::new(fast_config(), Arc::new(transport), Arc::new(store))
}

/// The position among the captures of the first capture of `action` whose body mentions `user`.
fn position(captures: &[Capture], action: &str, user: &str) -> Option<usize> {
    captures.iter().position(|capture| capture.action == action && capture.body.to_string().contains(user))
}

// --- virtual time ----------------------------------------------------------------------------------------------------

fn fake_client(transport: &Arc<FakeTransport>) -> Client {
    let config = ClientConfig { sends_per_window: 0, safety_margin_ms: Some(0), ..ClientConfig::default() };
    Client::new(config, transport.clone(), GatedStore::new())
}

#[tokio::test(start_paused = true)]
async fn starting_the_registration_returns_once_the_first_call_is_answered() {
    let transport = FakeTransport::new();
    let client = fake_client(&transport);
    let mut registration = client.start_registration(bots(1000)).await.unwrap();
    assert_eq!(transport.registers().len(), 1, "only the first call is made before it returns");
    registration.finished().await;
    assert_eq!(transport.registers().len(), 50);
}

#[tokio::test(start_paused = true)]
async fn a_waiting_send_starts_as_soon_as_its_batch_is_registered() {
    let transport = FakeTransport::new();
    let client = fake_client(&transport);
    let begin = Instant::now();
    let _registration = client.start_registration(bots(1000)).await.unwrap();
    // b999 is in the 50th call, which the register window lets start two seconds in.
    let sent = client.send(&sender("b999", Priority::Medium), peer_text("alice")).unwrap();
    sent.result().await.unwrap();
    let registers = transport.registers();
    assert_eq!(registers[49].0 - begin, Duration::from_secs(2));
    assert_eq!(transport.starts()[0].at - begin, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn a_registered_bots_send_starts_at_once_while_others_wait() {
    let transport = FakeTransport::new();
    let client = fake_client(&transport);
    let begin = Instant::now();
    let _registration = client.start_registration(bots(1000)).await.unwrap();
    let waiting = client.send(&sender("b999", Priority::Medium), peer_text("alice")).unwrap();
    let registered = client.send(&sender("b0", Priority::Medium), peer_text("alice")).unwrap();
    registered.result().await.unwrap();
    assert_eq!(transport.starts()[0].at - begin, Duration::ZERO);
    assert_eq!(transport.starts()[0].from, "@RBT#b0");
    waiting.result().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_user_never_put_on_hold_sends_at_once() {
    let transport = FakeTransport::new();
    let client = fake_client(&transport);
    let begin = Instant::now();
    let _registration = client.start_registration(bots(1000)).await.unwrap();
    client.send(&sender("elsewhere", Priority::Medium), peer_text("alice")).unwrap().result().await.unwrap();
    assert_eq!(transport.starts()[0].at - begin, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn registered_waits_for_the_batch_of_each_user() {
    let transport = FakeTransport::new();
    let client = fake_client(&transport);
    let begin = Instant::now();
    let _registration = client.start_registration(bots(1000)).await.unwrap();
    client.registered(&[UserId::from("@RBT#b0")]).await.unwrap();
    assert_eq!(Instant::now(), begin);
    client.registered(&[UserId::from("@RBT#b0"), UserId::from("@RBT#b999")]).await.unwrap();
    assert_eq!(Instant::now() - begin, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn the_stats_count_the_users_still_registering() {
    let transport = FakeTransport::new();
    let client = fake_client(&transport);
    let mut registration = client.start_registration(bots(1000)).await.unwrap();
    assert_eq!((client.stats().users_registering, client.stats().users_registration_failed), (980, 0));
    registration.finished().await;
    assert_eq!((client.stats().users_registering, client.stats().users_registration_failed), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn sends_to_a_held_conversation_wait_until_it_is_released() {
    let transport = FakeTransport::new();
    let client = fake_client(&transport);
    let team = ConversationId::from("team");
    client.hold_conversations([(ConversationType::Group, team.clone())]);
    let held = client.send(&sender("b0", Priority::Medium), SendRequest::text("hi", "team", ConversationType::Group));
    let other = client.send(&sender("b0", Priority::Medium), peer_text("alice")).unwrap();
    other.result().await.unwrap();
    assert_eq!(transport.starts().len(), 1, "the held send has not started");
    client.release_conversation(ConversationType::Group, &team);
    held.unwrap().result().await.unwrap();
    assert_eq!(transport.starts()[1].to, "team");
}

// --- over HTTP, against the service double ---------------------------------------------------------------------------

#[tokio::test]
async fn a_send_of_a_bot_not_registered_yet_goes_out_after_its_registration() {
    let double = ServiceDouble::start(APP_ID, SECRET).await;
    // The second call (b20) is answered only after a while.
    double.script("RobotRegister", [Reply::Normal, Reply::Slow(Duration::from_millis(500), Box::new(Reply::Normal))]);
    let client = double_client(&double);
    let _registration = client.start_registration(bots(21)).await.unwrap();
    client.send(&sender("b20", Priority::Medium), peer_text("alice")).unwrap().result().await.unwrap();
    // Captures are recorded as they are answered: the send came after b20's registration was answered.
    let captures = double.captures();
    let registered = position(&captures, "RobotRegister", "@RBT#b20").expect("b20 was registered");
    let sent = position(&captures, "SendPeerMessage", "@RBT#b20").expect("b20's send reached the service");
    assert!(registered < sent, "{captures:?}");
}

#[tokio::test]
async fn sends_of_registered_bots_are_not_held_behind_a_bot_waiting_for_its_registration() {
    let double = ServiceDouble::start(APP_ID, SECRET).await;
    double.script("RobotRegister", [Reply::Normal, Reply::Slow(Duration::from_secs(2), Box::new(Reply::Normal))]);
    let client = double_client(&double);
    let _registration = client.start_registration(bots(21)).await.unwrap();
    let waiting = client.send(&sender("b20", Priority::Medium), peer_text("alice")).unwrap();
    client.send(&sender("b0", Priority::Medium), peer_text("alice")).unwrap().result().await.unwrap();
    let captures = double.captures();
    assert_eq!(position(&captures, "RobotRegister", "@RBT#b20"), None, "b20's registration is still slow");
    assert!(position(&captures, "SendPeerMessage", "@RBT#b0").is_some());
    waiting.result().await.unwrap();
}

#[tokio::test]
async fn a_batch_that_fails_for_good_fails_its_bots_waiting_and_later_sends_with_the_reason() {
    let double = ServiceDouble::start(APP_ID, SECRET).await;
    let refused = Reply::Documented(json!({"Code": 660700006, "Message": "name too long", "RequestId": "r",
        "ErrorList": [{"UserId": "@RBT#b20", "SubCode": 660700006, "SubMessage": "UserName too long"}]}));
    double.script("RobotRegister", [Reply::Normal, Reply::Slow(Duration::from_millis(300), Box::new(refused))]);
    let client = double_client(&double);
    let mut registration = client.start_registration(bots(21)).await.unwrap();
    let waiting = client.send(&sender("b20", Priority::Medium), peer_text("alice")).unwrap();
    registration.finished().await;
    let later = client.send(&sender("b20", Priority::Medium), peer_text("alice")).unwrap();
    for failure in [waiting.result().await.unwrap_err(), later.result().await.unwrap_err()] {
        assert_eq!(failure.error.code, ZimCode(660_700_006));
        assert!(failure.error.message.contains("@RBT#b20 could not be registered"), "{}", failure.error.message);
        assert!(failure.error.message.contains("SubCode 660700006: name too long"), "{}", failure.error.message);
    }
    assert!(double.captures_of("SendPeerMessage").is_empty(), "nothing of b20 reached the service");
    assert_eq!(client.stats().users_registration_failed, 1);
    client.send(&sender("b0", Priority::Medium), peer_text("alice")).unwrap().result().await.unwrap();
}

#[tokio::test]
async fn a_refused_first_call_fails_the_start_and_every_bots_sends() {
    let double = ServiceDouble::start(APP_ID, "a-different-secret").await;
    let client = double_client(&double);
    let error = client.start_registration(bots(21)).await.unwrap_err();
    assert_eq!(error.code, ZimCode(100_000_005));
    let failure =
        client.send(&sender("b20", Priority::Medium), peer_text("alice")).unwrap().result().await.unwrap_err();
    assert_eq!(failure.error.code, ZimCode(100_000_005));
    assert_eq!(double.captures_of("RobotRegister").len(), 1, "no call after the refused first one");
}
