//! The host's capabilities, as a vtable the plugin calls.

use crate::{BytesRef, OwnedBuffer};
use async_ffi::FfiFuture;

/// Opaque: the type of a context value. Hosts issue context values as keys of a [`crate::ContextRegistry`]
/// and never dereference them.
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
/// - `context` names one plugin instance. It is live while that instance is its bot's current one; the host
///   retires it when the instance is rebuilt after a panic, when the bot stops and when the bot is removed.
///   Plugins may keep it (a `BotContext` clone is `'static`) and call any function with it at any time, from any
///   thread: with a retired context the host answers without reaching the bot. `submit` answers a send with
///   `rejected` (reason `bot_gone`) and anything else with `error`; `sleep` ends at once (and a sleep in progress
///   ends when its context is retired); `spawn` drops the task; `log` drops the line; `now_ms` reads the system
///   clock. The host counts each such call.
/// - `submit(context, action)`: `action` is [`crate::Action`] JSON, borrowed for the call; the future resolves to
///   [`crate::ActionReply`] JSON.
/// - `log(context, level, message)`: `message` is UTF-8, borrowed for the call.
/// - `sleep(context, millis)`: resolves after that long on the host's clock; any `millis` (up to `u64::MAX`,
///   "forever") is valid.
/// - `spawn(context, task)`: runs `task` on the host runtime; it is aborted when the context is retired.
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

// SAFETY: `context` is a key, not a pointer anything dereferences, and the functions are plain functions that
// the host makes safe to call from any thread.
unsafe impl Send for HostApi {}
// SAFETY: as above.
unsafe impl Sync for HostApi {}
