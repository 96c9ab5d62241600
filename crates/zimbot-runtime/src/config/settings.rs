//! The checked configuration the runtime runs with: built once from bots.yaml, then read-only.

use super::{BotConfig, ConfigError, ConfigErrors};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A loaded and checked bots.yaml. Relative paths in it are already resolved against the file's folder.
#[derive(Debug, Clone)]
pub struct Config {
    pub zim: ZimConfig,
    pub webhook: WebhookConfig,
    pub client: zimbot_client::ClientConfig,
    /// Folders searched for plugin libraries.
    pub plugin_dirs: Vec<PathBuf>,
    /// Where bots' plugin state is kept across restarts.
    pub state_dir: PathBuf,
    /// Where and how everything acknowledged is kept.
    pub storage: super::StorageConfig,
    /// How long bots get to finish on shutdown.
    pub shutdown_grace: Duration,
    /// The declared rooms (`rooms:`), created at start.
    pub rooms: Vec<super::RoomConfig>,
    /// The declared groups (`groups:`), created at start.
    pub groups: Vec<super::GroupConfig>,
    pub bots: Vec<BotConfig>,
    /// The bots.yaml this came from.
    pub source: PathBuf,
}

impl Config {
    /// Whether a shipped development secret is in use (allowed only with every listener and the hub on
    /// loopback; `zimbot run` says so when it starts).
    pub fn uses_development_secrets(&self) -> bool {
        self.zim.server_secret == super::raw::defaults::SERVER_SECRET
            || self.zim.callback_secret == super::raw::defaults::CALLBACK_SECRET
    }

    /// The bot with this id.
    pub fn bot(&self, id: &str) -> Option<&BotConfig> {
        self.bots.iter().find(|bot| bot.id.as_str() == id)
    }

    /// A problem found after loading (e.g. by the plugin host), in the same form as loading problems:
    /// pointing at the bot's entry in this file.
    pub fn bot_error(&self, bot: &BotConfig, message: impl Into<String>) -> ConfigErrors {
        ConfigErrors(vec![ConfigError {
            file: self.source.clone(),
            location: Some(bot.location),
            bot: Some(bot.id.to_string()),
            message: message.into(),
        }])
    }
}

/// Which ZIM the runtime talks to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The embedded stand-in (`zimbot-hub`), started in the same process: works with no account.
    #[default]
    Hub,
    /// The real ZIM Server API.
    Service,
}

/// How to reach ZIM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZimConfig {
    pub backend: Backend,
    pub app_id: u32,
    /// Signs Server API requests.
    pub server_secret: String,
    /// Checks callback signatures.
    pub callback_secret: String,
    /// Also accepted on callbacks during a rotation.
    pub previous_callback_secret: Option<String>,
    /// Server API base URL, ending in `/`.
    pub api_base: String,
    /// The embedded hub's settings (used when `backend` is `Hub`).
    pub hub: HubSettings,
    /// Where media files are uploaded when the service backend is used.
    pub media_store: Option<MediaStoreSettings>,
}

/// The embedded hub's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSettings {
    pub listen: SocketAddr,
    /// Resolved against the bots.yaml's folder.
    pub data_dir: PathBuf,
    pub max_upload_mb: u64,
    pub max_user_storage_mb: u64,
    pub max_total_storage_mb: u64,
    /// The longest an empty room is kept, in seconds (at most the service's 10 800).
    pub max_room_destroy_delay_secs: u64,
    /// Timeouts and caps of the hub's listener.
    pub limits: zimbot_listener::ListenerLimits,
}

/// Where media files are uploaded before a send (the service backend; the hub backend uses the hub's store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaStoreSettings {
    /// A generic HTTP PUT store.
    HttpPut(HttpPutStoreSettings),
    /// S3-compatible object storage, checked and ready for [`zimbot_client::S3Store::new`].
    S3(zimbot_client::S3Config),
    /// A folder served by `zimbot run` itself.
    Local(LocalStoreSettings),
}

impl MediaStoreSettings {
    /// The HTTP PUT store's settings, if that is the kind.
    pub fn http_put(&self) -> Option<&HttpPutStoreSettings> {
        match self {
            Self::HttpPut(settings) => Some(settings),
            _ => None,
        }
    }

    /// The S3 store's settings, if that is the kind.
    pub fn s3(&self) -> Option<&zimbot_client::S3Config> {
        match self {
            Self::S3(settings) => Some(settings),
            _ => None,
        }
    }
}

/// A local media store: files kept under `data_dir`, served on `listen`, linked as `{public_url}/{token}/{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalStoreSettings {
    pub listen: SocketAddr,
    pub public_url: String,
    /// Resolved against the bots.yaml's folder.
    pub data_dir: PathBuf,
}

/// A generic HTTP PUT media store; `{uid}` and `{file_name}` in the URLs are filled in per upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPutStoreSettings {
    pub put_url: String,
    pub public_url: String,
    /// Sent as the `Authorization` header of each PUT.
    pub auth_header: Option<String>,
}

/// Where callbacks are received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub listen: SocketAddr,
    /// The URL the hub or service is told to call.
    pub public_url: String,
    pub timestamp_window: Duration,
    pub max_body_bytes: usize,
    pub dedupe_window: Duration,
    pub dedupe_max_entries: usize,
    pub dedupe_max_bytes: usize,
    /// A second accepted callback secret, during a rotation (from `zim.previous_callback_secret`).
    pub previous_callback_secret: Option<String>,
    /// Timeouts and caps of the webhook's listener.
    pub limits: zimbot_listener::ListenerLimits,
}
