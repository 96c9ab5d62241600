//! `${VAR}` and `${VAR:-default}` in bots.yaml values, filled in from the environment (`$$` is a literal `$`).
//!
//! Expansion happens per scalar value after parsing, never on the raw text: a value from the environment can
//! hold `#`, `:` or quotes without changing the document's structure, and positions stay those of the file.
//! Keys are not expanded.

use super::node::{Node, NodeKind};
use super::Location;

/// A `${...}` that could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExpandError {
    pub location: Location,
    pub message: String,
}

/// Expands one value's text, or says which references could not be expanded (by the text to search for).
fn expand_text(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Vec<(String, String)>> {
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

/// Expands every scalar value in the tree (keys excepted), marking values that could not be expanded.
pub(super) fn expand_tree(node: &mut Node, source: &str, env: &dyn Fn(&str) -> Option<String>) -> Vec<ExpandError> {
    let mut errors = Vec::new();
    expand_node(node, source, env, &mut errors);
    errors
}

fn expand_node(node: &mut Node, source: &str, env: &dyn Fn(&str) -> Option<String>, errors: &mut Vec<ExpandError>) {
    let location = node.location;
    match &mut node.kind {
        NodeKind::Scalar(scalar) => {
            if !scalar.text.contains('$') {
                return;
            }
            match expand_text(&scalar.text, env) {
                Ok(expanded) => scalar.text = expanded,
                Err(problems) => {
                    scalar.unresolved = true;
                    errors.extend(problems.into_iter().map(|(needle, message)| ExpandError {
                        location: find_after(source, location, &needle).unwrap_or(location),
                        message,
                    }));
                }
            }
        }
        NodeKind::Sequence(items) => items.iter_mut().for_each(|item| expand_node(item, source, env, errors)),
        NodeKind::Mapping(entries) => {
            entries.iter_mut().for_each(|entry| expand_node(&mut entry.value, source, env, errors))
        }
    }
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

    #[test]
    fn find_after_counts_columns_in_characters_from_the_start_location() {
        let source = "a: ${X}\nkey: \"é ${X}\"\n";
        assert_eq!(find_after(source, Location::new(2, 6), "${X"), Some(Location::new(2, 9)));
    }
}
