//! The YAML document as a tree that remembers where each node starts in the original text.
//!
//! serde_yaml's `Value` forgets positions and stops at the first problem, so the document is read with
//! yaml-rust2's event parser (which reports a marker per event) into this small tree. Everything else —
//! `${VAR}` expansion, typed deserialization, semantic checks — works on it and can point back into the file.

use super::Location;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub location: Location,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum NodeKind {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// A scalar's text and how it was written.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scalar {
    pub text: String,
    /// Unquoted: its type (null, bool, number, string) follows from its text when the target does not say.
    pub plain: bool,
    /// A `${VAR}` in it had no value; the problem is already reported, so uses of it stay quiet.
    pub unresolved: bool,
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    pub key: Node,
    pub value: Node,
    /// Left out of deserialization after it caused a problem, so later problems can still be found.
    pub hidden: bool,
}

/// Malformed YAML: where and what the parser said.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub location: Location,
    pub message: String,
}

impl Node {
    /// Parses the first document of `text`. An empty document is an empty mapping.
    pub fn parse(text: &str) -> Result<Node, SyntaxError> {
        let mut builder = TreeBuilder::default();
        let mut parser = Parser::new_from_str(text);
        parser.load(&mut builder, false).map_err(|error| SyntaxError {
            location: Location::from_marker(error.marker()),
            message: error.info().to_owned(),
        })?;
        Ok(builder.root.unwrap_or(Node { location: Location::START, kind: NodeKind::Mapping(Vec::new()) }))
    }

    /// The value under `key` when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Mapping(entries) => {
                entries.iter().find(|entry| entry.key.as_text() == Some(key)).map(|e| &e.value)
            }
            _ => None,
        }
    }

    /// The items when this is a sequence.
    pub fn items(&self) -> &[Node] {
        match &self.kind {
            NodeKind::Sequence(items) => items,
            _ => &[],
        }
    }

    /// The text when this is a scalar.
    pub fn as_text(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(&scalar.text),
            _ => None,
        }
    }

    /// Where the value at `path` (mapping keys) starts, or the deepest part of the path that exists.
    pub fn locate(&self, path: &[&str]) -> Location {
        let mut node = self;
        for key in path {
            match node.get(key) {
                Some(child) => node = child,
                None => break,
            }
        }
        node.location
    }

    /// The node at `path` of child indexes (entry index in a mapping, item index in a sequence).
    pub fn at_path_mut(&mut self, path: &[usize]) -> Option<&mut Node> {
        let Some((first, rest)) = path.split_first() else {
            return Some(self);
        };
        let child = match &mut self.kind {
            NodeKind::Mapping(entries) => &mut entries.get_mut(*first)?.value,
            NodeKind::Sequence(items) => items.get_mut(*first)?,
            NodeKind::Scalar(_) => return None,
        };
        child.at_path_mut(rest)
    }

    /// Hides the mapping entry at `path` (the last index is the entry's) and returns its key's text.
    pub fn hide_entry(&mut self, path: &[usize]) -> Option<String> {
        let (last, parent) = path.split_last()?;
        match &mut self.at_path_mut(parent)?.kind {
            NodeKind::Mapping(entries) => {
                let entry = entries.get_mut(*last)?;
                entry.hidden = true;
                Some(entry.key.as_text().unwrap_or_default().to_owned())
            }
            _ => None,
        }
    }
}

/// Open collections while the parser is inside them.
enum Frame {
    Sequence { location: Location, anchor: usize, items: Vec<Node> },
    Mapping { location: Location, anchor: usize, entries: Vec<Entry>, key: Option<Node> },
}

/// Receives the parser's events and assembles the tree; aliases are copies of their anchored node.
#[derive(Default)]
struct TreeBuilder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
}

impl TreeBuilder {
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(key) => {
                    let mut value = node;
                    // The parser places an empty value (`name:`) at the next token, often on a later line.
                    if value.as_text() == Some("") {
                        value.location = key.location;
                    }
                    entries.push(Entry { key, value, hidden: false });
                }
            },
        }
    }
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        let location = Location::from_marker(&marker);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let scalar = Scalar { text, plain: matches!(style, TScalarStyle::Plain), unresolved: false };
                self.finish(Node { location, kind: NodeKind::Scalar(scalar) }, anchor);
            }
            Event::SequenceStart(anchor, _tag) => {
                self.stack.push(Frame::Sequence { location, anchor, items: Vec::new() });
            }
            Event::MappingStart(anchor, _tag) => {
                self.stack.push(Frame::Mapping { location, anchor, entries: Vec::new(), key: None });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Sequence { location, anchor, items }) => {
                        (Node { location, kind: NodeKind::Sequence(items) }, anchor)
                    }
                    Some(Frame::Mapping { location, anchor, entries, .. }) => {
                        // A block mapping's start event is marked after its first key; the key is where it begins.
                        let location = entries.first().map_or(location, |entry| entry.key.location.min(location));
                        (Node { location, kind: NodeKind::Mapping(entries) }, anchor)
                    }
                    None => return,
                };
                self.finish(node, anchor);
            }
            Event::Alias(anchor) => {
                if let Some(node) = self.anchors.get(&anchor).cloned() {
                    self.finish(node, 0);
                }
            }
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_remember_their_line_and_column() {
        let root = Node::parse("zim:\n  app_id: 12\nbots:\n  - id: echo\n").unwrap();
        assert_eq!(root.get("zim").unwrap().get("app_id").unwrap().location, Location::new(2, 11));
        let bot = &root.get("bots").unwrap().items()[0];
        assert_eq!(bot.location, Location::new(4, 5));
    }

    #[test]
    fn an_empty_value_points_at_its_key() {
        let root = Node::parse("a:\nb: 1\n").unwrap();
        assert_eq!(root.get("a").unwrap().location, Location::new(1, 1));
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        let root = Node::parse("a: &shared [x]\nb: *shared\n").unwrap();
        assert_eq!(root.get("b").unwrap().items()[0].as_text(), Some("x"));
    }

    #[test]
    fn malformed_yaml_reports_where_the_parser_stopped() {
        let error = Node::parse("a: [b\n").unwrap_err();
        assert_eq!(error.location, Location::new(2, 1));
        assert!(error.message.contains("expected ',' or ']'"), "{}", error.message);
    }

    #[test]
    fn an_empty_document_is_an_empty_mapping() {
        assert_eq!(Node::parse("").unwrap().kind, NodeKind::Mapping(Vec::new()));
    }
}
