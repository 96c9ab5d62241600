//! The hub's settings: where it listens and stores, which app it pretends to be, where callbacks go.

use crate::clock::{Clock, SystemClock};
use crate::ServerAction;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Everything [`crate::Hub::start`] needs. Every field has a development default (see [`HubConfig::default`]).
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Address to listen on; port 0 picks a free port (read it back with [`crate::Hub::local_addr`]).
    pub listen: SocketAddr,
    /// Where the history database and the media files live; created if missing.
    pub data_dir: PathBuf,
    /// The app id requests must carry.
    pub app_id: u32,
    /// The secret Server API signatures are checked with.
    pub server_secret: String,
    /// Where `send_msg` / `bot_msg` callbacks are POSTed; `None` fires none.
    pub callback_url: Option<String>,
    /// The secret callback signatures are made with.
    pub callback_secret: String,
    /// Largest media upload, in bytes; larger uploads answer 413.
    pub max_upload_bytes: u64,
    /// Bytes of media one uploader may keep stored; more answer 507.
    pub max_user_storage_bytes: u64,
    /// Bytes of media all uploaders together may keep stored; more answer 507.
    pub max_total_storage_bytes: u64,
    /// Long-lived upload keys an operator gives to generic HTTP PUT media stores (`Authorization: Bearer <key>`).
    pub upload_keys: Vec<String>,
    /// The base of media URLs handed out; `None` means `http://{bound address}`.
    pub public_base_url: Option<String>,
    /// Waits between callback attempts; one retry per entry, then the callback is given up.
    pub callback_retry_delays: Vec<Duration>,
    /// How long one callback attempt may take before it counts as failed.
    pub callback_timeout: Duration,
    /// Callbacks one conversation may have waiting behind the one being delivered; when full, the oldest
    /// waiting one is dropped and counted (see `callbacks`).
    pub callback_queue_limit: usize,
    /// Requests per one-second window for each action; an action missing here is not limited.
    pub qps_limits: HashMap<ServerAction, u32>,
    /// The longest a room with no members is kept before it is destroyed: each room's `DestroyDelayTime` is
    /// shortened to this. The service's limit (10 800 s) by default; tests set a few seconds.
    pub room_destroy_delay_cap: Duration,
    /// Timeouts and caps of the hub's listener.
    pub limits: zimbot_listener::ListenerLimits,
    /// The clock the QPS windows and the rooms' destroy delays are measured with (tests substitute a `zimbot_clock::ManualClock`).
    pub clock: Arc<dyn Clock>,
}

impl HubConfig {
    /// The service's documented per-app limit of every action that has one ([`ServerAction::app_limit`]).
    pub fn default_qps_limits() -> HashMap<ServerAction, u32> {
        ServerAction::ALL.into_iter().filter_map(|action| Some((action, action.app_limit()?))).collect()
    }

    /// Callbacks waiting per conversation by default: at the service's schedule a retried callback holds its
    /// conversation for about a minute, and a thousand messages a minute is far beyond any one chat.
    pub const DEFAULT_CALLBACK_QUEUE_LIMIT: usize = 1000;

    /// The service's retry schedule: 2, 4, 8, 16 and 32 seconds.
    pub fn default_callback_retry_delays() -> Vec<Duration> {
        [2, 4, 8, 16, 32].into_iter().map(Duration::from_secs).collect()
    }
}

impl Default for HubConfig {
    /// `127.0.0.1:9900`, data in `./.zimbot-data/hub`, app id 1234567, development secrets, uploads up to 200 MiB,
    /// 1 GiB of media per uploader and 10 GiB in all, no upload keys.
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9900)),
            data_dir: PathBuf::from("./.zimbot-data/hub"),
            app_id: 1_234_567,
            // The same development secrets a bots.yaml with `backend: hub` defaults to.
            server_secret: "0123456789abcdef0123456789abcdef".to_owned(),
            callback_url: None,
            callback_secret: "zimbot-dev-callback-secret".to_owned(),
            max_upload_bytes: 200 * 1024 * 1024,
            max_user_storage_bytes: 1024 * 1024 * 1024,
            max_total_storage_bytes: 10 * 1024 * 1024 * 1024,
            upload_keys: Vec::new(),
            public_base_url: None,
            callback_retry_delays: Self::default_callback_retry_delays(),
            callback_timeout: Duration::from_secs(10),
            callback_queue_limit: Self::DEFAULT_CALLBACK_QUEUE_LIMIT,
            qps_limits: Self::default_qps_limits(),
            room_destroy_delay_cap: Duration::from_secs(crate::rooms::MAX_DESTROY_DELAY_SECS),
            limits: zimbot_listener::ListenerLimits::default(),
            clock: Arc::new(SystemClock),
        }
    }
}
