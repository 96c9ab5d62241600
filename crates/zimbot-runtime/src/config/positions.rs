//! Where each value (and each mapping key) of bots.yaml starts in the original text, by path.
//!
//! serde_yaml reads the data but its `Value` keeps no positions, and errors from `from_value` carry none.
//! So the same text is also scanned with yaml-rust2's event parser, whose events carry markers, and only
//! the positions are kept: a map from [`YamlPath`] to line and column, plus whether a scalar was written
//! plain (unquoted), which decides how an expanded `${VAR}` is typed.

use super::path::YamlPath;
use super::Location;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Where one value starts, and its key's position when it is a mapping value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Position {
    value: Location,
    key: Option<Location>,
    plain: bool,
}

/// Path → position for every value of the first document.
#[derive(Debug, Default)]
pub(super) struct PositionIndex {
    positions: HashMap<YamlPath, Position>,
    /// The text of each short plain scalar as written, for values that must stay text (secrets).
    plain_texts: HashMap<YamlPath, String>,
}

/// Longest plain scalar whose text is kept; secrets are far shorter.
const MAX_KEPT_TEXT: usize = 1024;

impl PositionIndex {
    /// Scans `text`. Text serde_yaml accepted but this scanner does not gives an index that places every
    /// problem at the start of the file, rather than no report at all.
    pub fn scan(text: &str) -> Self {
        let mut builder = IndexBuilder::default();
        match Parser::new_from_str(text).load(&mut builder, false) {
            Ok(()) => builder.index,
            Err(_) => Self::default(),
        }
    }

    /// Where the value at `path` starts, or the deepest part of the path that exists.
    pub fn value(&self, path: &YamlPath) -> Location {
        let mut path = path.clone();
        loop {
            if let Some(position) = self.positions.get(&path) {
                return position.value;
            }
            match path.parent() {
                Some(parent) => path = parent,
                None => return Location::START,
            }
        }
    }

    /// Where the key of the mapping entry at `path` starts (the value's place when there is no key).
    pub fn key(&self, path: &YamlPath) -> Location {
        match self.positions.get(path).and_then(|position| position.key) {
            Some(key) => key,
            None => self.value(path),
        }
    }

    /// The text of the plain (unquoted) scalar at `path` exactly as written, e.g. `1e3` rather than 1000.
    pub fn plain_text(&self, path: &YamlPath) -> Option<&str> {
        self.plain_texts.get(path).map(String::as_str)
    }

    /// Whether the scalar at `path` was written without quotes (and so its type follows from its text).
    pub fn is_plain(&self, path: &YamlPath) -> bool {
        self.positions.get(path).is_some_and(|position| position.plain)
    }
}

/// A collection the scanner is inside of.
enum Frame {
    Sequence {
        path: YamlPath,
        next: usize,
    },
    /// `key` is the pending key (its text and place) until its value arrives.
    Mapping {
        path: YamlPath,
        key: Option<(String, Location)>,
        first_key: Option<Location>,
    },
    /// A collection used as a mapping key (`? [a, b]: x`): not a place a value can be looked up.
    Skipped,
}

/// Receives the parser's events and records a position per path; an alias copies its anchor's positions.
#[derive(Default)]
struct IndexBuilder {
    index: PositionIndex,
    stack: Vec<Frame>,
    anchors: HashMap<usize, YamlPath>,
    done: bool,
}

impl IndexBuilder {
    /// The path and key position of the node that starts now, or `None` if it is (inside) a mapping key.
    fn place(&mut self, text: Option<&str>, location: Location) -> Option<(YamlPath, Option<Location>)> {
        match self.stack.last_mut() {
            None => Some((YamlPath::root(), None)),
            Some(Frame::Skipped) => None,
            Some(Frame::Sequence { path, next }) => {
                *next += 1;
                Some((path.index(*next - 1), None))
            }
            Some(Frame::Mapping { path, key, first_key }) => match key.take() {
                Some((key, key_location)) => Some((path.key(&key), Some(key_location))),
                None => {
                    first_key.get_or_insert(location);
                    *key = Some((text.unwrap_or_default().to_owned(), location));
                    None
                }
            },
        }
    }

    fn record(&mut self, path: &YamlPath, value: Location, key: Option<Location>, plain: bool) {
        self.index.positions.entry(path.clone()).or_insert(Position { value, key, plain });
    }

    fn copy_anchor(&mut self, anchor: usize, to: &YamlPath, key: Option<Location>) {
        let Some(from) = self.anchors.get(&anchor) else {
            return;
        };
        let copies: Vec<_> = self
            .index
            .positions
            .iter()
            .filter_map(|(path, position)| Some((to.join(&path.strip_prefix(from)?), *position)))
            .collect();
        for (path, mut position) in copies {
            if path == *to {
                position.key = key;
            }
            self.index.positions.entry(path).or_insert(position);
        }
    }
}

impl MarkedEventReceiver for IndexBuilder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        if self.done {
            return;
        }
        let location = Location::from_marker(&marker);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                if let Some((path, key)) = self.place(Some(&text), location) {
                    // An empty value (`name:`) is marked at the next token, often a later line: use its key.
                    let value = match key {
                        Some(key) if text.is_empty() => key,
                        _ => location,
                    };
                    let plain = matches!(style, TScalarStyle::Plain);
                    if plain && text.len() <= MAX_KEPT_TEXT {
                        self.index.plain_texts.entry(path.clone()).or_insert(text);
                    }
                    self.record(&path, value, key, plain);
                    if anchor > 0 {
                        self.anchors.insert(anchor, path);
                    }
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let Some((path, key)) = self.place(None, location) else {
                    self.stack.push(Frame::Skipped);
                    return;
                };
                self.record(&path, location, key, false);
                if anchor > 0 {
                    self.anchors.insert(anchor, path.clone());
                }
                self.stack.push(match event {
                    Event::SequenceStart(..) => Frame::Sequence { path, next: 0 },
                    _ => Frame::Mapping { path, key: None, first_key: None },
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(Frame::Mapping { path, first_key: Some(first_key), .. }) = self.stack.pop() {
                    // A block mapping's start is marked after its first key; the first key is where it begins.
                    if let Some(position) = self.index.positions.get_mut(&path) {
                        position.value = position.value.min(first_key);
                    }
                }
                self.done = self.stack.is_empty();
            }
            Event::Alias(anchor) => {
                if let Some((path, key)) = self.place(None, location) {
                    self.copy_anchor(anchor, &path, key);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(keys: &[&str]) -> YamlPath {
        YamlPath::root().keys(keys)
    }

    #[test]
    fn values_and_keys_are_found_by_path() {
        let index = PositionIndex::scan("zim:\n  app_id: 12\nbots:\n  - id: echo\n");
        assert_eq!(index.value(&at(&["zim", "app_id"])), Location::new(2, 11));
        assert_eq!(index.key(&at(&["zim", "app_id"])), Location::new(2, 3));
        assert_eq!(index.value(&at(&["bots"]).index(0)), Location::new(4, 5));
    }

    #[test]
    fn a_missing_path_falls_back_to_its_deepest_existing_part() {
        let index = PositionIndex::scan("zim:\n  app_id: 12\n");
        assert_eq!(index.value(&at(&["zim", "hub", "listen"])), Location::new(2, 3));
    }

    #[test]
    fn an_empty_value_points_at_its_key() {
        let index = PositionIndex::scan("a:\nb: 1\n");
        assert_eq!(index.value(&at(&["a"])), Location::new(1, 1));
    }

    #[test]
    fn an_alias_has_the_positions_of_its_anchor() {
        let index = PositionIndex::scan("a: &shared [x]\nb: *shared\n");
        assert_eq!(index.value(&at(&["b"]).index(0)), Location::new(1, 13));
    }

    #[test]
    fn a_plain_scalar_keeps_its_text_as_written() {
        let index = PositionIndex::scan("a: 1e3\nb: 0x1F\nc: \"q\"\n");
        assert_eq!(index.plain_text(&at(&["a"])), Some("1e3"));
        assert_eq!(index.plain_text(&at(&["b"])), Some("0x1F"));
        assert_eq!(index.plain_text(&at(&["c"])), None);
    }

    #[test]
    fn plain_and_quoted_scalars_are_told_apart() {
        let index = PositionIndex::scan("a: 1\nb: \"1\"\n");
        assert!(index.is_plain(&at(&["a"])));
        assert!(!index.is_plain(&at(&["b"])));
    }
}
