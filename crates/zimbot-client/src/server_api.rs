//! The ZIM Server API transport: signed `POST {base}/?Action=...` requests with JSON bodies (ZIM-API.md).
//!
//! Each request gets a fresh 16-hex-char nonce and the current Unix time, signed with
//! [`SignedQuery::sign`]. Answers are read as the published schemas (`spec/zim-server-api/`) describe them:
//! - `Code != 0` becomes that code's [`ZimError`], except for `RobotRegister`, where "every bot exists already"
//!   (non-zero `Code`, each bot in `ErrorList` with `SubCode` 660700002) is a success: registration is idempotent.
//! - A peer send whose `ErrorList` names the receiver fails with that entry's `SubCode`.
//! - A send answered with `Code` 0 and a non-empty `AuditInfos` was refused by content moderation: it fails with
//!   [`ZimCode::MODERATION_REFUSED`] and the service's reason, and is not retried.
//! - `CreateRoom` answered 660300014 (the room exists already) is a success. A room declared with
//!   [`ServerApiTransport::with_declared_rooms`] is created with its declared name and destroy delay, whoever
//!   creates it (the client creating a room a send found gone, too).
//! - Ids come as numbers or strings (`MsgId` is a string for peers and a number for groups) and are kept as text;
//!   `null` and missing optional fields read as absent.
//!
//! Transport trouble maps to zimbot's own codes, as the [`Transport`] contract says.

use crate::http::{build_client, check_base_url, error_chain};
use crate::transport::{OutboundMessage, SendReceipt, Transport, MAX_USERS_PER_REGISTER};
use crate::{ClientError, RoomSpec};
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zimbot_model::{ConversationId, ConversationType, UserId, ZimCode, ZimError};
use zimbot_wire::{
    Action, ApiEnvelope, AuditInfo, CreateRoomRequest, MessageFields, RegisterResponse, RegisterUserInfo,
    RegisterUsersRequest, SendGroupMessageRequest, SendGroupMessageResponse, SendMsgOptions, SendPeerMessageRequest,
    SendPeerMessageResponse, SendRoomMessageRequest, SendRoomMessageResponse, SignedQuery,
};

/// Where and as whom to call the Server API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerApiConfig {
    /// e.g. `https://zim-api.zego.im/` or the hub's `http://127.0.0.1:8700/`.
    pub base_url: String,
    pub app_id: u32,
    pub server_secret: String,
    pub request_timeout: Duration,
}

/// Sends through the ZIM Server API over HTTP(S).
#[derive(Debug, Clone)]
pub struct ServerApiTransport {
    client: reqwest::Client,
    config: ServerApiConfig,
    /// The rooms the deployment declares, by id: [`Transport::create_room`] creates them as declared.
    declared_rooms: HashMap<ConversationId, RoomSpec>,
}

impl ServerApiTransport {
    /// A transport for `config`; fails when the base URL is not an http(s) URL or the HTTP client cannot be built.
    pub fn new(config: ServerApiConfig) -> Result<Self, ClientError> {
        check_base_url("Server API base URL", &config.base_url)?;
        if config.server_secret.is_empty() {
            return Err(ClientError::InvalidSetting {
                what: "server secret",
                value: String::new(),
                reason: "it is empty; copy the ServerSecret of the app from the ZEGOCLOUD console".into(),
            });
        }
        let client = build_client("the ZIM Server API", Some(config.request_timeout))?;
        Ok(Self { client, config, declared_rooms: HashMap::new() })
    }

    /// The same transport creating `rooms` with their declared name and destroy delay whenever it creates them
    /// (rather than with the service's defaults).
    pub fn with_declared_rooms(mut self, rooms: impl IntoIterator<Item = RoomSpec>) -> Self {
        self.declared_rooms.extend(rooms.into_iter().map(|room| (room.room_id.clone(), room)));
        self
    }

    fn signed_query(&self, action: Action) -> SignedQuery {
        let nonce = hex::encode(rand::random::<[u8; 8]>());
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64);
        SignedQuery::sign(action, self.config.app_id, &self.config.server_secret, nonce, timestamp)
    }

    /// POSTs `body` as `action` and reads the envelope; `Ok` only for `Code == 0`.
    async fn call<B: Serialize + Sync, R: DeserializeOwned>(&self, action: Action, body: &B) -> Result<R, ZimError> {
        self.exchange(action, body).await?.into_result().map_err(|error| describe(action, error))
    }

    /// POSTs `body` as `action` and reads the envelope, whatever its `Code`.
    pub(crate) async fn exchange<B: Serialize + Sync, R: DeserializeOwned>(
        &self,
        action: Action,
        body: &B,
    ) -> Result<ApiEnvelope<R>, ZimError> {
        let base = &self.config.base_url;
        let response =
            self.client.post(base).query(&self.signed_query(action)).json(body).send().await.map_err(|error| {
                ZimError::new(
                    ZimCode::NETWORK,
                    format!("{} to {base} got no answer: {}", action.as_str(), error_chain(&error)),
                )
            })?;
        let status = response.status();
        let text = response.text().await.map_err(|error| {
            ZimError::new(
                ZimCode::NETWORK,
                format!("{} to {base}: reading the answer failed: {error}", action.as_str()),
            )
        })?;
        if !status.is_success() {
            let code = if status.is_server_error() || status.as_u16() == 429 {
                ZimCode::HTTP_STATUS
            } else {
                ZimCode::BAD_RESPONSE
            };
            let excerpt: String = text.chars().take(200).collect();
            return Err(ZimError::new(
                code,
                format!("{} to {base} answered HTTP {status}: {excerpt}", action.as_str()),
            ));
        }
        let envelope: ApiEnvelope<R> = serde_json::from_str(&text).map_err(|error| {
            let excerpt: String = text.chars().take(200).collect();
            ZimError::new(
                ZimCode::BAD_RESPONSE,
                format!(
                    "{} to {base} answered something that is not a Server API envelope ({error}): {excerpt}",
                    action.as_str()
                ),
            )
        })?;
        Ok(envelope)
    }
}

/// A send answered with `Code` 0 whose `AuditInfos` say moderation refused it.
fn moderation_refusal(action: Action, audit_infos: &[AuditInfo]) -> Result<(), ZimError> {
    if audit_infos.is_empty() {
        return Ok(());
    }
    let reasons: Vec<String> = audit_infos.iter().map(|info| format!("item {}: {}", info.index, info.reason)).collect();
    Err(ZimError::new(
        ZimCode::MODERATION_REFUSED,
        format!("{} was refused by content moderation ({})", action.as_str(), reasons.join("; ")),
    ))
}

/// Adds the action and, where known, what the code means.
fn describe(action: Action, error: ZimError) -> ZimError {
    let meaning = error.code.describe().map(|meaning| format!(" ({meaning})")).unwrap_or_default();
    ZimError::new(
        error.code,
        format!("{} failed with code {}{meaning}: {}", action.as_str(), error.code, error.message),
    )
}

#[async_trait]
impl Transport for ServerApiTransport {
    async fn send_message(&self, message: &OutboundMessage) -> Result<SendReceipt, ZimError> {
        let fields = MessageFields {
            from_user_id: message.from.as_str().to_owned(),
            message_type: message.message_type.code(),
            priority: message.config.priority.code(),
            message_body: message.body.clone(),
            sub_msg_type: None,
            searched_content: None,
            // Per the schemas: peer sends default to "the sender's devices see it" (0), room sends to unaware (1),
            // and group sends have no such field. Rooms always get it spelled out so that the setting means the
            // same in both.
            sender_unaware: match message.conversation_type {
                ConversationType::Peer => message.config.sender_unaware.then_some(1),
                ConversationType::Room => Some(u8::from(message.config.sender_unaware)),
                ConversationType::Group => None,
            },
        };
        let send_msg_options =
            message.config.disable_unread_message_count.then_some(SendMsgOptions { no_unread: true });
        let target = message.to.as_str().to_owned();
        match message.conversation_type {
            ConversationType::Peer => {
                let request =
                    SendPeerMessageRequest { to_user_id: vec![target.clone()], send_msg_options, message: fields };
                let envelope: ApiEnvelope<SendPeerMessageResponse> =
                    self.exchange(Action::SendPeerMessage, &request).await?;
                let (code, answer) = (envelope.code, &envelope.data);
                // Code != 0 with an ErrorList: every receiver failed, each with its own SubCode; the receiver's
                // SubCode says more than the envelope's code.
                if let Some(refused) = answer.error_list.iter().find(|item| item.user_id == target) {
                    let code = ZimCode(refused.sub_code);
                    let meaning = code.describe().unwrap_or("refused");
                    return Err(ZimError::new(
                        code,
                        format!("SendPeerMessage did not reach {target}: SubCode {code} ({meaning})"),
                    ));
                }
                if code != 0 {
                    return Err(describe(Action::SendPeerMessage, ZimError::new(ZimCode(code), envelope.message)));
                }
                moderation_refusal(Action::SendPeerMessage, &answer.audit_infos)?;
                let delivered = envelope.data.succ_list.into_iter().find(|item| item.user_id == target);
                Ok(SendReceipt {
                    message_id: delivered.as_ref().map(|item| item.msg_id.clone()),
                    message_seq: delivered.map(|item| item.msg_seq),
                })
            }
            ConversationType::Room => {
                let request = SendRoomMessageRequest { room_id: target, message: fields };
                let answer: SendRoomMessageResponse = self.call(Action::SendRoomMessage, &request).await?;
                moderation_refusal(Action::SendRoomMessage, &answer.audit_infos)?;
                Ok(SendReceipt::default())
            }
            ConversationType::Group => {
                let request = SendGroupMessageRequest { group_id: target, send_msg_options, message: fields };
                let answer: SendGroupMessageResponse = self.call(Action::SendGroupMessage, &request).await?;
                moderation_refusal(Action::SendGroupMessage, &answer.audit_infos)?;
                Ok(SendReceipt {
                    message_id: (!answer.msg_id.is_empty()).then_some(answer.msg_id),
                    message_seq: (answer.msg_seq > 0).then_some(answer.msg_seq),
                })
            }
        }
    }

    async fn create_room(&self, from: &UserId, room: &ConversationId) -> Result<(), ZimError> {
        if let Some(declared) = self.declared_rooms.get(room) {
            return self.create_declared_room(from, declared).await.map(drop);
        }
        let request = CreateRoomRequest { from_user_id: from.as_str().to_owned(), room_id: room.as_str().to_owned() };
        let envelope: ApiEnvelope<serde_json::Map<String, serde_json::Value>> =
            self.exchange(Action::CreateRoom, &request).await?;
        match ZimCode(envelope.code) {
            ZimCode::SUCCESS | ZimCode::ROOM_EXISTS => Ok(()),
            code => Err(describe(Action::CreateRoom, ZimError::new(code, envelope.message))),
        }
    }

    async fn register_bots(&self, bots: &[RegisterUserInfo]) -> Result<(), ZimError> {
        if bots.len() > MAX_USERS_PER_REGISTER {
            return Err(ZimError::new(
                ZimCode::INVALID_PARAMETER,
                format!("RobotRegister takes at most {MAX_USERS_PER_REGISTER} users; got {}", bots.len()),
            ));
        }
        let request = RegisterUsersRequest { user_info: bots.to_vec() };
        let envelope: ApiEnvelope<RegisterResponse> = self.exchange(Action::RobotRegister, &request).await?;
        envelope.data.outcome(ZimCode(envelope.code), bots).map_err(|refusal| {
            let code = refusal.code;
            let meaning = code.describe().map(|meaning| format!(" ({meaning})")).unwrap_or_default();
            match refusal.user_id {
                Some(user) => ZimError::new(
                    code,
                    format!("RobotRegister did not register {user}: SubCode {code}{meaning}: {}", envelope.message),
                ),
                None => describe(Action::RobotRegister, ZimError::new(code, envelope.message.clone())),
            }
        })
    }
}
