//! Building the shared send client for a bots.yaml's backend.

use anyhow::Context as _;
use std::sync::Arc;
use std::time::Duration;
use zimbot_client::{Client, HttpPutStore, HubMediaStore, MediaStore, ServerApiConfig, ServerApiTransport};
use zimbot_runtime::config::{Backend, Config};

/// The client for `config`: the Server API at `zim.api_base`, uploads to the hub's store or the configured one.
pub fn build_client(config: &Config) -> anyhow::Result<Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let zim = &config.zim;
    let transport = ServerApiTransport::new(ServerApiConfig {
        base_url: zim.api_base.clone(),
        app_id: zim.app_id,
        server_secret: zim.server_secret.clone(),
        request_timeout: Duration::from_millis(config.client.request_timeout_ms),
    })
    .with_context(|| format!("{}: zim: the Server API settings", config.source.display()))?;
    let store: Arc<dyn MediaStore> = match (&zim.backend, &zim.media_store) {
        (_, Some(store)) => Arc::new(
            HttpPutStore::new(&store.put_url, &store.public_url, store.auth_header.clone())
                .with_context(|| format!("{}: zim.media_store", config.source.display()))?,
        ),
        (Backend::Hub, None) => Arc::new(
            HubMediaStore::new(zim.api_base.trim_end_matches('/'))
                .with_context(|| format!("{}: zim.api_base", config.source.display()))?
                .with_credentials(zim.app_id, zim.server_secret.clone()),
        ),
        (Backend::Service, None) => anyhow::bail!(
            "{}: zim.media_store is required with the service backend: the Server API does not take file bytes, \
             so media must be uploaded to a store first (set put_url and public_url)",
            config.source.display()
        ),
    };
    Ok(Client::new(config.client.clone(), Arc::new(transport), store))
}

/// The client's counters as Prometheus text.
pub fn client_metrics(client: &Client) -> String {
    let stats = client.stats();
    let mut text = String::new();
    let counters = [
        ("zimbot_sends_total{result=\"sent\"}", stats.sent),
        ("zimbot_sends_total{result=\"failed\"}", stats.failed),
        ("zimbot_sends_total{result=\"rejected\"}", stats.rejected),
        ("zimbot_send_retries_total", stats.retried),
        ("zimbot_upload_bytes_total", stats.uploaded_bytes),
        ("zimbot_limiter_window_violations_total", stats.window_violations),
    ];
    text.push_str("# TYPE zimbot_sends_total counter\n");
    for (name, value) in counters {
        text.push_str(&format!("{name} {value}\n"));
    }
    text.push_str(&format!("# TYPE zimbot_send_queue_depth gauge\nzimbot_send_queue_depth {}\n", stats.queue_depth));
    text.push_str(&format!("zimbot_sends_in_progress {}\n", stats.in_progress));
    text.push_str(&format!(
        "# TYPE zimbot_limiter_wait_seconds_total counter\nzimbot_limiter_wait_seconds_total {}\n",
        stats.limiter_wait.as_secs_f64()
    ));
    text
}
