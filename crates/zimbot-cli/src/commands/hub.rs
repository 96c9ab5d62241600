//! `zimbot hub`: the embedded ZIM stand-in on its own, until Ctrl-C / SIGTERM.

use anyhow::Context as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use zimbot_hub::{Hub, HubConfig};
use zimbot_listener::ListenerLimits;

const MIB: u64 = 1024 * 1024;

/// Flags of `zimbot hub`; defaults are those of a bots.yaml with `backend: hub`.
#[derive(clap::Args)]
pub struct HubArgs {
    /// Address to listen on.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Where history and media are kept.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long)]
    app_id: Option<u32>,
    /// Server API signatures are checked with this.
    #[arg(long, env = "ZIM_SERVER_SECRET")]
    server_secret: Option<String>,
    /// Where message callbacks are POSTed (e.g. http://127.0.0.1:8787/zim/callback).
    #[arg(long)]
    callback_url: Option<String>,
    /// Callback signatures are made with this.
    #[arg(long, env = "ZIM_CALLBACK_SECRET")]
    callback_secret: Option<String>,
    /// Largest upload, in MiB.
    #[arg(long)]
    max_upload_mb: Option<u64>,
    /// Media one uploader may keep stored, in MiB.
    #[arg(long, default_value_t = HubConfig::default().max_user_storage_bytes / MIB)]
    max_user_storage_mb: u64,
    /// Media all uploaders together may keep stored, in MiB.
    #[arg(long, default_value_t = HubConfig::default().max_total_storage_bytes / MIB)]
    max_total_storage_mb: u64,
    /// A long-lived upload key for a generic HTTP PUT media store (`Authorization: Bearer <key>`); repeatable.
    #[arg(long = "upload-key", env = "ZIM_HUB_UPLOAD_KEY")]
    upload_keys: Vec<String>,
    /// Seconds a client has to send a whole request head once it started one.
    #[arg(long, default_value_t = ListenerLimits::default().header_read_timeout_secs)]
    header_read_timeout_secs: u64,
    /// Seconds a request body may take to arrive whole.
    #[arg(long, default_value_t = ListenerLimits::default().body_timeout_secs)]
    body_timeout_secs: u64,
    /// Seconds a connection may wait with no request before it is closed.
    #[arg(long, default_value_t = ListenerLimits::default().idle_timeout_secs)]
    idle_timeout_secs: u64,
    /// Connections open at once; at the cap the one waiting longest is closed for a new one.
    #[arg(long, default_value_t = ListenerLimits::default().max_connections)]
    max_connections: usize,
    /// Requests handled at once; more are answered 503.
    #[arg(long, default_value_t = ListenerLimits::default().max_concurrent_requests)]
    max_concurrent_requests: usize,
}

impl HubArgs {
    fn into_config(self) -> HubConfig {
        let defaults = HubConfig::default();
        HubConfig {
            listen: self.listen.unwrap_or(defaults.listen),
            data_dir: self.data_dir.unwrap_or(defaults.data_dir.clone()),
            app_id: self.app_id.unwrap_or(defaults.app_id),
            server_secret: self.server_secret.unwrap_or(defaults.server_secret.clone()),
            callback_url: self.callback_url,
            callback_secret: self.callback_secret.unwrap_or(defaults.callback_secret.clone()),
            max_upload_bytes: self.max_upload_mb.map(|mb| mb * MIB).unwrap_or(defaults.max_upload_bytes),
            max_user_storage_bytes: self.max_user_storage_mb.saturating_mul(MIB),
            max_total_storage_bytes: self.max_total_storage_mb.saturating_mul(MIB),
            upload_keys: self.upload_keys,
            limits: ListenerLimits {
                header_read_timeout_secs: self.header_read_timeout_secs,
                body_timeout_secs: self.body_timeout_secs,
                idle_timeout_secs: self.idle_timeout_secs,
                max_connections: self.max_connections,
                max_concurrent_requests: self.max_concurrent_requests,
            },
            ..defaults
        }
    }
}

pub async fn hub(args: HubArgs) -> anyhow::Result<ExitCode> {
    let stop = super::stop_signal::StopSignal::install();
    let config = args.into_config();
    if let Some(setting) = config.limits.zero_settings().first() {
        anyhow::bail!("--{} must be at least 1", setting.replace('_', "-"));
    }
    let defaults = HubConfig::default();
    for (flag, secret, development) in [
        ("--server-secret", &config.server_secret, &defaults.server_secret),
        ("--callback-secret", &config.callback_secret, &defaults.callback_secret),
    ] {
        if secret.trim().is_empty() {
            anyhow::bail!("{flag} is empty; an empty secret would let anyone sign");
        }
        if secret == development && !config.listen.ip().is_loopback() {
            anyhow::bail!(
                "{flag} is the shipped development secret, which anyone can read; it is accepted only while the hub \
                 listens on loopback (not {}). Set a secret of your own",
                config.listen
            );
        }
    }
    if config.upload_keys.iter().any(|key| key.len() < 16) {
        anyhow::bail!("--upload-key must be at least 16 characters: it is a password for storing files");
    }
    let development =
        config.server_secret == defaults.server_secret || config.callback_secret == defaults.callback_secret;
    let listen = config.listen;
    let hub = Hub::start(config).await.with_context(|| format!("starting the hub on {listen}"))?;
    println!("zimbot hub listening on {} (chat page: {}/)", hub.local_addr(), hub.base_url());
    if development {
        println!("using the shipped development secrets: accepted only because the hub listens on loopback");
    }
    stop.wait().await;
    hub.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
