//! The JSON Schema of bots.yaml, for editors (`zimbot schema`).

use super::raw::RawFile;

/// The JSON Schema describing bots.yaml: every section, field, default and description.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RawFile)).unwrap_or(serde_json::Value::Null)
}
