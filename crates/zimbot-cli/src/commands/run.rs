//! `zimbot run`: the embedded hub (when `zim.backend: hub`), the shared client, every bot, and the webhook, until
//! Ctrl-C / SIGTERM (listened for from the first line, so one that comes during start is never lost); then an
//! orderly stop (see `zimbot_runtime::Runtime`).
//!
//! Start-up does not wait for every bot user to be registered: the service takes 20 `RobotRegister` calls of 20
//! users a second, so 1 000 bots would hold the start for over two seconds. The first call is made before
//! anything else starts (its failure fails `zimbot run`), the others, and then the declared rooms and groups, in
//! the background while the bots, the webhook and the ready line start; the client holds each bot's sends until
//! its user is registered (see `Client::start_registration`).

use super::client::{bot_users, build_durable_client, client_metrics, start_media_listener};
use super::conversations::Declared;
use super::outbox_store::open_journal;
use super::stop_signal::StopSignal;
use anyhow::Context as _;
use std::process::ExitCode;
use std::sync::Arc;
use zimbot_hub::{Hub, HubConfig};
use zimbot_runtime::clock::{Clock, SystemClock};
use zimbot_runtime::config::{Backend, Config};
use zimbot_runtime::webhook::{self, WebhookState};
use zimbot_runtime::HostServices;
use zimbot_runtime::Runtime;
use zimbot_runtime::StateStore;
use zimbot_runtime::Storage;

pub async fn run(path: &std::path::Path) -> anyhow::Result<ExitCode> {
    // First: a stop request during start is kept and honoured once start is done.
    let stop = StopSignal::install();
    let catalog = crate::builtins::catalog();
    let mut config = match super::load_config(path, &catalog) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    // Bound first, so the embedded hub is told the port actually bound when `webhook.listen` asks for any (:0).
    let listener = tokio::net::TcpListener::bind(config.webhook.listen)
        .await
        .with_context(|| format!("webhook: cannot listen on {} (is another zimbot running?)", config.webhook.listen))?;
    let webhook_addr = listener.local_addr().context("webhook: the bound address")?;
    if config.webhook.public_url == derived_url(config.webhook.listen, "/zim/callback") {
        config.webhook.public_url = derived_url(webhook_addr, "/zim/callback");
    }
    let hub = match config.zim.backend {
        Backend::Hub => {
            let hub = start_hub(&config).await?;
            if config.zim.api_base == derived_url(config.zim.hub.listen, "/") {
                config.zim.api_base = format!("{}/", hub.base_url());
            }
            Some(hub)
        }
        Backend::Service => None,
    };
    let media_addr = start_media_listener(&mut config).await?;
    // The one store of this process: every part that keeps something gets this same handle, and the inbox
    // journal and the outbox hold each bot under the same owner (so one lease per bot).
    let store = super::storage::open_store(&config)?;
    let storage = Storage::sqlite(Arc::clone(&store), &config.storage);
    let client = build_durable_client(&config, open_journal(Arc::clone(&store), storage.owner.clone()))?;
    // Sends to the declared rooms and groups wait until zimbot has tried to create them, below.
    let declared = Declared::of(&config)?;
    if let Some(declared) = &declared {
        client.hold_conversations(declared.conversations());
    }
    // The first batch of bot users is registered now (a wrong secret or an unreachable service fails the start
    // here), the others while the bots start: a bot's sends wait in the client until its user is registered.
    let registration = client
        .start_registration(bot_users(&config))
        .await
        .with_context(|| format!("registering the bot users with the service at {}", config.zim.api_base))?;
    let declaring = declared.map(|declared| tokio::spawn(declared.create(client.clone())));

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let services = HostServices::new(Arc::new(client.clone()), Arc::clone(&clock))
        .with_state(StateStore::in_store(
            Arc::clone(&store) as Arc<dyn zimbot_store::Snapshots>,
            Arc::clone(&store) as Arc<dyn zimbot_store::Leases>,
            storage.owner.clone(),
            &config.state_dir,
        ))
        .with_storage(storage);
    // Starting bots loads libraries, reads kept state and runs plugins' `create`: blocking work, kept off the
    // async workers.
    let runtime = {
        let (config, catalog) = (config.clone(), catalog.clone());
        tokio::task::spawn_blocking(move || Runtime::start(&config, &catalog, services))
            .await
            .context("starting the bots")?
    };
    let metrics_client = client.clone();
    let state = WebhookState::new(
        Arc::clone(&runtime),
        &config.webhook,
        config.zim.callback_secret.clone(),
        clock,
        Box::new(move || client_metrics(&metrics_client)),
    );
    let (stop_webhook, webhook_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(webhook::serve(listener, Arc::clone(&state), async move {
        let _ = webhook_stopped.await;
    }));

    let started = runtime.bots().len();
    let failed = runtime.failed_bots().len();
    println!(
        "zimbot running: {started} bot(s) started{}; webhook {}{}{}",
        if failed > 0 { format!(", {failed} failed (see the log)") } else { String::new() },
        webhook_addr,
        hub.as_ref().map(|hub| format!("; hub and chat page at {}/", hub.base_url())).unwrap_or_default(),
        media_addr.map(|addr| format!("; media at {addr}")).unwrap_or_default(),
    );

    if config.uses_development_secrets() {
        println!(
            "using the shipped development secrets (zim.server_secret / zim.callback_secret): accepted only while \
             the webhook and the hub listen on loopback; set your own before exposing either"
        );
    }

    stop.wait().await;
    tracing::info!(grace = ?config.shutdown_grace, "stopping");
    state.stop_accepting();
    runtime.shutdown(config.shutdown_grace).await;
    // Sends still waiting for their registration were left in the outbox by the shutdown; the next start
    // registers again.
    registration.stop();
    if let Some(declaring) = declaring {
        declaring.abort();
    }
    let _ = stop_webhook.send(());
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!("webhook server ended with an error: {error}"),
        Err(error) => tracing::warn!("webhook server task failed: {error}"),
    }
    if let Some(hub) = hub {
        hub.shutdown().await;
    }
    Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The URL the configuration derives from a listen address when none is set (a wildcard address is reached
/// through loopback); compared before and after binding, so only derived URLs follow a port 0 to the bound port.
pub(super) fn derived_url(listen: std::net::SocketAddr, path: &str) -> String {
    let reachable = if listen.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), listen.port())
    } else {
        listen
    };
    format!("http://{reachable}{path}")
}

async fn start_hub(config: &Config) -> anyhow::Result<Hub> {
    let settings = &config.zim.hub;
    let hub_config = HubConfig {
        listen: settings.listen,
        data_dir: settings.data_dir.clone(),
        app_id: config.zim.app_id,
        server_secret: config.zim.server_secret.clone(),
        callback_url: Some(config.webhook.public_url.clone()),
        callback_secret: config.zim.callback_secret.clone(),
        max_upload_bytes: settings.max_upload_mb.saturating_mul(1024 * 1024),
        max_user_storage_bytes: settings.max_user_storage_mb.saturating_mul(1024 * 1024),
        max_total_storage_bytes: settings.max_total_storage_mb.saturating_mul(1024 * 1024),
        limits: settings.limits.clone(),
        room_destroy_delay_cap: std::time::Duration::from_secs(settings.max_room_destroy_delay_secs),
        ..HubConfig::default()
    };
    Hub::start(hub_config)
        .await
        .with_context(|| format!("starting the embedded hub on {} (zim.hub.listen)", settings.listen))
}
