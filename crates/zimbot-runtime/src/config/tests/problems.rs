//! Each kind of mistake in bots.yaml is reported with its line, column, bot and a message saying what to do.

use super::support::{one_bot, only_problem, problems, KnownPlugins};
use crate::config::load;

fn bot(id: &str) -> Option<String> {
    Some(id.to_owned())
}

#[test]
fn malformed_yaml_is_reported_where_the_parser_stopped() {
    let (line, column, bot, message) = only_problem("bots: [echo\n");
    assert_eq!((line, column, bot), (2, 1, None));
    assert_eq!(
        message,
        "malformed YAML: did not find expected ',' or ']', while parsing a flow sequence at line 1 column 7"
    );
}

#[test]
fn a_syntax_error_has_serde_yamls_line_and_column() {
    let text = "bots:\n  - id: echo\n    user_id: \"@RBT#echo\n    plugin: echo\n";
    let serde_yaml_says = serde_yaml::from_str::<serde_yaml::Value>(text).unwrap_err();
    let expected = serde_yaml_says.location().map(|at| (at.line(), at.column()));
    let (line, column, _, message) = only_problem(text);
    assert_eq!(Some((line, column)), expected);
    assert!(message.starts_with("malformed YAML: "), "{message}");
    assert!(!message.contains(&format!("at line {line} column {column}")), "the place is said once: {message}");
}

/// serde_yaml refuses the whole document and places the problem at the mapping holding the key twice.
#[test]
fn a_key_written_twice_is_malformed_yaml_at_its_mapping() {
    let text = "bots:\n  - id: echo\n    id: other\n    user_id: \"@RBT#echo\"\n    plugin: echo\n";
    let problem = only_problem(text);
    assert_eq!(problem, (2, 5, None, "malformed YAML: bots[0]: duplicate entry with key \"id\"".to_owned()));
}

#[test]
fn an_unknown_key_suggests_the_closest_known_one() {
    let text = one_bot("    listen:\n      rooms: [lobby]\n      mach: \"^!\"\n");
    assert_eq!(only_problem(&text), (7, 7, bot("echo"), "unknown field `mach`, did you mean `match`?".to_owned()));
}

#[test]
fn an_unknown_top_level_key_suggests_the_closest_section() {
    let problem = only_problem("webhok:\n  listen: 127.0.0.1:1\nbots: []\n");
    assert_eq!(problem, (1, 1, None, "unknown field `webhok`, did you mean `webhook`?".to_owned()));
}

#[test]
fn an_unknown_key_with_no_close_match_lists_the_known_ones() {
    let (line, column, _, message) = only_problem(&one_bot("    colour: red\n"));
    assert_eq!((line, column), (5, 5));
    assert!(message.starts_with("unknown field `colour`; expected one of `id`, `user_id`"), "{message}");
}

#[test]
fn a_missing_required_field_points_at_the_bot_entry() {
    let text = "bots:\n  - id: echo\n    user_id: \"@RBT#echo\"\n";
    assert_eq!(only_problem(text), (2, 5, bot("echo"), "missing field `plugin`".to_owned()));
}

#[test]
fn a_file_without_bots_says_the_list_is_missing() {
    assert_eq!(only_problem("shutdown_grace_secs: 3\n"), (1, 1, None, "missing field `bots`".to_owned()));
}

#[test]
fn a_value_of_the_wrong_type_names_its_key() {
    let problem = only_problem(&one_bot("    mailbox: lots\n"));
    assert_eq!(problem, (5, 14, bot("echo"), "`mailbox`: invalid type: string \"lots\", expected usize".to_owned()));
}

#[test]
fn an_unknown_priority_suggests_the_closest_one() {
    let problem = only_problem(&one_bot("    priority: hgh\n"));
    assert_eq!(problem, (5, 15, bot("echo"), "`priority`: unknown value `hgh`, did you mean `high`?".to_owned()));
}

#[test]
fn a_duplicate_bot_id_points_at_the_second_and_names_the_first_line() {
    let text = "bots:\n  - id: echo\n    user_id: \"@RBT#a\"\n    plugin: echo\n  - id: echo\n    user_id: \"@RBT#b\"\n    plugin: echo\n";
    let problem = only_problem(text);
    assert_eq!(problem, (5, 9, bot("echo"), "duplicate bot id `echo`; the bot at line 2 already uses it".to_owned()));
}

#[test]
fn a_duplicate_user_id_points_at_the_second_and_names_the_first_bot() {
    let text = "bots:\n  - id: a\n    user_id: \"@RBT#same\"\n    plugin: echo\n  - id: b\n    user_id: \"@RBT#same\"\n    plugin: echo\n";
    let problem = only_problem(text);
    let message = "duplicate user_id `@RBT#same`; bot 'a' at line 3 already uses it".to_owned();
    assert_eq!(problem, (6, 14, bot("b"), message));
}

#[test]
fn an_unset_variable_without_default_is_named_where_it_is_used() {
    let problem = only_problem(&one_bot("    config:\n      token: Bearer ${BOT_TOKEN}\n"));
    let message = "environment variable `BOT_TOKEN` is not set; set it, or give a default with `${BOT_TOKEN:-default}`";
    assert_eq!(problem, (6, 21, bot("echo"), message.to_owned()));
}

#[test]
fn an_unset_variable_in_a_required_field_is_reported_once() {
    let text = "bots:\n  - id: echo\n    user_id: \"@RBT#echo\"\n    plugin: ${PLUGIN}\n";
    let (line, column, _, message) = only_problem(text);
    assert_eq!((line, column), (4, 13));
    assert!(message.contains("`PLUGIN` is not set"), "{message}");
}

#[test]
fn an_invalid_regex_gives_the_regex_crates_reason() {
    let problem = only_problem(&one_bot("    listen:\n      peers: [\"*\"]\n      match: \"^!ann(\"\n"));
    assert_eq!(problem, (7, 14, bot("echo"), "`match` is not a valid regex: unclosed group in `^!ann(`".to_owned()));
}

#[test]
fn an_invalid_cron_expression_says_which_field_and_why() {
    let text = one_bot("    schedules:\n      - id: nightly\n        cron: \"0 25 * * *\"\n");
    let (line, column, bot_id, message) = only_problem(&text);
    assert_eq!((line, column, bot_id), (7, 15, bot("echo")));
    assert!(message.starts_with("invalid cron expression `0 25 * * *`: field 2 (hour): "), "{message}");
    assert!(message.contains("25"), "{message}");
}

#[test]
fn an_unknown_timezone_suggests_the_closest_iana_name() {
    let text =
        one_bot("    schedules:\n      - id: nightly\n        cron: \"0 3 * * *\"\n        timezone: Europe/Berlim\n");
    let message = "unknown timezone `Europe/Berlim`, did you mean `Europe/Berlin`?".to_owned();
    assert_eq!(only_problem(&text), (8, 19, bot("echo"), message));
}

#[test]
fn a_duplicate_schedule_id_within_a_bot_is_reported() {
    let schedule = "      - id: tick\n        cron: \"@hourly\"\n";
    let text = one_bot(&format!("    schedules:\n{schedule}{schedule}"));
    let message = "duplicate schedule id `tick`; line 6 already uses it".to_owned();
    assert_eq!(only_problem(&text), (8, 13, bot("echo"), message));
}

#[test]
fn a_plugin_that_resolves_to_nothing_gives_the_resolvers_message() {
    let text = "plugin_dirs: [plugins]\nbots:\n  - id: echo\n    user_id: \"@RBT#echo\"\n    plugin: nope\n";
    let message = "plugin `nope` is not built in and no library of that name is in /srv/zimbot/plugins".to_owned();
    assert_eq!(only_problem(text), (5, 13, bot("echo"), message));
}

#[test]
fn a_listen_that_names_no_conversation_is_reported() {
    let (line, column, bot_id, message) = only_problem(&one_bot("    listen:\n      rooms: []\n"));
    assert_eq!((line, column, bot_id), (6, 7, bot("echo")));
    assert!(message.starts_with("`listen` names no conversation"), "{message}");
}

#[test]
fn a_bot_id_over_32_bytes_is_reported() {
    let id = "a".repeat(33);
    let text = format!("bots:\n  - id: {id}\n    user_id: \"@RBT#x\"\n    plugin: echo\n");
    let message = format!("the bot id '{id}' is 33 bytes long; the service allows at most 32");
    assert_eq!(only_problem(&text), (2, 9, Some(id), message));
}

#[test]
fn a_user_id_over_32_bytes_is_reported() {
    let user = format!("@RBT#{}", "u".repeat(28));
    let text = format!("bots:\n  - id: echo\n    user_id: \"{user}\"\n    plugin: echo\n");
    let message = format!("the user id '{user}' is 33 bytes long; the service allows at most 32");
    assert_eq!(only_problem(&text), (3, 14, bot("echo"), message));
}

#[test]
fn a_user_id_without_the_bot_prefix_is_reported() {
    let text = "bots:\n  - id: echo\n    user_id: echo\n    plugin: echo\n";
    let message = "`user_id` 'echo' must start with `@RBT#` (ZIM's prefix for bot users)".to_owned();
    assert_eq!(only_problem(text), (3, 14, bot("echo"), message));
}

#[test]
fn a_max_concurrency_of_zero_is_reported() {
    let problem = only_problem(&one_bot("    max_concurrency: 0\n"));
    assert_eq!(problem, (5, 22, bot("echo"), "`max_concurrency` must be at least 1".to_owned()));
}

#[test]
fn a_mailbox_of_zero_is_reported() {
    let problem = only_problem(&one_bot("    mailbox: 0\n"));
    assert_eq!(problem, (5, 14, bot("echo"), "`mailbox` must be at least 1".to_owned()));
}

#[test]
fn the_service_backend_needs_its_secrets() {
    let found = problems("zim:\n  backend: service\n  app_id: 5\nbots: []\n");
    let messages: Vec<_> = found.iter().map(|(line, column, _, message)| (*line, *column, message.as_str())).collect();
    assert_eq!(
        messages,
        vec![
            (2, 12, "`zim.server_secret` is required with `backend: service`; copy it from the ZIM console"),
            (2, 12, "`zim.callback_secret` is required with `backend: service`; copy it from the ZIM console"),
        ]
    );
}

#[test]
fn a_missing_file_is_reported_with_its_path() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("absent.yaml");
    let errors = load(&path, &KnownPlugins).unwrap_err();
    assert_eq!(errors.len(), 1);
    let error = &errors.0[0];
    assert_eq!((error.file.as_path(), error.location, error.bot.as_deref()), (path.as_path(), None, None));
    assert!(error.to_string().starts_with(&format!("{}: cannot read this file (", path.display())), "{error}");
}

#[test]
fn every_problem_in_every_bot_is_reported_at_once_in_file_order() {
    let text = "\
webhook:
  listn: 127.0.0.1:1
bots:
  - id: first
    user_id: first
    plugin: nope
    mailbox: 0
    listen:
      rooms: [lobby]
      match: \"(\"
    schedules:
      - id: s
        cron: \"61 * * * *\"
        timezone: Mars/Olympus
  - id: second
    user_id: \"@RBT#second\"
    plugin: echo
    max_concurency: 2
    hook_timeout_secs: [1]
";
    let found: Vec<_> =
        problems(text).into_iter().map(|(line, column, bot, _)| (line, column, bot.unwrap_or_default())).collect();
    let first = || "first".to_owned();
    let second = || "second".to_owned();
    assert_eq!(
        found,
        vec![
            (2, 3, String::new()),
            (5, 14, first()),
            (6, 13, first()),
            (7, 14, first()),
            (10, 14, first()),
            (13, 15, first()),
            (14, 19, first()),
            (18, 5, second()),
            (19, 24, second()),
        ]
    );
}

#[test]
fn a_file_that_is_not_a_mapping_says_what_it_should_be() {
    let (line, column, _, message) = only_problem("- echo\n");
    assert_eq!((line, column), (1, 1));
    assert!(message.starts_with("invalid type: sequence, expected a mapping with a `bots:` list"), "{message}");
}

#[test]
fn a_bot_that_is_not_a_mapping_says_what_a_bot_is() {
    let problem = only_problem("bots:\n  - echo\n");
    let message = "invalid type: string \"echo\", expected a bot: a mapping with at least `id`, `user_id` and `plugin`";
    assert_eq!(problem, (2, 5, None, message.to_owned()));
}

#[test]
fn a_listed_room_id_over_32_bytes_is_reported_at_the_item() {
    let room = "r".repeat(33);
    let (line, column, _, message) = only_problem(&one_bot(&format!("    listen:\n      rooms: [lobby, {room}]\n")));
    assert_eq!((line, column), (6, 22));
    assert_eq!(
        message,
        format!("`listen.rooms`: the conversation id '{room}' is 33 bytes long; the service allows at most 32")
    );
}

#[test]
fn one_bad_bot_does_not_hide_a_good_bots_absence_of_problems() {
    let text = "bots:\n  - id: bad\n    user_id: \"@RBT#bad\"\n    plugin: echo\n    mailbox: 0\n  - id: good\n    user_id: \"@RBT#good\"\n    plugin: echo\n";
    let found = problems(text);
    assert_eq!(found.iter().map(|problem| problem.2.as_deref()).collect::<Vec<_>>(), [Some("bad")]);
}

#[test]
fn a_zero_listener_limit_is_reported_at_its_value() {
    let text = "webhook:\n  limits:\n    max_connections: 0\nbots: []\n";
    let problem = only_problem(text);
    assert_eq!(problem, (3, 22, None, "`webhook.limits.max_connections` must be at least 1".to_owned()));
}

#[test]
fn an_empty_or_null_secret_is_reported_at_its_value_never_defaulted() {
    for written in ["", " ~", " null", " \"\"", " ${NOT_SET:-}"] {
        let text = format!("zim:\n  callback_secret:{written}\nbots: []\n");
        let (line, _, bot, message) = only_problem(&text);
        assert_eq!((line, bot), (2, None), "{written:?}");
        assert!(message.starts_with("`zim.callback_secret` is empty;"), "{written:?}: {message}");
    }
}

#[test]
fn the_development_secrets_are_refused_off_loopback() {
    let text = "zim:\n  callback_secret: c\n  hub:\n    listen: 0.0.0.0:9900\nbots: []\n";
    let (line, _, _, message) = only_problem(text);
    assert_eq!(line, 2, "the server secret is not written: placed in the zim section");
    assert!(message.starts_with("`zim.server_secret` is the shipped development secret"), "{message}");
    let text = "zim:\n  server_secret: s\nwebhook:\n  listen: 0.0.0.0:8787\nbots: []\n";
    let (_, _, _, message) = only_problem(text);
    assert!(message.starts_with("`zim.callback_secret` is the shipped development secret"), "{message}");
}

#[test]
fn a_dedupe_window_shorter_than_the_timestamp_window_is_reported() {
    let text = "webhook:\n  timestamp_window_secs: 300\n  dedupe_window_secs: 120\nbots: []\n";
    let (line, column, _, message) = only_problem(text);
    assert_eq!((line, column), (3, 23));
    assert!(
        message.starts_with("`dedupe_window_secs` (120) is shorter than `timestamp_window_secs` (300)"),
        "{message}"
    );
}

#[test]
fn zero_max_attempts_is_refused_where_it_is_written() {
    let (line, column, bot, message) = only_problem("storage:\n  max_attempts: 0\nbots: []\n");
    assert_eq!((line, column, bot), (2, 17, None));
    assert_eq!(message, "`storage.max_attempts` must be at least 1");
}

#[test]
fn an_unknown_durability_is_refused_naming_the_levels() {
    let (line, _, _, message) = only_problem("storage:\n  durability: disk\nbots: []\n");
    assert_eq!(line, 2);
    assert!(message.contains("process") && message.contains("power"), "{message}");
}
