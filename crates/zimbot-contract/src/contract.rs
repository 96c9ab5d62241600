//! Reading the OpenAPI files into JSON Schemas that a validator can check bodies against.
//!
//! The OpenAPI files are read as published; turning them into JSON Schema takes three steps, done here:
//! - `#/components/schemas/...` references are resolved (inlined) within the file that holds them;
//! - OpenAPI formats used as types (`type: int32`, `int64`) become `integer`;
//! - request schemas are made strict: an object schema that lists its `properties` gets
//!   `additionalProperties: false`, so a misspelled or invented field in a request zimbot builds is an error rather
//!   than something the service would silently ignore. Answer schemas stay open, as the service may add fields.

use jsonschema::Validator;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why the contract could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("{path}: cannot be read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a YAML OpenAPI document: {source}")]
    Yaml { path: PathBuf, source: serde_yaml::Error },
    #[error("{path}: {what}")]
    Shape { path: PathBuf, what: String },
    #[error("{path}: the {which} schema of {action} is not a valid JSON Schema: {message}")]
    Schema { path: PathBuf, action: String, which: &'static str, message: String },
}

/// The request and answer schemas of one action.
pub struct ActionContract {
    /// The OpenAPI file it came from.
    pub file: PathBuf,
    /// The request body schema, resolved and strict.
    pub request_schema: Value,
    /// The answer (HTTP 200) schema, resolved.
    pub response_schema: Value,
    request: Validator,
    response: Validator,
}

impl ActionContract {
    /// Every way `body` breaks the request schema, each as `at <JSON pointer>: <what>`; empty when it conforms.
    pub fn request_errors(&self, body: &Value) -> Vec<String> {
        errors(&self.request, body)
    }

    /// Every way `answer` breaks the answer schema; empty when it conforms.
    pub fn response_errors(&self, answer: &Value) -> Vec<String> {
        errors(&self.response, answer)
    }
}

fn errors(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| {
            let at = error.instance_path().to_string();
            format!("at {}: {error}", if at.is_empty() { "/" } else { &at })
        })
        .collect()
}

/// Every action of the spec folder, by action name (`SendPeerMessage`, `RobotRegister`, ...).
pub struct Contract {
    actions: BTreeMap<String, ActionContract>,
}

impl Contract {
    /// The spec folder of this repository (`spec/zim-server-api`).
    pub fn spec_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/zim-server-api")
    }

    /// Loads this repository's spec folder from disk (tests that want to see an edited file at once).
    pub fn load_repository() -> Result<Contract, ContractError> {
        Self::load(&Self::spec_dir())
    }

    /// The files compiled into this crate (the repository's spec folder when it was built).
    pub fn published() -> Result<Contract, ContractError> {
        let mut actions = BTreeMap::new();
        for (name, text) in crate::published::FILES {
            if let Some((action, contract)) = load_action(Path::new(name), text)? {
                actions.insert(action, contract);
            }
        }
        Ok(Contract { actions })
    }

    /// Loads every action file (`*.yaml` with a `paths./.post` operation) of `dir`.
    pub fn load(dir: &Path) -> Result<Contract, ContractError> {
        let entries =
            std::fs::read_dir(dir).map_err(|source| ContractError::Read { path: dir.to_path_buf(), source })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "yaml"))
            .collect();
        files.sort();
        let mut actions = BTreeMap::new();
        for path in files {
            let text =
                std::fs::read_to_string(&path).map_err(|source| ContractError::Read { path: path.clone(), source })?;
            if let Some((name, action)) = load_action(&path, &text)? {
                actions.insert(name, action);
            }
        }
        Ok(Contract { actions })
    }

    /// The contract of `action`, if the spec has it.
    pub fn action(&self, action: &str) -> Option<&ActionContract> {
        self.actions.get(action)
    }

    /// The action names the spec holds.
    pub fn action_names(&self) -> impl Iterator<Item = &str> {
        self.actions.keys().map(String::as_str)
    }
}

/// The action `text` (the contents of `path`) describes, if it describes one.
fn load_action(path: &Path, text: &str) -> Result<Option<(String, ActionContract)>, ContractError> {
    let document: Value =
        serde_yaml::from_str(text).map_err(|source| ContractError::Yaml { path: path.into(), source })?;
    let Some(operation) = document.pointer("/paths/~1/post") else {
        return Ok(None);
    };
    let shape = |what: &str| ContractError::Shape { path: path.into(), what: what.to_owned() };
    let action = operation
        .get("summary")
        .and_then(Value::as_str)
        .ok_or_else(|| shape("the POST operation has no `summary` naming its action"))?
        .to_owned();
    let schemas = document.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default();
    let request = operation
        .pointer("/requestBody/content/application~1json/schema")
        .ok_or_else(|| shape("no application/json request body schema"))?;
    let response = operation
        .pointer("/responses/200/content/application~1json/schema")
        .ok_or_else(|| shape("no application/json schema for HTTP 200"))?;
    let resolve = |schema: &Value, strict: bool| resolve(schema, &schemas, strict, 0).map_err(|what| shape(&what));
    let request_schema = resolve(request, true)?;
    let response_schema = resolve(response, false)?;
    let compile = |schema: &Value, which: &'static str| {
        jsonschema::draft7::new(schema).map_err(|error| ContractError::Schema {
            path: path.into(),
            action: action.clone(),
            which,
            message: error.to_string(),
        })
    };
    let contract = ActionContract {
        file: path.into(),
        request: compile(&request_schema, "request")?,
        response: compile(&response_schema, "answer")?,
        request_schema,
        response_schema,
    };
    Ok(Some((action, contract)))
}

/// `schema` with its local references inlined, OpenAPI format-types mapped, and (when `strict`) closed objects.
fn resolve(schema: &Value, schemas: &Map<String, Value>, strict: bool, depth: usize) -> Result<Value, String> {
    if depth > 32 {
        return Err("schema references nest more than 32 deep (a cycle?)".to_owned());
    }
    match schema {
        Value::Object(object) => {
            if let Some(reference) = object.get("$ref").and_then(Value::as_str) {
                let name = reference
                    .strip_prefix("#/components/schemas/")
                    .ok_or_else(|| format!("the schema reference {reference} is not a local component schema"))?;
                let target = schemas.get(name).ok_or_else(|| format!("{reference} names no schema of this file"))?;
                return resolve(target, schemas, strict, depth + 1);
            }
            let mut resolved = Map::new();
            for (key, value) in object {
                let value = match key.as_str() {
                    // Examples and descriptions are documentation, not constraints.
                    "example" | "examples" | "description" => value.clone(),
                    "type" => match value.as_str() {
                        Some("int32" | "int64") => Value::from("integer"),
                        _ => value.clone(),
                    },
                    _ => resolve(value, schemas, strict, depth + 1)?,
                };
                resolved.insert(key.clone(), value);
            }
            if strict && resolved.contains_key("properties") && !resolved.contains_key("additionalProperties") {
                resolved.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            Ok(Value::Object(resolved))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| resolve(item, schemas, strict, depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contract() -> Contract {
        Contract::load_repository().expect("the repository's spec folder loads")
    }

    #[test]
    fn the_compiled_in_files_are_the_spec_folder() {
        let on_disk: Vec<String> = contract().action_names().map(str::to_owned).collect();
        let published = Contract::published().expect("the compiled-in files load");
        assert_eq!(published.action_names().collect::<Vec<_>>(), on_disk);
        let mut names: Vec<String> = std::fs::read_dir(Contract::spec_dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".yaml"))
            .collect();
        names.sort();
        let compiled: Vec<&str> = crate::published::FILES.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, compiled, "a file of spec/zim-server-api is missing from published.rs");
    }

    #[test]
    fn every_action_zimbot_speaks_is_in_the_spec() {
        let contract = contract();
        let names: Vec<&str> = contract.action_names().collect();
        for action in [
            "SendPeerMessage",
            "SendRoomMessage",
            "SendGroupMessage",
            "RobotRegister",
            "UserRegister",
            "CreateRoom",
            "CreateGroup",
            "InviteUsersIntoGroup",
        ] {
            assert!(names.contains(&action), "{action} missing from {names:?}");
        }
    }

    #[test]
    fn a_request_missing_a_required_field_is_named() {
        let contract = contract();
        let body = json!({"FromUserId": "@RBT#a", "MessageType": 1, "Priority": 1, "MessageBody": {"Message": "hi"}});
        let errors = contract.action("SendRoomMessage").unwrap().request_errors(&body);
        assert!(errors.iter().any(|error| error.contains("RoomId")), "{errors:?}");
    }

    #[test]
    fn a_request_with_a_field_the_schema_does_not_list_is_refused() {
        let contract = contract();
        let body = json!({"FromUserId": "@RBT#a", "RoomId": "r", "MessageType": 1, "Priority": 1,
                          "MessageBody": {"Message": "hi"}, "SendMsgOptions": {"NoUnread": true}});
        let errors = contract.action("SendRoomMessage").unwrap().request_errors(&body);
        assert!(errors.iter().any(|error| error.contains("SendMsgOptions")), "{errors:?}");
    }

    #[test]
    fn a_group_answer_with_a_string_msg_id_breaks_the_published_schema() {
        let contract = contract();
        let answer = json!({"Code": 0, "Message": "success", "RequestId": "r", "MsgId": "m1", "MsgSeq": 1});
        assert!(!contract.action("SendGroupMessage").unwrap().response_errors(&answer).is_empty());
        let answer = json!({"Code": 0, "Message": "success", "RequestId": "r", "MsgId": 1, "MsgSeq": 1});
        assert!(contract.action("SendGroupMessage").unwrap().response_errors(&answer).is_empty());
    }

    #[test]
    fn an_int32_typed_code_is_read_as_an_integer() {
        let contract = contract();
        let create_room = contract.action("CreateRoom").unwrap();
        assert!(create_room.response_errors(&json!({"Code": 0, "Message": "success"})).is_empty());
        assert!(!create_room.response_errors(&json!({"Code": "0"})).is_empty());
    }
}
