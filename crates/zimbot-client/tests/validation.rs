//! Every reason a send is refused at once, without any event.

mod support;

use std::sync::Arc;
use support::fakes::{sparse_file, FakeTransport, GatedStore};
use support::sender;
use zimbot_client::{Client, ClientConfig};
use zimbot_model::{ConversationType, MediaKind, MediaMessage, Priority, RejectReason, SendConfig, SendRequest};

fn client(config: ClientConfig) -> (Client, Arc<FakeTransport>) {
    let transport = FakeTransport::new();
    (Client::new(config, transport.clone(), GatedStore::new()), transport)
}

fn media(message: MediaMessage) -> SendRequest {
    SendRequest::media(message, "room", ConversationType::Room, SendConfig::default())
}

fn refused(client: &Client, request: SendRequest) -> (RejectReason, String) {
    let rejected = client.send(&sender("bot", Priority::Medium), request).unwrap_err();
    (rejected.reason, rejected.message)
}

#[tokio::test]
async fn a_missing_file_is_refused_naming_the_path() {
    let (client, _) = client(ClientConfig::default());
    let (reason, message) = refused(&client, media(MediaMessage::image("/nonexistent/cat.png")));
    assert_eq!(reason, RejectReason::FileNotFound);
    assert!(message.contains("/nonexistent/cat.png"), "{message}");
}

#[tokio::test]
async fn a_directory_is_refused_as_unreadable() {
    let (client, _) = client(ClientConfig::default());
    let directory = tempfile::tempdir().unwrap();
    let (reason, _) = refused(&client, media(MediaMessage::file(directory.path())));
    assert_eq!(reason, RejectReason::FileUnreadable);
}

#[tokio::test]
async fn each_kind_is_held_to_its_own_size_limit() {
    let (client, _) = client(ClientConfig::default());
    let directory = tempfile::tempdir().unwrap();
    let mb = 1024 * 1024;
    for (kind, limit) in [
        (MediaKind::Image, 10 * mb),
        (MediaKind::File, 100 * mb),
        (MediaKind::Audio, 6 * mb),
        (MediaKind::Video, 100 * mb),
    ] {
        let at_limit = sparse_file(&directory, &format!("{kind}-ok"), limit);
        assert!(client.send(&sender("bot", Priority::Medium), media(MediaMessage::from_path(kind, at_limit))).is_ok());
        let over = sparse_file(&directory, &format!("{kind}-over"), limit + 1);
        let (reason, message) = refused(&client, media(MediaMessage::from_path(kind, over)));
        assert_eq!(reason, RejectReason::TooLarge, "{kind}");
        assert!(message.contains(&format!("client.media_limits.{kind}")), "{message}");
    }
}

#[tokio::test]
async fn configured_media_limits_apply() {
    let mut config = ClientConfig::default();
    config.media_limits.audio = 100;
    let (client, _) = client(config);
    let directory = tempfile::tempdir().unwrap();
    let (reason, _) = refused(&client, media(MediaMessage::audio(sparse_file(&directory, "a.mp3", 101))));
    assert_eq!(reason, RejectReason::TooLarge);
}

#[tokio::test]
async fn a_declared_size_over_the_limit_is_refused_for_url_media() {
    let (client, _) = client(ClientConfig::default());
    let mut message = MediaMessage::from_url(MediaKind::Image, "http://h/x.png", "x.png");
    message.file_size = Some(11 * 1024 * 1024);
    assert_eq!(refused(&client, media(message)).0, RejectReason::TooLarge);
}

#[tokio::test]
async fn empty_and_over_long_ids_are_refused() {
    let (client, _) = client(ClientConfig::default());
    let long = "x".repeat(33);
    for destination in ["", long.as_str()] {
        let request = SendRequest::text("hi", destination, ConversationType::Room);
        assert_eq!(refused(&client, request).0, RejectReason::InvalidId, "destination {destination:?}");
    }
    let mut bad_sender = sender("bot", Priority::Medium);
    bad_sender.user_id = zimbot_model::UserId::from(long.as_str());
    let rejected = client.send(&bad_sender, SendRequest::text("hi", "room", ConversationType::Room)).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::InvalidId);
    let thirty_two = "y".repeat(32);
    assert!(client
        .send(&sender("bot", Priority::Medium), SendRequest::text("hi", thirty_two.as_str(), ConversationType::Room))
        .is_ok());
}

#[tokio::test]
async fn a_destination_with_a_character_the_send_actions_refuse_is_refused_at_send_time() {
    let (client, transport) = client(ClientConfig::default());
    for (conversation_type, id) in
        [(ConversationType::Peer, "al*ce"), (ConversationType::Room, "lobby/2"), (ConversationType::Group, "t\u{e9}am")]
    {
        let (reason, message) = refused(&client, SendRequest::text("hi", id, conversation_type));
        assert_eq!(reason, RejectReason::InvalidId, "{id}");
        assert!(message.starts_with("destination: the conversation id"), "{message}");
    }
    assert!(transport.starts().is_empty());
}

#[tokio::test]
async fn a_sender_with_a_character_the_send_actions_refuse_is_refused_at_send_time() {
    let (client, _) = client(ClientConfig::default());
    let bad_sender = zimbot_client::Sender { user_id: "@RBT#a,b".into(), ..sender("bot", Priority::Medium) };
    let rejected = client.send(&bad_sender, SendRequest::text("hi", "lobby", ConversationType::Room)).unwrap_err();
    assert_eq!(rejected.reason, RejectReason::InvalidId);
    assert!(rejected.message.contains("','"), "{}", rejected.message);
}

#[tokio::test]
async fn media_without_a_path_or_url_is_refused() {
    let (client, _) = client(ClientConfig::default());
    let mut message = MediaMessage::from_url(MediaKind::File, "", "x");
    message.file_download_url = None;
    let (reason, message) = refused(&client, media(message));
    assert_eq!(reason, RejectReason::InvalidMessage);
    assert!(message.contains("neither"), "{message}");
}

#[tokio::test]
async fn an_empty_text_is_refused() {
    let (client, _) = client(ClientConfig::default());
    assert_eq!(refused(&client, SendRequest::text("", "room", ConversationType::Room)).0, RejectReason::InvalidMessage);
}

#[tokio::test]
async fn a_full_queue_refuses_further_sends_of_that_bot_only() {
    let (client, _) = client(ClientConfig { queue_capacity: 3, ..ClientConfig::default() });
    for index in 0..3 {
        client
            .send(
                &sender("bot", Priority::Medium),
                SendRequest::text(index.to_string(), "room", ConversationType::Room),
            )
            .unwrap();
    }
    let (reason, message) = refused(&client, SendRequest::text("4", "room", ConversationType::Room));
    assert_eq!(reason, RejectReason::QueueFull);
    assert!(message.contains("client.queue_capacity"), "{message}");
    assert!(client
        .send(&sender("other", Priority::Medium), SendRequest::text("hi", "room", ConversationType::Room))
        .is_ok());
}

#[tokio::test]
async fn a_closed_client_refuses_sends() {
    let (client, _) = client(ClientConfig::default());
    client.close(std::time::Duration::from_secs(1)).await;
    assert_eq!(refused(&client, SendRequest::text("hi", "room", ConversationType::Room)).0, RejectReason::Closed);
}

#[tokio::test]
async fn refused_sends_reach_nothing_and_are_counted() {
    let (client, transport) = client(ClientConfig::default());
    refused(&client, media(MediaMessage::image("/nonexistent.png")));
    refused(&client, SendRequest::text("", "room", ConversationType::Room));
    client.close(std::time::Duration::from_secs(1)).await;
    assert!(transport.starts().is_empty());
    let stats = client.stats();
    assert_eq!((stats.rejected, stats.in_progress, stats.sent, stats.failed), (2, 0, 0, 0));
}

#[tokio::test]
async fn accepted_sends_get_distinct_local_ids_and_attached_at_once() {
    let (client, _) = client(ClientConfig::default());
    let mut first =
        client.send(&sender("a", Priority::Medium), SendRequest::text("1", "room", ConversationType::Room)).unwrap();
    let second =
        client.send(&sender("b", Priority::Medium), SendRequest::text("2", "room", ConversationType::Room)).unwrap();
    assert_ne!(first.local_id, second.local_id);
    match first.events.try_recv().unwrap() {
        zimbot_model::SendEvent::Attached(attached) => assert_eq!(attached.local_id, first.local_id),
        other => panic!("expected attached, got {other:?}"),
    }
}
