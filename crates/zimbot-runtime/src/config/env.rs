//! `${VAR}` and `${VAR:-default}` in bots.yaml values, filled in from the environment (`$$` is a literal `$`).
//!
//! Expansion happens on the strings of serde_yaml's `Value` after parsing, never on the raw text: a value
//! from the environment can hold `#`, `:` or quotes without changing the document's structure, and
//! positions stay those of the file. Keys are not expanded. An unquoted `${VAR}` is typed by what it
//! expands to (`app_id: ${APP_ID}` is a number), a quoted one stays a string.

use super::path::{scalar_text, YamlPath};
use super::positions::PositionIndex;
use super::Location;
use serde_yaml::Value;

/// A `${...}` that could not be filled in: in the value at `path`, the reference at `location`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExpandError {
    pub path: YamlPath,
    pub location: Location,
    pub message: String,
}

/// Expands one value's text, or says which references could not be expanded (by the text to search for).
pub(super) fn expand_text(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Vec<(String, String)>> {
    let mut output = String::with_capacity(text.len());
    let mut problems = Vec::new();
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        output.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            output.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(close) = body.find('}') else {
                problems.push((
                    "${".to_owned(),
                    "`${` has no closing `}`; close it, or write `$$` for a literal `$`".to_owned(),
                ));
                return Err(problems);
            };
            let reference = &body[..close];
            let (name, default) = match reference.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (reference, None),
            };
            if !is_variable_name(name) {
                problems.push((
                    format!("${{{reference}"),
                    format!("`${{{reference}}}` is not a variable name; use letters, digits and `_`, or write `$$` for a literal `$`"),
                ));
            } else {
                match (env(name).filter(|value| default.is_none() || !value.is_empty()), default) {
                    (Some(value), _) => output.push_str(&value),
                    (None, Some(default)) => output.push_str(default),
                    (None, None) => problems.push((
                        format!("${{{name}"),
                        format!("environment variable `{name}` is not set; set it, or give a default with `${{{name}:-default}}`"),
                    )),
                }
            }
            rest = &body[close + 1..];
        } else {
            // A lone `$` is kept as is: prices, regex anchors and shell snippets need it.
            output.push('$');
            rest = after;
        }
    }
    output.push_str(rest);
    if problems.is_empty() {
        Ok(output)
    } else {
        Err(problems)
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(first) if first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Expands every string value under `path` (keys excepted). Returns the references that could not be
/// expanded; the values holding them are left as written.
pub(super) fn expand_values(
    value: &mut Value,
    path: &YamlPath,
    positions: &PositionIndex,
    source: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<ExpandError> {
    let mut errors = Vec::new();
    expand_at(value, path, &Context { positions, source, env }, &mut errors);
    errors
}

struct Context<'a> {
    positions: &'a PositionIndex,
    source: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
}

fn expand_at(value: &mut Value, path: &YamlPath, context: &Context, errors: &mut Vec<ExpandError>) {
    match value {
        Value::String(text) => {
            if !text.contains('$') {
                return;
            }
            match expand_text(text, context.env) {
                Ok(expanded) if context.positions.is_plain(path) => *value = as_plain_scalar(expanded),
                Ok(expanded) => *text = expanded,
                Err(problems) => {
                    let location = context.positions.value(path);
                    errors.extend(problems.into_iter().map(|(needle, message)| ExpandError {
                        path: path.clone(),
                        location: find_after(context.source, location, &needle).unwrap_or(location),
                        message,
                    }));
                }
            }
        }
        Value::Sequence(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                expand_at(item, &path.index(index), context, errors);
            }
        }
        Value::Mapping(entries) => {
            for (key, value) in entries.iter_mut() {
                if let Some(key) = scalar_text(key) {
                    expand_at(value, &path.key(&key), context, errors);
                }
            }
        }
        Value::Tagged(tagged) => expand_at(&mut tagged.value, path, context, errors),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// What serde_yaml makes of `text` written unquoted in the file: null, a boolean, a number, else a string.
/// Only text that can be nothing but one scalar is handed to it, so a value holding `#`, `: ` or spaces
/// stays exactly the text it is.
fn as_plain_scalar(text: String) -> Value {
    let scalar_like = text.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"+-._~".contains(&byte));
    if scalar_like {
        if let Ok(value @ (Value::Null | Value::Bool(_) | Value::Number(_))) = serde_yaml::from_str(&text) {
            return value;
        }
    }
    Value::String(text)
}

/// Where `needle` first occurs in `source` at or after `from`, so a problem points at the `${` itself.
fn find_after(source: &str, from: Location, needle: &str) -> Option<Location> {
    for (line_index, line) in source.lines().enumerate().skip(from.line.saturating_sub(1)) {
        let line_number = line_index + 1;
        let skip_chars = if line_number == from.line { from.column.saturating_sub(1) } else { 0 };
        let start = line.char_indices().nth(skip_chars).map_or(line.len(), |(byte, _)| byte);
        if let Some(found) = line[start..].find(needle) {
            let column = line[..start + found].chars().count() + 1;
            return Some(Location::new(line_number, column));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("s3cret".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn a_set_variable_is_replaced_by_its_value() {
        assert_eq!(expand_text("Bearer ${TOKEN}", &env), Ok("Bearer s3cret".to_owned()));
    }

    #[test]
    fn a_default_is_used_when_the_variable_is_unset_or_empty() {
        assert_eq!(expand_text("${MISSING:-fallback}", &env), Ok("fallback".to_owned()));
        assert_eq!(expand_text("${EMPTY:-fallback}", &env), Ok("fallback".to_owned()));
        assert_eq!(expand_text("${TOKEN:-fallback}", &env), Ok("s3cret".to_owned()));
    }

    #[test]
    fn an_empty_variable_without_default_expands_to_nothing() {
        assert_eq!(expand_text("a${EMPTY}b", &env), Ok("ab".to_owned()));
    }

    #[test]
    fn double_dollar_is_a_literal_dollar() {
        assert_eq!(expand_text("costs $$5 and $${TOKEN}", &env), Ok("costs $5 and ${TOKEN}".to_owned()));
    }

    #[test]
    fn a_lone_dollar_is_kept() {
        assert_eq!(expand_text("^!price$", &env), Ok("^!price$".to_owned()));
    }

    #[test]
    fn an_unset_variable_without_default_is_named() {
        let problems = expand_text("${TOKEN}-${NOPE}", &env).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "${NOPE");
        assert!(problems[0].1.contains("`NOPE` is not set"), "{}", problems[0].1);
    }

    #[test]
    fn an_unclosed_reference_is_a_problem() {
        let problems = expand_text("${TOKEN", &env).unwrap_err();
        assert!(problems[0].1.contains("no closing `}`"), "{}", problems[0].1);
    }

    fn expand_document(yaml: &str) -> (Value, Vec<ExpandError>) {
        let mut value: Value = serde_yaml::from_str(yaml).unwrap();
        let positions = PositionIndex::scan(yaml);
        let errors = expand_values(&mut value, &YamlPath::root(), &positions, yaml, &|name| match name {
            "ID" => Some("42".to_owned()),
            "SECRET" => Some("a#b: c".to_owned()),
            _ => None,
        });
        (value, errors)
    }

    #[test]
    fn an_unquoted_reference_is_typed_by_its_value_and_a_quoted_one_stays_text() {
        let (value, _) = expand_document("plain: ${ID}\nquoted: \"${ID}\"\n");
        assert_eq!(value, serde_yaml::from_str::<Value>("plain: 42\nquoted: \"42\"\n").unwrap());
    }

    #[test]
    fn a_value_with_yaml_syntax_stays_text() {
        let (value, _) = expand_document("secret: ${SECRET}\n");
        assert_eq!(value["secret"], Value::String("a#b: c".to_owned()));
    }

    #[test]
    fn an_unset_variable_is_placed_at_its_reference_and_names_its_value() {
        let (value, errors) = expand_document("bots:\n  - token: x ${NOPE}\n");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].path, YamlPath::root().key("bots").index(0).key("token"));
        assert_eq!(errors[0].location, Location::new(2, 14));
        assert_eq!(value["bots"][0]["token"], Value::String("x ${NOPE}".to_owned()));
    }

    #[test]
    fn find_after_counts_columns_in_characters_from_the_start_location() {
        let source = "a: ${X}\nkey: \"é ${X}\"\n";
        assert_eq!(find_after(source, Location::new(2, 6), "${X"), Some(Location::new(2, 9)));
    }
}
