//! The zimbot runtime: reads bots.yaml, hosts each bot's plugin, routes inbound messages and cron ticks to
//! it, and turns the shared client's send events back into plugin hooks.
//!
//! It is not the client (that is `zimbot-client`, which knows nothing of plugins), not the storage engine (that is
//! `zimbot-store`, behind the [`Storage`] it is given) and not the hub (which it only ever meets over HTTP, as it
//! meets the real service).
//!
//! Main types, in the order `zimbot run` wires them (`zimbot-cli/src/commands/run.rs`):
//! - [`config`]: bots.yaml read into a [`config::Config`] with every error located ([`config::load`]).
//! - [`PluginCatalog`]: where each bot's plugin comes from (a library on disk or one compiled in), checked at load.
//! - [`Outbound`]: how a plugin's sends reach the shared client ([`LoopbackOutbound`] wraps a `zimbot_client::Client`).
//! - [`Storage`]: the durable inbox journal, outbox, cron bookkeeping and per-bot data, or none.
//! - [`Runtime`]: the running bots: lanes, hooks, cron, send events; [`Runtime::accept`] takes an inbound message.
//! - [`webhook`]: the HTTP endpoint ZIM posts callbacks to, answering only once a message is kept.
//! - [`metrics`]: the `/metrics` collectors; [`media_server`]: the local media folder's listener.
//!
//! Everything else (the per-bot lanes, the plugin host's instances and contexts, the scheduler, the journal's
//! writer) is private to the crate. [`internals`] names the few pieces the crate's own integration tests and
//! benchmarks drive directly; it is not part of the API.

pub use zimbot_clock as clock;
pub mod config;
pub mod media_server;
pub mod metrics;
pub mod webhook;

mod dispatch;
mod journal;
mod outbound;
mod plugin_host;
mod runtime;
mod schedule;
mod state;

pub use journal::Storage;
pub use outbound::{LoopbackOutbound, Outbound, OutboundSend, Sender};
pub use plugin_host::{HostServices, LoadError, PluginCatalog, PluginInfo, PluginSource};
pub use runtime::{Refusal, Runtime};
pub use state::StateStore;

/// Pieces the crate's own integration tests and benchmarks drive directly. Not API: they change without notice.
#[doc(hidden)]
pub mod internals {
    pub use crate::dispatch::{BotRunner, Inbound, NotificationQueue, MAX_PANICS, SNAPSHOT_INTERVAL};
    pub use crate::plugin_host::{stale_context_calls, BotHost, CallOutcome, PluginInstanceHandle};
}
