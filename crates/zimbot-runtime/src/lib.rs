//! The zimbot runtime: reads bots.yaml, hosts each bot's plugin, routes inbound messages and cron ticks to
//! it, and turns the shared client's send events back into plugin hooks.
//!
//! It is not the client (that is `zimbot-client`, which knows nothing of plugins) and not the hub (which it
//! only ever meets over HTTP, as it meets the real service).

pub use zimbot_clock as clock;
pub mod config;
pub mod dispatch;
pub mod journal;
pub mod media_server;
pub mod metrics;
pub mod outbound;
pub mod plugin_host;
pub mod runtime;
pub mod schedule;
pub mod state;
pub mod webhook;
