//! What a text message to the echo bot asks for.

/// A parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    /// `!help`
    Help,
    /// `!file NAME`
    File(&'a str),
    /// `!progress`
    Progress,
    /// Another word starting with `!`.
    Unknown(&'a str),
    /// Anything else: text to echo.
    Echo(&'a str),
}

impl<'a> Command<'a> {
    /// The answer to `!help`.
    pub const HELP: &'static str = "Commands:\n\
        !help - this list\n\
        !file NAME - send the file NAME from my assets\n\
        !progress - send a large file and report the upload at 25, 50, 75 and 100 %\n\
        Send me any other text, or a picture or file, and I send it back.";

    /// Reads `text`; surrounding whitespace is ignored.
    pub fn parse(text: &'a str) -> Self {
        let text = text.trim();
        let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        match word {
            "!help" => Self::Help,
            "!file" => Self::File(rest.trim()),
            "!progress" => Self::Progress,
            word if word.starts_with('!') => Self::Unknown(word),
            _ => Self::Echo(text),
        }
    }
}
