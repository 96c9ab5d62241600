//! Turning an accepted send into the message that goes on the wire: text as is, media as the JSON description
//! ZIM-API.md gives (an [`ApiMediaBody`] JSON-encoded into `MessageBody.Message`).

use crate::transport::OutboundMessage;
use crate::validate::MAX_URL_BYTES;
use zimbot_model::{MediaKind, MediaMessage, MessageType, OutgoingMessage, SendConfig, SendRequest, UserId};
use zimbot_wire::{ApiImageInfo, ApiMediaBody, MessageBody, OfflinePush};

/// The wire message for `request` sent by `from`. For media, `media_url` is where the file is stored (uploaded or
/// given) and `uid` the message's fresh media id.
pub fn outbound_message(from: &UserId, request: &SendRequest, media_url: &str, uid: &str) -> OutboundMessage {
    let (message_type, mut body) = match &request.message {
        OutgoingMessage::Text { text } => (MessageType::Text, MessageBody::text(text.clone())),
        OutgoingMessage::Media(media) => (media.kind.message_type(), media_body(media, media_url, uid)),
    };
    body.offline_push = offline_push(&request.config);
    OutboundMessage {
        from: from.clone(),
        to: request.to_conversation_id.clone(),
        conversation_type: request.conversation_type,
        message_type,
        body,
        config: request.config.clone(),
    }
}

/// The most `MessageBody.ExtendedData` the service takes, in bytes.
pub const MAX_EXTENDED_DATA_BYTES: usize = 1024;

/// Checks `message` against the service's documented limits before it is sent: `MessageBody.Message` at most
/// `max_message_bytes` (2 KB unless ZEGOCLOUD raised it for the app), `ExtendedData` at most 1 KB, and every
/// media URL at most 500 bytes.
/// The error says which limit, by how much, and which setting raises it.
pub fn check_wire_limits(message: &OutboundMessage, max_message_bytes: usize) -> Result<(), String> {
    let length = message.body.message.len();
    if length > max_message_bytes {
        return Err(format!(
            "the message body is {length} bytes; the service takes at most {max_message_bytes} \
             (client.max_message_bytes: 2048 unless ZEGOCLOUD raised the app's limit, up to 32768)"
        ));
    }
    let extended = message.body.extended_data.len();
    if extended > MAX_EXTENDED_DATA_BYTES {
        return Err(format!(
            "the extended data is {extended} bytes; the service takes at most {MAX_EXTENDED_DATA_BYTES}"
        ));
    }
    if message.message_type.media_kind().is_none() {
        return Ok(());
    }
    let description: ApiMediaBody = serde_json::from_str(&message.body.message).unwrap_or_default();
    let urls = [description.url.as_deref()]
        .into_iter()
        .chain(
            [&description.origin, &description.large_image, &description.thumbnail]
                .map(|image| image.as_ref().map(|image| image.url.as_str())),
        )
        .flatten();
    for url in urls {
        if url.len() > MAX_URL_BYTES {
            return Err(format!(
                "the media URL {url} is {} bytes; the service takes at most {MAX_URL_BYTES} (shorten the media \
                 store's public URL)",
                url.len()
            ));
        }
    }
    Ok(())
}

fn media_body(media: &MediaMessage, url: &str, uid: &str) -> MessageBody {
    let mut description = ApiMediaBody::new(media.kind, uid, url, media.display_file_name());
    description.size = media.file_size;
    let size = media.size.unwrap_or_default();
    let thumbnail = media.thumbnail_url.as_ref().map(|thumbnail_url| ApiImageInfo {
        url: thumbnail_url.clone(),
        width: size.width,
        height: size.height,
    });
    match media.kind {
        MediaKind::Image => {
            if let Some(origin) = description.origin.as_mut() {
                origin.width = size.width;
                origin.height = size.height;
            }
            description.thumbnail = thumbnail;
        }
        MediaKind::Video => {
            description.media_duration = media.duration_secs;
            description.thumbnail = thumbnail;
        }
        MediaKind::Audio => description.media_duration = media.duration_secs,
        MediaKind::File => {}
    }
    // Serializing plain strings and numbers cannot fail; an empty body would only make the service refuse it.
    let message = serde_json::to_string(&description).unwrap_or_default();
    MessageBody { message, extended_data: media.extended_data.clone(), offline_push: None }
}

fn offline_push(config: &SendConfig) -> Option<OfflinePush> {
    config.push.as_ref().map(|push| OfflinePush {
        enable: 1,
        title: push.title.clone(),
        content: push.content.clone(),
        payload: push.payload.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zimbot_model::{ConversationType, ImageSize, PushConfig};

    fn description(message: &OutboundMessage) -> serde_json::Value {
        serde_json::from_str(&message.body.message).unwrap()
    }

    #[test]
    fn an_image_carries_its_url_and_size_in_origin() {
        let mut image = MediaMessage::image("/tmp/cat.png").with_extended_data("a cat");
        image.size = Some(ImageSize { width: 640, height: 480 });
        image.file_size = Some(1234);
        let request = SendRequest::media(image, "lobby", ConversationType::Room, SendConfig::default());
        let message = outbound_message(&UserId::from("@RBT#a"), &request, "http://h/media/u1/cat.png", "u1");
        let json = description(&message);
        assert_eq!(message.message_type, MessageType::Image);
        assert_eq!(json["Uid"], "u1");
        assert_eq!(json["Origin"]["Url"], "http://h/media/u1/cat.png");
        assert_eq!(json["Origin"]["Width"], 640);
        assert_eq!(json["FileName"], "cat.png");
        assert_eq!(json["Size"], 1234);
        assert_eq!(message.body.extended_data, "a cat");
    }

    #[test]
    fn audio_and_video_carry_their_duration() {
        let mut video = MediaMessage::video("/tmp/clip.mp4");
        video.duration_secs = Some(12);
        video.thumbnail_url = Some("http://h/frame.jpg".into());
        let request = SendRequest::media(video, "g", ConversationType::Group, SendConfig::default());
        let json = description(&outbound_message(&UserId::from("@RBT#a"), &request, "http://h/clip.mp4", "u"));
        assert_eq!(json["Url"], "http://h/clip.mp4");
        assert_eq!(json["MediaDuration"], 12);
        assert_eq!(json["Thumbnail"]["Url"], "http://h/frame.jpg");
    }

    #[test]
    fn a_push_config_becomes_an_enabled_offline_push() {
        let mut request = SendRequest::text("hi", "alice", ConversationType::Peer);
        request.config.push = Some(PushConfig { title: "t".into(), content: "c".into(), payload: "p".into() });
        let message = outbound_message(&UserId::from("@RBT#a"), &request, "", "");
        assert_eq!(message.body.message, "hi");
        let push = message.body.offline_push.unwrap();
        assert_eq!((push.enable, push.title.as_str(), push.payload.as_str()), (1, "t", "p"));
    }
}
