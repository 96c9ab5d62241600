//! What a text message to the echo bot asks for: its commands, parsed by `zimbot-commands`.

use zimbot_commands::BotCommands;

/// The echo bot's commands; any text that is not one is echoed.
#[derive(BotCommands, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// this list
    Help,
    /// send the file NAME from my assets
    File { name: String },
    /// send a large file and report the upload at 25, 50, 75 and 100 %
    Progress,
}

impl Command {
    /// The answer to `!help`: the generated command list, and what happens to other messages.
    pub fn help_text() -> String {
        format!("{}\nSend me any other text, or a picture or file, and I send it back.", Self::help())
    }
}
