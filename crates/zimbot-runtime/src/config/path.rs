//! Where a value sits in bots.yaml as a list of mapping keys and sequence indexes (`bots[1].listen.match`).
//!
//! The data (serde_yaml's `Value`) and the position index are both addressed by such paths, which is how a
//! problem found in the data is placed in the file.

use serde_yaml::Value;

/// One step down into a document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

/// A path from the document root; the empty path is the root itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(super) struct YamlPath(Vec<Step>);

impl YamlPath {
    /// The document root.
    pub fn root() -> Self {
        Self::default()
    }

    /// The value under mapping `key` of the value at this path.
    pub fn key(&self, key: &str) -> Self {
        self.with(Step::Key(key.to_owned()))
    }

    /// The value under each of `keys` in turn, e.g. `["zim", "backend"]`.
    pub fn keys(&self, keys: &[&str]) -> Self {
        keys.iter().fold(self.clone(), |path, key| path.key(key))
    }

    /// Item `index` of the sequence at this path.
    pub fn index(&self, index: usize) -> Self {
        self.with(Step::Index(index))
    }

    /// This path followed by `rest`.
    pub fn join(&self, rest: &YamlPath) -> Self {
        let mut path = self.clone();
        path.0.extend(rest.0.iter().cloned());
        path
    }

    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    /// The rest of this path after `prefix`, when it starts with it.
    pub fn strip_prefix(&self, prefix: &YamlPath) -> Option<Self> {
        self.0.strip_prefix(prefix.0.as_slice()).map(|rest| Self(rest.to_vec()))
    }

    /// The path one step up, or `None` at the root.
    pub fn parent(&self) -> Option<Self> {
        let (_, parent) = self.0.split_last()?;
        Some(Self(parent.to_vec()))
    }

    /// The mapping entry this path is in: the path itself or its nearest ancestor ending in a key.
    pub fn entry(&self) -> Option<(Self, &str)> {
        let position = self.0.iter().rposition(|step| matches!(step, Step::Key(_)))?;
        match &self.0[position] {
            Step::Key(key) => Some((Self(self.0[..position].to_vec()), key)),
            Step::Index(_) => None,
        }
    }

    /// The last key on the path, for naming the field a problem is in.
    pub fn last_key(&self) -> Option<&str> {
        self.entry().map(|(_, key)| key)
    }

    pub fn starts_with(&self, prefix: &YamlPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The value at this path inside `value` (which is the root of the path).
    pub fn find_mut<'v>(&self, mut value: &'v mut Value) -> Option<&'v mut Value> {
        for step in &self.0 {
            while let Value::Tagged(tagged) = value {
                value = &mut tagged.value;
            }
            value = match (step, value) {
                (Step::Index(index), Value::Sequence(items)) => items.get_mut(*index)?,
                (Step::Key(key), Value::Mapping(entries)) => entries
                    .iter_mut()
                    .find(|(candidate, _)| scalar_text(candidate).as_deref() == Some(key.as_str()))
                    .map(|(_, value)| value)?,
                _ => return None,
            };
        }
        Some(value)
    }

    /// Takes the mapping entry this path ends in (`…key`) out of `value`; whether there was one.
    pub fn remove_from(&self, value: &mut Value) -> bool {
        let (Some(parent), Some(Step::Key(key))) = (self.parent(), self.0.last()) else {
            return false;
        };
        match parent.find_mut(value) {
            Some(Value::Mapping(entries)) => {
                let before = entries.len();
                entries.retain(|candidate, _| scalar_text(candidate).as_deref() != Some(key.as_str()));
                entries.len() < before
            }
            _ => false,
        }
    }

    fn with(&self, step: Step) -> Self {
        let mut path = self.clone();
        path.0.push(step);
        path
    }
}

/// The text of a scalar key or value as written (`10001` for a number), `None` for anything else.
pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => None,
    }
}

impl From<&serde_path_to_error::Path> for YamlPath {
    /// serde's view of the path; enum variants and keys that are not strings are left out.
    fn from(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment;
        Self(
            path.iter()
                .filter_map(|segment| match segment {
                    Segment::Seq { index } => Some(Step::Index(*index)),
                    Segment::Map { key } => Some(Step::Key(key.clone())),
                    Segment::Enum { .. } | Segment::Unknown => None,
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_of_a_list_item_is_the_list_key() {
        let path = YamlPath::root().keys(&["listen", "rooms"]).index(2);
        assert_eq!(path.entry(), Some((YamlPath::root().key("listen"), "rooms")));
    }

    #[test]
    fn an_entry_is_found_and_removed_by_path() {
        let mut value: Value = serde_yaml::from_str("bots:\n  - id: a\n    10: x\n").unwrap();
        let bot = YamlPath::root().key("bots").index(0);
        assert_eq!(bot.key("id").find_mut(&mut value), Some(&mut Value::String("a".to_owned())));
        assert!(bot.key("10").remove_from(&mut value));
        assert!(!bot.key("10").remove_from(&mut value));
        assert_eq!(value, serde_yaml::from_str::<Value>("bots: [{id: a}]").unwrap());
    }

    #[test]
    fn the_root_and_a_top_level_item_are_in_no_entry() {
        assert_eq!(YamlPath::root().entry(), None);
        assert_eq!(YamlPath::root().index(0).entry(), None);
    }
}
