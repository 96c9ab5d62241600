//! CreateRoom: an empty room (the operator does not join it), destroyed `DestroyDelayTime` seconds after it is
//! empty. The operator must be registered (660500002); a room that exists answers 660300014. The documents give
//! no default delay; without one the hub keeps the room for the longest (10 800 s, or the hub's shorter cap).

use super::answer::Answer;
use super::body::{as_object, invalid, required_id};
use super::require_registered;
use crate::state::SharedState;
use serde_json::Value;
use std::time::Duration;
use zimbot_model::{ZimCode, ZimError};

pub(super) async fn create_room(state: &SharedState, body: &Value) -> Result<Answer, ZimError> {
    let object = as_object(body)?;
    let from = required_id(object, "FromUserId")?;
    let room_id = required_id(object, "RoomId")?;
    let name = object.get("RoomName").and_then(Value::as_str).unwrap_or(&room_id).to_owned();
    // The schema has checked it is a number of at most 10 800.
    let delay = match object.get("DestroyDelayTime") {
        None => crate::rooms::MAX_DESTROY_DELAY_SECS as f64,
        Some(value) => value.as_f64().filter(|seconds| *seconds >= 0.0).ok_or_else(|| {
            invalid(format!("DestroyDelayTime must be a number of seconds from 0 to 10800, not {value}"))
        })?,
    };
    require_registered(state, "FromUserId", &from).await?;
    let created = state.create_room(&room_id, &name, Duration::from_secs_f64(delay), &from);
    match created {
        Ok(()) => Ok(Answer::bare()),
        Err(_) => Err(ZimError::new(ZimCode::ROOM_EXISTS, format!("room '{room_id}' exists already"))),
    }
}
