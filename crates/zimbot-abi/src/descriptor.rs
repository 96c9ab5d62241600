//! The descriptor a plugin library exports, and the functions in it.

use crate::{AbiHeader, BytesRef, HostApi, OwnedBuffer, StrRef};
use async_ffi::FfiFuture;

/// An opaque plugin instance; only the plugin knows what is behind the pointer.
#[repr(C)]
pub struct PluginInstance {
    _private: [u8; 0],
}

/// What `create` returns: an instance, or a null instance and a UTF-8 error message.
#[repr(C)]
pub struct CreateResult {
    pub instance: *mut PluginInstance,
    pub error: OwnedBuffer,
}

/// The signature of the exported entry point [`crate::ENTRY_SYMBOL`].
pub type PluginEntry = unsafe extern "C" fn() -> *const PluginDescriptor;

/// A plugin: its header, identity and the four functions the host calls.
///
/// Contract:
/// - `create(host, bot, snapshot)`: `bot` is [`crate::BotInfo`] JSON (with the bot's config), `snapshot` is the JSON
///   the last instance's `snapshot` returned (empty on first start). Both are borrowed for the call only.
/// - `on_event(instance, event)`: `event` is [`crate::Event`] JSON, borrowed for the call only (the plugin decodes it
///   before returning). The future resolves to [`crate::HookReply`] JSON. The host may have several futures of one
///   instance running at once (inbound lane with `max_concurrency` > 1, and the notification lane).
/// - `snapshot(instance)`: the instance's state as JSON (`null` when it keeps none), to recreate it after a panic or
///   a restart.
/// - `destroy(instance)`: called once, after every `on_event` future of the instance has finished or been dropped.
#[repr(C)]
pub struct PluginDescriptor {
    pub header: AbiHeader,
    pub name: StrRef,
    pub version: StrRef,
    /// The zimbot-sdk version the plugin was built with.
    pub sdk_version: StrRef,
    pub create: unsafe extern "C" fn(host: HostApi, bot: BytesRef<'_>, snapshot: BytesRef<'_>) -> CreateResult,
    pub on_event: unsafe extern "C" fn(instance: *const PluginInstance, event: BytesRef<'_>) -> FfiFuture<OwnedBuffer>,
    pub snapshot: unsafe extern "C" fn(instance: *const PluginInstance) -> OwnedBuffer,
    pub destroy: unsafe extern "C" fn(instance: *mut PluginInstance),
}

// SAFETY: a descriptor is immutable static data and plain function pointers.
unsafe impl Sync for PluginDescriptor {}
// SAFETY: as above.
unsafe impl Send for PluginDescriptor {}
