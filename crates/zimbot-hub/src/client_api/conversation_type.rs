//! `conv_type` as the client API takes it: a name (`peer`, `room`, `group`) or the wire number (0, 1, 2).

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;
use zimbot_model::ConversationType;

/// A conversation type read from either spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConversationTypeParam(pub(super) ConversationType);

impl<'de> Deserialize<'de> for ConversationTypeParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ConversationTypeVisitor)
    }
}

struct ConversationTypeVisitor;

const EXPECTED: &str = "peer, room or group (or 0, 1, 2)";

impl Visitor<'_> for ConversationTypeVisitor {
    type Value = ConversationTypeParam;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(EXPECTED)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        if let Ok(code) = value.parse::<i64>() {
            return self.visit_i64(code);
        }
        value
            .parse()
            .map(ConversationTypeParam)
            .map_err(|_| E::custom(format!("conv_type '{value}' is not {EXPECTED}")))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        ConversationType::from_code(value)
            .map(ConversationTypeParam)
            .ok_or_else(|| E::custom(format!("conv_type {value} is not {EXPECTED}")))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        self.visit_i64(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_are_both_read() {
        for (json, expected) in
            [("\"peer\"", ConversationType::Peer), ("1", ConversationType::Room), ("\"2\"", ConversationType::Group)]
        {
            let parsed: ConversationTypeParam = serde_json::from_str(json).unwrap();
            assert_eq!(parsed.0, expected, "{json}");
        }
    }

    #[test]
    fn other_values_are_refused_with_the_accepted_ones() {
        let error = serde_json::from_str::<ConversationTypeParam>("\"channel\"").unwrap_err();
        assert!(error.to_string().contains("peer, room or group"), "{error}");
        assert!(serde_json::from_str::<ConversationTypeParam>("3").is_err());
    }
}
