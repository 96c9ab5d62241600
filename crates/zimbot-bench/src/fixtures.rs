//! The components the scenarios start in-process: a hub in a temporary directory, a client sending to it, and a
//! runtime of counting bots parsed from generated YAML.

use anyhow::Context as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use zimbot_client::{Client, ClientConfig, HubMediaStore, ServerApiConfig, ServerApiTransport, Transport};
use zimbot_hub::{Hub, HubConfig};
use zimbot_runtime::clock::SystemClock;
use zimbot_runtime::config::{self, AcceptAnyPlugin, Config};
use zimbot_runtime::{HostServices, PluginCatalog};
use zimbot_runtime::{LoopbackOutbound, Outbound};

/// The callback secret of every generated configuration.
pub const CALLBACK_SECRET: &str = "zimbot-bench-callback-secret";
/// An operator upload key every bench hub takes (`Authorization: Bearer`), for uploads by `curl -T`.
pub const UPLOAD_KEY: &str = "zimbot-bench-upload-key";

/// Bytes free on the file system holding `path` (None when it cannot be asked).
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is a NUL-terminated string and `stats` has room for the answer, read only on success.
    let status = unsafe { libc::statvfs(path.as_ptr(), stats.as_mut_ptr()) };
    if status != 0 {
        return None;
    }
    // SAFETY: statvfs succeeded, so it filled `stats`.
    let stats = unsafe { stats.assume_init() };
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// A hub on a free loopback port with its data in a temporary directory, removed when this is dropped.
pub struct BenchHub {
    pub hub: Hub,
    _data: tempfile::TempDir,
}

impl BenchHub {
    /// Starts a hub with the service's QPS limits, taking uploads up to `max_upload_bytes`.
    pub async fn start(max_upload_bytes: u64) -> anyhow::Result<Self> {
        Self::start_in(tempfile::tempdir().context("creating the hub's data directory")?, max_upload_bytes).await
    }

    /// As [`BenchHub::start`], with the hub's files in memory (a directory on `/dev/shm`) when it has room for
    /// `room` bytes: uploads are then measured without the disk's write-back, which varies with what else the
    /// machine's disk does. Answers whether the files are in memory.
    pub async fn start_in_memory(max_upload_bytes: u64, room: u64) -> anyhow::Result<(Self, bool)> {
        let shm = Path::new("/dev/shm");
        let in_memory = free_bytes(shm).is_some_and(|free| free >= room);
        let data = match in_memory {
            true => tempfile::tempdir_in(shm).context("creating the hub's data directory in /dev/shm")?,
            false => tempfile::tempdir().context("creating the hub's data directory")?,
        };
        Ok((Self::start_in(data, max_upload_bytes).await?, in_memory))
    }

    async fn start_in(data: tempfile::TempDir, max_upload_bytes: u64) -> anyhow::Result<Self> {
        let config = HubConfig {
            listen: ([127, 0, 0, 1], 0).into(),
            data_dir: data.path().join("hub"),
            max_upload_bytes,
            // Benchmarks measure throughput, not the storage quotas.
            max_user_storage_bytes: u64::MAX,
            max_total_storage_bytes: u64::MAX,
            upload_keys: vec![UPLOAD_KEY.to_owned()],
            ..HubConfig::default()
        };
        let hub = Hub::start(config).await.context("starting the hub")?;
        Ok(Self { hub, _data: data })
    }

    /// The hub's Server API transport.
    pub fn transport(&self) -> anyhow::Result<ServerApiTransport> {
        server_api(&self.hub.base_url())
    }

    /// A client sending through `transport` and uploading to this hub's media store.
    pub fn client(&self, config: ClientConfig, transport: Arc<dyn Transport>) -> anyhow::Result<Client> {
        let defaults = HubConfig::default();
        let store = HubMediaStore::new(self.hub.base_url())
            .context("the hub's media store")?
            .with_credentials(defaults.app_id, defaults.server_secret);
        Ok(Client::new(config, transport, Arc::new(store)))
    }
}

/// A Server API transport to the hub at `base_url`, with the hub's development app id and secret.
pub fn server_api(base_url: &str) -> anyhow::Result<ServerApiTransport> {
    let defaults = HubConfig::default();
    ServerApiTransport::new(ServerApiConfig {
        base_url: base_url.to_owned(),
        app_id: defaults.app_id,
        server_secret: defaults.server_secret,
        request_timeout: Duration::from_secs(30),
    })
    .context("the hub's Server API transport")
}

/// Parses generated bots.yaml text (every plugin name is accepted here; the catalog checks them at start).
pub fn parse_config(yaml: &str) -> anyhow::Result<Config> {
    config::parse(yaml, Path::new("bench-bots.yaml"), &|_| None, &AcceptAnyPlugin)
        .map_err(|errors| anyhow::anyhow!("the generated bots.yaml is refused: {errors:?}"))
}

/// Host services on the current tokio runtime whose sends go nowhere (a loopback outbound).
pub fn loopback_services() -> HostServices {
    let outbound: Arc<dyn Outbound> = LoopbackOutbound::new();
    HostServices::new(outbound, Arc::new(SystemClock))
}

/// The counting plugin's catalog (see [`crate::counting`]).
pub fn counting_catalog() -> PluginCatalog {
    crate::counting::catalog()
}
