//! Turns the file's `zim`, `webhook`, `client`, `plugin_dirs`, `state_dir`, `storage` and `shutdown_grace_secs` into checked settings.

use super::path::YamlPath;
use super::positions::PositionIndex;
use super::raw::{defaults, RawFile, RawHub, RawWebhook, RawZim};
use super::report::Report;
use super::resolve_media_store::resolve_media_store;
use super::settings::{Backend, HubSettings, WebhookConfig, ZimConfig};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything in the file but the bots.
pub(super) struct Settings {
    pub zim: ZimConfig,
    pub webhook: WebhookConfig,
    pub client: zimbot_client::ClientConfig,
    pub plugin_dirs: Vec<PathBuf>,
    pub state_dir: PathBuf,
    pub storage: super::StorageConfig,
    pub shutdown_grace: Duration,
    pub rooms: Vec<super::RoomConfig>,
    pub groups: Vec<super::GroupConfig>,
}

/// Checks and resolves the settings; `folder` is the bots.yaml's folder, for relative paths.
pub(super) fn resolve_settings(
    raw: RawFile,
    positions: &PositionIndex,
    folder: &Path,
    report: &mut Report,
) -> Settings {
    let zim = resolve_zim(raw.zim, positions, folder, report);
    let mut webhook = resolve_webhook(raw.webhook, positions, report);
    webhook.previous_callback_secret = zim.previous_callback_secret.clone();
    check_development_secrets(&zim, &webhook, positions, report);
    let state_dir = folder.join(raw.state_dir);
    let storage = super::storage::resolve_storage(raw.storage, &state_dir, positions, folder, report);
    Settings {
        zim,
        webhook,
        client: raw.client,
        plugin_dirs: raw.plugin_dirs.iter().map(|dir| folder.join(dir)).collect(),
        state_dir,
        storage,
        shutdown_grace: Duration::from_secs(raw.shutdown_grace_secs),
        rooms: super::conversations::resolve_rooms(raw.rooms, positions, report),
        groups: super::conversations::resolve_groups(raw.groups, positions, report),
    }
}

fn resolve_zim(raw: RawZim, positions: &PositionIndex, folder: &Path, report: &mut Report) -> ZimConfig {
    check_limits(&raw.hub.limits, &["zim", "hub", "limits"], positions, report);
    let hub = resolve_hub(raw.hub, folder);
    let mut required = |value: Option<String>, key: &str, development: &str| match (value, raw.backend) {
        (Some(value), _) => value,
        (None, Backend::Hub) => development.to_owned(),
        (None, Backend::Service) => {
            report.add(
                locate(positions, &["zim", "backend"]),
                None,
                format!("`zim.{key}` is required with `backend: service`; copy it from the ZIM console"),
            );
            String::new()
        }
    };
    let server_secret = required(raw.server_secret, "server_secret", defaults::SERVER_SECRET);
    let callback_secret = required(raw.callback_secret, "callback_secret", defaults::CALLBACK_SECRET);
    let app_id = required(raw.app_id.map(|id| id.to_string()), "app_id", &defaults::APP_ID.to_string())
        .parse()
        .unwrap_or_default();
    let api_base = match raw.api_base {
        Some(url) => {
            check_url(&url, locate(positions, &["zim", "api_base"]), "zim.api_base", report);
            with_trailing_slash(url)
        }
        None => match raw.backend {
            Backend::Hub => format!("http://{}/", reachable(hub.listen)),
            Backend::Service => defaults::SERVICE_API_BASE.to_owned(),
        },
    };
    let media_store = raw.media_store.map(|store| resolve_media_store(store, positions, folder, report));
    ZimConfig {
        backend: raw.backend,
        app_id,
        server_secret,
        callback_secret,
        previous_callback_secret: raw.previous_callback_secret,
        api_base,
        hub,
        media_store,
    }
}

fn resolve_hub(raw: RawHub, folder: &Path) -> HubSettings {
    HubSettings {
        listen: raw.listen,
        data_dir: folder.join(raw.data_dir),
        max_upload_mb: raw.max_upload_mb,
        max_user_storage_mb: raw.max_user_storage_mb,
        max_total_storage_mb: raw.max_total_storage_mb,
        max_room_destroy_delay_secs: raw.max_room_destroy_delay_secs.min(10_800),
        limits: raw.limits,
    }
}

fn resolve_webhook(raw: RawWebhook, positions: &PositionIndex, report: &mut Report) -> WebhookConfig {
    let public_url = match raw.public_url {
        Some(url) => {
            check_url(&url, locate(positions, &["webhook", "public_url"]), "webhook.public_url", report);
            url
        }
        None => format!("http://{}/zim/callback", reachable(raw.listen)),
    };
    let dedupe_window_secs = raw.dedupe_window_secs.unwrap_or(raw.timestamp_window_secs);
    if dedupe_window_secs < raw.timestamp_window_secs {
        report.add(
            locate(positions, &["webhook", "dedupe_window_secs"]),
            None,
            format!(
                "`dedupe_window_secs` ({}) is shorter than `timestamp_window_secs` ({}): a callback could be \
                 replayed after its id was forgotten; make it at least as long",
                dedupe_window_secs, raw.timestamp_window_secs
            ),
        );
    }
    for (key, value) in [("dedupe_max_entries", raw.dedupe_max_entries), ("dedupe_max_bytes", raw.dedupe_max_bytes)] {
        if value == 0 {
            report.add(locate(positions, &["webhook", key]), None, format!("`{key}` must be at least 1"));
        }
    }
    if raw.max_body_bytes == 0 {
        report.add(locate(positions, &["webhook", "max_body_bytes"]), None, "`max_body_bytes` must be at least 1");
    }
    check_limits(&raw.limits, &["webhook", "limits"], positions, report);
    WebhookConfig {
        listen: raw.listen,
        public_url,
        timestamp_window: Duration::from_secs(raw.timestamp_window_secs),
        max_body_bytes: raw.max_body_bytes,
        dedupe_window: Duration::from_secs(dedupe_window_secs),
        dedupe_max_entries: raw.dedupe_max_entries,
        dedupe_max_bytes: raw.dedupe_max_bytes,
        previous_callback_secret: None,
        limits: raw.limits,
    }
}

/// A listener's limits must each be at least 1 (a zero would refuse every request, not lift the limit).
fn check_limits(
    limits: &zimbot_listener::ListenerLimits,
    keys: &[&str],
    positions: &PositionIndex,
    report: &mut Report,
) {
    for setting in limits.zero_settings() {
        let at = [keys, &[setting]].concat();
        report.add(locate(positions, &at), None, format!("`{}` must be at least 1", at.join(".")));
    }
}

/// The shipped development secrets are public: they are accepted only while everything that checks them listens
/// on loopback (the webhook, and the embedded hub or a local `zimbot hub` as the ZIM side).
fn check_development_secrets(zim: &ZimConfig, webhook: &WebhookConfig, positions: &PositionIndex, report: &mut Report) {
    let zim_on_loopback = match zim.backend {
        Backend::Hub => zim.hub.listen.ip().is_loopback(),
        Backend::Service => is_loopback_url(&zim.api_base),
    };
    let checks = [
        ("server_secret", zim.server_secret == defaults::SERVER_SECRET, zim_on_loopback),
        (
            "callback_secret",
            zim.callback_secret == defaults::CALLBACK_SECRET,
            zim_on_loopback && webhook.listen.ip().is_loopback(),
        ),
        (
            "previous_callback_secret",
            zim.previous_callback_secret.as_deref() == Some(defaults::CALLBACK_SECRET),
            zim_on_loopback && webhook.listen.ip().is_loopback(),
        ),
    ];
    for (key, is_development, on_loopback) in checks {
        if is_development && !on_loopback {
            report.add(
                locate(positions, &["zim", key]),
                None,
                format!(
                    "`zim.{key}` is the shipped development secret, which anyone can read; it is accepted only \
                     while the webhook and the hub listen on loopback. Set a secret of your own"
                ),
            );
        }
    }
}

/// Whether `url`'s host is a loopback address or `localhost`.
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn check_url(url: &str, location: super::Location, key: &str, report: &mut Report) {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        report.add(location, None, format!("`{key}` must be an http:// or https:// URL, not `{url}`"));
    }
}

fn with_trailing_slash(mut url: String) -> String {
    if !url.ends_with('/') {
        url.push('/');
    }
    url
}

/// Where the value at `keys` (from the top of the file) is, or the deepest part of it that is written.
pub(super) fn locate(positions: &PositionIndex, keys: &[&str]) -> super::Location {
    positions.value(&YamlPath::root().keys(keys))
}

/// An address others can connect to: a wildcard listen address is reached through loopback.
pub(super) fn reachable(listen: SocketAddr) -> SocketAddr {
    if listen.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
    } else {
        listen
    }
}
