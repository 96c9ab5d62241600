//! The service's answer envelope, built by the hub: `Code`, `Message`, `RequestId` and the action's own fields,
//! typed as the published answer schemas type them (numbers where they say number).

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};
use zimbot_model::{ZimCode, ZimError};

/// One answer, before its request id is known.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Answer {
    code: i64,
    message: String,
    fields: Map<String, Value>,
}

impl Answer {
    /// `Code` 0, `Message` "success", and `fields`.
    pub(super) fn success(fields: Map<String, Value>) -> Self {
        Self { code: 0, message: "success".to_owned(), fields }
    }

    /// A success with no field of its own.
    pub(super) fn bare() -> Self {
        Self::success(Map::new())
    }

    /// `error`'s code and message, and no field.
    pub(super) fn refused(error: ZimError) -> Self {
        Self { code: error.code.0, message: error.message, fields: Map::new() }
    }

    /// `code` and `message` with `fields` (a failure that still lists, like every bot of a RobotRegister existing).
    pub(super) fn failed_with(code: ZimCode, message: impl Into<String>, fields: Map<String, Value>) -> Self {
        Self { code: code.0, message: message.into(), fields }
    }

    pub(super) fn respond(self, request_id: &str) -> Response {
        let mut envelope = Map::new();
        envelope.insert("Code".to_owned(), Value::from(self.code));
        envelope.insert("Message".to_owned(), Value::from(self.message));
        envelope.insert("RequestId".to_owned(), Value::from(request_id));
        envelope.extend(self.fields);
        Json(Value::Object(envelope)).into_response()
    }
}

/// `{"UserId": user_id, "SubCode": code}`, the item of every per-user failure list.
pub(super) fn user_error(user_id: &str, code: ZimCode) -> Value {
    serde_json::json!({"UserId": user_id, "SubCode": code.0})
}
