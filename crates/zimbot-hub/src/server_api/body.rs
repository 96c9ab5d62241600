//! Validating Server API bodies, with a message naming the field that is wrong.
//!
//! A body has passed the action's published schema (`schema.rs`) before it comes here; the hub then reads the
//! fields it uses from the raw JSON itself (never through the client's request structs, so a difference between
//! the client and the documents shows up as a refusal here) and checks what the schema cannot say (empty ids, a
//! barrage outside rooms, a media description without a URL).

use super::action::ServerAction;
use crate::message::MessageMedia;
use serde_json::{Map, Value};
use zimbot_model::{MediaKind, MessageType, ZimCode, ZimError, MAX_ID_BYTES};

/// Most receivers of one peer send.
const MAX_PEER_RECEIVERS: usize = 100;
/// Most users of one RobotRegister / UserRegister.
const MAX_ROBOTS_PER_REQUEST: usize = 20;
const MAX_USERS_PER_REQUEST: usize = 100;
/// Largest `MessageBody.Message`, in bytes (the service's 32 KB message limit).
const MAX_MESSAGE_BYTES: usize = 32 * 1024;

/// Where a send goes.
#[derive(Debug, Clone)]
pub(super) enum SendTarget {
    Peer(Vec<String>),
    Room(String),
    Group(String),
}

/// A send body that passed validation.
#[derive(Debug, Clone)]
pub(super) struct ValidSend {
    pub(super) target: SendTarget,
    pub(super) from: String,
    pub(super) message_type: MessageType,
    pub(super) sub_msg_type: u32,
    /// `MessageBody.Message`.
    pub(super) message: String,
    /// `MessageBody.ExtendedData`, empty when absent.
    pub(super) extended_data: String,
    /// For media types: what `MessageBody.Message` describes.
    pub(super) media: Option<MessageMedia>,
}

/// One user of a RobotRegister / UserRegister body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RegisterUser {
    pub(super) user_id: String,
    pub(super) name: String,
    pub(super) avatar: String,
}

pub(super) fn invalid(message: impl Into<String>) -> ZimError {
    ZimError::new(ZimCode::INVALID_PARAMETER, message)
}

/// The body as JSON.
pub(super) fn parse_json(body: &[u8]) -> Result<Value, ZimError> {
    serde_json::from_slice(body).map_err(|error| invalid(format!("the body is not valid JSON: {error}")))
}

/// Checks a send body of `action` field by field.
pub(super) fn validate_send(action: ServerAction, body: Value) -> Result<ValidSend, ZimError> {
    let object = as_object(&body)?;
    let from = required_id(object, "FromUserId")?;
    let target = match action {
        ServerAction::SendPeerMessage => SendTarget::Peer(receivers(object)?),
        ServerAction::SendRoomMessage => SendTarget::Room(required_id(object, "RoomId")?),
        _ => SendTarget::Group(required_id(object, "GroupId")?),
    };
    let message_type = message_type(object, &target)?;
    let priority = required_number(object, "Priority")?;
    if !(1..=3).contains(&priority) {
        return Err(invalid(format!("Priority {priority} is not 1 (low), 2 (medium) or 3 (high)")));
    }
    let message = message_text(object)?;
    let media = match message_type.media_kind() {
        Some(kind) => Some(media_description(kind, message)?),
        None => None,
    };
    let extended_data = match object.get("MessageBody").and_then(|body| body.get("ExtendedData")) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(data)) => data.clone(),
        Some(_) => return Err(invalid("MessageBody.ExtendedData must be a string")),
    };
    let sub_msg_type = match object.get("SubMsgType") {
        None => 0,
        Some(value) => value
            .as_u64()
            .and_then(|code| u32::try_from(code).ok())
            .ok_or_else(|| invalid(format!("SubMsgType must be a whole number, not {value}")))?,
    };
    Ok(ValidSend { target, from, message_type, sub_msg_type, message: message.to_owned(), extended_data, media })
}

/// What the JSON media description in `MessageBody.Message` of a `kind` message points at.
fn media_description(kind: MediaKind, message: &str) -> Result<MessageMedia, ZimError> {
    let described: Value = serde_json::from_str(message).map_err(|error| {
        invalid(format!(
            "MessageBody.Message of a {kind} message must be the JSON media description \
             ({{\"Uid\",\"Url\" or \"Origin\":{{\"Url\"}},\"FileName\",\"Size\"}}): {error}"
        ))
    })?;
    let Value::Object(described) = described else {
        return Err(invalid(format!("MessageBody.Message of a {kind} message must be a JSON object")));
    };
    let url = described
        .get("Url")
        .and_then(Value::as_str)
        .or_else(|| described.get("Origin").and_then(|origin| origin.get("Url")).and_then(Value::as_str))
        .filter(|url| !url.is_empty())
        .ok_or_else(|| {
            invalid(format!("MessageBody.Message of a {kind} message has no URL (Url, or Origin.Url for images)"))
        })?;
    let file_name = match described.get("FileName") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(name)) => name.clone(),
        Some(_) => return Err(invalid(format!("FileName in the {kind} description must be a string"))),
    };
    let file_size = match described.get("Size") {
        None | Some(Value::Null) => 0,
        Some(size) => size
            .as_u64()
            .ok_or_else(|| invalid(format!("Size in the {kind} description must be a whole number, not {size}")))?,
    };
    Ok(MessageMedia { kind, url: url.to_owned(), file_name, file_size })
}

/// Checks a RobotRegister / UserRegister body. Bad user ids are reported per user by the action, not here.
pub(super) fn validate_register(action: ServerAction, body: Value) -> Result<Vec<RegisterUser>, ZimError> {
    let object = as_object(&body)?;
    let most = if action == ServerAction::RobotRegister { MAX_ROBOTS_PER_REQUEST } else { MAX_USERS_PER_REQUEST };
    match object.get("UserInfo") {
        None => Err(invalid("UserInfo is missing: list the users as [{\"UserId\": ...}]")),
        Some(Value::Array(users)) if users.is_empty() => Err(invalid("UserInfo is empty")),
        Some(Value::Array(users)) if users.len() > most => {
            Err(invalid(format!("UserInfo lists {} users; {} takes at most {most}", users.len(), action.name())))
        }
        Some(Value::Array(users)) => users
            .iter()
            .enumerate()
            .map(|(index, user)| {
                let text = |field: &str| match user.get(field) {
                    None | Some(Value::Null) => Ok(String::new()),
                    Some(Value::String(text)) => Ok(text.clone()),
                    Some(_) => Err(invalid(format!("UserInfo[{index}].{field} must be a string"))),
                };
                match user.get("UserId") {
                    Some(Value::String(user_id)) => Ok(RegisterUser {
                        user_id: user_id.clone(),
                        name: text("UserName")?,
                        avatar: text("UserAvatar")?,
                    }),
                    Some(_) => Err(invalid(format!("UserInfo[{index}].UserId must be a string"))),
                    None => Err(invalid(format!("UserInfo[{index}].UserId is missing"))),
                }
            })
            .collect(),
        Some(_) => Err(invalid("UserInfo must be an array of {\"UserId\", \"UserName\", \"UserAvatar\"}")),
    }
}

pub(super) fn as_object(body: &Value) -> Result<&Map<String, Value>, ZimError> {
    body.as_object().ok_or_else(|| invalid("the body must be a JSON object"))
}

/// An id field: a non-empty string of at most 32 bytes.
pub(super) fn required_id(object: &Map<String, Value>, field: &str) -> Result<String, ZimError> {
    match object.get(field) {
        None => Err(invalid(format!("{field} is missing"))),
        Some(Value::String(id)) => check_id(field, id).map(|()| id.clone()),
        Some(_) => Err(invalid(format!("{field} must be a string"))),
    }
}

pub(super) fn check_id(field: &str, id: &str) -> Result<(), ZimError> {
    if id.is_empty() {
        return Err(invalid(format!("{field} is empty")));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(invalid(format!("{field} '{id}' is {} bytes long; at most {MAX_ID_BYTES} are allowed", id.len())));
    }
    Ok(())
}

fn receivers(object: &Map<String, Value>) -> Result<Vec<String>, ZimError> {
    let Some(value) = object.get("ToUserId") else {
        return Err(invalid("ToUserId is missing: list the receivers as [\"user\", ...]"));
    };
    let Value::Array(items) = value else {
        return Err(invalid("ToUserId must be an array of user ids"));
    };
    if items.is_empty() {
        return Err(invalid("ToUserId is empty"));
    }
    if items.len() > MAX_PEER_RECEIVERS {
        return Err(invalid(format!("ToUserId lists {} users; at most {MAX_PEER_RECEIVERS} are allowed", items.len())));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let field = format!("ToUserId[{index}]");
            let id = item.as_str().ok_or_else(|| invalid(format!("{field} must be a string")))?;
            check_id(&field, id).map(|()| id.to_owned())
        })
        .collect()
}

fn required_number(object: &Map<String, Value>, field: &str) -> Result<u64, ZimError> {
    match object.get(field) {
        None => Err(invalid(format!("{field} is missing"))),
        Some(value) => value.as_u64().ok_or_else(|| invalid(format!("{field} must be a whole number, not {value}"))),
    }
}

fn message_type(object: &Map<String, Value>, target: &SendTarget) -> Result<MessageType, ZimError> {
    let code = required_number(object, "MessageType")?;
    let message_type = u32::try_from(code).map(MessageType::from_code).unwrap_or(MessageType::Other(u32::MAX));
    if let MessageType::Other(_) = message_type {
        return Err(invalid(format!(
            "MessageType {code} is not a known type (1 text, 2 command, 10 multi-item, 11 image, 12 file, 13 audio, \
             14 video, 20 barrage, 200 custom)"
        )));
    }
    if message_type == MessageType::Barrage && !matches!(target, SendTarget::Room(_)) {
        return Err(invalid("MessageType 20 (barrage) is only for SendRoomMessage"));
    }
    Ok(message_type)
}

fn message_text(object: &Map<String, Value>) -> Result<&str, ZimError> {
    let body = match object.get("MessageBody") {
        None => return Err(invalid("MessageBody is missing")),
        Some(Value::Object(body)) => body,
        Some(_) => return Err(invalid("MessageBody must be an object like {\"Message\": \"...\"}")),
    };
    let message = match body.get("Message") {
        None => return Err(invalid("MessageBody.Message is missing")),
        Some(Value::String(message)) => message,
        Some(_) => return Err(invalid("MessageBody.Message must be a string")),
    };
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(ZimError::new(
            ZimCode::MESSAGE_TOO_LARGE,
            format!("MessageBody.Message is {} bytes; at most {MAX_MESSAGE_BYTES} are allowed", message.len()),
        ));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn room_body() -> Value {
        json!({"FromUserId": "@RBT#a", "RoomId": "lobby", "MessageType": 1, "Priority": 2,
               "MessageBody": {"Message": "hi"}})
    }

    fn error_of(action: ServerAction, body: Value) -> ZimError {
        validate_send(action, body).expect_err("the body should be refused")
    }

    #[test]
    fn a_complete_room_body_passes() {
        let valid = validate_send(ServerAction::SendRoomMessage, room_body()).unwrap();
        assert!(matches!(valid.target, SendTarget::Room(ref room) if room == "lobby"));
        assert_eq!(valid.message, "hi");
    }

    #[test]
    fn each_missing_required_field_is_named() {
        for field in ["FromUserId", "RoomId", "MessageType", "Priority", "MessageBody"] {
            let mut body = room_body();
            body.as_object_mut().unwrap().remove(field);
            let error = error_of(ServerAction::SendRoomMessage, body);
            assert_eq!(error.code, ZimCode::INVALID_PARAMETER);
            assert!(error.message.contains(field), "{field}: {}", error.message);
        }
    }

    #[test]
    fn a_sender_id_over_32_bytes_is_refused() {
        let mut body = room_body();
        body["FromUserId"] = json!("x".repeat(33));
        assert!(error_of(ServerAction::SendRoomMessage, body).message.contains("FromUserId"));
    }

    #[test]
    fn priority_outside_one_to_three_is_refused() {
        let mut body = room_body();
        body["Priority"] = json!(4);
        assert!(error_of(ServerAction::SendRoomMessage, body).message.contains("Priority 4"));
    }

    #[test]
    fn unknown_message_types_are_refused() {
        let mut body = room_body();
        body["MessageType"] = json!(5);
        assert!(error_of(ServerAction::SendRoomMessage, body).message.contains("MessageType 5"));
    }

    #[test]
    fn barrage_is_refused_outside_rooms() {
        let body = json!({"FromUserId": "a", "GroupId": "g", "MessageType": 20, "Priority": 1,
                          "MessageBody": {"Message": "hi"}});
        assert!(error_of(ServerAction::SendGroupMessage, body).message.contains("barrage"));
    }

    #[test]
    fn a_peer_receiver_that_is_not_a_string_is_named_by_index() {
        let body = json!({"FromUserId": "a", "ToUserId": ["b", 3], "MessageType": 1, "Priority": 1,
                          "MessageBody": {"Message": "hi"}});
        assert!(error_of(ServerAction::SendPeerMessage, body).message.contains("ToUserId[1]"));
    }

    #[test]
    fn media_bodies_must_carry_a_url() {
        let mut body = room_body();
        body["MessageType"] = json!(12);
        body["MessageBody"]["Message"] = json!(r#"{"Uid":"u","FileName":"a.pdf"}"#);
        assert!(error_of(ServerAction::SendRoomMessage, body).message.contains("no URL"));
    }

    #[test]
    fn media_bodies_are_read_into_url_name_and_size() {
        let mut body = room_body();
        body["MessageType"] = json!(11);
        body["MessageBody"]["Message"] =
            json!(r#"{"Uid":"u","Origin":{"Url":"http://h/a.png"},"FileName":"a.png","Size":3}"#);
        let media = validate_send(ServerAction::SendRoomMessage, body).unwrap().media.unwrap();
        assert_eq!((media.url.as_str(), media.file_name.as_str(), media.file_size), ("http://h/a.png", "a.png", 3));
    }

    #[test]
    fn an_oversized_message_answers_message_too_large() {
        let mut body = room_body();
        body["MessageBody"]["Message"] = json!("x".repeat(MAX_MESSAGE_BYTES + 1));
        assert_eq!(error_of(ServerAction::SendRoomMessage, body).code, ZimCode::MESSAGE_TOO_LARGE);
    }

    #[test]
    fn register_bodies_need_user_info() {
        let error = validate_register(ServerAction::RobotRegister, json!({})).unwrap_err();
        assert!(error.message.contains("UserInfo"), "{}", error.message);
        let too_many: Vec<Value> = (0..21).map(|index| json!({"UserId": format!("@RBT#{index}")})).collect();
        let error = validate_register(ServerAction::RobotRegister, json!({"UserInfo": too_many})).unwrap_err();
        assert!(error.message.contains("at most 20"), "{}", error.message);
    }
}
