//! A bots.yaml text read twice: by serde_yaml for the data, and by the position scanner for where each
//! value is, both addressed by the same paths.

use super::positions::PositionIndex;
use super::Location;
use serde_yaml::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Largest bots.yaml read, in bytes: far above any real one, and small enough to parse in a blink.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;
/// Deepest nesting of lists and mappings accepted: a real bots.yaml nests about six levels.
pub const MAX_NESTING: usize = 64;

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
        if text.len() > MAX_CONFIG_BYTES {
            return Err(SyntaxError {
                location: None,
                message: format!(
                    "the file is {} bytes; a bots.yaml may have at most {MAX_CONFIG_BYTES} bytes",
                    text.len()
                ),
            });
        }
        check_nesting(text)?;
        let value = serde_yaml::from_str::<Value>(text).map_err(|error| {
            let location = error.location().map(|at| Location::new(at.line(), at.column()));
            let message = without_location(&error.to_string(), location);
            SyntaxError { location: location.map(|location| within(text, location)), message }
        })?;
        let value = match value {
            Value::Null => Value::Mapping(Default::default()),
            value => value,
        };
        Ok(Self { value, positions: PositionIndex::scan(text) })
    }
}

/// Refuses nesting deeper than [`MAX_NESTING`] before the document is read into values, which would take time
/// growing with the square of the depth. Flow collections (`[[[...`) are counted first by a plain scan of the
/// text, since even the event parser slows down with their depth; then one pass of the event parser, which keeps
/// no values, counts block nesting.
fn check_nesting(text: &str) -> Result<(), SyntaxError> {
    if let Some(location) = too_deep_flow(text) {
        return Err(too_deep(location));
    }
    #[derive(Default)]
    struct Depth {
        depth: usize,
        too_deep: Option<Marker>,
    }
    impl MarkedEventReceiver for Depth {
        fn on_event(&mut self, event: Event, marker: Marker) {
            match event {
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    self.depth += 1;
                    if self.depth > MAX_NESTING && self.too_deep.is_none() {
                        self.too_deep = Some(marker);
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    let mut depth = Depth::default();
    // Syntax errors are left to serde_yaml, which reports them with its own wording.
    let _ = Parser::new_from_str(text).load(&mut depth, false);
    match depth.too_deep {
        Some(marker) => Err(too_deep(Location::from_marker(&marker))),
        None => Ok(()),
    }
}

fn too_deep(location: Location) -> SyntaxError {
    SyntaxError {
        location: Some(location),
        message: format!("lists and mappings are nested more than {MAX_NESTING} levels deep here"),
    }
}

/// Where `[` or `{` first opens a flow collection deeper than [`MAX_NESTING`], skipping quoted text and comments.
fn too_deep_flow(text: &str) -> Option<Location> {
    let (mut line, mut column, mut depth) = (1, 0, 0usize);
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\n';
    let mut chars = text.chars().peekable();
    while let Some(character) = chars.next() {
        column += 1;
        match (quote, character) {
            (_, '\n') => {
                line += 1;
                column = 0;
                comment = false;
            }
            _ if comment => {}
            // An escape in a double-quoted string: the next character is text.
            (Some('"'), '\\') if chars.next_if(|next| *next != '\n').is_some() => column += 1,
            (Some(open), close) if close == open => quote = None,
            (Some(_), _) => {}
            // A quote opens quoted text only where a scalar can start (`it's` is plain text).
            (None, '"' | '\'') if previous.is_whitespace() || "[{,:-".contains(previous) => quote = Some(character),
            (None, '#') if previous.is_whitespace() => comment = true,
            (None, '[' | '{') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(Location::new(line, column));
                }
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = character;
    }
    None
}

/// `location`, or the end of the text when it lies past it: the parsers place a problem at the end of a file
/// that lacks its last line break (an unclosed mapping, an empty last list item) on the line after it.
pub(super) fn within(text: &str, location: Location) -> Location {
    let breaks = text.replace("\r\n", "\n").chars().filter(|c| matches!(c, '\n' | '\r')).count();
    if location.line <= breaks + 1 {
        return location;
    }
    let last_line = text.rsplit(['\n', '\r']).next().unwrap_or_default();
    Location::new(breaks + 1, last_line.chars().count() + 1)
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
    fn brackets_in_quotes_comments_and_words_do_not_count_as_nesting() {
        let deep = "[".repeat(MAX_NESTING + 1);
        let text = format!("a: \"{deep}\"\nb: '{deep}'\n# {deep}\nc: it's [x]\nd: [\"\\\"{deep}\"]\n");
        assert!(Document::parse(&text).is_ok());
    }

    #[test]
    fn flow_nesting_past_the_cap_is_placed_at_the_first_bracket_too_deep() {
        let text = format!("bots: []\nx: {}\n", "[".repeat(MAX_NESTING + 1));
        let Err(error) = Document::parse(&text) else { panic!("accepted") };
        assert_eq!(error.location, Some(Location::new(2, 4 + MAX_NESTING)));
    }

    #[test]
    fn a_place_past_the_end_of_the_text_is_moved_to_its_end() {
        assert_eq!(within("a: 1\n  -", Location::new(3, 1)), Location::new(2, 4));
        assert_eq!(within("a: 1\n", Location::new(2, 1)), Location::new(2, 1));
    }

    #[test]
    fn an_empty_document_is_an_empty_mapping() {
        let document = Document::parse("# nothing yet\n").unwrap();
        assert_eq!(document.value, Value::Mapping(Default::default()));
    }
}
