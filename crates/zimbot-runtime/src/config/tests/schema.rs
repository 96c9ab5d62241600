//! The JSON Schema editors use for bots.yaml.

use crate::config::json_schema;
use serde_json::Value;

/// The schema of one bot entry, following the `$ref` of the `bots` items.
fn bot_schema(schema: &Value) -> &Value {
    let reference = schema["properties"]["bots"]["items"]["$ref"].as_str().expect("bots items are a $ref");
    let name = reference.rsplit('/').next().unwrap();
    &schema["$defs"][name]
}

#[test]
fn the_schema_lists_every_bot_field() {
    let schema = json_schema();
    let properties = bot_schema(&schema)["properties"].as_object().unwrap();
    let mut names: Vec<_> = properties.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "config",
            "hook_timeout_secs",
            "id",
            "listen",
            "mailbox",
            "max_concurrency",
            "name",
            "plugin",
            "priority",
            "schedules",
            "user_id"
        ]
    );
}

#[test]
fn the_schema_requires_a_bots_id_user_id_and_plugin_only() {
    let schema = json_schema();
    let mut required: Vec<_> = bot_schema(&schema)["required"].as_array().unwrap().iter().collect();
    required.sort_by_key(|value| value.as_str());
    assert_eq!(required, ["id", "plugin", "user_id"]);
}

#[test]
fn the_schema_refuses_unknown_keys_like_the_loader() {
    let schema = json_schema();
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(bot_schema(&schema)["additionalProperties"], false);
}

#[test]
fn the_schema_describes_the_top_level_sections() {
    let schema = json_schema();
    let properties = schema["properties"].as_object().unwrap();
    for section in ["zim", "webhook", "client", "plugin_dirs", "shutdown_grace_secs", "bots"] {
        assert!(properties.contains_key(section), "missing {section}");
    }
    assert_eq!(schema["required"], serde_json::json!(["bots"]));
}
