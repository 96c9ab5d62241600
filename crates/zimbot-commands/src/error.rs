//! What is wrong with a command, in words a person in the chat can act on.

/// Why a `!command` could not be read. The message names the command, the argument and the usage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("unknown command !{name}; send !help for the commands")]
    Unknown { name: String },
    #[error("!{command}: {argument} is missing; usage: {usage}")]
    Missing { command: &'static str, argument: &'static str, usage: &'static str },
    #[error("!{command}: {argument} must be a {expected}, not {given:?} ({reason}); usage: {usage}")]
    Invalid {
        command: &'static str,
        argument: &'static str,
        expected: &'static str,
        given: String,
        reason: String,
        usage: &'static str,
    },
    #[error("!{command}: too many arguments, from {first_extra:?} on; usage: {usage}")]
    TooMany { command: &'static str, first_extra: String, usage: &'static str },
    #[error("a quote opened at character {at} is never closed")]
    UnclosedQuote { at: usize },
}
