//! A bots.yaml using every setting loads to exactly what it says.

use super::support::{environment, KnownPlugins};
use crate::config::{load, parse, Backend, Config, Selector};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zimbot_model::{ConversationType, Priority};

const FULL: &str = include_str!("../../../tests/fixtures/config/full.yaml");

fn full() -> Config {
    match parse(FULL, Path::new("/srv/zimbot/bots.yaml"), &environment, &KnownPlugins) {
        Ok(config) => config,
        Err(errors) => panic!("{errors}"),
    }
}

#[test]
fn the_zim_section_is_read_with_variables_and_defaults_filled_in() {
    let zim = full().zim;
    assert_eq!(zim.backend, Backend::Service);
    assert_eq!(zim.app_id, 7654321);
    assert_eq!(zim.server_secret, "0123456789abcdef0123456789abcdef");
    assert_eq!(zim.callback_secret, "zimbot-dev-callback-secret");
    assert_eq!(zim.api_base, "https://zim-api-fra.zego.im/");
    assert_eq!(zim.hub.listen.to_string(), "127.0.0.1:9911");
    assert_eq!(zim.hub.data_dir, PathBuf::from("/srv/zimbot/data/hub"));
    assert_eq!(zim.hub.max_upload_mb, 50);
    let store = zim.media_store.unwrap();
    let store = store.http_put().unwrap();
    assert_eq!(store.put_url, "https://media.example.com/upload/{uid}/{file_name}");
    assert_eq!(store.public_url, "https://cdn.example.com/{uid}/{file_name}");
    assert_eq!(store.auth_header.as_deref(), Some("Bearer t0k#en: \"x\""));
}

#[test]
fn the_webhook_client_and_top_level_settings_are_read() {
    let config = full();
    assert_eq!(config.webhook.listen.to_string(), "0.0.0.0:8788");
    assert_eq!(config.webhook.public_url, "http://127.0.0.1:8788/zim/callback");
    assert_eq!(config.webhook.timestamp_window, Duration::from_secs(120));
    assert_eq!(config.webhook.max_body_bytes, 65536);
    assert_eq!(config.webhook.dedupe_window, Duration::from_secs(60));
    assert_eq!(config.client.sends_per_window, 5);
    assert_eq!(config.client.window_ms, zimbot_client::ClientConfig::default().window_ms);
    assert_eq!(config.plugin_dirs, [PathBuf::from("/srv/zimbot/target/debug"), PathBuf::from("/srv/zimbot/plugins")]);
    assert_eq!(config.shutdown_grace, Duration::from_secs(15));
}

#[test]
fn the_first_bot_is_read_field_by_field() {
    let config = full();
    let bot = config.bot("announcer").unwrap();
    assert_eq!(
        (bot.user_id.as_str(), bot.name.as_str(), bot.plugin.as_str()),
        ("@RBT#announcer", "Announcer", "announcer")
    );
    assert_eq!(bot.listen.peers, Selector::All);
    assert_eq!(bot.listen.rooms, Selector::Only(BTreeSet::from(["lobby".to_owned(), "10001".to_owned()])));
    assert_eq!(bot.listen.groups, Selector::None);
    assert_eq!(bot.listen.pattern.as_ref().map(|pattern| pattern.as_str()), Some("^!announce"));
    assert_eq!((bot.max_concurrency, bot.mailbox, bot.priority), (2, 64, Priority::High));
    assert_eq!(bot.hook_timeout, Duration::from_secs(5));
    assert_eq!(
        bot.config,
        serde_json::json!({ "greeting": "Hello $5 world", "rooms": ["lobby"], "retries": 3, "loud": true })
    );
    assert_eq!((bot.location.line, bot.location.column), (25, 5));
}

#[test]
fn the_first_bots_schedules_are_read() {
    let config = full();
    let schedules = &config.bot("announcer").unwrap().schedules;
    assert_eq!(schedules.len(), 2);
    assert_eq!(schedules[0].id, "weekday-morning");
    assert_eq!(schedules[0].spec.expression(), "0 9 * * 1-5");
    assert_eq!(schedules[0].timezone, chrono_tz::Europe::Berlin);
    assert_eq!(schedules[0].misfire, crate::schedule::Misfire::Skip);
    assert_eq!(schedules[0].misfire_grace, Duration::from_secs(30));
    assert_eq!((schedules[1].id.as_str(), schedules[1].spec.expression()), ("hourly", "@hourly"));
}

#[test]
fn the_first_bots_filter_accepts_what_it_lists() {
    let config = full();
    let listen = &config.bot("announcer").unwrap().listen;
    assert!(listen.accepts(ConversationType::Room, "10001", "alice", Some("!announce hi")));
    assert!(!listen.accepts(ConversationType::Group, "10001", "alice", Some("!announce hi")));
    assert_eq!(listen.describe(), "rooms 10001, lobby; peers *; match ^!announce");
}

#[test]
fn the_second_bot_takes_the_defaults() {
    let config = full();
    let bot = config.bot("echo").unwrap();
    assert_eq!((bot.name.as_str(), bot.priority, bot.mailbox), ("echo", Priority::Medium, 256));
    assert_eq!(config.bots.len(), 2);
}

#[test]
fn load_reads_the_file_from_disk_and_names_it_as_the_source() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("bots.yaml");
    std::fs::write(
        &path,
        "plugin_dirs: [plugins]\nbots:\n  - id: echo\n    user_id: \"@RBT#echo\"\n    plugin: echo\n",
    )
    .unwrap();
    let config = load(&path, &KnownPlugins).unwrap();
    assert_eq!(config.source, path);
    assert_eq!(config.plugin_dirs, [folder.path().join("plugins")]);
    assert_eq!(config.bots[0].id.as_str(), "echo");
}
