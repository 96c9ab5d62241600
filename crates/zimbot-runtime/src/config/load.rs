//! Reading a bots.yaml: parse with positions, expand `${VAR}`, deserialize each part on its own, check,
//! and report every problem at once.

use super::env::expand_tree;
use super::node::{Node, NodeKind};
use super::raw::{RawBot, RawFile};
use super::recover::deserialize_all;
use super::report::Report;
use super::resolve_bot::{resolve_bot, BotContext};
use super::resolve_settings::{resolve_settings, Settings};
use super::{BotConfig, Config, ConfigError, ConfigErrors, Location, PluginResolver};
use std::collections::HashMap;
use std::path::Path;

/// Reads and checks the bots.yaml at `path`, expanding `${VAR}` from the process environment.
pub fn load(path: &Path, resolver: &dyn PluginResolver) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        ConfigErrors(vec![ConfigError {
            file: path.to_path_buf(),
            location: None,
            bot: None,
            message: format!("cannot read this file ({error}); check the path and its permissions"),
        }])
    })?;
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
    let mut root = match Node::parse(text) {
        Ok(root) => root,
        Err(error) => {
            report.add(error.location, None, format!("malformed YAML: {}", error.message));
            return Err(report.finish());
        }
    };
    expand(&mut root, text, env, &mut report);

    let (raw, problems) = deserialize_all::<RawFile>(&root);
    for problem in &problems {
        report.add_deserialization(problem, root.location, None);
    }
    let folder = path.parent().unwrap_or(Path::new(""));
    let settings = raw.map(|raw| resolve_settings(raw, &root, folder, &mut report));

    let mut bots = Vec::new();
    if let Some(settings) = &settings {
        let context = BotContext { plugin_dirs: &settings.plugin_dirs, resolver };
        for node in root.get("bots").map(Node::items).unwrap_or_default() {
            let label = bot_label(node);
            let (raw, problems) = deserialize_all::<RawBot>(node);
            for problem in &problems {
                report.add_deserialization(problem, node.location, label);
            }
            if let Some(raw) = raw {
                bots.push(resolve_bot(raw, node, &context, &mut report));
            }
        }
    }
    check_unique(&bots, &root, &mut report);

    match settings {
        Some(settings) if report.is_empty() => Ok(assemble(settings, bots, path)),
        _ => Err(report.finish()),
    }
}

fn assemble(settings: Settings, bots: Vec<BotConfig>, path: &Path) -> Config {
    Config {
        zim: settings.zim,
        webhook: settings.webhook,
        client: settings.client,
        plugin_dirs: settings.plugin_dirs,
        shutdown_grace: settings.shutdown_grace,
        bots,
        source: path.to_path_buf(),
    }
}

/// The bot's `id` as written, to name the bot in its problems even when the entry cannot be read.
fn bot_label(node: &Node) -> Option<&str> {
    node.get("id").and_then(Node::as_text).filter(|id| !id.is_empty())
}

/// Expands `${VAR}` everywhere, naming the bot when a problem is inside a bot's entry.
fn expand(root: &mut Node, text: &str, env: &dyn Fn(&str) -> Option<String>, report: &mut Report) {
    let NodeKind::Mapping(entries) = &mut root.kind else {
        for error in expand_tree(root, text, env) {
            report.add(error.location, None, error.message);
        }
        return;
    };
    for entry in entries {
        let in_bots = entry.key.as_text() == Some("bots") && matches!(entry.value.kind, NodeKind::Sequence(_));
        if !in_bots {
            for error in expand_tree(&mut entry.value, text, env) {
                report.add(error.location, None, error.message);
            }
            continue;
        }
        if let NodeKind::Sequence(bots) = &mut entry.value.kind {
            for bot in bots {
                let errors = expand_tree(bot, text, env);
                let label = bot_label(bot);
                for error in errors {
                    report.add(error.location, label, error.message);
                }
            }
        }
    }
}

/// Bot ids and user ids must each be unique; the second use is reported, naming the first's line.
fn check_unique(bots: &[BotConfig], root: &Node, report: &mut Report) {
    let nodes = root.get("bots").map(Node::items).unwrap_or_default();
    let node_of = |bot: &BotConfig| nodes.iter().find(|node| node.location == bot.location);
    let mut first_ids: HashMap<&str, Location> = HashMap::new();
    let mut first_users: HashMap<&str, (Location, &str)> = HashMap::new();
    for bot in bots {
        let node = node_of(bot);
        let locate = |key: &str| node.map_or(bot.location, |node| node.locate(&[key]));
        let id = bot.id.as_str();
        match first_ids.get(id) {
            Some(first) => report.add(
                locate("id"),
                Some(id),
                format!("duplicate bot id `{id}`; the bot at line {} already uses it", first.line),
            ),
            None => {
                first_ids.insert(id, locate("id"));
            }
        }
        let user = bot.user_id.as_str();
        match first_users.get(user) {
            Some((first, first_bot)) => report.add(
                locate("user_id"),
                Some(id),
                format!("duplicate user_id `{user}`; bot '{first_bot}' at line {} already uses it", first.line),
            ),
            None => {
                first_users.insert(user, (locate("user_id"), id));
            }
        }
    }
}
