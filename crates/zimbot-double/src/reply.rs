//! What the double answers: a script of replies per action, and the service's own documented behaviour when the
//! script for an action is empty.

use serde_json::{json, Value};
use std::time::Duration;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer as the service does (see [`crate::ServiceDouble`]).
    Normal,
    /// This JSON, which must conform to the action's published answer schema (a capture records when it does not).
    Documented(Value),
    /// This JSON as is, conforming or not: older shapes (the embedded hub's string `MsgId`), broken answers.
    Raw(Value),
    /// An envelope with this `Code` and no other field.
    Code(i64),
    /// An HTTP status with this body.
    Status(u16, String),
    /// Waits this long, then answers with the inner reply.
    Slow(Duration, Box<Reply>),
    /// Never answers; the client's request timeout ends the exchange.
    Hang,
}

impl Reply {
    /// `count` answers with a throttling `code` (7, 660300005, ...), as a burst of over-limit calls gets.
    pub fn throttled(code: i64, count: usize) -> Vec<Reply> {
        vec![Reply::Code(code); count]
    }

    /// An answer JSON for `code` with the documented envelope fields.
    pub fn envelope(code: i64, message: &str) -> Value {
        json!({"Code": code, "Message": message, "RequestId": "double-request"})
    }
}
