//! Checking a callback's signature and timestamp.

use chrono::{DateTime, Utc};
use std::time::Duration;
use zimbot_wire::{callback_signature, Callback};

/// Why a callback is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("signature does not match (check callback_secret)")]
    Signature,
    #[error("timestamp {timestamp} is {skew_secs} s away from now, outside the {window_secs} s window")]
    Stale { timestamp: i64, skew_secs: i64, window_secs: u64 },
}

/// Accepts `callback` when its sha1 signature matches one of `secrets` (two during a rotation) and its
/// timestamp is within `window` of `now`. Any timestamp, `i64::MIN` too, is compared without overflow; room and
/// group events stamp milliseconds, which are read as such ([`Callback::timestamp_secs`]).
pub fn verify_callback<S: AsRef<str>>(
    callback: &Callback,
    secrets: &[S],
    now: DateTime<Utc>,
    window: Duration,
) -> Result<(), VerifyError> {
    let timestamp = callback.timestamp.to_string();
    let given = callback.signature.to_ascii_lowercase();
    // Every secret is tried, so the time taken does not tell which one matched.
    let matched = secrets.iter().fold(false, |matched, secret| {
        let expected = callback_signature(secret.as_ref(), &timestamp, &callback.nonce);
        constant_time_eq(expected.as_bytes(), given.as_bytes()) | matched
    });
    if !matched {
        return Err(VerifyError::Signature);
    }
    let skew = now.timestamp().saturating_sub(callback.timestamp_secs());
    let window_secs = window.as_secs();
    if skew.unsigned_abs() > window_secs {
        return Err(VerifyError::Stale { timestamp: callback.timestamp, skew_secs: skew, window_secs });
    }
    Ok(())
}

/// Compares without stopping at the first difference, so timing does not reveal how much of a guess was right.
fn constant_time_eq(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len() && left.iter().zip(right).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn callback(timestamp: i64, secret: &str) -> Callback {
        let signature = callback_signature(secret, &timestamp.to_string(), "123412");
        serde_json::from_value(serde_json::json!({
            "appid": "1", "event": "send_msg", "nonce": "123412", "signature": signature, "timestamp": timestamp
        }))
        .unwrap()
    }

    fn at(timestamp: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(timestamp, 0).unwrap()
    }

    #[test]
    fn a_signed_fresh_callback_is_accepted() {
        let window = Duration::from_secs(300);
        assert_eq!(verify_callback(&callback(1_470_820_198, "secret"), &["secret"], at(1_470_820_198), window), Ok(()));
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let result = verify_callback(&callback(1_000, "other"), &["secret"], at(1_000), Duration::from_secs(300));
        assert_eq!(result, Err(VerifyError::Signature));
    }

    #[test]
    fn a_callback_outside_the_window_is_refused_either_way() {
        let window = Duration::from_secs(300);
        assert!(matches!(
            verify_callback(&callback(1_000, "s"), &["s"], at(1_301), window),
            Err(VerifyError::Stale { skew_secs: 301, .. })
        ));
        assert!(matches!(
            verify_callback(&callback(1_301, "s"), &["s"], at(1_000), window),
            Err(VerifyError::Stale { skew_secs: -301, .. })
        ));
        assert_eq!(verify_callback(&callback(1_000, "s"), &["s"], at(1_300), window), Ok(()));
    }

    #[test]
    fn either_secret_of_a_rotation_is_accepted() {
        let window = Duration::from_secs(300);
        let secrets = ["new", "old"];
        assert_eq!(verify_callback(&callback(1_000, "old"), &secrets, at(1_000), window), Ok(()));
        assert_eq!(verify_callback(&callback(1_000, "new"), &secrets, at(1_000), window), Ok(()));
        assert_eq!(
            verify_callback(&callback(1_000, "other"), &secrets, at(1_000), window),
            Err(VerifyError::Signature)
        );
    }

    #[test]
    fn a_millisecond_timestamp_within_the_window_is_accepted() {
        let now = 1_700_000_000;
        assert_eq!(
            verify_callback(&callback(now * 1000 + 250, "s"), &["s"], at(now), Duration::from_secs(300)),
            Ok(())
        );
    }

    #[test]
    fn a_stale_millisecond_timestamp_is_refused() {
        let now = 1_700_000_000;
        let stale = verify_callback(&callback((now - 301) * 1000, "s"), &["s"], at(now), Duration::from_secs(300));
        assert!(matches!(stale, Err(VerifyError::Stale { .. })), "{stale:?}");
    }

    #[test]
    fn the_most_negative_timestamp_is_stale_not_a_panic() {
        let result = verify_callback(&callback(i64::MIN, "s"), &["s"], at(1_000), Duration::from_secs(300));
        assert!(matches!(result, Err(VerifyError::Stale { timestamp: i64::MIN, .. })), "{result:?}");
    }
}
