//! What identifies one membership or presence callback, for the webhook's dedupe.
//!
//! These callbacks carry no message id. ZEGOCLOUD documents their `timestamp` as the time the change happened (a
//! room entered, a group left, a user online), and every attempt of one callback carries the same body, with a
//! new `nonce` and `signature` (the service retries after 2, 4, 8, 16, 32 s). So one callback is its body without
//! `nonce` and `signature`: the event, its fields and the time of its change. The same person entering the same
//! room twice makes two changes at two times, and two callbacks.

use sha1::{Digest, Sha1};
use std::collections::BTreeMap;

/// The dedupe key of the membership or presence callback whose JSON body is `raw`: `member:` and the sha1 of its
/// fields other than `nonce` and `signature`, keys sorted (so the order a sender writes them in does not matter).
pub(crate) fn membership_key(raw: &serde_json::Value) -> String {
    let fields: BTreeMap<&String, &serde_json::Value> = raw
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !matches!(name.as_str(), "nonce" | "signature"))
        .collect();
    let canonical = serde_json::to_vec(&fields).unwrap_or_default();
    let digest = Sha1::digest(&canonical);
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("member:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn enter(nonce: &str, timestamp: i64) -> serde_json::Value {
        json!({"appid": "1", "event": "room_enter", "nonce": nonce, "signature": format!("sig-{nonce}"),
               "timestamp": timestamp, "room_id": "lobby", "operator_account": "alice"})
    }

    #[test]
    fn a_retry_with_a_new_nonce_and_signature_is_the_same_callback() {
        assert_eq!(membership_key(&enter("1", 1_000)), membership_key(&enter("2", 1_000)));
    }

    #[test]
    fn the_same_change_at_another_time_is_another_callback() {
        assert_ne!(membership_key(&enter("1", 1_000)), membership_key(&enter("1", 2_000)));
    }

    #[test]
    fn another_user_entering_is_another_callback() {
        let mut bob = enter("1", 1_000);
        bob["operator_account"] = json!("bob");
        assert_ne!(membership_key(&enter("1", 1_000)), membership_key(&bob));
    }

    #[test]
    fn the_order_of_the_fields_does_not_matter() {
        let reordered: serde_json::Value = serde_json::from_str(
            r#"{"operator_account":"alice","room_id":"lobby","timestamp":1000,"signature":"x","nonce":"9",
                "event":"room_enter","appid":"1"}"#,
        )
        .unwrap();
        assert_eq!(membership_key(&enter("1", 1_000)), membership_key(&reordered));
    }
}
