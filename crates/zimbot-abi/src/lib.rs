//! The frozen C ABI between the zimbot host and its plugins.
//!
//! Rust has no stable ABI: a dynamic library has its own std, allocator, panic machinery and tokio thread-locals,
//! so passing `Box<dyn Trait>` or tokio handles across it is unsound. Everything that crosses is therefore plain
//! `#[repr(C)]` data, `extern "C"` functions, `async-ffi` futures and byte buffers holding JSON:
//!
//! - A plugin library exports one symbol, [`ENTRY_SYMBOL`] (`zimbot_plugin_entry_v1`), returning a pointer to a
//!   static [`PluginDescriptor`]. Its [`AbiHeader`] is checked by the host before anything else is called.
//! - The host hands the plugin a [`HostApi`] vtable (submit an action, log, sleep, spawn, read the clock), built
//!   on the host's tokio, so plugin code never needs a runtime of its own. Its `context` is a key the host
//!   checks in its [`ContextRegistry`], never a pointer it trusts: a plugin may keep and use it after its instance
//!   is gone, and the host refuses it cleanly.
//! - Events (host → plugin, [`Event`]) and actions (plugin → host, [`Action`]) are JSON in buffers. Enums carry an
//!   `unknown` fallback, so a minor version can add variants without breaking older peers.
//! - Buffers are freed by the side that allocated them: an [`OwnedBuffer`] carries its allocator's free function.
//!
//! Versions: [`ABI_MAJOR`] changes on any incompatible change (and the entry symbol's name with it);
//! [`ABI_MINOR`] grows when fields are appended to [`PluginDescriptor`] or [`HostApi`], or when actions are added
//! that a plugin relies on (1.1: the per-bot store, [`store`]), or when events are added that only a plugin of
//! that minor may be sent (1.2: [`Event::CronBatch`], many cron ticks in one call). A host loads plugins of
//! its own and every older minor (each is checked against its own sizes in [`LAYOUTS`]) and refuses a newer minor
//! with a message saying to upgrade zimbot.
//!
//! Built-in plugins go through exactly the same descriptor, so there is one code path to test.

mod buffer;
mod context_registry;
mod descriptor;
mod header;
mod host_api;
mod messages;
pub mod store;

pub use buffer::{BytesRef, OwnedBuffer, StrRef};
pub use context_registry::ContextRegistry;
pub use descriptor::{CreateResult, PluginDescriptor, PluginEntry, PluginInstance};
pub use header::{
    layout_of, AbiHeader, HeaderMismatch, MinorLayout, ABI_MAJOR, ABI_MINOR, CRON_BATCH_MINOR, ENTRY_SYMBOL,
    ENTRY_SYMBOL_NAME, LAYOUTS, MAGIC, SDK_SERIES,
};
pub use host_api::{HostApi, HostContext, LogLevel};
pub use messages::{Action, ActionReply, BotInfo, CronTick, Event, HookReply, SendOutcome};

/// Re-exported so plugin and host agree on the one async-ffi they were built with.
pub use async_ffi;
