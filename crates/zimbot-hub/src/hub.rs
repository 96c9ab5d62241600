//! Starting and stopping the hub.

use crate::callbacks::{CallbackDispatcher, CallbackSettings};
use crate::config::HubConfig;
use crate::error::HubError;
use crate::events::EventBus;
use crate::media::{Quota, UploadTokens, PARTIAL_DIR};
use crate::qps::QpsLimiter;
use crate::rooms::Rooms;
use crate::state::{HubState, SharedState};
use crate::stats::{Counters, HubStats};
use crate::store::Store;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The history database's file name in the data directory.
const DATABASE_FILE: &str = "history.sqlite3";
/// The media folder's name in the data directory.
const MEDIA_DIR: &str = "media";

/// A running hub. Stop it with [`Hub::shutdown`]; dropping it also stops serving, without waiting.
#[derive(Debug)]
pub struct Hub {
    local_addr: SocketAddr,
    base_url: String,
    state: SharedState,
    listener_stats: Arc<zimbot_listener::ListenerStats>,
    server: Option<JoinHandle<()>>,
}

impl Hub {
    /// Creates the data directory, opens the history, binds `config.listen` and starts serving.
    pub async fn start(config: HubConfig) -> Result<Hub, HubError> {
        install_crypto_provider();
        crate::server_api::schema::check_contract().map_err(HubError::Contract)?;
        if let Some(url) = &config.callback_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(HubError::CallbackUrl { url: url.clone() });
            }
        }
        let media_dir = config.data_dir.join(MEDIA_DIR);
        tokio::fs::create_dir_all(&media_dir)
            .await
            .map_err(|source| HubError::DataDir { path: media_dir.clone(), source })?;
        let database = config.data_dir.join(DATABASE_FILE);
        sweep_partial_uploads(&media_dir).await;
        let store = Store::open(&database).map_err(|source| HubError::Store { path: database.clone(), source })?;
        let usage =
            store.media_usage_blocking().map_err(|source| HubError::Store { path: database.clone(), source })?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| HubError::Bind { addr: config.listen, source })?;
        let local_addr = listener.local_addr().map_err(|source| HubError::Bind { addr: config.listen, source })?;
        let base_url = format!("http://{local_addr}");
        let public_base_url =
            config.public_base_url.clone().unwrap_or_else(|| base_url.clone()).trim_end_matches('/').to_owned();

        let shutdown = CancellationToken::new();
        let counters = Arc::new(Counters::default());
        let client = reqwest::Client::builder().build()?;
        let callbacks = CallbackDispatcher::new(
            CallbackSettings {
                url: config.callback_url.clone(),
                secret: config.callback_secret.clone(),
                app_id: config.app_id,
                retry_delays: config.callback_retry_delays.clone(),
                timeout: config.callback_timeout,
                queue_limit: config.callback_queue_limit,
            },
            client,
            Arc::clone(&counters),
            shutdown.clone(),
        )
        .with_queue_store(store.clone());
        let pending =
            store.pending_callbacks_blocking().map_err(|source| HubError::Store { path: database.clone(), source })?;
        let state = Arc::new(HubState {
            app_id: config.app_id,
            server_secret: config.server_secret.clone(),
            store,
            counters,
            limiter: QpsLimiter::new(config.qps_limits.clone(), Arc::clone(&config.clock)),
            group_invites: QpsLimiter::per_key(1, Arc::clone(&config.clock)),
            rooms: Rooms::new(Arc::clone(&config.clock), config.room_destroy_delay_cap),
            events: EventBus::new(),
            callbacks,
            media_dir,
            max_upload_bytes: config.max_upload_bytes,
            upload_tokens: UploadTokens::new(config.upload_keys.clone()),
            quota: Arc::new(Quota::new(config.max_user_storage_bytes, config.max_total_storage_bytes, usage)),
            public_base_url,
            shutdown: shutdown.clone(),
            delivery_order: Default::default(),
        });
        state.callbacks.resume(pending);
        crate::membership::spawn_room_sweeper(Arc::clone(&state));
        let router = crate::routes::router(Arc::clone(&state));
        let serving = zimbot_listener::Listener::new("hub", config.limits.clone());
        let listener_stats = serving.stats();
        let server = tokio::spawn(async move {
            if let Err(error) = serving.serve(listener, router, shutdown.cancelled_owned()).await {
                tracing::error!("the hub stopped serving: {error}");
            }
        });
        tracing::info!(%local_addr, data_dir = %config.data_dir.display(), "hub listening");
        Ok(Hub { local_addr, base_url, state, listener_stats, server: Some(server) })
    }

    /// The address the hub listens on (with the real port when `listen` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://{local_addr}`: the Server API base, and the base of every other route.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The counters so far.
    pub fn stats(&self) -> HubStats {
        self.state.counters.snapshot()
    }

    /// What the listener's timeouts and caps have done so far.
    pub fn listener_stats(&self) -> Arc<zimbot_listener::ListenerStats> {
        Arc::clone(&self.listener_stats)
    }

    /// Stops accepting connections, ends the event streams, lets requests in flight finish and stops the callback
    /// workers (callbacks still waiting for a retry stay in the database and are delivered after the next start).
    pub async fn shutdown(mut self) {
        self.state.shutdown.cancel();
        if let Some(server) = self.server.take() {
            if let Err(error) = server.await {
                tracing::error!("the hub's server task failed: {error}");
            }
        }
        self.state.callbacks.shutdown().await;
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.state.shutdown.cancel();
    }
}

/// Removes the temporary files of uploads a crash interrupted (a running hub removes its own).
async fn sweep_partial_uploads(media_dir: &std::path::Path) {
    let partial_dir = media_dir.join(PARTIAL_DIR);
    let Ok(mut entries) = tokio::fs::read_dir(&partial_dir).await else {
        return;
    };
    let mut removed = 0u64;
    while let Ok(Some(entry)) = entries.next_entry().await {
        match tokio::fs::remove_file(entry.path()).await {
            Ok(()) => removed += 1,
            Err(error) => tracing::warn!(path = %entry.path().display(), "cannot remove a left-over upload: {error}"),
        }
    }
    if removed > 0 {
        tracing::info!(removed, "removed the temporary files of uploads interrupted by a stop");
    }
}

/// reqwest is built without a default TLS crypto provider; callbacks to https URLs need one installed.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Fails only when the process installed a provider already, which serves just as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
