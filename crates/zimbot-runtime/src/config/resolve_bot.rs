//! Turns one bot entry into a checked [`BotConfig`], reporting every problem in it.

use super::path::YamlPath;
use super::positions::PositionIndex;
use super::raw::{RawBot, RawListen, RawSchedule};
use super::report::Report;
use super::suggest::closest_timezone;
use super::{BotConfig, Listen, PluginResolver, ScheduleConfig, Selector};
use crate::schedule::CronSpec;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use zimbot_model::{BotId, ConversationId, UserId};

/// What a bot is checked against besides itself.
pub(super) struct BotContext<'a> {
    pub plugin_dirs: &'a [PathBuf],
    pub resolver: &'a dyn PluginResolver,
    /// Where things are in the file, for the problems found here.
    pub positions: &'a PositionIndex,
}

/// Checks one bot; `at` is its entry in the file. Returns the bot even when it has problems (they are in
/// the report), so cross-bot checks still see it.
pub(super) fn resolve_bot(raw: RawBot, at: &YamlPath, context: &BotContext, report: &mut Report) -> BotConfig {
    let positions = context.positions;
    let locate = |key: &str| positions.value(&at.key(key));
    let label = raw.id.clone();
    let bot = Some(label.as_str());
    let id = BotId::new(raw.id);
    if let Err(problem) = id.validate() {
        report.add(locate("id"), bot, problem.to_string());
    }
    let user_id = UserId::new(raw.user_id);
    if !user_id.is_bot() {
        report.add(
            locate("user_id"),
            bot,
            format!("`user_id` '{user_id}' must start with `{}` (ZIM's prefix for bot users)", UserId::BOT_PREFIX),
        );
    }
    if let Err(problem) = user_id.validate() {
        report.add(locate("user_id"), bot, problem.to_string());
    }
    if let Err(message) = context.resolver.check(&raw.plugin, context.plugin_dirs) {
        report.add(locate("plugin"), bot, message);
    }
    let listen = match raw.listen {
        Some(listen) => resolve_listen(listen, &at.key("listen"), positions, bot, report),
        None => Listen::default(),
    };
    let schedules = resolve_schedules(raw.schedules, &at.key("schedules"), positions, bot, report);
    for (key, value) in [("max_concurrency", raw.max_concurrency), ("mailbox", raw.mailbox)] {
        if value == 0 {
            report.add(locate(key), bot, format!("`{key}` must be at least 1"));
        }
    }
    if raw.hook_timeout_secs == 0 {
        report.add(locate("hook_timeout_secs"), bot, "`hook_timeout_secs` must be at least 1");
    }
    BotConfig {
        name: raw.name.unwrap_or_else(|| id.to_string()),
        id,
        user_id,
        plugin: raw.plugin,
        listen,
        schedules,
        max_concurrency: raw.max_concurrency,
        mailbox: raw.mailbox,
        priority: raw.priority,
        hook_timeout: Duration::from_secs(raw.hook_timeout_secs),
        config: raw.config.unwrap_or_else(|| serde_json::Value::Object(Default::default())),
        location: positions.value(at),
    }
}

fn resolve_listen(
    raw: RawListen,
    at: &YamlPath,
    positions: &PositionIndex,
    bot: Option<&str>,
    report: &mut Report,
) -> Listen {
    let mut selector = |key: &str, ids: Vec<String>, check: fn(&str) -> Result<(), String>| {
        for (index, id) in ids.iter().enumerate().filter(|(_, id)| id.as_str() != "*") {
            if let Err(problem) = check(id) {
                report.add(positions.value(&at.key(key).index(index)), bot, format!("`listen.{key}`: {problem}"));
            }
        }
        Selector::from_ids(ids)
    };
    let check_user: fn(&str) -> Result<(), String> = |id| UserId::from(id).validate().map_err(|e| e.to_string());
    let check_conversation: fn(&str) -> Result<(), String> =
        |id| ConversationId::from(id).validate().map_err(|e| e.to_string());
    let peers = selector("peers", raw.peers, check_user);
    let rooms = selector("rooms", raw.rooms, check_conversation);
    let groups = selector("groups", raw.groups, check_conversation);
    let pattern = raw.pattern.and_then(|pattern| match regex::Regex::new(&pattern) {
        Ok(regex) => Some(regex),
        Err(error) => {
            report.add(
                positions.value(&at.key("match")),
                bot,
                format!("`match` is not a valid regex: {}", regex_message(&error)),
            );
            None
        }
    });
    let listen = Listen { peers, rooms, groups, pattern };
    if listen.is_empty() {
        report.add(
            positions.value(at),
            bot,
            "`listen` names no conversation; list `peers`, `rooms` or `groups` (\"*\" for all), \
             or leave `listen` out for a bot that only runs on schedules",
        );
    }
    listen
}

/// The regex crate's message on one line: its `error:` line (the rest draws a caret under the pattern).
fn regex_message(error: &regex::Error) -> String {
    let text = error.to_string();
    let pattern_line = text.lines().nth(1).map(str::trim);
    match (text.lines().find_map(|line| line.strip_prefix("error: ")), pattern_line) {
        (Some(reason), Some(pattern)) => format!("{reason} in `{pattern}`"),
        _ => text.lines().map(str::trim).collect::<Vec<_>>().join(" "),
    }
}

fn resolve_schedules(
    raw: Vec<RawSchedule>,
    at: &YamlPath,
    positions: &PositionIndex,
    bot: Option<&str>,
    report: &mut Report,
) -> Vec<ScheduleConfig> {
    let mut first_lines: HashMap<String, usize> = HashMap::new();
    let mut schedules = Vec::new();
    for (index, schedule) in raw.into_iter().enumerate() {
        let locate = |key: &str| positions.value(&at.index(index).key(key));
        let id_location = locate("id");
        if schedule.id.is_empty() {
            report.add(id_location, bot, "schedule `id` is empty; give each schedule a name");
        } else if let Some(line) = first_lines.get(&schedule.id) {
            report.add(
                id_location,
                bot,
                format!("duplicate schedule id `{}`; line {line} already uses it", schedule.id),
            );
        } else {
            first_lines.insert(schedule.id.clone(), id_location.line);
        }
        let spec = match CronSpec::parse(&schedule.cron) {
            Ok(spec) => Some(spec),
            Err(error) => {
                report.add(locate("cron"), bot, format!("invalid cron expression `{}`: {error}", schedule.cron));
                None
            }
        };
        let timezone = match schedule.timezone.as_deref() {
            None => Some(chrono_tz::Tz::UTC),
            Some(name) => match name.parse::<chrono_tz::Tz>() {
                Ok(timezone) => Some(timezone),
                Err(_) => {
                    let hint = match closest_timezone(name) {
                        Some(suggestion) => format!(", did you mean `{suggestion}`?"),
                        None => "; use an IANA name such as `Europe/Berlin` or `UTC`".to_owned(),
                    };
                    report.add(locate("timezone"), bot, format!("unknown timezone `{name}`{hint}"));
                    None
                }
            },
        };
        if let (Some(spec), Some(timezone)) = (spec, timezone) {
            schedules.push(ScheduleConfig {
                id: schedule.id,
                spec,
                timezone,
                misfire: schedule.misfire,
                misfire_grace: Duration::from_secs(schedule.misfire_grace_secs),
            });
        }
    }
    schedules
}
