//! Reading a bots.yaml: parse with serde_yaml, expand `${VAR}`, read the settings and each bot on its own,
//! check, and report every problem at once with its place from the position index.

use super::document::{within, Document, MAX_CONFIG_BYTES};
use super::env::{expand_text, expand_values};
use super::path::{scalar_text, Step, YamlPath};
use super::positions::PositionIndex;
use super::raw::{RawBot, RawFile};
use super::recover::deserialize_all;
use super::report::Report;
use super::resolve_bot::{resolve_bot, BotContext};
use super::resolve_settings::{resolve_settings, Settings};
use super::{BotConfig, Config, ConfigError, ConfigErrors, Location, PluginResolver};
use serde_yaml::Value;
use std::collections::HashMap;
use std::path::Path;

/// Reads and checks the bots.yaml at `path`, expanding `${VAR}` from the process environment.
pub fn load(path: &Path, resolver: &dyn PluginResolver) -> Result<Config, ConfigErrors> {
    let refuse = |message: String| {
        ConfigErrors(vec![ConfigError { file: path.to_path_buf(), location: None, bot: None, message }])
    };
    let unreadable =
        |error: std::io::Error| refuse(format!("cannot read this file ({error}); check the path and its permissions"));
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // Read at most one byte past the cap: a huge (or endless) file is refused without reading it all.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_CONFIG_BYTES as u64 + 1), &mut bytes)
        .map_err(unreadable)?;
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(refuse(format!(
            "the file is larger than {MAX_CONFIG_BYTES} bytes, the most a bots.yaml may have; is it the right file?"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|error| refuse(format!("the file is not UTF-8 text ({error})")))?;
    parse(&text, path, &|name| std::env::var(name).ok(), resolver)
}

/// Checks the bots.yaml `text` read from `path` (used in messages and to resolve relative paths), expanding
/// `${VAR}` with `env`. Returns every problem found, in file order.
pub fn parse(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    resolver: &dyn PluginResolver,
) -> Result<Config, ConfigErrors> {
    let mut report = Report::new(path);
    let Document { mut value, positions } = match Document::parse(text) {
        Ok(document) => document,
        Err(error) => {
            report.add(error.location.unwrap_or(Location::START), None, format!("malformed YAML: {}", error.message));
            return Err(within_text(report.finish(), text));
        }
    };
    let quiet = expand(&mut value, &positions, text, env, &mut report);
    secrets_as_written(&mut value, &positions, env, &mut report);

    let root = YamlPath::root();
    let (raw, problems) = deserialize_all::<RawFile>(&value, &root, &positions, &quiet);
    for problem in problems {
        report.add(problem.location, None, problem.message);
    }
    let folder = path.parent().unwrap_or(Path::new(""));
    let settings = raw.map(|raw| resolve_settings(raw, &positions, folder, &mut report));

    let mut bots = Vec::new();
    if let Some(settings) = &settings {
        let context = BotContext { plugin_dirs: &settings.plugin_dirs, resolver, positions: &positions };
        for (index, entry) in bot_entries(&value).iter().enumerate() {
            let at = root.key("bots").index(index);
            let label = bot_label(entry);
            let (raw, problems) = deserialize_all::<RawBot>(entry, &at, &positions, &quiet);
            for problem in problems {
                report.add(problem.location, label.as_deref(), problem.message);
            }
            if let Some(raw) = raw {
                bots.push((resolve_bot(raw, &at, &context, &mut report), at));
            }
        }
    }
    check_unique(&bots, &positions, &mut report);

    match settings {
        Some(settings) if report.is_empty() => Ok(assemble(settings, bots, path)),
        _ => Err(within_text(report.finish(), text)),
    }
}

/// Every problem placed inside `text` (see [`within`]).
fn within_text(mut errors: ConfigErrors, text: &str) -> ConfigErrors {
    for error in &mut errors.0 {
        error.location = error.location.map(|location| within(text, location));
    }
    errors
}

fn assemble(settings: Settings, bots: Vec<(BotConfig, YamlPath)>, path: &Path) -> Config {
    Config {
        zim: settings.zim,
        webhook: settings.webhook,
        client: settings.client,
        plugin_dirs: settings.plugin_dirs,
        state_dir: settings.state_dir,
        storage: settings.storage,
        shutdown_grace: settings.shutdown_grace,
        rooms: settings.rooms,
        groups: settings.groups,
        bots: bots.into_iter().map(|(bot, _)| bot).collect(),
        source: path.to_path_buf(),
    }
}

/// The entries of the `bots:` list (none when it is missing or not a list; the settings say so).
fn bot_entries(document: &Value) -> &[Value] {
    match document.get("bots") {
        Some(Value::Sequence(entries)) => entries,
        _ => &[],
    }
}

/// The bot's `id` as written, to name the bot in its problems even when the entry cannot be read.
fn bot_label(entry: &Value) -> Option<String> {
    entry.get("id").and_then(scalar_text).filter(|id| !id.is_empty())
}

/// Expands `${VAR}` everywhere, naming the bot when a problem is inside a bot's entry. Each value that
/// could not be expanded is reported here and taken out of the document (its mapping entry), so it is
/// not reported again as a wrong or missing value; those entries are returned.
fn expand(
    document: &mut Value,
    positions: &PositionIndex,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report,
) -> Vec<YamlPath> {
    let errors = expand_values(document, &YamlPath::root(), positions, text, env);
    let mut quiet = Vec::new();
    for error in errors {
        let bot = match error.path.steps() {
            [Step::Key(bots), Step::Index(index), ..] if bots == "bots" => {
                bot_entries(document).get(*index).and_then(bot_label)
            }
            _ => None,
        };
        report.add(error.location, bot.as_deref(), error.message);
        let entry = error.path.entry().map(|(mapping, key)| mapping.key(key)).unwrap_or(error.path);
        if !quiet.contains(&entry) {
            entry.remove_from(document);
            quiet.push(entry);
        }
    }
    quiet
}

/// The keys whose values are secrets.
const SECRET_KEYS: [&[&str]; 4] = [
    &["zim", "server_secret"],
    &["zim", "callback_secret"],
    &["zim", "previous_callback_secret"],
    &["zim", "media_store", "auth_header"],
];

/// Secrets are the text written, whatever it looks like: YAML would read an unquoted `1e3` as 1000 and `0x1F`
/// as 31, which would make a different secret. A secret that is present but empty (`key:`, `~`, `null`, or an
/// empty `${VAR}`) is a problem, never a silent fall-back to a default.
fn secrets_as_written(
    document: &mut Value,
    positions: &PositionIndex,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report,
) {
    for keys in SECRET_KEYS {
        let path = YamlPath::root().keys(keys);
        let Some(value) = keys.iter().try_fold(&mut *document, |value, key| value.get_mut(*key)) else {
            continue;
        };
        match value {
            Value::Number(_) | Value::Bool(_) => {
                if let Some(written) = positions.plain_text(&path) {
                    // A `${VAR}` typed by its value is expanded again, as text this time.
                    *value = Value::String(expand_text(written, env).unwrap_or_else(|_| written.to_owned()));
                }
            }
            Value::Null => report_empty_secret(keys, &path, positions, report),
            Value::String(text) if text.is_empty() => report_empty_secret(keys, &path, positions, report),
            _ => {}
        }
    }
}

fn report_empty_secret(keys: &[&str], path: &YamlPath, positions: &PositionIndex, report: &mut Report) {
    report.add(
        positions.value(path),
        None,
        format!(
            "`{}` is empty; write the secret (an empty secret would let anyone sign), or leave the key out to use \
             the development secret with the embedded hub on loopback",
            keys.join(".")
        ),
    );
}

/// Bot ids and user ids must each be unique; the second use is reported, naming the first's line.
fn check_unique(bots: &[(BotConfig, YamlPath)], positions: &PositionIndex, report: &mut Report) {
    let mut first_ids: HashMap<&str, Location> = HashMap::new();
    let mut first_users: HashMap<&str, (Location, &str)> = HashMap::new();
    for (bot, at) in bots {
        let id = bot.id.as_str();
        let id_location = positions.value(&at.key("id"));
        match first_ids.get(id) {
            Some(first) => report.add(
                id_location,
                Some(id),
                format!("duplicate bot id `{id}`; the bot at line {} already uses it", first.line),
            ),
            None => {
                first_ids.insert(id, id_location);
            }
        }
        let user = bot.user_id.as_str();
        let user_location = positions.value(&at.key("user_id"));
        match first_users.get(user) {
            Some((first, first_bot)) => report.add(
                user_location,
                Some(id),
                format!("duplicate user_id `{user}`; bot '{first_bot}' at line {} already uses it", first.line),
            ),
            None => {
                first_users.insert(user, (user_location, id));
            }
        }
    }
}
