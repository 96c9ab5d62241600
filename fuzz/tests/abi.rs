//! Fuzz target: the plugin ABI's message decoder; whatever decodes encodes back to the same message.

use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use zimbot_abi::{Action, ActionReply, CronTick, Event, HookReply};
use zimbot_fuzz::{config, inputs_with};
use zimbot_model::{ConversationId, ConversationType, MessageContent, ReceivedMessage, UserId};

/// Messages the current code writes, as seeds beside the corpus.
fn written() -> Vec<Vec<u8>> {
    let message = ReceivedMessage {
        message_id: "857234545".into(),
        seq: 3,
        from_user_id: UserId::from("alice"),
        conversation_type: ConversationType::Room,
        conversation_id: ConversationId::from("lobby"),
        timestamp_ms: 1_800_000_000_000,
        content: MessageContent::Text { text: "hello".into() },
    };
    let tick = CronTick { schedule_id: "hourly".into(), scheduled_at_ms: 1, fired_at_ms: 2 };
    [Event::Message { message, redelivery: false }, Event::Cron { tick }, Event::Stop]
        .iter()
        .map(|event| serde_json::to_vec(event).expect("an event encodes"))
        .collect()
}

/// Decoding `bytes` as `T` never panics, and a decoded value survives a round trip.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    bytes: &[u8],
) -> Result<(), TestCaseError> {
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        let encoded = serde_json::to_vec(&value).map_err(|error| TestCaseError::fail(error.to_string()))?;
        let again: T = serde_json::from_slice(&encoded).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(again, value);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config("abi"))]

    #[test]
    fn any_message_decodes_or_is_refused_and_decoded_ones_round_trip(bytes in inputs_with("abi", written())) {
        round_trips::<Event>(&bytes)?;
        round_trips::<Action>(&bytes)?;
        round_trips::<HookReply>(&bytes)?;
        round_trips::<ActionReply>(&bytes)?;
    }
}
