//! What a minimal bots.yaml means: every section but `bots` has defaults.

use super::support::{one_bot, valid};
use crate::config::Backend;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use zimbot_model::Priority;

#[test]
fn a_file_with_only_an_empty_bot_list_is_valid() {
    let config = valid("bots: []\n");
    assert!(config.bots.is_empty());
    assert_eq!(config.source, PathBuf::from("/srv/zimbot/bots.yaml"));
}

#[test]
fn the_zim_section_defaults_to_the_embedded_hub() {
    let zim = valid("bots: []\n").zim;
    assert_eq!(zim.backend, Backend::Hub);
    assert_eq!(zim.hub.listen, "127.0.0.1:9900".parse::<SocketAddr>().unwrap());
    assert_eq!(zim.hub.data_dir, PathBuf::from("/srv/zimbot/.zimbot-data/hub"));
    assert_eq!(zim.hub.max_upload_mb, 200);
    assert_eq!(zim.api_base, "http://127.0.0.1:9900/");
    assert_eq!((zim.app_id, zim.callback_secret.as_str()), (1234567, "zimbot-dev-callback-secret"));
    assert!(zim.media_store.is_none());
}

#[test]
fn the_hub_api_base_follows_the_hub_listen_address() {
    let text = "zim:\n  server_secret: s\n  callback_secret: c\n  hub:\n    listen: 0.0.0.0:9001\nbots: []\n";
    let zim = valid(text).zim;
    assert_eq!(zim.api_base, "http://127.0.0.1:9001/");
}

#[test]
fn the_service_backend_defaults_to_the_public_api_base() {
    let text = "zim:\n  backend: service\n  app_id: 1\n  server_secret: s\n  callback_secret: c\nbots: []\n";
    assert_eq!(valid(text).zim.api_base, "https://zim-api.zego.im/");
}

#[test]
fn the_webhook_defaults_derive_its_public_url_from_its_listen_address() {
    let webhook = valid("bots: []\n").webhook;
    assert_eq!(webhook.listen, "127.0.0.1:8787".parse::<SocketAddr>().unwrap());
    assert_eq!(webhook.public_url, "http://127.0.0.1:8787/zim/callback");
    assert_eq!(webhook.timestamp_window, Duration::from_secs(300));
    assert_eq!(webhook.max_body_bytes, 1_048_576);
    assert_eq!(webhook.dedupe_window, webhook.timestamp_window, "never shorter than the timestamp window");
    assert_eq!((webhook.dedupe_max_entries, webhook.dedupe_max_bytes), (500_000, 128 * 1024 * 1024));
}

#[test]
fn the_client_section_defaults_to_the_clients_own_defaults() {
    assert_eq!(valid("bots: []\n").client, zimbot_client::ClientConfig::default());
}

#[test]
fn top_level_defaults_are_no_plugin_dirs_and_ten_seconds_grace() {
    let config = valid("bots: []\n");
    assert!(config.plugin_dirs.is_empty());
    assert_eq!(config.shutdown_grace, Duration::from_secs(10));
}

#[test]
fn a_bot_defaults_to_no_listening_no_schedules_and_one_at_a_time() {
    let config = valid(&one_bot(""));
    let bot = &config.bots[0];
    assert_eq!(bot.name, "echo");
    assert!(bot.listen.is_empty());
    assert!(bot.schedules.is_empty());
    assert_eq!((bot.max_concurrency, bot.mailbox), (1, 256));
    assert_eq!(bot.priority, Priority::Medium);
    assert_eq!(bot.hook_timeout, Duration::from_secs(30));
    assert_eq!(bot.config, serde_json::json!({}));
}

#[test]
fn a_schedule_defaults_to_utc_fire_once_and_a_minute_of_grace() {
    let config = valid(&one_bot("    schedules:\n      - id: tick\n        cron: \"*/5 * * * *\"\n"));
    let schedule = &config.bots[0].schedules[0];
    assert_eq!(schedule.timezone, chrono_tz::Tz::UTC);
    assert_eq!(schedule.misfire, crate::schedule::Misfire::FireOnce);
    assert_eq!(schedule.misfire_grace, Duration::from_secs(60));
}

#[test]
fn both_listeners_get_safe_limits_and_each_can_be_changed_alone() {
    let config = super::support::valid(
        "webhook:\n  limits: { idle_timeout_secs: 5 }\nzim:\n  hub:\n    limits: { max_connections: 64 }\nbots: []\n",
    );
    let defaults = zimbot_listener::ListenerLimits::default();
    assert_eq!(config.webhook.limits, zimbot_listener::ListenerLimits { idle_timeout_secs: 5, ..defaults.clone() });
    assert_eq!(config.zim.hub.limits, zimbot_listener::ListenerLimits { max_connections: 64, ..defaults });
}

#[test]
fn storage_defaults_to_a_database_in_the_state_dir_that_survives_a_process_crash() {
    let storage = valid("bots: []\n").storage;
    assert_eq!(storage.path, PathBuf::from("/srv/zimbot/.zimbot-data/state/zimbot.db"));
    assert_eq!(storage.durability, zimbot_store::Durability::Process);
    assert_eq!(storage.max_attempts, 3);
    assert_eq!(storage.retention_interval, Duration::from_secs(60));
    assert_eq!(storage.retention.dead_letter_max_age, Duration::from_secs(7 * 24 * 3600));
}

#[test]
fn storage_settings_are_read_as_written() {
    let text = "storage:\n  path: data/bots.db\n  durability: power\n  max_attempts: 5\n  retention:\n    \
                interval_secs: 10\n    dead_letter_days: 1\n    max_dead_letters: 50\nbots: []\n";
    let storage = valid(text).storage;
    assert_eq!(storage.path, PathBuf::from("/srv/zimbot/data/bots.db"));
    assert_eq!(storage.durability, zimbot_store::Durability::Power);
    assert_eq!((storage.max_attempts, storage.retention.max_dead_letters), (5, 50));
    assert_eq!(storage.retention_interval, Duration::from_secs(10));
}
