//! RobotRegister and UserRegister.
//!
//! Users are registered one by one; a user that cannot be registered is listed in `ErrorList` and the others still
//! are. RobotRegister lists a bot that exists already with SubCode 660700002, and when every bot of the request
//! existed the answer's `Code` is 660700002 too, as the service answers (a runtime registering its bots on every
//! start reads that as success). UserRegister of an existing user succeeds and leaves it as it was.

use super::action::ServerAction;
use super::answer::{user_error, Answer};
use super::body::RegisterUser;
use super::storage_failure;
use crate::message::HubUser;
use crate::state::SharedState;
use crate::store::RegisterOutcome;
use serde_json::{Map, Value};
use zimbot_model::{UserId, ZimCode, ZimError};

pub(super) async fn register(
    state: &SharedState,
    action: ServerAction,
    users: Vec<RegisterUser>,
) -> Result<Answer, ZimError> {
    let robots = action == ServerAction::RobotRegister;
    let requested = users.len();
    let mut errors = Vec::new();
    let mut existed = 0;
    for user in users {
        let id = UserId::from(user.user_id.as_str());
        // Bots and people are told apart by the prefix everywhere, so each action only takes its own kind.
        if id.validate().is_err() || id.is_bot() != robots {
            tracing::debug!(user = ?user.user_id, action = action.name(), "refusing to register this user id");
            errors.push(user_error(&user.user_id, ZimCode::INVALID_PARAMETER));
            continue;
        }
        let outcome = state
            .store
            .register_user(HubUser {
                user_id: user.user_id.clone(),
                name: user.name,
                avatar: user.avatar,
                is_bot: robots,
            })
            .await
            .map_err(storage_failure)?;
        if robots && outcome == RegisterOutcome::Existed {
            errors.push(user_error(&user.user_id, ZimCode::ALREADY_REGISTERED));
            existed += 1;
        }
    }
    let mut fields = Map::new();
    fields.insert("ErrorList".to_owned(), Value::Array(errors));
    if robots && existed == requested {
        return Ok(Answer::failed_with(ZimCode::ALREADY_REGISTERED, "every bot of the request exists already", fields));
    }
    Ok(Answer::success(fields))
}
