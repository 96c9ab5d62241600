//! Every request the client can emit, checked against the published request schemas (`spec/zim-server-api/`) by
//! the service double over real HTTP: each conversation type × text, image, file, audio and video, with and
//! without the optional settings, and bot registration.

mod support;

use std::sync::Arc;
use support::server::{APP_ID, SECRET};
use support::{fast_config, sender};
use zimbot_client::{Client, HttpPutStore};
use zimbot_double::{Capture, ServiceDouble};
use zimbot_model::{
    ConversationType, ImageSize, MediaKind, MediaMessage, Priority, PushConfig, SendConfig, SendRequest,
};
use zimbot_wire::RegisterUserInfo;

async fn double_and_client() -> (ServiceDouble, Client) {
    let double = ServiceDouble::start(APP_ID, SECRET).await;
    let store = HttpPutStore::new(double.media_put_template(), double.media_put_template(), None).unwrap();
    let transport = support::transport_to(double.base_url(), SECRET);
    let client = Client::new(fast_config(), Arc::new(transport), Arc::new(store));
    (double, client)
}

fn assert_conforms(captures: &[Capture]) {
    assert!(!captures.is_empty(), "no request reached the double");
    for capture in captures {
        assert!(capture.signature_ok, "{} was not signed right: {:?}", capture.action, capture.query);
        assert!(
            capture.request_errors.is_empty(),
            "{} body {} breaks the published schema: {:?}",
            capture.action,
            capture.body,
            capture.request_errors
        );
    }
}

/// Every optional setting a send can carry.
fn full_config() -> SendConfig {
    SendConfig {
        priority: Priority::High,
        push: Some(PushConfig { title: "title".into(), content: "content".into(), payload: "payload".into() }),
        disable_unread_message_count: true,
        sender_unaware: true,
    }
}

const CONVERSATIONS: [(ConversationType, &str); 3] =
    [(ConversationType::Peer, "alice"), (ConversationType::Room, "lobby"), (ConversationType::Group, "team")];

/// A media message of `kind` from a local file in `directory`, with every optional field set when `full`.
fn media(kind: MediaKind, directory: &std::path::Path, full: bool) -> MediaMessage {
    let name = match kind {
        MediaKind::Image => "photo.png",
        MediaKind::File => "notes.pdf",
        MediaKind::Audio => "voice.mp3",
        MediaKind::Video => "clip.mp4",
    };
    let path = directory.join(name);
    let bytes = match kind {
        MediaKind::Image => support::images::png(4, 3),
        MediaKind::Video => support::images::mp4(5),
        MediaKind::File | MediaKind::Audio => b"bytes of the file".to_vec(),
    };
    std::fs::write(&path, bytes).unwrap();
    let mut message = MediaMessage::from_path(kind, path);
    if full {
        message.extended_data = "extended".into();
        message.file_name = Some(format!("named {name}"));
        match kind {
            MediaKind::Audio => message.duration_secs = Some(3),
            MediaKind::Video => {
                message.duration_secs = Some(4);
                message.thumbnail_url = Some("http://127.0.0.1:1/frame.jpg".into());
                message.size = Some(ImageSize { width: 320, height: 240 });
            }
            MediaKind::Image => {
                message.thumbnail_url = Some("http://127.0.0.1:1/thumb.jpg".into());
                message.size = Some(ImageSize { width: 2, height: 1 });
            }
            MediaKind::File => {}
        }
    }
    message
}

async fn send_all(client: &Client, requests: Vec<SendRequest>) {
    for request in requests {
        let described = format!("{:?} to {}", request.conversation_type, request.to_conversation_id);
        let handle = client.send(&sender("contract", Priority::Medium), request).unwrap();
        if let Err(failure) = handle.result().await {
            panic!("{described} failed: {}", failure.error);
        }
    }
}

#[tokio::test]
async fn text_sends_to_every_conversation_type_conform_without_optional_fields() {
    let (double, client) = double_and_client().await;
    let requests = CONVERSATIONS.iter().map(|(kind, id)| SendRequest::text("hello", *id, *kind)).collect();
    send_all(&client, requests).await;
    assert_conforms(&double.captures());
}

#[tokio::test]
async fn text_sends_to_every_conversation_type_conform_with_every_optional_field() {
    let (double, client) = double_and_client().await;
    let requests = CONVERSATIONS
        .iter()
        .map(|(kind, id)| {
            let mut request = SendRequest::text("hello", *id, *kind);
            request.config = full_config();
            request
        })
        .collect();
    send_all(&client, requests).await;
    assert_conforms(&double.captures());
    assert_eq!(double.captures().len(), 3);
}

#[tokio::test]
async fn media_sends_of_every_kind_to_every_conversation_type_conform_without_optional_fields() {
    let (double, client) = double_and_client().await;
    let directory = tempfile::tempdir().unwrap();
    let mut requests = Vec::new();
    for kind in MediaKind::ALL {
        for (conversation_type, id) in CONVERSATIONS {
            let message = media(kind, directory.path(), false);
            requests.push(SendRequest::media(message, id, conversation_type, SendConfig::default()));
        }
    }
    send_all(&client, requests).await;
    assert_conforms(&double.captures());
    assert_eq!(double.captures().len(), 12);
}

#[tokio::test]
async fn media_sends_of_every_kind_to_every_conversation_type_conform_with_every_optional_field() {
    let (double, client) = double_and_client().await;
    let directory = tempfile::tempdir().unwrap();
    let mut requests = Vec::new();
    for kind in MediaKind::ALL {
        for (conversation_type, id) in CONVERSATIONS {
            let message = media(kind, directory.path(), true);
            requests.push(SendRequest::media(message, id, conversation_type, full_config()));
        }
    }
    send_all(&client, requests).await;
    assert_conforms(&double.captures());
    assert_eq!(double.captures().len(), 12);
}

#[tokio::test]
async fn media_sent_by_url_conforms() {
    let (double, client) = double_and_client().await;
    let requests = CONVERSATIONS
        .iter()
        .map(|(kind, id)| {
            let message = MediaMessage::from_url(MediaKind::Video, "http://127.0.0.1:1/clip.mp4", "clip.mp4");
            SendRequest::media(message, *id, *kind, SendConfig::default())
        })
        .collect();
    send_all(&client, requests).await;
    assert_conforms(&double.captures());
}

#[tokio::test]
async fn bot_registration_conforms_in_full_batches_and_the_rest() {
    let (double, client) = double_and_client().await;
    let bots = (0..23)
        .map(|index| RegisterUserInfo {
            user_id: format!("@RBT#bot{index}"),
            user_name: format!("Bot {index}"),
            user_avatar: String::new(),
        })
        .collect();
    client.register_bots(bots).await.unwrap();
    let captures = double.captures_of("RobotRegister");
    assert_eq!(captures.len(), 2);
    assert_conforms(&captures);
}
