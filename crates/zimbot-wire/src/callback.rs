//! The callbacks the service POSTs to the webhook (`send_msg`, `bot_msg`), and how one becomes a
//! [`ReceivedMessage`].

use crate::number_or_string::{id, integer, or_default, unsigned};
use crate::ApiMediaBody;
use serde::{Deserialize, Deserializer, Serialize};
use zimbot_model::{
    ConversationId, ConversationType, MediaKind, MessageContent, MessageType, ReceivedMedia, ReceivedMessage, UserId,
};

/// The callback events zimbot acts on; any other event name is kept as `Other` and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackEvent {
    /// A message was sent in a peer, room or group conversation.
    SendMsg,
    /// A one-to-one message to a bot user.
    BotMsg,
    Other(String),
}

impl CallbackEvent {
    pub fn as_str(&self) -> &str {
        match self {
            Self::SendMsg => "send_msg",
            Self::BotMsg => "bot_msg",
            Self::Other(name) => name,
        }
    }

    pub fn from_name(name: &str) -> Self {
        match name {
            "send_msg" => Self::SendMsg,
            "bot_msg" => Self::BotMsg,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl Serialize for CallbackEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CallbackEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|name| Self::from_name(&name))
    }
}

/// One receiver of a peer message, as listed in `user_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackUser {
    #[serde(rename = "UserId", default, deserialize_with = "or_default")]
    pub user_id: String,
    #[serde(rename = "MsgId", default, deserialize_with = "id")]
    pub msg_id: String,
    #[serde(rename = "MsgSeq", default, deserialize_with = "unsigned")]
    pub msg_seq: u64,
}

/// A message callback (`send_msg` / `bot_msg`). Numbers the service sometimes sends as strings are read
/// either way, and optional fields sent as `null` read as absent: a callback refused as malformed would be retried
/// by ZIM and then dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Callback {
    #[serde(deserialize_with = "id")]
    pub appid: String,
    pub event: CallbackEvent,
    #[serde(deserialize_with = "id")]
    pub nonce: String,
    pub signature: String,
    #[serde(deserialize_with = "integer")]
    pub timestamp: i64,
    #[serde(default, deserialize_with = "or_default")]
    pub from_user_id: String,
    #[serde(default, deserialize_with = "integer")]
    pub conv_type: i64,
    /// The room or group id; for peer messages, the receiving user's id.
    #[serde(default, deserialize_with = "or_default")]
    pub conv_id: String,
    #[serde(default, deserialize_with = "integer")]
    pub msg_type: i64,
    #[serde(default, deserialize_with = "integer")]
    pub sub_msg_type: i64,
    /// 1 when the message was sent through the Server API.
    #[serde(default, deserialize_with = "integer")]
    pub source: i64,
    #[serde(default, deserialize_with = "or_default")]
    pub msg_body: String,
    #[serde(default, deserialize_with = "id")]
    pub msg_id: String,
    #[serde(default, deserialize_with = "integer")]
    pub msg_seq: i64,
    /// Milliseconds since the Unix epoch.
    #[serde(default, deserialize_with = "integer")]
    pub msg_time: i64,
    #[serde(default, deserialize_with = "integer")]
    pub send_result: i64,
    #[serde(default, deserialize_with = "or_default")]
    pub payload: String,
    /// The receivers of a peer message (and each one's message id); filled for messages sent by the server.
    #[serde(default, deserialize_with = "or_default")]
    pub user_list: Vec<CallbackUser>,
}

/// The media description in `msg_body` of a client-sent media message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallbackMediaBody {
    pub md5: String,
    pub file_name: String,
    pub file_size: u64,
    pub download_url: String,
    pub media_duration: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_image_width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_image_height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub large_image_download_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_download_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_first_frame_download_url: Option<String>,
}

/// Timestamps above this are in milliseconds: room and group events carry milliseconds, message events seconds,
/// and no time in seconds reaches 10^11 before the year 5138.
const MILLISECOND_TIMESTAMPS_FROM: i64 = 100_000_000_000;

impl Callback {
    /// `timestamp` in Unix seconds, whether the event carried seconds or milliseconds.
    pub fn timestamp_secs(&self) -> i64 {
        if self.timestamp.unsigned_abs() >= MILLISECOND_TIMESTAMPS_FROM.unsigned_abs() {
            self.timestamp / 1000
        } else {
            self.timestamp
        }
    }

    /// Whether this callback is one zimbot routes to bots: a message event ([`Self::not_for_bots`] says which
    /// message events are not).
    pub fn is_message(&self) -> bool {
        matches!(self.event, CallbackEvent::SendMsg | CallbackEvent::BotMsg) && self.not_for_bots().is_none()
    }

    /// Why a message callback must not reach any bot, if it must not:
    /// - `source` 1: the message was sent through the Server API, by this deployment's own bots or another server
    ///   (answering it could loop);
    /// - a peer message with an empty `conv_id` and a filled `user_list`: the shape of a server-sent peer message;
    /// - `send_result` other than 0: the message was not delivered, so nobody saw it.
    pub fn not_for_bots(&self) -> Option<String> {
        if self.source == 1 {
            return Some("sent through the Server API (source 1)".to_owned());
        }
        let peer = self.conv_type == i64::from(ConversationType::Peer.code());
        if peer && self.conv_id.is_empty() && !self.user_list.is_empty() {
            return Some("a peer message sent by the server (empty conv_id, user_list filled)".to_owned());
        }
        if self.send_result != 0 {
            return Some(format!("not delivered (send_result {})", self.send_result));
        }
        None
    }

    /// The message this callback reports. Fails, saying which field, when the callback does not describe one.
    pub fn to_received_message(&self) -> Result<ReceivedMessage, String> {
        let conversation_type = ConversationType::from_code(self.conv_type)
            .ok_or_else(|| format!("conv_type {} is not 0 (peer), 1 (room) or 2 (group)", self.conv_type))?;
        if self.from_user_id.is_empty() {
            return Err("from_user_id is empty".to_owned());
        }
        if self.conv_id.is_empty() {
            return Err("conv_id is empty".to_owned());
        }
        if self.msg_id.is_empty() {
            return Err("msg_id is empty".to_owned());
        }
        let message_type = u32::try_from(self.msg_type)
            .map(MessageType::from_code)
            .map_err(|_| format!("msg_type {} is not a message type", self.msg_type))?;
        let content = match message_type {
            MessageType::Text | MessageType::Barrage => MessageContent::Text { text: self.msg_body.clone() },
            media if media.media_kind().is_some() => match parse_media(media, &self.msg_body) {
                Some(media) => MessageContent::Media(media),
                None => MessageContent::Other { message_type, body: self.msg_body.clone() },
            },
            _ => MessageContent::Other { message_type, body: self.msg_body.clone() },
        };
        Ok(ReceivedMessage {
            message_id: self.msg_id.clone(),
            seq: u64::try_from(self.msg_seq).unwrap_or(0),
            from_user_id: UserId::new(self.from_user_id.clone()),
            conversation_type,
            conversation_id: ConversationId::new(self.conv_id.clone()),
            timestamp_ms: self.msg_time,
            content,
        })
    }
}

/// Reads a media `msg_body` in either form: the client's (`download_url`, ...) or the Server API's (`Url`, `Origin`).
fn parse_media(message_type: MessageType, body: &str) -> Option<ReceivedMedia> {
    let kind: MediaKind = message_type.media_kind()?;
    if let Ok(client) = serde_json::from_str::<CallbackMediaBody>(body) {
        if !client.download_url.is_empty() {
            return Some(ReceivedMedia {
                kind,
                download_url: client.download_url,
                file_name: client.file_name,
                file_size: client.file_size,
                duration_secs: (client.media_duration > 0).then_some(client.media_duration),
            });
        }
    }
    let api: ApiMediaBody = serde_json::from_str(body).ok()?;
    Some(ReceivedMedia {
        kind,
        download_url: api.download_url()?.to_owned(),
        file_name: api.file_name,
        file_size: api.size.unwrap_or(0),
        duration_secs: api.media_duration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callback(json: serde_json::Value) -> Callback {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_room_text_callback_becomes_a_received_message() {
        let message = callback(serde_json::json!({
            "appid": "1", "event": "send_msg", "nonce": "n", "signature": "s", "timestamp": 1,
            "from_user_id": "alice", "conv_type": 1, "conv_id": "lobby", "msg_type": 1,
            "msg_body": "!announce", "msg_id": "42", "msg_seq": 7, "msg_time": 1700000000000i64
        }))
        .to_received_message()
        .unwrap();
        assert_eq!(message.conversation_type, ConversationType::Room);
        assert_eq!(message.text(), Some("!announce"));
        assert_eq!(message.seq, 7);
    }

    #[test]
    fn numbers_sent_as_strings_are_accepted() {
        let parsed = callback(serde_json::json!({
            "appid": 1, "event": "bot_msg", "nonce": 5, "signature": "s", "timestamp": "1470820198",
            "conv_type": "0", "msg_id": 9
        }));
        assert_eq!(parsed.timestamp, 1_470_820_198);
        assert_eq!(parsed.appid, "1");
        assert_eq!(parsed.msg_id, "9");
        assert_eq!(parsed.event, CallbackEvent::BotMsg);
    }

    #[test]
    fn client_and_server_media_bodies_are_both_read() {
        let client_body =
            serde_json::json!({"download_url": "http://h/a.png", "file_name": "a.png", "file_size": 3}).to_string();
        let api_body =
            serde_json::to_string(&ApiMediaBody::new(MediaKind::Video, "u", "http://h/v.mp4", "v.mp4")).unwrap();
        for (body, url) in [(client_body, "http://h/a.png"), (api_body, "http://h/v.mp4")] {
            let message = callback(serde_json::json!({
                "appid": "1", "event": "send_msg", "nonce": "n", "signature": "s", "timestamp": 1,
                "from_user_id": "alice", "conv_type": 2, "conv_id": "g", "msg_type": 11, "msg_body": body, "msg_id": "1"
            }))
            .to_received_message()
            .unwrap();
            match message.content {
                MessageContent::Media(media) => assert_eq!(media.download_url, url),
                other => panic!("expected media, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_bad_conversation_type_is_named() {
        let error = callback(serde_json::json!({
            "appid": "1", "event": "send_msg", "nonce": "n", "signature": "s", "timestamp": 1,
            "from_user_id": "alice", "conv_type": 9, "conv_id": "x", "msg_id": "1"
        }))
        .to_received_message()
        .unwrap_err();
        assert!(error.contains("conv_type 9"), "{error}");
    }

    fn message(extra: serde_json::Value) -> Callback {
        let mut json = serde_json::json!({
            "appid": "1", "event": "send_msg", "nonce": "n", "signature": "s", "timestamp": 1,
            "from_user_id": "alice", "conv_type": 1, "conv_id": "lobby", "msg_type": 1, "msg_body": "hi", "msg_id": "1"
        });
        if let (Some(json), Some(extra)) = (json.as_object_mut(), extra.as_object()) {
            json.extend(extra.clone());
        }
        callback(json)
    }

    #[test]
    fn a_message_sent_through_the_server_api_is_not_for_bots() {
        let sent = message(serde_json::json!({"source": 1}));
        assert!(!sent.is_message());
        assert!(sent.not_for_bots().unwrap().contains("source 1"));
    }

    #[test]
    fn a_server_sent_peer_message_with_an_empty_conv_id_is_not_for_bots() {
        let sent = message(serde_json::json!({
            "conv_type": 0, "conv_id": "", "user_list": [{"UserId": "bob", "MsgId": 123456789012u64, "MsgSeq": "3"}]
        }));
        assert!(!sent.is_message());
        assert_eq!(sent.user_list[0].msg_id, "123456789012");
        assert_eq!(sent.user_list[0].msg_seq, 3);
    }

    #[test]
    fn an_undelivered_message_is_not_for_bots() {
        let failed = message(serde_json::json!({"send_result": "5"}));
        assert!(!failed.is_message());
        assert!(failed.not_for_bots().unwrap().contains("send_result 5"));
    }

    #[test]
    fn a_delivered_client_message_is_for_bots() {
        assert!(message(serde_json::json!({"source": 0, "send_result": 0})).is_message());
    }

    #[test]
    fn null_optional_fields_are_read_as_absent() {
        let parsed = message(serde_json::json!({
            "sub_msg_type": null, "source": null, "payload": null, "user_list": null, "msg_seq": null, "send_result": null
        }));
        assert!(parsed.is_message());
        assert_eq!(parsed.to_received_message().unwrap().seq, 0);
    }

    #[test]
    fn a_room_event_callback_with_its_times_as_strings_in_milliseconds_is_read_and_not_routed() {
        let event = callback(serde_json::json!({
            "appid": 1, "event": "room_enter", "nonce": "n", "signature": "s", "timestamp": "1700000000",
            "room_id": "lobby", "user_id": "alice", "enter_time": "1700000000123"
        }));
        assert_eq!(event.timestamp, 1_700_000_000);
        assert!(!event.is_message());
    }

    #[test]
    fn unknown_events_are_kept_by_name() {
        assert_eq!(CallbackEvent::from_name("user_login"), CallbackEvent::Other("user_login".into()));
    }
}
