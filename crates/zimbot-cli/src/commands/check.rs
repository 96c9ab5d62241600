//! `zimbot check`: validates a bots.yaml, loads every plugin, and shows what each bot listens to and when its
//! schedules fire next; with `--online`, also asks the service (see `check_online`). Exits 1 with every problem
//! listed when anything is wrong.

use std::process::ExitCode;
use zimbot_runtime::config::{Backend, Config};
use zimbot_runtime::plugin_host::{PluginCatalog, PluginInfo};

pub async fn check(path: &std::path::Path, online: bool) -> anyhow::Result<ExitCode> {
    let catalog = PluginCatalog::new();
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
    if problems.is_empty() {
        if online && !super::check_online::check_online(&config).await {
            eprintln!("\nthe ZIM service refused the configuration of {} (see above)", path.display());
            return Ok(ExitCode::FAILURE);
        }
        println!("\nok: {} bot(s), no problems", config.bots.len());
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!();
    for problem in &problems {
        eprintln!("{problem}");
    }
    eprintln!("{} problem(s) in {}", problems.len(), path.display());
    Ok(ExitCode::FAILURE)
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
        "  lanes     max_concurrency {}, mailbox {}, priority {:?}, hook timeout {} s",
        bot.max_concurrency,
        bot.mailbox,
        bot.priority,
        bot.hook_timeout.as_secs()
    );
    let now = chrono::Utc::now();
    for schedule in &bot.schedules {
        println!(
            "  schedule  '{}' \"{}\" in {}, misfire {:?} after {} s; next:",
            schedule.id,
            schedule.spec.expression(),
            schedule.timezone,
            schedule.misfire,
            schedule.misfire_grace.as_secs()
        );
        for at in schedule.spec.upcoming(now, schedule.timezone, 3) {
            println!("            {}", at.with_timezone(&schedule.timezone).format("%a %Y-%m-%d %H:%M:%S %Z"));
        }
    }
}
