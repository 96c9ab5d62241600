//! `zimbot check`: validates a bots.yaml, loads every plugin, and shows what each bot listens to and when its
//! schedules fire next. Exits 1 with every problem listed when anything is wrong. With `--online`, also asks the
//! ZIM service (see `check_online`) and proves the S3 media store: one small object written, read back through its
//! public link without credentials, deleted.

use std::process::ExitCode;
use zimbot_runtime::config::{Backend, Config};
use zimbot_runtime::PluginInfo;

pub async fn check(path: &std::path::Path, online: bool) -> anyhow::Result<ExitCode> {
    let catalog = crate::builtins::catalog();
    let config = match super::load_config(path, &catalog) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let mut problems = Vec::new();
    let mut plugins = Vec::new();
    for bot in &config.bots {
        match catalog.load(&bot.plugin, &config.plugin_dirs) {
            Ok(plugin) => plugins.push(Some(plugin)),
            Err(error) => {
                problems.extend(config.bot_error(bot, error.to_string()).0);
                plugins.push(None);
            }
        }
    }
    print_summary(&config);
    for (bot, plugin) in config.bots.iter().zip(&plugins) {
        print_bot(bot, plugin.as_ref());
    }
    let mut online_problems = Vec::new();
    if online {
        if !super::check_online::check_online(&config).await {
            online_problems.push(format!("{}: the ZIM service refused the configuration (see above)", path.display()));
        }
        online_problems.extend(check_media_store_online(&config).await);
    }
    if problems.is_empty() && online_problems.is_empty() {
        println!("\nok: {} bot(s), no problems", config.bots.len());
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!();
    for problem in &problems {
        eprintln!("{problem}");
    }
    for problem in &online_problems {
        eprintln!("{problem}");
    }
    let count = problems.len() + online_problems.len();
    eprintln!("{count} problem(s) in {}", path.display());
    Ok(ExitCode::FAILURE)
}

/// Proves the S3 media store, if one is configured; the problem if it fails.
async fn check_media_store_online(config: &Config) -> Option<String> {
    let Some(settings) = config.zim.media_store.as_ref().and_then(|store| store.s3()) else {
        println!("\nmedia store: no S3 store configured, nothing to check online");
        return None;
    };
    let store = match zimbot_client::S3Store::new(settings.clone()) {
        Ok(store) => store,
        Err(error) => return Some(format!("{}: zim.media_store: {error}", config.source.display())),
    };
    match store.probe().await {
        Ok(report) => {
            println!(
                "\nmedia store: wrote {} bytes to {:?} in bucket {:?}, read them back from {} without credentials, \
                 deleted them",
                report.bytes, report.key, settings.bucket, report.link
            );
            None
        }
        Err(error) => {
            Some(format!("{}: zim.media_store: the online check failed: {}", config.source.display(), error.message))
        }
    }
}

fn print_summary(config: &Config) {
    let backend = match config.zim.backend {
        Backend::Hub => format!("embedded hub on {}", config.zim.hub.listen),
        Backend::Service => format!("ZIM service at {}", config.zim.api_base),
    };
    println!("{}: {} bot(s), {backend}, app id {}", config.source.display(), config.bots.len(), config.zim.app_id);
    println!("webhook: {} (the service calls {})", config.webhook.listen, config.webhook.public_url);
}

fn print_bot(bot: &zimbot_runtime::config::BotConfig, plugin: Option<&PluginInfo>) {
    println!("\nbot '{}' ({}) at line {}", bot.id, bot.user_id, bot.location.line);
    match plugin {
        Some(plugin) => println!(
            "  plugin    {} {} (built with zimbot-sdk {}) from {}",
            plugin.name, plugin.version, plugin.sdk_version, plugin.source
        ),
        None => println!("  plugin    '{}' could not be loaded (see below)", bot.plugin),
    }
    let listen = bot.listen.describe();
    println!("  listens   {}", if listen.is_empty() { "to nothing (schedules only)".to_owned() } else { listen });
    println!(
        "  lanes     max_concurrency {}, mailbox {}, priority {}, hook timeout {} s",
        bot.max_concurrency,
        bot.mailbox,
        yaml_spelling(&bot.priority),
        bot.hook_timeout.as_secs()
    );
    let now = chrono::Utc::now();
    for schedule in &bot.schedules {
        println!(
            "  schedule  '{}' \"{}\" in {}, misfire {} after {} s; next:",
            schedule.id,
            schedule.spec.expression(),
            schedule.timezone,
            yaml_spelling(&schedule.misfire),
            schedule.misfire_grace.as_secs()
        );
        for at in schedule.spec.upcoming(now, schedule.timezone, 3) {
            println!("            {}", at.with_timezone(&schedule.timezone).format("%a %Y-%m-%d %H:%M:%S %Z"));
        }
    }
}

/// A config value as bots.yaml spells it (`fire_once`, `medium`), not as Rust's `Debug` names it.
fn yaml_spelling<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(error) => format!("<unprintable: {error}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misfire_policies_are_shown_as_bots_yaml_spells_them() {
        assert_eq!(yaml_spelling(&zimbot_runtime::config::Misfire::FireOnce), "fire_once");
    }

    #[test]
    fn priorities_are_shown_as_bots_yaml_spells_them() {
        assert_eq!(yaml_spelling(&zimbot_model::Priority::Medium), "medium");
    }
}
