//! What `#[derive(BotCommands)]` makes of an enum: names, typed and quoted arguments, help and usage errors.

use zimbot_commands::{BotCommands, CommandError};

#[derive(BotCommands, Debug, PartialEq)]
enum Command {
    /// this list
    Help,
    /// post the last COUNT headlines
    ///
    /// (a second paragraph stays out of the help)
    Digest { count: u32 },
    /// schedule a post
    MediaPost(String, u16),
    /// say TEXT, optionally in ROOM
    Say { text: String, room: Option<String> },
}

fn parse(text: &str) -> Result<Command, CommandError> {
    Command::parse(text).expect("a command")
}

#[test]
fn text_without_a_leading_bang_is_not_a_command() {
    assert_eq!(Command::parse("hello !help"), None);
}

#[test]
fn a_unit_variant_is_a_command_without_arguments() {
    assert_eq!(parse("  !help "), Ok(Command::Help));
}

#[test]
fn a_multi_word_variant_name_is_written_with_dashes() {
    assert_eq!(parse("!media-post a.png 9"), Ok(Command::MediaPost("a.png".into(), 9)));
}

#[test]
fn arguments_are_read_as_their_field_types() {
    assert_eq!(parse("!digest 12"), Ok(Command::Digest { count: 12 }));
}

#[test]
fn a_quoted_argument_keeps_its_spaces() {
    assert_eq!(
        parse(r#"!say 'good morning' lobby"#),
        Ok(Command::Say { text: "good morning".into(), room: Some("lobby".into()) })
    );
}

#[test]
fn a_trailing_option_may_be_left_out() {
    assert_eq!(parse("!say hi"), Ok(Command::Say { text: "hi".into(), room: None }));
}

#[test]
fn an_unknown_command_points_to_help() {
    assert_eq!(parse("!dance").unwrap_err().to_string(), "unknown command !dance; send !help for the commands");
}

#[test]
fn a_missing_argument_is_named_with_the_usage() {
    assert_eq!(parse("!digest").unwrap_err().to_string(), "!digest: COUNT is missing; usage: !digest COUNT");
}

#[test]
fn an_unreadable_argument_says_what_was_expected_and_given() {
    assert_eq!(
        parse("!media-post a.png 70000").unwrap_err().to_string(),
        "!media-post: U16 must be a u16, not \"70000\" (number too large to fit in target type); usage: !media-post STRING U16"
    );
}

#[test]
fn extra_words_are_refused_naming_the_first() {
    assert_eq!(
        parse("!digest 1 2").unwrap_err().to_string(),
        "!digest: too many arguments, from \"2\" on; usage: !digest COUNT"
    );
}

#[test]
fn an_unclosed_quote_is_refused() {
    assert_eq!(parse("!say \"hi").unwrap_err(), CommandError::UnclosedQuote { at: 1 });
}

#[test]
fn help_lists_each_usage_with_the_first_paragraph_of_its_doc() {
    assert_eq!(
        Command::help(),
        "Commands:\n!help - this list\n!digest COUNT - post the last COUNT headlines\n\
         !media-post STRING U16 - schedule a post\n!say TEXT [ROOM] - say TEXT, optionally in ROOM"
    );
}
