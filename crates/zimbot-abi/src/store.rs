//! The per-bot store as it crosses the boundary: the actions' payloads, the replies, the failures, and the
//! limits every host enforces the same way (the runtime, and the SDK's test harness).
//!
//! A bot keeps JSON values under string keys. Each value carries the version of the plugin that wrote it (so a
//! newer version can recognise and migrate what an older one wrote) and a revision that grows with every write
//! of the bot's data, for compare-and-swap. Added in ABI 1.1: a host of ABI 1.0 answers these actions with
//! `error`, which the SDK reports as [`StoreFailureReason::Unsupported`].

use serde::{Deserialize, Serialize};

/// The largest value a key may hold, in bytes of its JSON text.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// The longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// The most entries one `list` answers; a listing that would hold more fails, asking for a narrower prefix.
pub const MAX_LIST_ENTRIES: usize = 1000;

/// A value's revision: grows with every write of its bot's data, never reused (not even after a delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Revision(pub u64);

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// One stored value, as a read answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEntry {
    pub key: String,
    pub value: serde_json::Value,
    /// The `VERSION` of the plugin that wrote it.
    pub plugin_version: String,
    pub revision: Revision,
}

/// Why a store call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreFailureReason {
    /// The value's JSON is larger than [`MAX_VALUE_BYTES`].
    ValueTooLarge,
    /// The key is empty, longer than [`MAX_KEY_BYTES`] or holds a control character.
    InvalidKey,
    /// A listing would hold more than [`MAX_LIST_ENTRIES`] entries.
    TooManyEntries,
    /// The database cannot be read or written now (read-only, disk full, none configured); try again later.
    StorageUnavailable,
    /// Another owner took the bot over: this instance may no longer write its data.
    Fenced,
    /// The context's plugin instance is gone (its bot stopped, or the instance was rebuilt after a panic).
    BotGone,
    /// The stored value does not decode as the type asked for (SDK side).
    Undecodable,
    /// The value to store could not be encoded as JSON (SDK side).
    Unencodable,
    /// The host does not offer the store (it is older than ABI 1.1), or answered something unexpected.
    Unsupported,
    #[serde(other)]
    Unknown,
}

impl StoreFailureReason {
    /// The reason's wire name (`value_too_large`, `storage_unavailable`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValueTooLarge => "value_too_large",
            Self::InvalidKey => "invalid_key",
            Self::TooManyEntries => "too_many_entries",
            Self::StorageUnavailable => "storage_unavailable",
            Self::Fenced => "fenced",
            Self::BotGone => "bot_gone",
            Self::Undecodable => "undecodable",
            Self::Unencodable => "unencodable",
            Self::Unsupported => "unsupported",
            Self::Unknown => "unknown",
        }
    }
}

/// A failed store call: the reason to match on and a message that says what and which key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreFailure {
    pub reason: StoreFailureReason,
    pub message: String,
}

impl StoreFailure {
    pub fn new(reason: StoreFailureReason, message: impl Into<String>) -> Self {
        Self { reason, message: message.into() }
    }
}

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.reason.as_str(), self.message)
    }
}

impl std::error::Error for StoreFailure {}

/// Checks a key against the rules every host applies.
pub fn check_key(key: &str) -> Result<(), StoreFailure> {
    let invalid = |why: String| Err(StoreFailure::new(StoreFailureReason::InvalidKey, why));
    if key.is_empty() {
        return invalid("a store key may not be empty".to_owned());
    }
    if key.len() > MAX_KEY_BYTES {
        return invalid(format!(
            "the store key starting {:?} is {} bytes long; keys are at most {MAX_KEY_BYTES} bytes",
            key.chars().take(32).collect::<String>(),
            key.len()
        ));
    }
    if key.chars().any(char::is_control) {
        return invalid(format!("the store key {key:?} holds a control character; keys are printable text"));
    }
    Ok(())
}

/// Checks a key and the JSON text of the value to put under it; answers the text's length.
pub fn check_put(key: &str, value: &serde_json::Value) -> Result<String, StoreFailure> {
    check_key(key)?;
    let text = value.to_string();
    if text.len() > MAX_VALUE_BYTES {
        return Err(StoreFailure::new(
            StoreFailureReason::ValueTooLarge,
            format!(
                "the value for key {key:?} is {} bytes of JSON; values are at most {MAX_VALUE_BYTES} bytes \
                 (split it over several keys)",
                text.len()
            ),
        ));
    }
    Ok(text)
}

/// The failure of a listing that holds more than [`MAX_LIST_ENTRIES`] entries.
pub fn too_many_entries(prefix: &str) -> StoreFailure {
    StoreFailure::new(
        StoreFailureReason::TooManyEntries,
        format!("more than {MAX_LIST_ENTRIES} keys start with {prefix:?}; list a narrower prefix"),
    )
}

/// Whether `action` is one of the store's (a retired context answers those with [`StoreFailureReason::BotGone`]).
pub fn is_store_action(action: &crate::Action) -> bool {
    use crate::Action::*;
    matches!(
        action,
        StoreGet { .. } | StorePut { .. } | StoreDelete { .. } | StoreList { .. } | StoreCompareAndSwap { .. }
    )
}

/// What a compare-and-swap did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "swap", rename_all = "snake_case")]
pub enum Swap {
    /// The value was written; this is its revision.
    Swapped { revision: Revision },
    /// The key did not hold the expected revision (or was not absent when absence was expected): nothing was
    /// written. `current` is what it holds (`None`: the key is absent).
    Conflict { current: Option<Revision> },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_over_the_limit_is_refused_naming_its_key_and_size() {
        let big = json!("x".repeat(MAX_VALUE_BYTES));
        let failure = check_put("notes/long", &big).unwrap_err();
        assert_eq!(failure.reason, StoreFailureReason::ValueTooLarge);
        assert!(failure.message.contains("\"notes/long\"") && failure.message.contains("65538 bytes"), "{failure}");
    }

    #[test]
    fn a_value_at_the_limit_is_taken() {
        let exactly = json!("x".repeat(MAX_VALUE_BYTES - 2));
        assert_eq!(check_put("k", &exactly).unwrap().len(), MAX_VALUE_BYTES);
    }

    #[test]
    fn empty_long_and_control_character_keys_are_refused() {
        for key in ["", &"k".repeat(MAX_KEY_BYTES + 1), "line\nbreak"] {
            assert_eq!(check_key(key).unwrap_err().reason, StoreFailureReason::InvalidKey, "{key:?}");
        }
    }

    #[test]
    fn an_unknown_reason_from_a_newer_host_decodes_to_unknown() {
        let failure: StoreFailure = serde_json::from_str(r#"{"reason":"quota_exceeded","message":"m"}"#).unwrap();
        assert_eq!(failure.reason, StoreFailureReason::Unknown);
    }
}
