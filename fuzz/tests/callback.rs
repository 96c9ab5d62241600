//! Fuzz target: the webhook's callback parser and checks, on any body and at any time.

use proptest::prelude::*;
use std::time::Duration;
use zimbot_fuzz::{config, inputs};
use zimbot_runtime::webhook::{check_id_lengths, verify_callback, MAX_ID_BYTES, MAX_TOKEN_BYTES};
use zimbot_wire::{callback_signature, Callback};

/// Any instant chrono can hold, from an arbitrary number.
fn instant(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(seconds % 8_000_000_000_000, 0).unwrap_or_default()
}

proptest! {
    #![proptest_config(config("callback"))]

    #[test]
    fn any_body_is_read_or_refused_without_panicking(body in inputs("callback"), now in any::<i64>()) {
        if let Ok(callback) = serde_json::from_slice::<Callback>(&body) {
            if check_id_lengths(&callback).is_ok() {
                prop_assert!(callback.msg_id.len() <= MAX_TOKEN_BYTES && callback.conv_id.len() <= MAX_ID_BYTES);
            }
            let _ = verify_callback(&callback, &["secret", "previous"], instant(now), Duration::from_secs(300));
            let _ = callback.to_received_message();
        }
    }

    #[test]
    fn a_callback_signed_now_with_either_secret_is_trusted(
        body in inputs("callback"),
        now in -100_000_000_000i64..100_000_000_000,
        nonce in "[0-9]{1,10}",
        previous in any::<bool>(),
    ) {
        if let Ok(mut callback) = serde_json::from_slice::<Callback>(&body) {
            let secret = if previous { "previous" } else { "secret" };
            callback.timestamp = now;
            callback.nonce = nonce;
            callback.signature = callback_signature(secret, &now.to_string(), &callback.nonce);
            prop_assert_eq!(verify_callback(&callback, &["secret", "previous"], instant(now), Duration::from_secs(300)), Ok(()));
        }
    }
}
