//! Checking a request body against the action's published request schema (`zimbot-contract`), before the hub
//! decodes it: a field the schema does not list, a wrong type, a missing required field or a value out of its
//! documented range is refused with 660000002 naming where it is.

use super::action::ServerAction;
use std::sync::OnceLock;
use zimbot_contract::Contract;
use zimbot_model::{ZimCode, ZimError};

/// The compiled-in contract, read once per process.
fn contract() -> &'static Result<Contract, String> {
    static CONTRACT: OnceLock<Result<Contract, String>> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::published().map_err(|error| error.to_string()))
}

/// Whether the compiled-in contract is readable; the hub refuses to start when it is not.
pub(crate) fn check_contract() -> Result<(), String> {
    contract().as_ref().map(|_| ()).map_err(Clone::clone)
}

/// `Ok` when `body` conforms to `action`'s request schema; otherwise every way it does not, in one 660000002.
pub(crate) fn conform(action: ServerAction, body: &serde_json::Value) -> Result<(), ZimError> {
    let Ok(contract) = contract() else {
        return Err(ZimError::new(ZimCode(1), "the hub's copy of the Server API contract is unreadable"));
    };
    let Some(action_contract) = contract.action(action.name()) else {
        return Ok(());
    };
    let errors = action_contract.request_errors(body);
    if errors.is_empty() {
        return Ok(());
    }
    Err(ZimError::new(
        ZimCode::INVALID_PARAMETER,
        format!("the {} body breaks the published schema: {}", action.name(), errors.join("; ")),
    ))
}
