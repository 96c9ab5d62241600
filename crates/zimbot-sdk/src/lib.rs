//! Write zimbot plugins.
//!
//! A plugin is one type that implements [`Plugin`] (the async hooks) and [`PluginFactory`] (its name, version and
//! how to build it from the bot's config). One line makes it a dynamic library the runtime can load:
//!
//! ```
//! use zimbot_sdk::prelude::*;
//!
//! struct Hello;
//!
//! #[async_trait]
//! impl Plugin for Hello {
//!     async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
//!         ctx.reply_text(&message, "hello").await?;
//!         Ok(())
//!     }
//! }
//!
//! impl PluginFactory for Hello {
//!     const NAME: &'static str = "hello";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//!     fn create(_init: PluginInit) -> Result<Self, PluginError> { Ok(Hello) }
//! }
//!
//! export_plugin!(Hello);
//! ```
//! (with `crate-type = ["cdylib"]` in the plugin's Cargo.toml). The same type can be compiled into a host as a
//! built-in through [`builtin`]; both go through the same C ABI (`zimbot-abi`).
//!
//! Versions: every plugin records the plugin ABI it was built for (`zimbot_abi::ABI_MAJOR`.`ABI_MINOR`, today 1.2)
//! and the SDK version it was built with (`zimbot check` shows both). A zimbot host loads plugins built for its own
//! or any older minor, and refuses, with a message saying to upgrade zimbot, one built for a newer minor. Semver
//! policy: an SDK release that appends to the ABI bumps `ABI_MINOR` and the SDK's minor version together; one that
//! breaks the ABI bumps `ABI_MAJOR` and the SDK's major version. So far: SDK 0.1 builds ABI 1.0, 0.2 ABI 1.1 (the
//! per-bot store), 0.3 ABI 1.2 (cron ticks due together reach `on_cron` through one call; a plugin sees no
//! difference in its hooks). A plugin that needs `ctx.store()` or batched ticks therefore says
//! `zimbot-sdk = "0.3"`, and a host older than its ABI refuses it by name.
//!
//! What this crate is not: a runtime. It has no tokio runtime and must not start one; sleeping, spawning, sending
//! and logging go through the host (see [`BotContext`]). Plugins may use `tokio::sync` and `futures`.

mod context;
mod export;
mod plugin;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use context::{BotContext, SendHandle};
pub use export::builtin;
#[doc(hidden)]
pub use export::descriptor;
pub use plugin::{HookResult, Plugin, PluginError, PluginFactory, PluginInit};

/// The ABI crate, for the `export_plugin!` macro and hosts.
pub use zimbot_abi as abi;
/// The data model: messages, media, send results.
pub use zimbot_model as model;

pub use async_trait::async_trait;
/// The JSON crate the SDK is built with: `snapshot()` returns its `Value`, so plugins need no dependency of their own.
pub use serde_json;
pub use zimbot_abi::{BotInfo, CronTick};

/// The plugin guide (`docs/plugin-guide.md`), whose samples run as this crate's doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/plugin-guide.md")]
pub struct PluginGuide;

/// The version of zimbot-sdk a plugin is built with; the host shows it in `zimbot check`.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything a plugin usually needs, in one import.
pub mod prelude {
    pub use crate::store::{BotStore, Entry, Revision, StoreError, StoreErrorReason, Swap};
    pub use crate::{
        async_trait, export_plugin, BotContext, CronTick, HookResult, Plugin, PluginError, PluginFactory, PluginInit,
        SendHandle,
    };
    pub use serde_json::{self, json};
    pub use zimbot_model::{
        AttachedMessage, ConversationId, ConversationLifecycle, ConversationType, GroupMembers, LocalMessageId,
        MediaKind, MediaMessage, MembershipEvent, MessageContent, MessageSentResult, Presence, Priority,
        ReceivedMessage, RejectReason, RoomMember, SendConfig, SendFailure, SendRejected, SendRequest, UploadProgress,
        UserId, ZimCode, ZimError,
    };
}

/// Exports a plugin type from a `cdylib` as `zimbot_plugin_entry_v1`.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        /// The zimbot plugin entry point: returns this library's plugin descriptor.
        #[unsafe(no_mangle)]
        pub extern "C" fn zimbot_plugin_entry_v1() -> *const $crate::abi::PluginDescriptor {
            static DESCRIPTOR: $crate::abi::PluginDescriptor = $crate::descriptor::<$plugin>(cfg!(panic = "unwind"));
            &DESCRIPTOR
        }
    };
}
