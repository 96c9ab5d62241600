//! A bots.yaml text read twice: by serde_yaml for the data, and by the position scanner for where each
//! value is, both addressed by the same paths.

use super::positions::PositionIndex;
use super::Location;
use serde_yaml::Value;

/// The parsed document and its positions.
pub(super) struct Document {
    pub value: Value,
    pub positions: PositionIndex,
}

/// Malformed YAML, as serde_yaml reports it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub location: Option<Location>,
    pub message: String,
}

impl Document {
    /// Parses `text` with serde_yaml. An empty document (or one holding only comments) is an empty mapping,
    /// so it is reported as lacking `bots` rather than as being of the wrong type.
    pub fn parse(text: &str) -> Result<Self, SyntaxError> {
        let value = serde_yaml::from_str::<Value>(text).map_err(|error| {
            let location = error.location().map(|at| Location::new(at.line(), at.column()));
            SyntaxError { location, message: without_location(&error.to_string(), location) }
        })?;
        let value = match value {
            Value::Null => Value::Mapping(Default::default()),
            value => value,
        };
        Ok(Self { value, positions: PositionIndex::scan(text) })
    }
}

/// serde_yaml's message without its own " at line L column C" (the report puts the place first).
fn without_location(message: &str, location: Option<Location>) -> String {
    match location {
        Some(at) => message.replacen(&format!(" at line {} column {}", at.line, at.column), "", 1),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_yaml_is_placed_where_serde_yaml_stopped() {
        let Err(error) = Document::parse("a: [b\n") else {
            panic!("malformed YAML was accepted");
        };
        assert_eq!(error.location, Some(Location::new(2, 1)));
        assert!(error.message.contains("expected ',' or ']'"), "{}", error.message);
        assert!(!error.message.contains("line 2 column 1"), "{}", error.message);
    }

    #[test]
    fn an_empty_document_is_an_empty_mapping() {
        let document = Document::parse("# nothing yet\n").unwrap();
        assert_eq!(document.value, Value::Mapping(Default::default()));
    }
}
