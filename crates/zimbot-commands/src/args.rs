//! A command's argument words as the derived parser takes them, one typed argument at a time.

use crate::{CommandError, CommandInfo};
use std::collections::VecDeque;
use std::fmt::Display;
use std::str::FromStr;

/// The words after a command's name; the derived `from_words` takes them in field order.
#[derive(Debug)]
pub struct Args {
    info: &'static CommandInfo,
    words: VecDeque<String>,
}

impl Args {
    /// The `words` of command `info`.
    pub fn new(info: &'static CommandInfo, words: Vec<String>) -> Self {
        Self { info, words: words.into() }
    }

    /// The next word as `T`; `argument` and `expected` name it in the error.
    pub fn required<T: FromStr>(&mut self, argument: &'static str, expected: &'static str) -> Result<T, CommandError>
    where
        T::Err: Display,
    {
        let info = self.info;
        let word =
            self.words.pop_front().ok_or(CommandError::Missing { command: info.name, argument, usage: info.usage })?;
        read(info, argument, expected, word)
    }

    /// The next word as `T`, or `None` when no word is left.
    pub fn optional<T: FromStr>(
        &mut self,
        argument: &'static str,
        expected: &'static str,
    ) -> Result<Option<T>, CommandError>
    where
        T::Err: Display,
    {
        let info = self.info;
        self.words.pop_front().map(|word| read(info, argument, expected, word)).transpose()
    }

    /// Refuses words left over.
    pub fn finish(mut self) -> Result<(), CommandError> {
        match self.words.pop_front() {
            None => Ok(()),
            Some(first_extra) => {
                Err(CommandError::TooMany { command: self.info.name, first_extra, usage: self.info.usage })
            }
        }
    }
}

fn read<T: FromStr>(
    info: &'static CommandInfo,
    argument: &'static str,
    expected: &'static str,
    word: String,
) -> Result<T, CommandError>
where
    T::Err: Display,
{
    word.parse().map_err(|error: T::Err| CommandError::Invalid {
        command: info.name,
        argument,
        expected,
        reason: error.to_string(),
        given: word,
        usage: info.usage,
    })
}
