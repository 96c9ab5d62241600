//! Finding every problem in one part of bots.yaml, not just the first one serde stops at.
//!
//! The part is read with serde_yaml (`from_value`) through `serde_path_to_error`, which says at which path
//! the problem is; the position index turns that path into a line and column. serde gives up at the first
//! problem, so the mapping entry it was in is taken out of the value and the part is read again: the next
//! run gets past it (a default applies, or the field is reported missing once) and finds the next problem.
//! Each run takes out one more entry, so this ends.

use super::path::YamlPath;
use super::positions::PositionIndex;
use super::wording::describe;
use super::Location;
use serde::de::DeserializeOwned;
use serde_yaml::Value;

/// One problem in the part being read: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    pub location: Location,
    pub message: String,
}

/// Reads `value`, the part of the document at `at`, as `T`. Returns the value when it could be built and
/// every problem found on the way. Problems at or under a path in `quiet` (entries already taken out
/// because their problem is reported elsewhere) are not reported again.
pub(super) fn deserialize_all<T: DeserializeOwned>(
    value: &Value,
    at: &YamlPath,
    positions: &PositionIndex,
    quiet: &[YamlPath],
) -> (Option<T>, Vec<Problem>) {
    let mut value = value.clone();
    let mut quiet: Vec<YamlPath> = quiet.iter().filter(|path| path.starts_with(at)).cloned().collect();
    let mut problems = Vec::new();
    loop {
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(read) => return (Some(read), problems),
            Err(error) => error,
        };
        let path = at.join(&YamlPath::from(error.path()));
        let message = error.inner().to_string();
        // serde's "missing field" is raised at the mapping that lacks it.
        let missing = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`'));
        let concerns = match missing {
            Some(field) => path.key(field),
            None => path.clone(),
        };
        if !quiet.iter().any(|quiet| concerns.starts_with(quiet)) {
            problems.push(match missing {
                Some(_) => Problem { location: positions.value(&path), message },
                None if message.starts_with("unknown field `") => {
                    Problem { location: positions.key(&path), message: describe(&message, None) }
                }
                None => {
                    // Name the key only inside the part: a bot that is not a mapping is not "`bots`: ...".
                    let key = path.strip_prefix(at).and_then(|inside| inside.last_key().map(str::to_owned));
                    Problem { location: positions.value(&path), message: describe(&message, key.as_deref()) }
                }
            });
        }
        // Take out the entry the problem is in (for a missing field, the entry holding the mapping).
        let Some((mapping, key)) = path.entry() else {
            return (None, problems);
        };
        let entry = mapping.key(key);
        let Some(relative) = entry.strip_prefix(at) else {
            return (None, problems);
        };
        if !relative.remove_from(&mut value) {
            return (None, problems);
        }
        quiet.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: String,
        #[serde(default)]
        count: u32,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        size: u8,
    }

    fn read_quietly(text: &str, quiet: &[YamlPath]) -> (Option<Sample>, Vec<(Location, String)>) {
        let value: Value = serde_yaml::from_str(text).unwrap();
        let positions = PositionIndex::scan(text);
        let (read, problems) = deserialize_all::<Sample>(&value, &YamlPath::root(), &positions, quiet);
        (read, problems.into_iter().map(|problem| (problem.location, problem.message)).collect())
    }

    fn read(text: &str) -> (Option<Sample>, Vec<(Location, String)>) {
        read_quietly(text, &[])
    }

    #[test]
    fn every_unknown_field_is_reported_and_the_rest_still_reads() {
        let (value, problems) = read("nmae: x\nname: y\ncuont: 3\n");
        assert_eq!(value, Some(Sample { name: "y".to_owned(), count: 0, inner: None }));
        assert_eq!(
            problems,
            vec![
                (Location::new(1, 1), "unknown field `nmae`, did you mean `name`?".to_owned()),
                (Location::new(3, 1), "unknown field `cuont`, did you mean `count`?".to_owned()),
            ]
        );
    }

    #[test]
    fn a_wrong_type_is_reported_at_the_value_with_its_key() {
        let (_, problems) = read("name: y\ncount: lots\n");
        assert_eq!(
            problems,
            vec![(Location::new(2, 8), "`count`: invalid type: string \"lots\", expected u32".to_owned())]
        );
    }

    #[test]
    fn a_bad_required_field_is_reported_once_not_again_as_missing() {
        let (value, problems) = read("name: [a]\n");
        assert_eq!(value, None);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].1.contains("invalid type: sequence"), "{problems:?}");
    }

    #[test]
    fn a_problem_deep_inside_is_located_there() {
        let (_, problems) = read("name: y\ninner:\n  size: 300\n");
        assert_eq!(
            problems,
            vec![(Location::new(3, 9), "`size`: invalid value: integer `300`, expected u8".to_owned())]
        );
    }

    #[test]
    fn a_missing_field_points_at_the_mapping() {
        let (_, problems) = read("count: 1\n");
        assert_eq!(problems, vec![(Location::new(1, 1), "missing field `name`".to_owned())]);
    }

    #[test]
    fn a_missing_field_inside_is_reported_and_the_rest_still_reads() {
        let (value, problems) = read("inner: {}\nname: y\ncount: -1\n");
        assert_eq!(value, Some(Sample { name: "y".to_owned(), count: 0, inner: None }));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0], (Location::new(1, 8), "missing field `size`".to_owned()));
        assert_eq!(problems[1].0, Location::new(3, 8));
    }

    #[test]
    fn an_entry_taken_out_beforehand_is_not_reported_missing() {
        let (value, problems) = read_quietly("count: 1\n", &[YamlPath::root().key("name")]);
        assert_eq!((value, problems), (None, vec![]));
    }
}
