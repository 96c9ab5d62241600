//! Server API requests and responses: the signed query string, the send and register bodies, the envelope.

use crate::number_or_string::{id, integer, or_default, unsigned};
use crate::MessageBody;
use serde::{Deserialize, Serialize};
use zimbot_model::{ZimCode, ZimError};

/// The only signature version the service speaks.
pub const SIGNATURE_VERSION: &str = "2.0";

/// The Server API actions zimbot uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    SendPeerMessage,
    SendRoomMessage,
    SendGroupMessage,
    RobotRegister,
    UserRegister,
    /// Creates a room; a room must exist before it takes messages, and is destroyed some time after it empties.
    CreateRoom,
    /// Creates a group with its owner and members; a group id is never used again once its group is disbanded.
    CreateGroup,
    /// "Add group members": at most 100 users a call, one call a second per group.
    InviteUsersIntoGroup,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Self::SendPeerMessage,
        Self::SendRoomMessage,
        Self::SendGroupMessage,
        Self::RobotRegister,
        Self::UserRegister,
        Self::CreateRoom,
        Self::CreateGroup,
        Self::InviteUsersIntoGroup,
    ];

    /// The name in `?Action=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendPeerMessage => "SendPeerMessage",
            Self::SendRoomMessage => "SendRoomMessage",
            Self::SendGroupMessage => "SendGroupMessage",
            Self::RobotRegister => "RobotRegister",
            Self::UserRegister => "UserRegister",
            Self::CreateRoom => "CreateRoom",
            Self::CreateGroup => "CreateGroup",
            Self::InviteUsersIntoGroup => "InviteUsersIntoGroup",
        }
    }

    /// The action named `name`, if zimbot knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == name)
    }

    /// The service's documented QPS limit for this action: per app, except `InviteUsersIntoGroup`'s, per group.
    pub fn qps_limit(self) -> u32 {
        match self {
            Self::SendPeerMessage | Self::RobotRegister => 20,
            Self::SendRoomMessage | Self::SendGroupMessage => 10,
            Self::UserRegister | Self::CreateRoom | Self::CreateGroup => 20,
            Self::InviteUsersIntoGroup => 1,
        }
    }
}

/// The query string every request carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedQuery {
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "AppId")]
    pub app_id: u32,
    #[serde(rename = "SignatureNonce")]
    pub signature_nonce: String,
    #[serde(rename = "Timestamp")]
    pub timestamp: i64,
    #[serde(rename = "SignatureVersion")]
    pub signature_version: String,
    #[serde(rename = "Signature")]
    pub signature: String,
}

impl SignedQuery {
    /// A query for `action`, signed with `server_secret`.
    pub fn sign(action: Action, app_id: u32, server_secret: &str, nonce: String, timestamp: i64) -> Self {
        let signature = crate::server_api_signature(app_id, &nonce, server_secret, timestamp);
        Self {
            action: action.as_str().to_owned(),
            app_id,
            signature_nonce: nonce,
            timestamp,
            signature_version: SIGNATURE_VERSION.to_owned(),
            signature,
        }
    }

    /// Whether the signature is right for `server_secret`.
    pub fn verify(&self, server_secret: &str) -> bool {
        crate::server_api_signature(self.app_id, &self.signature_nonce, server_secret, self.timestamp) == self.signature
    }
}

/// Options of peer and group sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMsgOptions {
    #[serde(rename = "NoUnread", default)]
    pub no_unread: bool,
}

/// The fields every send action's body has, whatever its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageFields {
    #[serde(rename = "FromUserId")]
    pub from_user_id: String,
    #[serde(rename = "MessageType")]
    pub message_type: u32,
    #[serde(rename = "Priority")]
    pub priority: u8,
    #[serde(rename = "MessageBody")]
    pub message_body: MessageBody,
    #[serde(rename = "SubMsgType", default, skip_serializing_if = "Option::is_none")]
    pub sub_msg_type: Option<u32>,
    #[serde(rename = "SearchedContent", default, skip_serializing_if = "Option::is_none")]
    pub searched_content: Option<String>,
    #[serde(rename = "SenderUnaware", default, skip_serializing_if = "Option::is_none")]
    pub sender_unaware: Option<u8>,
}

/// `SendPeerMessage` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendPeerMessageRequest {
    #[serde(rename = "ToUserId")]
    pub to_user_id: Vec<String>,
    #[serde(rename = "SendMsgOptions", default, skip_serializing_if = "Option::is_none")]
    pub send_msg_options: Option<SendMsgOptions>,
    #[serde(flatten)]
    pub message: MessageFields,
}

/// `SendRoomMessage` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRoomMessageRequest {
    #[serde(rename = "RoomId")]
    pub room_id: String,
    #[serde(flatten)]
    pub message: MessageFields,
}

/// `SendGroupMessage` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendGroupMessageRequest {
    #[serde(rename = "GroupId")]
    pub group_id: String,
    #[serde(rename = "SendMsgOptions", default, skip_serializing_if = "Option::is_none")]
    pub send_msg_options: Option<SendMsgOptions>,
    #[serde(flatten)]
    pub message: MessageFields,
}

/// The envelope every response has; `data` holds the action's own fields.
///
/// `Code` is read whether it comes as a number or a string of digits; a missing `Message` or `RequestId` (or one
/// sent as `null`) reads as empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiEnvelope<T> {
    #[serde(rename = "Code", deserialize_with = "integer")]
    pub code: i64,
    #[serde(rename = "Message", default, deserialize_with = "or_default")]
    pub message: String,
    #[serde(rename = "RequestId", default, deserialize_with = "id")]
    pub request_id: String,
    #[serde(flatten)]
    pub data: T,
}

impl<T> ApiEnvelope<T> {
    /// A success envelope around `data`.
    pub fn success(request_id: impl Into<String>, data: T) -> Self {
        Self { code: 0, message: "success".to_owned(), request_id: request_id.into(), data }
    }

    /// `data` when `Code` is 0, else the service's error.
    pub fn into_result(self) -> Result<T, ZimError> {
        if self.code == 0 {
            Ok(self.data)
        } else {
            Err(ZimError::new(ZimCode(self.code), self.message))
        }
    }
}

impl ApiEnvelope<serde_json::Map<String, serde_json::Value>> {
    /// An error envelope with no data.
    pub fn error(request_id: impl Into<String>, code: ZimCode, message: impl Into<String>) -> Self {
        Self { code: code.0, message: message.into(), request_id: request_id.into(), data: serde_json::Map::new() }
    }
}

/// A message the service's content moderation refused although `Code` is 0 (`AuditInfos` of a send answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditInfo {
    /// The refused item of a combined message; 0 for every other message.
    #[serde(rename = "Index", default, deserialize_with = "integer")]
    pub index: i64,
    #[serde(rename = "Reason", default, deserialize_with = "or_default")]
    pub reason: String,
}

/// One receiver a peer send reached. `MsgId` is documented as a string; a number is read too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerSuccessItem {
    #[serde(rename = "UserId", default, deserialize_with = "or_default")]
    pub user_id: String,
    #[serde(rename = "MsgId", default, deserialize_with = "id")]
    pub msg_id: String,
    /// Empty (0) for signaling messages.
    #[serde(rename = "MsgSeq", default, deserialize_with = "unsigned")]
    pub msg_seq: u64,
}

/// One receiver a peer send did not reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerErrorItem {
    #[serde(rename = "UserId", default, deserialize_with = "or_default")]
    pub user_id: String,
    #[serde(rename = "SubCode", default, deserialize_with = "integer")]
    pub sub_code: i64,
}

/// `SendPeerMessage` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendPeerMessageResponse {
    #[serde(rename = "SuccList", default, deserialize_with = "or_default")]
    pub succ_list: Vec<PeerSuccessItem>,
    #[serde(rename = "ErrorList", default, deserialize_with = "or_default")]
    pub error_list: Vec<PeerErrorItem>,
    #[serde(rename = "AuditInfos", default, deserialize_with = "or_default", skip_serializing_if = "Vec::is_empty")]
    pub audit_infos: Vec<AuditInfo>,
}

/// `SendRoomMessage` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRoomMessageResponse {
    #[serde(rename = "AuditInfos", default, deserialize_with = "or_default", skip_serializing_if = "Vec::is_empty")]
    pub audit_infos: Vec<AuditInfo>,
}

/// `SendGroupMessage` answer. `MsgId` is documented as a number (and read as a string too): it is kept as its
/// decimal digits, never through a float.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendGroupMessageResponse {
    #[serde(rename = "MsgId", default, deserialize_with = "id")]
    pub msg_id: String,
    #[serde(rename = "MsgSeq", default, deserialize_with = "unsigned")]
    pub msg_seq: u64,
    #[serde(rename = "AuditInfos", default, deserialize_with = "or_default", skip_serializing_if = "Vec::is_empty")]
    pub audit_infos: Vec<AuditInfo>,
}

/// `CreateRoom` body: the operator (who does not join the room by creating it) and the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRoomRequest {
    #[serde(rename = "FromUserId")]
    pub from_user_id: String,
    #[serde(rename = "RoomId")]
    pub room_id: String,
}

/// A user to register (`RobotRegister`, `UserRegister`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterUserInfo {
    #[serde(rename = "UserId")]
    pub user_id: String,
    #[serde(rename = "UserName", default)]
    pub user_name: String,
    #[serde(rename = "UserAvatar", default)]
    pub user_avatar: String,
}

/// `RobotRegister` / `UserRegister` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterUsersRequest {
    #[serde(rename = "UserInfo")]
    pub user_info: Vec<RegisterUserInfo>,
}

/// A user that could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterErrorItem {
    #[serde(rename = "UserId", default, deserialize_with = "or_default")]
    pub user_id: String,
    #[serde(rename = "SubCode", default, deserialize_with = "integer")]
    pub sub_code: i64,
}

/// `RobotRegister` / `UserRegister` answer.
///
/// The service answers `Code` 0 when at least one user was registered, and the failing users' code when every
/// user failed; either way `ErrorList` names the users that were not registered. So "every user exists already"
/// comes as `Code` 660700002 with each user listed under that `SubCode` (see [`RegisterResponse::outcome`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterResponse {
    #[serde(rename = "ErrorList", default, deserialize_with = "or_default")]
    pub error_list: Vec<RegisterErrorItem>,
}

impl RegisterResponse {
    /// What a register call achieved for `requested`, given the envelope's `code`: `Ok` when every requested user
    /// now exists (registered now, or listed as already existing), else the first user that is missing, with its
    /// code. A non-zero `code` without an `ErrorList` is a failure of the whole request (parameters, frequency
    /// limit, server error) and is returned as that code.
    pub fn outcome(&self, code: ZimCode, requested: &[RegisterUserInfo]) -> Result<(), RegisterRefusal> {
        let refused = self.error_list.iter().find(|item| ZimCode(item.sub_code) != ZimCode::ALREADY_REGISTERED);
        if let Some(item) = refused {
            return Err(RegisterRefusal { user_id: Some(item.user_id.clone()), code: ZimCode(item.sub_code) });
        }
        if code == ZimCode::SUCCESS {
            return Ok(());
        }
        // Code != 0: every user failed. Only "already exists" for each of them is a success.
        let all_exist = !self.error_list.is_empty()
            && requested.iter().all(|user| self.error_list.iter().any(|item| item.user_id == user.user_id));
        if all_exist {
            Ok(())
        } else {
            Err(RegisterRefusal { user_id: None, code })
        }
    }
}

/// Why a register call did not leave every requested user registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRefusal {
    /// The user the service named, when it named one.
    pub user_id: Option<String>,
    pub code: ZimCode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_query_verifies_with_its_secret_only() {
        let query =
            SignedQuery::sign(Action::SendRoomMessage, 12345, "secret", "4fd24687296dd9f3".into(), 1_700_000_000);
        assert!(query.verify("secret"));
        assert!(!query.verify("other"));
        assert_eq!(query.signature_version, "2.0");
    }

    #[test]
    fn error_envelope_becomes_a_zim_error() {
        let json = r#"{"Code":660300001,"Message":"room not exist","RequestId":"r1"}"#;
        let envelope: ApiEnvelope<SendGroupMessageResponse> = serde_json::from_str(json).unwrap();
        let error = envelope.into_result().unwrap_err();
        assert_eq!(error.code, ZimCode::ROOM_NOT_FOUND);
        assert_eq!(error.message, "room not exist");
    }

    #[test]
    fn a_group_answer_with_a_numeric_msg_id_is_read() {
        let json = r#"{"Code":0,"Message":"success","RequestId":"r","MsgSeq":1,"MsgId":6654861479614}"#;
        let answer = serde_json::from_str::<ApiEnvelope<SendGroupMessageResponse>>(json).unwrap().data;
        assert_eq!((answer.msg_id.as_str(), answer.msg_seq), ("6654861479614", 1));
    }

    fn bots(ids: &[&str]) -> Vec<RegisterUserInfo> {
        ids.iter()
            .map(|id| RegisterUserInfo { user_id: (*id).into(), user_name: String::new(), user_avatar: String::new() })
            .collect()
    }

    fn register_answer(json: &str) -> (ZimCode, RegisterResponse) {
        let envelope: ApiEnvelope<RegisterResponse> = serde_json::from_str(json).unwrap();
        (ZimCode(envelope.code), envelope.data)
    }

    #[test]
    fn registering_bots_that_all_exist_is_a_success() {
        let (code, answer) = register_answer(
            r#"{"Code":660700002,"Message":"bot exists","RequestId":"r","ErrorList":[
                {"UserId":"@RBT#a","SubCode":660700002,"SubMessage":"Bot already exists"},
                {"UserId":"@RBT#b","SubCode":660700002,"SubMessage":"Bot already exists"}]}"#,
        );
        assert_eq!(answer.outcome(code, &bots(&["@RBT#a", "@RBT#b"])), Ok(()));
    }

    #[test]
    fn a_failed_register_without_an_error_list_is_the_envelope_code() {
        let (code, answer) = register_answer(r#"{"Code":660700001,"Message":"too frequent","RequestId":"r"}"#);
        let refusal = answer.outcome(code, &bots(&["@RBT#a"])).unwrap_err();
        assert_eq!(refusal, RegisterRefusal { user_id: None, code: ZimCode(660_700_001) });
    }

    #[test]
    fn a_partly_failed_register_names_the_user_that_failed() {
        let (code, answer) = register_answer(
            r#"{"Code":0,"Message":"success","RequestId":"r","ErrorList":[
                {"UserId":"@RBT#a","SubCode":660700002},{"UserId":"@RBT#b","SubCode":660700006}]}"#,
        );
        let refusal = answer.outcome(code, &bots(&["@RBT#a", "@RBT#b", "@RBT#c"])).unwrap_err();
        assert_eq!(refusal, RegisterRefusal { user_id: Some("@RBT#b".into()), code: ZimCode(660_700_006) });
    }

    #[test]
    fn peer_request_uses_the_service_field_names() {
        let request = SendPeerMessageRequest {
            to_user_id: vec!["alice".into()],
            send_msg_options: Some(SendMsgOptions { no_unread: true }),
            message: MessageFields {
                from_user_id: "@RBT#echo".into(),
                message_type: 1,
                priority: 2,
                message_body: MessageBody::text("hi"),
                sub_msg_type: None,
                searched_content: None,
                sender_unaware: None,
            },
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["FromUserId"], "@RBT#echo");
        assert_eq!(json["ToUserId"][0], "alice");
        assert_eq!(json["MessageBody"]["Message"], "hi");
        assert_eq!(json["SendMsgOptions"]["NoUnread"], true);
        assert!(json.get("SubMsgType").is_none());
        assert_eq!(serde_json::from_value::<SendPeerMessageRequest>(json).unwrap(), request, "the body reads back");
    }
}
