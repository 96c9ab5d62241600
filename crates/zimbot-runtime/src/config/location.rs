//! A position in bots.yaml, as people and editors count it.

use std::fmt;

/// A 1-based line and column (columns count characters, not bytes) in the original bots.yaml text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The first character of the file.
    pub const START: Location = Location { line: 1, column: 1 };

    /// A location from 1-based line and column numbers.
    pub fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }

    /// Converts a parser marker (1-based line, 0-based column) into a location.
    pub(super) fn from_marker(marker: &yaml_rust2::scanner::Marker) -> Self {
        Self { line: marker.line().max(1), column: marker.col() + 1 }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}
