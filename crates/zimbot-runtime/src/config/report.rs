//! Collects the problems found while loading one bots.yaml, each with its place and bot.

use super::{ConfigError, ConfigErrors, Location};
use std::path::Path;

/// The problems found so far in one file.
pub(super) struct Report<'a> {
    file: &'a Path,
    errors: Vec<ConfigError>,
}

impl<'a> Report<'a> {
    pub fn new(file: &'a Path) -> Self {
        Self { file, errors: Vec::new() }
    }

    /// Records a problem at `location`, inside the entry of `bot` when given.
    pub fn add(&mut self, location: Location, bot: Option<&str>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.to_path_buf(),
            location: Some(location),
            bot: bot.map(str::to_owned),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The problems in file order (a problem is listed once even if found twice).
    pub fn finish(mut self) -> ConfigErrors {
        self.errors.sort_by_key(|error| error.location);
        self.errors.dedup();
        ConfigErrors(self.errors)
    }
}
