//! RobotRegister and UserRegister.
//!
//! Users are registered one by one; a user that cannot be registered is listed in `ErrorList` and the others still
//! are. RobotRegister reports a bot that exists already with SubCode 660700002 (harmless: a runtime registers
//! its bots on every start). UserRegister of an existing user succeeds and leaves it as it was.

use super::{storage_failure, success};
use crate::message::HubUser;
use crate::state::SharedState;
use crate::store::RegisterOutcome;
use axum::response::Response;
use zimbot_model::wire::{Action, RegisterErrorItem, RegisterResponse, RegisterUsersRequest};
use zimbot_model::{UserId, ZimCode, ZimError};

pub(super) async fn register(
    state: &SharedState,
    action: Action,
    request: RegisterUsersRequest,
    request_id: &str,
) -> Result<Response, ZimError> {
    let robots = action == Action::RobotRegister;
    let mut answer = RegisterResponse::default();
    for user in request.user_info {
        let id = UserId::from(user.user_id.as_str());
        // Bots and people are told apart by the prefix everywhere, so each action only takes its own kind.
        if id.validate().is_err() || id.is_bot() != robots {
            tracing::debug!(user = ?user.user_id, action = action.as_str(), "refusing to register this user id");
            answer.error_list.push(RegisterErrorItem { user_id: user.user_id, sub_code: ZimCode::INVALID_PARAMETER.0 });
            continue;
        }
        let outcome = state
            .store
            .register_user(HubUser {
                user_id: user.user_id.clone(),
                name: user.user_name,
                avatar: user.user_avatar,
                is_bot: robots,
            })
            .await
            .map_err(storage_failure)?;
        if robots && outcome == RegisterOutcome::Existed {
            answer
                .error_list
                .push(RegisterErrorItem { user_id: user.user_id, sub_code: ZimCode::ALREADY_REGISTERED.0 });
        }
    }
    Ok(success(request_id, answer))
}
