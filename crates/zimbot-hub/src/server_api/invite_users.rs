//! InviteUsersIntoGroup ("add group members"): at most 100 users a call (660000011 beyond), at most one call a
//! second per group (660300006 beyond), the operator dropped from the list without a word, as documented. The
//! operator must be registered (660500002) and the group active (660600001). Users are read from
//! `GroupMemberInfos`, or from `UserIds` when `GroupMemberInfos` is empty; users that are not registered are
//! listed in `ErrorUsers` with 660200001 and the others still join.

use super::answer::{user_error, Answer};
use super::body::{as_object, check_id, required_id};
use super::{require_registered, storage_failure};
use crate::state::SharedState;
use crate::store::GroupStatus;
use serde_json::{Map, Value};
use zimbot_model::{ZimCode, ZimError};

/// Most users one call may add.
pub(crate) const MAX_USERS_PER_CALL: usize = 100;
/// More users than [`MAX_USERS_PER_CALL`].
const TOO_MANY_USERS: ZimCode = ZimCode(660_000_011);

pub(super) async fn invite_users(state: &SharedState, body: &Value) -> Result<Answer, ZimError> {
    let object = as_object(body)?;
    let from = required_id(object, "FromUserId")?;
    let group_id = required_id(object, "GroupId")?;
    let infos: Vec<String> = object
        .get("GroupMemberInfos")
        .and_then(Value::as_array)
        .map(|infos| infos.iter().filter_map(|info| info.get("UserId")?.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let users = if infos.is_empty() {
        object
            .get("UserIds")
            .and_then(Value::as_array)
            .map(|users| users.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default()
    } else {
        infos
    };
    if users.len() > MAX_USERS_PER_CALL {
        return Err(ZimError::new(
            TOO_MANY_USERS,
            format!("{} users listed; one call adds at most {MAX_USERS_PER_CALL}", users.len()),
        ));
    }
    if !state.group_invites.admit(&group_id) {
        return Err(ZimError::new(
            ZimCode::CONVERSATION_FREQUENCY_LIMIT,
            format!("group '{group_id}' takes one InviteUsersIntoGroup a second; retry later"),
        ));
    }
    require_registered(state, "FromUserId", &from).await?;
    if state.store.group_status(&group_id).await.map_err(storage_failure)? != Some(GroupStatus::Active) {
        return Err(ZimError::new(ZimCode::GROUP_NOT_FOUND, format!("group '{group_id}' does not exist")));
    }
    let mut joining = Vec::new();
    let mut errors = Vec::new();
    for (index, user) in users.into_iter().enumerate() {
        check_id(&format!("user {index}"), &user)?;
        // Documented: the operator is removed from the list.
        if user == from || joining.contains(&user) {
            continue;
        }
        if state.store.user_exists(&user).await.map_err(storage_failure)? {
            joining.push(user);
        } else {
            errors.push(user_error(&user, ZimCode::USER_NOT_FOUND));
        }
    }
    let added = state.store.add_group_members(&group_id, joining).await.map_err(storage_failure)?;
    state.group_joined(&group_id, &from, &added);
    let mut fields = Map::new();
    fields.insert("ErrorUsers".to_owned(), Value::Array(errors));
    Ok(Answer::success(fields))
}
