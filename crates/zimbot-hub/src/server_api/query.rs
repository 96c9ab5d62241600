//! Reading the signed query string every Server API request carries, parameter by parameter.

use std::collections::HashMap;
use zimbot_model::{ZimCode, ZimError};

/// The query parameters of a Server API request, as sent (the action is looked up later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestQuery {
    pub(crate) action: String,
    pub(crate) app_id: u32,
    pub(crate) nonce: String,
    pub(crate) timestamp: i64,
    pub(crate) signature_version: String,
    pub(crate) signature: String,
}

impl RequestQuery {
    /// Reads the parameters from `pairs`; `needs_action` says whether `Action` must be there. The error names the
    /// missing or malformed parameter.
    pub(crate) fn read(pairs: &HashMap<String, String>, needs_action: bool) -> Result<Self, ZimError> {
        let text = |name: &str| -> Result<String, ZimError> {
            match pairs.get(name) {
                Some(value) if !value.is_empty() => Ok(value.clone()),
                _ => Err(invalid(format!("the query parameter {name} is missing"))),
            }
        };
        let action = if needs_action { text("Action")? } else { pairs.get("Action").cloned().unwrap_or_default() };
        let app_id = text("AppId")?;
        let app_id = app_id
            .parse::<u32>()
            .map_err(|_| invalid(format!("the query parameter AppId '{app_id}' is not an app id (a whole number)")))?;
        let timestamp = text("Timestamp")?;
        let timestamp = timestamp.parse::<i64>().map_err(|_| {
            invalid(format!("the query parameter Timestamp '{timestamp}' is not a Unix time in seconds"))
        })?;
        Ok(Self {
            action,
            app_id,
            nonce: text("SignatureNonce")?,
            timestamp,
            signature_version: text("SignatureVersion")?,
            signature: text("Signature")?,
        })
    }
}

fn invalid(message: String) -> ZimError {
    ZimError::new(ZimCode::INVALID_PARAMETER, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(drop: &str) -> HashMap<String, String> {
        [
            ("Action", "SendRoomMessage"),
            ("AppId", "42"),
            ("SignatureNonce", "abc"),
            ("Timestamp", "1700000000"),
            ("SignatureVersion", "2.0"),
            ("Signature", "00"),
        ]
        .into_iter()
        .filter(|(name, _)| *name != drop)
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
    }

    #[test]
    fn a_complete_query_is_read() {
        let query = RequestQuery::read(&pairs(""), true).unwrap();
        assert_eq!((query.action.as_str(), query.app_id, query.timestamp), ("SendRoomMessage", 42, 1_700_000_000));
    }

    #[test]
    fn each_missing_parameter_is_named() {
        for name in ["Action", "AppId", "SignatureNonce", "Timestamp", "SignatureVersion", "Signature"] {
            let error = RequestQuery::read(&pairs(name), true).unwrap_err();
            assert_eq!(error.code, ZimCode::INVALID_PARAMETER);
            assert!(error.message.contains(name), "{name}: {}", error.message);
        }
    }

    #[test]
    fn a_non_numeric_app_id_is_named() {
        let mut pairs = pairs("");
        pairs.insert("AppId".into(), "abc".into());
        assert!(RequestQuery::read(&pairs, true).unwrap_err().message.contains("AppId 'abc'"));
    }
}
