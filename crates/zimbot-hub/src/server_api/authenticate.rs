//! The checks every Server API request passes before its body is read: action, app id, signature, timestamp, QPS.

use super::action::ServerAction;
use super::query::RequestQuery;
use crate::state::HubState;
use zimbot_model::{ZimCode, ZimError};
use zimbot_wire::server_api_signature;

/// The only signature version the service speaks.
const SIGNATURE_VERSION: &str = "2.0";

/// How far a request's timestamp may be from the hub's clock, as the service allows.
const TIMESTAMP_TOLERANCE_SECS: i64 = 10 * 60;

/// The action of an acceptable request, or the error to answer.
pub(super) fn authenticate(state: &HubState, query: &RequestQuery) -> Result<ServerAction, ZimError> {
    let action = ServerAction::from_name(&query.action).ok_or_else(|| {
        let known: Vec<&str> = ServerAction::ALL.iter().map(|action| action.name()).collect();
        ZimError::new(
            ZimCode::INVALID_PARAMETER,
            format!("Action '{}' is not served by the hub (it serves {})", query.action, known.join(", ")),
        )
    })?;
    check_signed(state, query)?;
    // Counted only now: a request that cannot prove it knows the secret must not spend the app's window.
    if !state.limiter.admit(&action) {
        state.counters.qps_violation(action);
        let limit = state.limiter.limit(&action).unwrap_or_default();
        return Err(ZimError::new(
            ZimCode::QPS_EXCEEDED,
            format!("{} allows {limit} requests per second; retry later", action.name()),
        ));
    }
    Ok(action)
}

/// The checks of a signed query whatever it asks for: the app id, the signature and the timestamp.
pub(crate) fn check_signed(state: &HubState, query: &RequestQuery) -> Result<(), ZimError> {
    if query.app_id != state.app_id {
        return Err(ZimError::new(
            ZimCode::AUTH_FAILED,
            format!("AppId {} is not this hub's app id {}; configure the client with it", query.app_id, state.app_id),
        ));
    }
    if query.signature_version != SIGNATURE_VERSION {
        return Err(ZimError::new(
            ZimCode::SIGNATURE_INVALID,
            format!("SignatureVersion '{}' is not supported; use {SIGNATURE_VERSION}", query.signature_version),
        ));
    }
    let expected = server_api_signature(query.app_id, &query.nonce, &state.server_secret, query.timestamp);
    if !expected.eq_ignore_ascii_case(&query.signature) {
        return Err(ZimError::new(
            ZimCode::SIGNATURE_INVALID,
            "Signature is not md5(AppId + SignatureNonce + ServerSecret + Timestamp); check the server secret",
        ));
    }
    let now = crate::store::now_millis() / 1000;
    // Saturating: a timestamp of i64::MIN must be refused, not overflow.
    let skew = now.saturating_sub(query.timestamp).saturating_abs();
    if skew > TIMESTAMP_TOLERANCE_SECS {
        return Err(ZimError::new(
            ZimCode::SIGNATURE_EXPIRED,
            format!(
                "Timestamp {} is {skew} s away from the hub's clock ({now}); at most {TIMESTAMP_TOLERANCE_SECS} s \
                 is accepted, so check the clock",
                query.timestamp
            ),
        ));
    }
    Ok(())
}
