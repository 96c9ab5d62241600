//! The ZIM Server API transport: signed `POST {base}/?Action=...` requests with JSON bodies (ZIM-API.md).
//!
//! Each request gets a fresh 16-hex-char nonce and the current Unix time, signed with
//! [`SignedQuery::sign`]. Answers are read as the service's envelope: `Code != 0` becomes that code's
//! [`ZimError`]; a peer send whose `ErrorList` names the receiver fails with that entry's `SubCode`;
//! `RobotRegister` ignores `SubCode 660700002` (the bot exists already). Transport trouble maps to zimbot's own
//! codes, as the [`Transport`] contract says.

use crate::http::{build_client, check_base_url, error_chain};
use crate::transport::{OutboundMessage, SendReceipt, Transport, MAX_USERS_PER_REGISTER};
use crate::ClientError;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zimbot_model::wire::{
    Action, ApiEnvelope, MessageFields, RegisterResponse, RegisterUserInfo, RegisterUsersRequest,
    SendGroupMessageRequest, SendGroupMessageResponse, SendMsgOptions, SendPeerMessageRequest, SendPeerMessageResponse,
    SendRoomMessageRequest, SignedQuery,
};
use zimbot_model::{ConversationType, ZimCode, ZimError};

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
        Ok(Self { client, config })
    }

    fn signed_query(&self, action: Action) -> SignedQuery {
        let nonce = hex::encode(rand::random::<[u8; 8]>());
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64);
        SignedQuery::sign(action, self.config.app_id, &self.config.server_secret, nonce, timestamp)
    }

    /// POSTs `body` as `action` and reads the envelope; `Ok` only for `Code == 0`.
    async fn call<B: Serialize + Sync, R: DeserializeOwned>(&self, action: Action, body: &B) -> Result<R, ZimError> {
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
        envelope.into_result().map_err(|error| describe(action, error))
    }
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
            sender_unaware: message.config.sender_unaware.then_some(1),
        };
        let send_msg_options =
            message.config.disable_unread_message_count.then_some(SendMsgOptions { no_unread: true });
        let target = message.to.as_str().to_owned();
        match message.conversation_type {
            ConversationType::Peer => {
                let request =
                    SendPeerMessageRequest { to_user_id: vec![target.clone()], send_msg_options, message: fields };
                let answer: SendPeerMessageResponse = self.call(Action::SendPeerMessage, &request).await?;
                if let Some(refused) = answer.error_list.iter().find(|item| item.user_id == target) {
                    let code = ZimCode(refused.sub_code);
                    let meaning = code.describe().unwrap_or("refused");
                    return Err(ZimError::new(
                        code,
                        format!("SendPeerMessage did not reach {target}: SubCode {code} ({meaning})"),
                    ));
                }
                let delivered = answer.succ_list.into_iter().find(|item| item.user_id == target);
                Ok(SendReceipt {
                    message_id: delivered.as_ref().map(|item| item.msg_id.clone()),
                    message_seq: delivered.map(|item| item.msg_seq),
                })
            }
            ConversationType::Room => {
                let request = SendRoomMessageRequest { room_id: target, message: fields };
                let _: serde_json::Map<String, serde_json::Value> =
                    self.call(Action::SendRoomMessage, &request).await?;
                Ok(SendReceipt::default())
            }
            ConversationType::Group => {
                let request = SendGroupMessageRequest { group_id: target, send_msg_options, message: fields };
                let answer: SendGroupMessageResponse = self.call(Action::SendGroupMessage, &request).await?;
                Ok(SendReceipt {
                    message_id: (!answer.msg_id.is_empty()).then_some(answer.msg_id),
                    message_seq: (answer.msg_seq > 0).then_some(answer.msg_seq),
                })
            }
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
        let answer: RegisterResponse = self.call(Action::RobotRegister, &request).await?;
        match answer.error_list.iter().find(|item| ZimCode(item.sub_code) != ZimCode::ALREADY_REGISTERED) {
            Some(refused) => {
                let code = ZimCode(refused.sub_code);
                let meaning = code.describe().unwrap_or("refused");
                Err(ZimError::new(
                    code,
                    format!("RobotRegister did not register {}: SubCode {code} ({meaning})", refused.user_id),
                ))
            }
            None => Ok(()),
        }
    }
}
