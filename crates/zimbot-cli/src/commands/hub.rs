//! `zimbot hub`: the embedded ZIM stand-in on its own, until Ctrl-C / SIGTERM.

use anyhow::Context as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use zimbot_hub::{Hub, HubConfig};

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
            max_upload_bytes: self.max_upload_mb.map(|mb| mb * 1024 * 1024).unwrap_or(defaults.max_upload_bytes),
            ..defaults
        }
    }
}

pub async fn hub(args: HubArgs) -> anyhow::Result<ExitCode> {
    let config = args.into_config();
    let stop = super::stop_signal::StopSignal::install();
    let listen = config.listen;
    let hub = Hub::start(config).await.with_context(|| format!("starting the hub on {listen}"))?;
    println!("zimbot hub listening on {} (chat page: {}/)", hub.local_addr(), hub.base_url());
    stop.wait().await;
    hub.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
