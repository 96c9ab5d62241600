//! Chat commands for zimbot plugins: `#[derive(BotCommands)]` turns an enum into a parser of `!name args`.
//!
//! Each variant is one command, named by its variant name in lower case with `-` between words (`Digest` is
//! `!digest`, `MediaPost` is `!media-post`); its doc comment is its line in the generated help; its fields are
//! its arguments, in order, each read with [`std::str::FromStr`] (`String`, numbers, `bool`, your own types).
//! An `Option<T>` field may be left out (trailing ones only). Named fields name the argument in the usage
//! (`count` is `COUNT`); tuple fields use their type. Arguments are separated by spaces; `"..."` or `'...'`
//! quotes one argument with spaces, and `\` escapes a quote inside it.
//!
//! ```
//! use zimbot_commands::BotCommands;
//!
//! #[derive(BotCommands, Debug, PartialEq)]
//! enum Command {
//!     /// this list
//!     Help,
//!     /// post the last N headlines
//!     Digest { count: u32 },
//!     /// say TEXT in ROOM, or here
//!     Say { text: String, room: Option<String> },
//! }
//!
//! assert_eq!(Command::parse("!digest 3"), Some(Ok(Command::Digest { count: 3 })));
//! assert_eq!(
//!     Command::parse(r#"!say "hello there" lobby"#),
//!     Some(Ok(Command::Say { text: "hello there".into(), room: Some("lobby".into()) }))
//! );
//! assert_eq!(Command::parse("just chatting"), None);
//! let error = Command::parse("!digest many").unwrap().unwrap_err();
//! assert_eq!(error.to_string(), "!digest: COUNT must be a u32, not \"many\" (invalid digit found in string); usage: !digest COUNT");
//! assert_eq!(
//!     Command::help(),
//!     "Commands:\n!help - this list\n!digest COUNT - post the last N headlines\n!say TEXT [ROOM] - say TEXT in ROOM, or here"
//! );
//! ```
//!
//! What it is not: a dispatcher. The plugin matches on the parsed value; answering an error is one line
//! (`ctx.reply_text(&message, error.to_string())`).

mod args;
mod error;
mod words;

pub use args::Args;
pub use error::CommandError;
pub use words::split_words;
pub use zimbot_commands_derive::BotCommands;

/// One command of an enum, for its help line and usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    /// The name without `!`.
    pub name: &'static str,
    /// `!name ARG [OPTIONAL]`.
    pub usage: &'static str,
    /// The variant's doc comment (first paragraph).
    pub description: &'static str,
}

/// An enum of commands; implemented by `#[derive(BotCommands)]`.
pub trait BotCommands: Sized {
    /// The commands, in declaration order.
    const COMMANDS: &'static [CommandInfo];

    /// Builds command `name` (without `!`) from its argument words.
    fn from_words(name: &str, args: Args) -> Result<Self, CommandError>;

    /// Reads `text`: `None` when it is not a command (it does not start with `!`), otherwise the command or
    /// what is wrong with it (unknown name, missing or unreadable argument, unclosed quote).
    fn parse(text: &str) -> Option<Result<Self, CommandError>> {
        let text = text.trim();
        let rest = text.strip_prefix('!')?;
        let (name, arguments) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        Some(split_words(arguments).and_then(|words| {
            let info = Self::COMMANDS
                .iter()
                .find(|info| info.name == name)
                .ok_or_else(|| CommandError::Unknown { name: name.to_owned() })?;
            Self::from_words(name, Args::new(info, words))
        }))
    }

    /// The help text: `Commands:` and one `usage - description` line per command.
    fn help() -> String {
        let mut help = String::from("Commands:");
        for info in Self::COMMANDS {
            help.push('\n');
            help.push_str(info.usage);
            if !info.description.is_empty() {
                help.push_str(" - ");
                help.push_str(info.description);
            }
        }
        help
    }
}
