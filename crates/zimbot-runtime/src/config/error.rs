//! The problems found in a bots.yaml: each one says where (file, line, column, bot) and what is wrong.

use super::Location;
use std::fmt;
use std::path::PathBuf;

/// One problem in a bots.yaml.
///
/// Displays as `FILE:LINE:COL: bot 'ID': message`, leaving out the parts that are not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    /// The bots.yaml the problem is in.
    pub file: PathBuf,
    /// Where in that file, when the problem has a place.
    pub location: Option<Location>,
    /// The id of the bot whose entry holds the problem, when it is inside one.
    pub bot: Option<String>,
    /// What is wrong and, where it helps, what to do about it.
    pub message: String,
}

impl ConfigError {
    fn render(&self) -> String {
        let mut text = self.file.display().to_string();
        if let Some(location) = self.location {
            text.push_str(&format!(":{location}"));
        }
        text.push_str(": ");
        if let Some(bot) = &self.bot {
            text.push_str(&format!("bot '{bot}': "));
        }
        text.push_str(&self.message);
        text
    }
}

/// Every problem found in a bots.yaml, in file order. Displays one problem per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The problems, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (a loaded config never returns an empty list).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(location: Option<Location>, bot: Option<&str>) -> ConfigError {
        ConfigError {
            file: PathBuf::from("bots.yaml"),
            location,
            bot: bot.map(str::to_owned),
            message: "something is wrong".to_owned(),
        }
    }

    #[test]
    fn display_names_file_line_column_and_bot() {
        let text = error(Some(Location::new(3, 7)), Some("echo")).to_string();
        assert_eq!(text, "bots.yaml:3:7: bot 'echo': something is wrong");
    }

    #[test]
    fn display_leaves_out_unknown_parts() {
        assert_eq!(error(None, None).to_string(), "bots.yaml: something is wrong");
    }

    #[test]
    fn the_list_displays_one_problem_per_line() {
        let errors = ConfigErrors(vec![error(Some(Location::new(1, 1)), None), error(None, Some("a"))]);
        assert_eq!(errors.to_string(), "bots.yaml:1:1: something is wrong\nbots.yaml: bot 'a': something is wrong");
    }
}
