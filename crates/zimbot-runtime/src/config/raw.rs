//! bots.yaml exactly as written: the serde (and JSON Schema) shape of the file, before any checks.
//!
//! Doc comments here become the descriptions editors show from `zimbot schema`. serde_yaml reads these
//! shapes from its `Value`; text fields go through [`text`] so an unquoted `10001` is the text "10001".

pub(super) use super::raw_media_store::RawMediaStore;
use super::raw_storage::RawStorage;
use super::settings::Backend;
use super::text;
use crate::schedule::Misfire;
use schemars::JsonSchema;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::net::SocketAddr;
use zimbot_client::ClientConfig;
use zimbot_listener::ListenerLimits;
use zimbot_model::Priority;

/// A zimbot bots.yaml: the ZIM connection, the webhook, the shared client and the bots.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with a `bots:` list and optional `zim`, `webhook`, `client`, `plugin_dirs`, `state_dir`, `storage` and `shutdown_grace_secs`"
)]
#[schemars(title = "zimbot bots.yaml")]
pub(super) struct RawFile {
    /// How to reach ZIM: the embedded hub (default) or the real ZIM Server API.
    #[serde(default)]
    pub zim: RawZim,
    /// Where ZIM's callbacks (incoming messages) are received.
    #[serde(default)]
    pub webhook: RawWebhook,
    /// The shared send client: rate limit, queues, uploads, retries.
    #[serde(default)]
    pub client: ClientConfig,
    /// Folders searched for plugin libraries, relative to this file's folder.
    #[serde(default, deserialize_with = "text::list")]
    pub plugin_dirs: Vec<String>,
    /// The folder of zimbot's state, relative to this file's folder: the storage file by default, and where older
    /// versions kept plugin snapshots (imported into the store once).
    #[serde(default = "defaults::state_dir", deserialize_with = "text::one")]
    pub state_dir: String,
    /// Where everything acknowledged (the inbox journal, dedupe records, dead letters) is kept, and how.
    #[serde(default)]
    pub storage: RawStorage,
    /// Seconds bots get to finish their work on shutdown.
    #[serde(default = "defaults::shutdown_grace_secs")]
    pub shutdown_grace_secs: u64,
    /// The rooms the bots post to, created at start.
    #[serde(default)]
    pub rooms: Vec<super::conversations::RawRoom>,
    /// The groups the bots post to, created at start.
    #[serde(default)]
    pub groups: Vec<super::conversations::RawGroup>,
    /// The bots. Each is read on its own (see `RawBot`) so one bad bot does not hide another's problems.
    // Read here only to check it is a list; each bot is then read from the tree on its own.
    #[schemars(with = "Vec<RawBot>")]
    #[allow(dead_code)]
    pub bots: Vec<IgnoredAny>,
}

/// The `zim:` section.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of ZIM settings (`backend`, `app_id`, ...)")]
pub(super) struct RawZim {
    /// `hub` (the embedded stand-in, default) or `service` (the real ZIM Server API).
    #[serde(default)]
    pub backend: Backend,
    /// The ZIM app id. Required for the service backend.
    #[serde(default)]
    pub app_id: Option<u32>,
    /// The app's server secret (signs Server API requests). Required for the service backend.
    #[serde(default, deserialize_with = "text::optional")]
    pub server_secret: Option<String>,
    /// The secret ZIM signs callbacks with. Required for the service backend.
    #[serde(default, deserialize_with = "text::optional")]
    pub callback_secret: Option<String>,
    /// During a rotation, the secret callbacks were signed with before `callback_secret`; both are accepted.
    #[serde(default, deserialize_with = "text::optional")]
    pub previous_callback_secret: Option<String>,
    /// Server API base URL. Service default `https://zim-api.zego.im/`; hub default `http://{hub.listen}/`.
    #[serde(default, deserialize_with = "text::optional")]
    pub api_base: Option<String>,
    /// The embedded hub, used when `backend` is `hub`.
    #[serde(default)]
    pub hub: RawHub,
    /// Where media files are uploaded for the service backend: S3-compatible object storage or an HTTP PUT store.
    #[serde(default)]
    pub media_store: Option<RawMediaStore>,
}

/// The `zim.hub:` section.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of hub settings (`listen`, `data_dir`, `max_upload_mb`, ...)")]
pub(super) struct RawHub {
    /// Address the hub listens on.
    #[serde(default = "defaults::hub_listen")]
    pub listen: SocketAddr,
    /// Where the hub keeps history and media, relative to this file's folder.
    #[serde(default = "defaults::hub_data_dir", deserialize_with = "text::one")]
    pub data_dir: String,
    /// Largest upload the hub accepts, in MiB.
    #[serde(default = "defaults::hub_max_upload_mb")]
    pub max_upload_mb: u64,
    /// Media one uploader may keep stored in the hub, in MiB.
    #[serde(default = "defaults::hub_max_user_storage_mb")]
    pub max_user_storage_mb: u64,
    /// Media all uploaders together may keep stored in the hub, in MiB.
    #[serde(default = "defaults::hub_max_total_storage_mb")]
    pub max_total_storage_mb: u64,
    /// The longest an empty room is kept before the hub destroys it, in seconds: each room's `DestroyDelayTime`
    /// is shortened to this (the service's limit, 10800, by default; tests set a few seconds).
    #[serde(default = "defaults::hub_max_room_destroy_delay_secs")]
    pub max_room_destroy_delay_secs: u64,
    /// Timeouts and caps of the hub's listener.
    #[serde(default)]
    pub limits: ListenerLimits,
}

impl Default for RawHub {
    fn default() -> Self {
        Self {
            listen: defaults::hub_listen(),
            data_dir: defaults::hub_data_dir(),
            max_upload_mb: defaults::hub_max_upload_mb(),
            max_user_storage_mb: defaults::hub_max_user_storage_mb(),
            max_total_storage_mb: defaults::hub_max_total_storage_mb(),
            max_room_destroy_delay_secs: defaults::hub_max_room_destroy_delay_secs(),
            limits: ListenerLimits::default(),
        }
    }
}

/// The `webhook:` section.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of webhook settings (`listen`, `public_url`, ...)")]
pub(super) struct RawWebhook {
    /// Address the webhook listens on.
    #[serde(default = "defaults::webhook_listen")]
    pub listen: SocketAddr,
    /// The URL ZIM (or the hub) is told to call. Default: `http://{listen}/zim/callback`.
    #[serde(default, deserialize_with = "text::optional")]
    pub public_url: Option<String>,
    /// Callbacks whose timestamp is further than this from now are refused, in seconds.
    #[serde(default = "defaults::timestamp_window_secs")]
    pub timestamp_window_secs: u64,
    /// Largest callback body accepted, in bytes.
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    /// A callback repeating a recent `msg_id` is dropped; ids are remembered at least this many seconds, and
    /// always as long as their callback could pass the timestamp check. At least `timestamp_window_secs`,
    /// which is the default.
    #[serde(default)]
    pub dedupe_window_secs: Option<u64>,
    /// Most recent message ids and signatures remembered; beyond, callbacks are answered 503 until some expire.
    #[serde(default = "defaults::dedupe_max_entries")]
    pub dedupe_max_entries: usize,
    /// Most bytes the remembered ids and signatures may take; beyond, callbacks are answered 503.
    #[serde(default = "defaults::dedupe_max_bytes")]
    pub dedupe_max_bytes: usize,
    /// Timeouts and caps of the webhook's listener.
    #[serde(default)]
    pub limits: ListenerLimits,
}

impl Default for RawWebhook {
    fn default() -> Self {
        Self {
            listen: defaults::webhook_listen(),
            public_url: None,
            timestamp_window_secs: defaults::timestamp_window_secs(),
            max_body_bytes: defaults::max_body_bytes(),
            dedupe_window_secs: None,
            dedupe_max_entries: defaults::dedupe_max_entries(),
            dedupe_max_bytes: defaults::dedupe_max_bytes(),
            limits: ListenerLimits::default(),
        }
    }
}

/// One bot.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a bot: a mapping with at least `id`, `user_id` and `plugin`")]
pub(super) struct RawBot {
    /// Unique id of the bot in this file (at most 32 bytes).
    #[serde(deserialize_with = "text::one")]
    pub id: String,
    /// The bot's ZIM user id: starts with `@RBT#`, at most 32 bytes, unique across bots.
    #[serde(deserialize_with = "text::one")]
    pub user_id: String,
    /// Display name; defaults to the id.
    #[serde(default, deserialize_with = "text::optional")]
    pub name: Option<String>,
    /// A built-in plugin name, a library name found in `plugin_dirs`, or a path to a library.
    #[serde(deserialize_with = "text::one")]
    pub plugin: String,
    /// Which conversations' messages the bot receives. Leave out for a bot that only runs on schedules.
    #[serde(default)]
    pub listen: Option<RawListen>,
    /// Cron schedules that send the bot ticks.
    #[serde(default)]
    pub schedules: Vec<RawSchedule>,
    /// Inbound messages handled at once (at least 1).
    #[serde(default = "defaults::max_concurrency")]
    pub max_concurrency: usize,
    /// Inbound messages that may wait for the bot (at least 1).
    #[serde(default = "defaults::mailbox")]
    pub mailbox: usize,
    /// Priority of the bot's sends: `low`, `medium` or `high`.
    #[serde(default)]
    #[schemars(with = "PriorityName")]
    pub priority: Priority,
    /// Seconds a hook may run before it is abandoned.
    #[serde(default = "defaults::hook_timeout_secs")]
    pub hook_timeout_secs: u64,
    /// Free-form settings handed to the plugin as JSON.
    #[serde(default)]
    pub config: Option<serde_json::Value>,
}

/// The `listen:` of a bot. Each list holds ids, or `"*"` for all.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping with `peers`, `rooms`, `groups` and/or `match`")]
pub(super) struct RawListen {
    /// One-to-one messages to the bot: the senders' user ids, or `"*"` for anyone.
    #[serde(default, deserialize_with = "text::list")]
    pub peers: Vec<String>,
    /// Room ids, or `"*"` for every room the bot is in.
    #[serde(default, deserialize_with = "text::list")]
    pub rooms: Vec<String>,
    /// Group ids, or `"*"` for every group the bot is in.
    #[serde(default, deserialize_with = "text::list")]
    pub groups: Vec<String>,
    /// A regular expression the text of a text message must match; other messages pass only without it.
    #[serde(default, rename = "match", deserialize_with = "text::optional")]
    pub pattern: Option<String>,
}

/// One cron schedule of a bot.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a schedule: a mapping with at least `id` and `cron`")]
pub(super) struct RawSchedule {
    /// Unique within the bot; handed to the plugin with each tick.
    #[serde(deserialize_with = "text::one")]
    pub id: String,
    /// A 5-field crontab expression (or 6/7 fields with seconds first, or a shorthand such as @daily).
    #[serde(deserialize_with = "text::one")]
    pub cron: String,
    /// IANA time zone the expression is read in, e.g. `Europe/Berlin`. Default UTC.
    #[serde(default, deserialize_with = "text::optional")]
    pub timezone: Option<String>,
    /// What to do with a tick more than `misfire_grace_secs` late.
    #[serde(default)]
    pub misfire: Misfire,
    /// Seconds a tick may be late and still fire normally.
    #[serde(default = "defaults::misfire_grace_secs")]
    pub misfire_grace_secs: u64,
}

/// Schema stand-in for [`Priority`], which lives in the serde-only model crate.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum PriorityName {
    Low,
    Medium,
    High,
}

/// The defaults, in one place so the docs and the code agree.
pub(super) mod defaults {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    pub fn shutdown_grace_secs() -> u64 {
        10
    }
    pub fn state_dir() -> String {
        ".zimbot-data/state".to_owned()
    }
    pub fn hub_listen() -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9900)
    }
    pub fn hub_data_dir() -> String {
        ".zimbot-data/hub".to_owned()
    }
    pub fn hub_max_room_destroy_delay_secs() -> u64 {
        10_800
    }

    pub fn hub_max_upload_mb() -> u64 {
        200
    }
    pub fn hub_max_user_storage_mb() -> u64 {
        1024
    }
    pub fn hub_max_total_storage_mb() -> u64 {
        10 * 1024
    }
    pub fn webhook_listen() -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8787)
    }
    pub fn timestamp_window_secs() -> u64 {
        300
    }
    pub fn max_body_bytes() -> usize {
        1024 * 1024
    }
    pub fn dedupe_max_entries() -> usize {
        500_000
    }
    pub fn dedupe_max_bytes() -> usize {
        128 * 1024 * 1024
    }
    pub fn max_concurrency() -> usize {
        1
    }
    pub fn mailbox() -> usize {
        256
    }
    pub fn hook_timeout_secs() -> u64 {
        30
    }
    pub fn misfire_grace_secs() -> u64 {
        crate::schedule::DEFAULT_MISFIRE_GRACE.as_secs()
    }

    /// Development values shared with the embedded hub's defaults; the service backend must set its own.
    pub const APP_ID: u32 = 1234567;
    pub const SERVER_SECRET: &str = "0123456789abcdef0123456789abcdef";
    pub const CALLBACK_SECRET: &str = "zimbot-dev-callback-secret";
    pub const SERVICE_API_BASE: &str = "https://zim-api.zego.im/";
}
