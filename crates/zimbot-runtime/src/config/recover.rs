//! Finding every problem in one piece of bots.yaml, not just the first one serde stops at.
//!
//! serde gives up at the first problem. So after each problem the mapping entry it was in is hidden and the
//! piece is read again: the next run gets past it (a default applies, or the field is reported missing once)
//! and finds the next problem. Each run hides one more entry, so this ends.

use super::de::NodeDeserializer;
use super::de_error::DeError;
use super::node::Node;
use serde::de::DeserializeOwned;

/// Deserializes `node` as `T`, returning the value when it could be built and every problem found on the way.
pub(super) fn deserialize_all<T: DeserializeOwned>(node: &Node) -> (Option<T>, Vec<DeError>) {
    let mut node = node.clone();
    let mut problems = Vec::new();
    // (mapping path, key) of hidden entries: their "missing field" is a consequence, not a new problem.
    let mut hidden: Vec<(Vec<usize>, String)> = Vec::new();
    loop {
        let problem = match T::deserialize(NodeDeserializer::root(&node)) {
            Ok(value) => return (Some(value), problems),
            Err(problem) => problem,
        };
        let consequence = problem.missing.as_ref().is_some_and(|(field, mapping)| {
            hidden.iter().any(|(hidden_mapping, key)| hidden_mapping == mapping && key == field)
        });
        let entry = problem.entry.clone();
        if !consequence && !problem.already_reported {
            problems.push(problem);
        }
        let Some(entry) = entry else {
            return (None, problems);
        };
        let Some(key) = node.hide_entry(&entry) else {
            return (None, problems);
        };
        hidden.push((entry[..entry.len() - 1].to_vec(), key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Location;
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

    fn read(text: &str) -> (Option<Sample>, Vec<(Location, String)>) {
        let (value, problems) = deserialize_all::<Sample>(&Node::parse(text).unwrap());
        let problems = problems.into_iter().map(|p| (p.location.unwrap(), p.describe())).collect();
        (value, problems)
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
    fn a_duplicate_key_points_at_the_second() {
        let (_, problems) = read("name: a\nname: b\n");
        assert_eq!(problems, vec![(Location::new(2, 1), "duplicate field `name`".to_owned())]);
    }
}
