//! CreateGroup: a group with its owner and listed members (the owner counted once). The owner must be
//! registered (660600013); a group id used before, by an active or a disbanded group, answers 660600011 (ids are
//! never reused); an empty `GroupId` gets a hub-made id starting with `#`. Listed users that are not registered
//! are left out and listed in `ErrorUsers` with 660200001.

use super::answer::{user_error, Answer};
use super::body::{as_object, check_id, invalid, required_id};
use super::storage_failure;
use crate::state::SharedState;
use crate::store::NewGroup;
use serde_json::{json, Map, Value};
use zimbot_model::{ZimCode, ZimError};

/// The group exists already (or existed: ids are never reused).
const GROUP_EXISTS: ZimCode = ZimCode(660_600_011);
/// The owner is not a registered user.
const OWNER_NOT_FOUND: ZimCode = ZimCode(660_600_013);

pub(super) async fn create_group(state: &SharedState, body: &Value) -> Result<Answer, ZimError> {
    let object = as_object(body)?;
    let owner = required_id(object, "GroupOwner")?;
    let group_id = match object.get("GroupId").and_then(Value::as_str) {
        None | Some("") => None,
        Some(group_id) if group_id.starts_with('#') => {
            return Err(invalid(format!("GroupId '{group_id}' starts with '#', which only ids the service makes do")))
        }
        Some(group_id) => {
            check_id("GroupId", group_id)?;
            Some(group_id.to_owned())
        }
    };
    let name = object.get("GroupName").and_then(Value::as_str).unwrap_or_default().to_owned();
    let listed: Vec<String> = object
        .get("UserId")
        .and_then(Value::as_array)
        .map(|users| users.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if !state.store.user_exists(&owner).await.map_err(storage_failure)? {
        return Err(ZimError::new(OWNER_NOT_FOUND, format!("GroupOwner '{owner}' is not a registered user")));
    }
    let mut members = Vec::new();
    let mut errors = Vec::new();
    for (index, user) in listed.into_iter().enumerate() {
        check_id(&format!("UserId[{index}]"), &user)?;
        if state.store.user_exists(&user).await.map_err(storage_failure)? {
            members.push(user);
        } else {
            errors.push(user_error(&user, ZimCode::USER_NOT_FOUND));
        }
    }
    let created = state
        .store
        .create_group(NewGroup { group_id: group_id.clone(), name: name.clone(), owner: owner.clone(), members })
        .await
        .map_err(storage_failure)?;
    let Some((group_id, members)) = created else {
        let group_id = group_id.unwrap_or_default();
        return Err(ZimError::new(
            GROUP_EXISTS,
            format!("group '{group_id}' exists or existed: a group id is never used again, pick another"),
        ));
    };
    state.group_created(&group_id, &name, &owner, &members);
    let mut fields = Map::new();
    fields.insert("GroupId".to_owned(), Value::from(group_id));
    let listed: Vec<Value> = members.iter().map(|member| json!({"UserId": member, "UserName": member})).collect();
    fields.insert("Members".to_owned(), Value::Array(listed));
    fields.insert("ErrorUsers".to_owned(), Value::Array(errors));
    Ok(Answer::success(fields))
}
