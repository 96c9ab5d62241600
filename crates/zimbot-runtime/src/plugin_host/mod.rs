//! The plugin host: finds a bot's plugin (built-in, library name, or path), loads and checks it, and runs its
//! instances through the C ABI.
//!
//! Every plugin, built-in or dynamic, goes through the same [`zimbot_abi::PluginDescriptor`], so the code that
//! calls hooks, catches panics and rebuilds instances is one path. Each instance gets its own
//! [`InstanceContext`], a key the host checks on every call, so nothing a plugin keeps can reach a bot once that
//! instance is gone.

mod bot_store;
mod catalog;
mod context;
mod host_api;
mod instance;
mod library;
mod poll_gate;
mod tick_deadline;

pub use catalog::{LoadError, PluginCatalog, PluginInfo, PluginSource};
pub use context::{stale_context_calls, InstanceContext};
pub use host_api::{BotHost, HostServices};
pub use instance::{CallOutcome, PluginInstanceHandle};
pub use tick_deadline::within_tick;
