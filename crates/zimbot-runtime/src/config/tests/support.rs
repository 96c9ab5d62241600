//! Helpers for the bots.yaml specifications: a fixed environment and a resolver that knows a few plugins.

use crate::config::{parse, Config, ConfigErrors, PluginResolver};
use std::path::{Path, PathBuf};

/// Knows the plugins `announcer`, `echo` and `media-poster`, as a plugin host with those built in would.
pub struct KnownPlugins;

impl PluginResolver for KnownPlugins {
    fn check(&self, plugin: &str, plugin_dirs: &[PathBuf]) -> Result<(), String> {
        match plugin {
            "announcer" | "echo" | "media-poster" => Ok(()),
            _ => Err(format!(
                "plugin `{plugin}` is not built in and no library of that name is in {}",
                plugin_dirs.iter().map(|dir| dir.display().to_string()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// The environment the specifications run with.
pub fn environment(name: &str) -> Option<String> {
    match name {
        "ZIM_APP_ID" => Some("7654321".to_owned()),
        "MEDIA_TOKEN" => Some("t0k#en: \"x\"".to_owned()),
        "NUMERIC_SECRET" => Some("0123".to_owned()),
        "S3_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".to_owned()),
        "S3_SECRET_ACCESS_KEY" => Some("wJalr/K7MDENG#x".to_owned()),
        _ => None,
    }
}

/// Parses `text` as `/srv/zimbot/bots.yaml`.
pub fn load_text(text: &str) -> Result<Config, ConfigErrors> {
    parse(text, Path::new("/srv/zimbot/bots.yaml"), &environment, &KnownPlugins)
}

/// Parses `text`, which must be valid.
pub fn valid(text: &str) -> Config {
    match load_text(text) {
        Ok(config) => config,
        Err(errors) => panic!("expected a valid config, got:\n{errors}"),
    }
}

/// One reported problem, flattened for comparison: (line, column, bot, message).
pub type Problem = (usize, usize, Option<String>, String);

/// Parses `text`, which must be invalid, and flattens its problems.
pub fn problems(text: &str) -> Vec<Problem> {
    match load_text(text) {
        Ok(_) => panic!("expected problems, but the config is valid"),
        Err(errors) => errors
            .iter()
            .map(|error| {
                assert_eq!(error.file, Path::new("/srv/zimbot/bots.yaml"));
                let location = error.location.expect("every problem in a file has a location");
                (location.line, location.column, error.bot.clone(), error.message.clone())
            })
            .collect(),
    }
}

/// Parses `text`, which must have exactly one problem, and returns it.
pub fn only_problem(text: &str) -> Problem {
    let mut found = problems(text);
    assert_eq!(found.len(), 1, "expected one problem, got {found:#?}");
    found.remove(0)
}

/// A one-bot file with `extra` lines appended to the bot's entry (indented by the caller with 4 spaces).
pub fn one_bot(extra: &str) -> String {
    format!("bots:\n  - id: echo\n    user_id: \"@RBT#echo\"\n    plugin: echo\n{extra}")
}
