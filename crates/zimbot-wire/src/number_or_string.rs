//! Readers for fields the service sends in more than one shape: ids as a number in one action and a string in
//! another (`MsgId`), numbers that arrive as strings in callbacks, and optional fields sent as `null`.
//!
//! Ids are read as text without ever passing through a float: serde_json reads an integer literal as `u64`/`i64`
//! exactly, and a literal it could only read as a float (a fraction, an exponent, or beyond 64 bits) is refused
//! with an error naming it rather than rounded into a different id.

use serde::{Deserialize, Deserializer};
use serde_json::{Number, Value};

/// An id sent as a string or as a whole number; `null` or absent reads as empty.
pub fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(text) => Ok(text),
        Value::Number(number) if number.is_u64() || number.is_i64() => Ok(number.to_string()),
        Value::Number(number) => {
            Err(serde::de::Error::custom(format!("the id {number} is not a whole number that fits in 64 bits")))
        }
        Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!("expected an id (a string or a whole number), found {other}"))),
    }
}

/// A whole number sent as a number or as a string of digits; `null` or absent reads as 0.
pub fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Number(number) => whole(&number).map_err(serde::de::Error::custom),
        Value::String(text) => {
            text.trim().parse().map_err(|_| serde::de::Error::custom(format!("'{text}' is not a whole number")))
        }
        Value::Null => Ok(0),
        other => Err(serde::de::Error::custom(format!("expected a whole number, found {other}"))),
    }
}

/// Like [`integer`], for counters that cannot be negative (`MsgSeq`): a negative value is an error.
pub fn unsigned<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = integer(deserializer)?;
    u64::try_from(value).map_err(|_| serde::de::Error::custom(format!("{value} is negative")))
}

/// A field whose `null` means the same as its absence: the type's default.
pub fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The number as an `i64` when it is a whole number that fits one exactly.
fn whole(number: &Number) -> Result<i64, String> {
    if let Some(value) = number.as_i64() {
        return Ok(value);
    }
    if number.as_u64().is_some() {
        return Err(format!("{number} does not fit in a signed 64-bit integer"));
    }
    Err(format!("{number} is not a whole number that fits in 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Fields {
        #[serde(default, deserialize_with = "id")]
        id: String,
        #[serde(default, deserialize_with = "unsigned")]
        seq: u64,
        #[serde(default, deserialize_with = "or_default")]
        list: Vec<u8>,
    }

    fn read(json: &str) -> Result<Fields, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn an_id_sent_as_a_number_reads_as_its_digits() {
        assert_eq!(read(r#"{"id": 9007199254740993}"#).unwrap().id, "9007199254740993");
    }

    #[test]
    fn an_id_above_the_float_range_of_exact_integers_keeps_every_digit() {
        assert_eq!(read(r#"{"id": 18446744073709551615}"#).unwrap().id, "18446744073709551615");
    }

    #[test]
    fn an_id_sent_as_a_string_reads_as_is() {
        assert_eq!(read(r#"{"id": "6654861479614"}"#).unwrap().id, "6654861479614");
    }

    #[test]
    fn an_id_that_only_a_float_could_hold_is_refused() {
        let error = read(r#"{"id": 1.5e30}"#).unwrap_err().to_string();
        assert!(error.contains("not a whole number"), "{error}");
    }

    #[test]
    fn null_and_missing_fields_read_as_their_defaults() {
        let fields = read(r#"{"id": null, "seq": null, "list": null}"#).unwrap();
        assert_eq!((fields.id.as_str(), fields.seq, fields.list.len()), ("", 0, 0));
        let fields = read("{}").unwrap();
        assert_eq!((fields.id.as_str(), fields.seq, fields.list.len()), ("", 0, 0));
    }

    #[test]
    fn a_sequence_number_sent_as_a_string_is_read() {
        assert_eq!(read(r#"{"seq": "42"}"#).unwrap().seq, 42);
    }

    #[test]
    fn a_negative_sequence_number_is_refused() {
        assert!(read(r#"{"seq": -1}"#).is_err());
    }
}
