//! What a failed deserialization of a bots.yaml node says, and where in the tree it happened.

use super::suggest::closest;
use super::Location;
use std::fmt;

/// A deserialization problem, located as it bubbles up: the innermost node sets the location, the
/// innermost mapping entry sets `entry` (so the caller can hide that entry and look for further problems).
/// Boxed: it travels through every deserializer call, so the happy path should not carry its size.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DeError(Box<Details>);

/// What a [`DeError`] knows.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Details {
    pub message: String,
    pub location: Option<Location>,
    /// Child-index path of the mapping entry the problem is in.
    pub entry: Option<Vec<usize>>,
    /// The key whose value had the problem, for the message.
    pub field: Option<String>,
    /// Set for "missing field": the field's name and the path of the mapping that lacks it.
    pub missing: Option<(String, Vec<usize>)>,
    /// Caused by something already reported (an unexpanded `${VAR}`): recover, but do not report again.
    pub already_reported: bool,
}

impl std::ops::Deref for DeError {
    type Target = Details;

    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for DeError {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl DeError {
    fn new(message: String) -> Self {
        Self(Box::new(Details {
            message,
            location: None,
            entry: None,
            field: None,
            missing: None,
            already_reported: false,
        }))
    }

    /// A problem caused by a value whose `${VAR}` could not be expanded.
    pub fn already_reported() -> Self {
        let mut error = Self::new("a `${...}` in this value has no value".to_owned());
        error.already_reported = true;
        error
    }

    /// Sets the location unless an inner node already did.
    pub fn at(mut self, location: Location) -> Self {
        self.location.get_or_insert(location);
        self
    }

    /// Records the mapping entry (and its key) the problem is in, unless an inner entry already did.
    pub fn in_entry(mut self, path: &[usize], key: Option<&str>) -> Self {
        if self.entry.is_none() {
            self.entry = Some(path.to_vec());
            self.field = key.map(str::to_owned);
        }
        self
    }

    /// Records the mapping a "missing field" problem belongs to.
    pub fn in_mapping(mut self, path: &[usize]) -> Self {
        if let Some((_, mapping)) = &mut self.missing {
            if mapping.is_empty() && !path.is_empty() {
                *mapping = path.to_vec();
            }
        }
        self
    }

    /// The message as the user reads it: the key it concerns, then what is wrong.
    pub fn describe(&self) -> String {
        match &self.field {
            // Messages that already name a key (unknown, duplicate or missing field) stand as they are.
            Some(field) if !self.message.contains(" field `") => {
                format!("`{field}`: {}", self.message)
            }
            _ => self.message.clone(),
        }
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl std::error::Error for DeError {}

fn one_of(expected: &'static [&'static str]) -> String {
    expected.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
}

impl serde::de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(match closest(field, expected.iter().copied()) {
            Some(suggestion) => format!("unknown field `{field}`, did you mean `{suggestion}`?"),
            None if expected.is_empty() => format!("unknown field `{field}`; this mapping takes no fields"),
            None => format!("unknown field `{field}`; expected one of {}", one_of(expected)),
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::new(match closest(variant, expected.iter().copied()) {
            Some(suggestion) => format!("unknown value `{variant}`, did you mean `{suggestion}`?"),
            None => format!("unknown value `{variant}`; expected one of {}", one_of(expected)),
        })
    }

    fn missing_field(field: &'static str) -> Self {
        let mut error = Self::new(format!("missing field `{field}`"));
        error.missing = Some((field.to_owned(), Vec::new()));
        error
    }
}
