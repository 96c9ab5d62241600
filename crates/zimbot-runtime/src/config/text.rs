//! Text fields of bots.yaml accept any scalar: `rooms: [lobby, 10001]` means the room "10001".
//!
//! serde_yaml's `Value` types a plain scalar by its text (10001 is a number), and reading a `String` from a
//! `Value` number is an error. The raw shapes read their text fields through these functions instead
//! (`#[serde(deserialize_with = ...)]`), which take strings, numbers and booleans as written. A number
//! written in a form serde_yaml normalizes (`1.50`, `0x1F`) reads as its normal form, so quote such ids.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// A scalar read as text.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Text, E> {
        Ok(Text(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Text, E> {
        Ok(Text(value))
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Text, E> {
        Ok(Text(value.to_string()))
    }

    /// An empty value (`name:`) is empty text; the checks that need text say so.
    fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
        Ok(Text(String::new()))
    }
}

/// A required text field.
pub(super) fn one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Text::deserialize(deserializer).map(|text| text.0)
}

/// An optional text field: an empty value (`name:` or `~`) is absent.
pub(super) fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Option::<Text>::deserialize(deserializer).map(|text| text.map(|text| text.0))
}

/// A list of texts.
pub(super) fn list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Vec::<Text>::deserialize(deserializer).map(|texts| texts.into_iter().map(|text| text.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_yaml::Value;

    fn read(yaml: &str) -> Result<Vec<String>, String> {
        let value: Value = serde_yaml::from_str(yaml).map_err(|error| error.to_string())?;
        list(value).map_err(|error| error.to_string())
    }

    #[test]
    fn numbers_and_booleans_read_as_written() {
        assert_eq!(
            read("[lobby, 10001, -3, true]"),
            Ok(vec!["lobby".into(), "10001".into(), "-3".into(), "true".into()])
        );
    }

    #[test]
    fn a_leading_zero_is_kept() {
        assert_eq!(read("[0123]"), Ok(vec!["0123".into()]));
    }

    #[test]
    fn a_collection_is_not_text() {
        let error = read("[[a]]").unwrap_err();
        assert!(error.starts_with("invalid type: sequence, expected a string"), "{error}");
    }
}
