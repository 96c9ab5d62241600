//! Building the shared send client for a bots.yaml's backend.

use anyhow::Context as _;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;
use std::sync::Arc;
use std::time::Duration;
use zimbot_client::{
    Client, ClientStats, HttpPutStore, HubMediaStore, LocalMediaStore, MediaStore, RoomSpec, S3Store, SendJournal,
    ServerApiConfig, ServerApiTransport, Transport,
};
use zimbot_runtime::config::{Backend, Config, MediaStoreSettings};
use zimbot_runtime::metrics::{counter_family, gauge, gauge_family, Collectors};

/// The client for `config`: the Server API at `zim.api_base`, uploads to the hub's store or the configured one.
/// Accepted sends live in memory only (for one-off commands); `zimbot run` uses [`build_durable_client`].
pub fn build_client(config: &Config) -> anyhow::Result<Client> {
    let (transport, store) = transport_and_store(config)?;
    Ok(Client::new(config.client.clone(), transport, store))
}

/// The client `zimbot run` sends through: every accepted send kept in `journal`'s outbox until it has a final
/// outcome, and the sends a previous run left unfinished resumed first.
pub fn build_durable_client(config: &Config, journal: Arc<SendJournal>) -> anyhow::Result<Client> {
    let (transport, store) = transport_and_store(config)?;
    Client::durable(config.client.clone(), transport, store, journal)
        .context("resuming the sends left in the outbox by the previous run")
}

/// The Server API transport and the media store `config` names.
fn transport_and_store(config: &Config) -> anyhow::Result<(Arc<dyn Transport>, Arc<dyn MediaStore>)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let zim = &config.zim;
    let transport = ServerApiTransport::new(ServerApiConfig {
        base_url: zim.api_base.clone(),
        app_id: zim.app_id,
        server_secret: zim.server_secret.clone(),
        request_timeout: Duration::from_millis(config.client.request_timeout_ms),
    })
    .with_context(|| format!("{}: zim: the Server API settings", config.source.display()))?
    // A send finding a declared room gone creates it again as declared, not with the service's defaults.
    .with_declared_rooms(config.rooms.iter().map(|room| RoomSpec {
        room_id: room.id.clone(),
        name: room.name.clone(),
        destroy_delay_secs: room.destroy_delay_secs,
    }));
    let store: Arc<dyn MediaStore> = match (&zim.backend, &zim.media_store) {
        (_, Some(MediaStoreSettings::HttpPut(store))) => Arc::new(
            HttpPutStore::new(&store.put_url, &store.public_url, store.auth_header.clone())
                .with_context(|| format!("{}: zim.media_store", config.source.display()))?,
        ),
        (_, Some(MediaStoreSettings::S3(store))) => {
            let store = S3Store::new(store.clone())
                .and_then(|store| store.with_upload_journal(&config.state_dir.join("s3-uploads")))
                .with_context(|| format!("{}: zim.media_store", config.source.display()))?;
            let store = Arc::new(store);
            tokio::spawn(abort_leftover_uploads(Arc::clone(&store)));
            store
        }
        (_, Some(MediaStoreSettings::Local(store))) => Arc::new(
            LocalMediaStore::new(&store.data_dir, &store.public_url)
                .with_context(|| format!("{}: zim.media_store", config.source.display()))?,
        ),
        (Backend::Hub, None) => Arc::new(
            HubMediaStore::new(zim.api_base.trim_end_matches('/'))
                .with_context(|| format!("{}: zim.api_base", config.source.display()))?
                .with_credentials(zim.app_id, zim.server_secret.clone()),
        ),
        (Backend::Service, None) => anyhow::bail!(
            "{}: zim.media_store is required with the service backend: the Server API does not take file bytes, \
             so media must be uploaded to a store first (`kind: s3` with a bucket, or put_url and public_url)",
            config.source.display()
        ),
    };
    Ok((Arc::new(transport), store))
}

/// The bot users of `config` as `RobotRegister` takes them (registered at every start and by `check --online`).
pub fn bot_users(config: &Config) -> Vec<zimbot_wire::RegisterUserInfo> {
    config
        .bots
        .iter()
        .map(|bot| zimbot_wire::RegisterUserInfo {
            user_id: bot.user_id.to_string(),
            user_name: bot.name.clone(),
            user_avatar: String::new(),
        })
        .collect()
}

/// Starts serving a local media store's files on its listener, when `zim.media_store.kind` is `local`, and returns
/// the bound address; the task ends with the process. With a listen port of 0, a `public_url` derived from the
/// listen address follows it to the bound port (so call this before building the client).
pub async fn start_media_listener(config: &mut Config) -> anyhow::Result<Option<std::net::SocketAddr>> {
    let source = config.source.display().to_string();
    let Some(MediaStoreSettings::Local(store)) = &mut config.zim.media_store else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(store.listen)
        .await
        .with_context(|| format!("{source}: zim.media_store: cannot listen on {}", store.listen))?;
    let bound = listener.local_addr().with_context(|| format!("{source}: zim.media_store: the bound address"))?;
    if store.public_url == super::run::derived_url(store.listen, "") {
        store.public_url = super::run::derived_url(bound, "");
    }
    let folder = LocalMediaStore::new(&store.data_dir, &store.public_url)
        .with_context(|| format!("{source}: zim.media_store"))?
        .served_folder();
    tracing::info!(listen = %bound, public_url = store.public_url, "serving local media");
    tokio::spawn(async move {
        if let Err(error) = zimbot_runtime::media_server::serve(listener, &folder, std::future::pending()).await {
            tracing::error!(%error, "the local media listener stopped");
        }
    });
    Ok(Some(bound))
}

/// Aborts the multipart uploads a crashed zimbot left open, in the background: sends need not wait for it.
async fn abort_leftover_uploads(store: Arc<S3Store>) {
    let report = store.abort_leftover_uploads().await;
    if !report.aborted.is_empty() {
        tracing::info!(count = report.aborted.len(), keys = ?report.aborted, "aborted S3 uploads left by a crash");
    }
    for failure in report.failed {
        tracing::warn!(%failure, "could not abort an S3 upload left by a crash; it is tried again at the next start");
    }
}

/// The client's counters, read at a scrape of `/metrics`.
pub fn client_metrics(client: &Client) -> Collectors {
    vec![Box::new(ClientMetrics(client.stats()))]
}

#[derive(Debug)]
struct ClientMetrics(ClientStats);

impl Collector for ClientMetrics {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let stats = &self.0;
        let results = [("sent", stats.sent), ("failed", stats.failed), ("rejected", stats.rejected)];
        let no_labels: [(&str, &str); 0] = [];
        counter_family(
            &mut encoder,
            "zimbot_sends",
            "Sends by how they ended: sent, failed after being accepted, or rejected at once.",
            results.map(|(result, count)| ([("result", result)], count)),
        )?;
        counter_family(
            &mut encoder,
            "zimbot_send_retries",
            "Attempts repeated after a retryable error.",
            [(no_labels, stats.retried)],
        )?;
        counter_family(
            &mut encoder,
            "zimbot_upload_bytes",
            "Bytes of files the media store acknowledged.",
            [(no_labels, stats.uploaded_bytes)],
        )?;
        counter_family(
            &mut encoder,
            "zimbot_rooms_recreated",
            "Declared rooms created again because a send found them gone.",
            [(no_labels, stats.rooms_recreated)],
        )?;
        counter_family(
            &mut encoder,
            "zimbot_limiter_window_violations",
            "Sends the limiter let start in breach of its window (an internal check: always 0).",
            [(no_labels, stats.window_violations)],
        )?;
        gauge_family(
            &mut encoder,
            "zimbot_send_queue_depth",
            "Sends waiting to start (uploading, waiting for their turn or for the limiter).",
            [(no_labels, gauge(stats.queue_depth))],
        )?;
        gauge_family(
            &mut encoder,
            "zimbot_bot_users_unregistered",
            "Bot users not registered with the service: registering (their sends wait) or failed (their sends fail).",
            [
                ([("state", "registering")], gauge(stats.users_registering)),
                ([("state", "failed")], gauge(stats.users_registration_failed)),
            ],
        )?;
        gauge_family(
            &mut encoder,
            "zimbot_sends_in_progress",
            "Accepted sends without a final outcome yet.",
            [(no_labels, gauge(stats.in_progress))],
        )?;
        let wait = encoder.encode_descriptor(
            "zimbot_limiter_wait_seconds",
            "Total time ready sends were held back by the limiter.",
            None,
            MetricType::Counter,
        )?;
        ConstCounter::new(stats.limiter_wait.as_secs_f64()).encode(wait)
    }
}
