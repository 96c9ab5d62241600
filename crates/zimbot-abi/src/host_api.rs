//! The host's capabilities, as a vtable the plugin calls.

use crate::{BytesRef, OwnedBuffer};
use async_ffi::FfiFuture;

/// Opaque host state for one bot; only the host knows what is behind the pointer.
#[repr(C)]
pub struct HostContext {
    _private: [u8; 0],
}

/// A log level, as a plain number so that an unknown value is never undefined behaviour.
#[repr(transparent)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLevel(pub u8);

impl LogLevel {
    pub const ERROR: Self = Self(1);
    pub const WARN: Self = Self(2);
    pub const INFO: Self = Self(3);
    pub const DEBUG: Self = Self(4);
    pub const TRACE: Self = Self(5);
}

/// What the host offers a plugin. Every function is built from host code on the host's tokio runtime, so the
/// futures it returns work in a plugin that has no runtime of its own.
///
/// Contract:
/// - `context` stays valid while the bot runs: until `destroy` has returned and every task the plugin spawned has
///   ended (the host aborts them when the bot stops).
/// - `submit(context, action)`: `action` is [`crate::Action`] JSON, borrowed for the call; the future resolves to
///   [`crate::ActionReply`] JSON.
/// - `log(context, level, message)`: `message` is UTF-8, borrowed for the call.
/// - `sleep(context, millis)`: resolves after that long on the host's clock.
/// - `spawn(context, task)`: runs `task` on the host runtime, tied to the bot's lifetime.
/// - `now_ms(context)`: the host's wall clock, milliseconds since the Unix epoch.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct HostApi {
    pub context: *const HostContext,
    pub submit: unsafe extern "C" fn(context: *const HostContext, action: BytesRef<'_>) -> FfiFuture<OwnedBuffer>,
    pub log: unsafe extern "C" fn(context: *const HostContext, level: LogLevel, message: BytesRef<'_>),
    pub sleep: unsafe extern "C" fn(context: *const HostContext, millis: u64) -> FfiFuture<()>,
    pub spawn: unsafe extern "C" fn(context: *const HostContext, task: FfiFuture<()>),
    pub now_ms: unsafe extern "C" fn(context: *const HostContext) -> i64,
}

// SAFETY: the host guarantees `context` is usable from any thread (it is Arc'd, Sync state on the host side).
unsafe impl Send for HostApi {}
// SAFETY: as above.
unsafe impl Sync for HostApi {}
