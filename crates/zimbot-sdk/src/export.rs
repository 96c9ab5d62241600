//! The glue between a `Plugin` type and the C ABI: the descriptor and its `extern "C"` functions.
//!
//! Every exported function catches panics (`catch_unwind` around synchronous parts, a caught future around hooks),
//! so a panic is reported to the host as a value and never unwinds across the boundary.

use crate::{BotContext, HookResult, Plugin, PluginFactory, PluginInit};
use async_ffi::{FfiFuture, FutureExt as _};
use futures::FutureExt as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use zimbot_abi::{
    AbiHeader, BotInfo, BytesRef, CreateResult, CronTick, Event, HookReply, HostApi, OwnedBuffer, PluginDescriptor,
    PluginInstance, StrRef,
};
use zimbot_model::{ConversationType, MembershipEvent};

/// The descriptor for plugin type `P`; `export_plugin!` puts it in a static.
///
/// `panic_unwind` must be `cfg!(panic = "unwind")` as seen by the crate that is linked last (the plugin library
/// itself), which is why `export_plugin!` passes it: a library built with `panic = "abort"` says so in its header
/// even though zimbot-sdk was compiled with unwinding.
pub const fn descriptor<P: PluginFactory>(panic_unwind: bool) -> PluginDescriptor {
    let mut header = AbiHeader::current();
    header.panic_unwind = panic_unwind as u8;
    PluginDescriptor {
        header,
        name: StrRef::from_static(P::NAME),
        version: StrRef::from_static(P::VERSION),
        sdk_version: StrRef::from_static(crate::SDK_VERSION),
        create: create::<P>,
        on_event: on_event::<P>,
        snapshot: snapshot::<P>,
        destroy: destroy::<P>,
    }
}

/// The descriptor for a plugin compiled into the host (a built-in), with the same ABI as a dynamic one.
pub fn builtin<P: PluginFactory>() -> &'static PluginDescriptor {
    // One small descriptor per registration, alive for the process, as a loaded library's would be.
    Box::leak(Box::new(descriptor::<P>(cfg!(panic = "unwind"))))
}

/// What an instance pointer points at.
struct Instance<P> {
    plugin: P,
    context: BotContext,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

fn json_buffer<T: serde::Serialize>(value: &T) -> OwnedBuffer {
    OwnedBuffer::from_vec(serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec()))
}

unsafe extern "C" fn create<P: PluginFactory>(
    host: HostApi,
    bot: BytesRef<'_>,
    snapshot: BytesRef<'_>,
) -> CreateResult {
    // SAFETY: the host passes live slices for the duration of this call.
    let (bot, snapshot) = unsafe { (bot.as_slice(), snapshot.as_slice()) };
    let built = catch_unwind(AssertUnwindSafe(|| -> Result<Instance<P>, String> {
        let bot: BotInfo =
            serde_json::from_slice(bot).map_err(|error| format!("the host sent unreadable bot info: {error}"))?;
        let snapshot = match snapshot {
            [] => None,
            bytes => serde_json::from_slice::<serde_json::Value>(bytes).ok().filter(|value| !value.is_null()),
        };
        let plugin = P::create(PluginInit { bot: bot.clone(), snapshot }).map_err(|error| error.to_string())?;
        Ok(Instance { plugin, context: BotContext::new(host, bot) })
    }));
    let error = match built {
        Ok(Ok(instance)) => {
            let instance = Box::into_raw(Box::new(instance)).cast::<PluginInstance>();
            return CreateResult { instance, error: OwnedBuffer::empty() };
        }
        Ok(Err(message)) => message,
        Err(payload) => format!("create panicked: {}", panic_message(payload.as_ref())),
    };
    CreateResult { instance: std::ptr::null_mut(), error: OwnedBuffer::from_vec(error.into_bytes()) }
}

/// Lets the hook future hold the instance pointer; the host keeps the instance alive until every future of it
/// has finished (descriptor contract), and the instance is `Sync`.
struct InstancePtr<P>(*const Instance<P>);
// SAFETY: `Instance<P>` is Send + Sync (P: Plugin is; BotContext is), and the pointer outlives the future.
unsafe impl<P: Plugin> Send for InstancePtr<P> {}

unsafe extern "C" fn on_event<P: PluginFactory>(
    instance: *const PluginInstance,
    event: BytesRef<'_>,
) -> FfiFuture<OwnedBuffer> {
    // SAFETY: the host passes a live slice for the duration of this call; it is decoded before returning.
    let event = decode_event(unsafe { event.as_slice() });
    let instance = InstancePtr(instance.cast::<Instance<P>>());
    async move {
        let instance = instance;
        // SAFETY: see InstancePtr.
        let instance = unsafe { &*instance.0 };
        let reply = match event {
            Err(error) => HookReply::Error { message: format!("the host sent an unreadable event: {error}") },
            Ok(Event::CronBatch { ticks }) => cron_batch(&instance.plugin, &instance.context, ticks).await,
            Ok(event) => guarded(dispatch(&instance.plugin, &instance.context, event)).await,
        };
        json_buffer(&reply)
    }
    .into_ffi()
}

/// A cron batch as it crosses, read as a plain struct (its `type` field ignored).
#[derive(serde::Deserialize)]
struct CronBatchEvent {
    ticks: Vec<CronTick>,
}

/// Decodes an event. A cron batch (the host writes its tag first) is read straight into its ticks: the general
/// decoding of a tagged enum first copies the whole event into an intermediate tree, which for a batch of
/// hundreds of ticks costs as much as the ticks' hooks.
fn decode_event(bytes: &[u8]) -> Result<Event, serde_json::Error> {
    if bytes.starts_with(br#"{"type":"cron_batch","#) {
        if let Ok(batch) = serde_json::from_slice::<CronBatchEvent>(bytes) {
            return Ok(Event::CronBatch { ticks: batch.ticks });
        }
    }
    serde_json::from_slice(bytes)
}

/// `hook`'s reply, or `panicked` when it panics.
async fn guarded(hook: impl std::future::Future<Output = HookReply>) -> HookReply {
    match AssertUnwindSafe(hook).catch_unwind().await {
        Ok(reply) => reply,
        Err(payload) => HookReply::Panicked { message: panic_message(payload.as_ref()) },
    }
}

/// Runs `on_cron` for each tick of a batch, one after another, each under its own panic guard: a tick whose hook
/// panics or errs does not keep the later ticks from theirs. One reply per tick, in order.
async fn cron_batch<P: Plugin>(plugin: &P, context: &BotContext, ticks: Vec<CronTick>) -> HookReply {
    let mut replies = Vec::with_capacity(ticks.len());
    for tick in ticks {
        replies.push(guarded(dispatch(plugin, context, Event::Cron { tick })).await);
    }
    HookReply::Batch { replies }
}

async fn dispatch<P: Plugin>(plugin: &P, context: &BotContext, event: Event) -> HookReply {
    let result = match event {
        Event::Start => plugin.on_start(context).await,
        Event::Message { message, redelivery } => {
            let _mark = redelivery.then(|| context.redelivering(&message.message_id));
            match message.conversation_type {
                ConversationType::Peer => plugin.on_peer_message(context, message).await,
                ConversationType::Room => plugin.on_room_message(context, message).await,
                ConversationType::Group => plugin.on_group_message(context, message).await,
            }
        }
        Event::Cron { tick } => plugin.on_cron(context, tick).await,
        Event::Attached { message } => plugin.on_message_attached(context, message).await,
        Event::Progress { progress } => plugin.on_media_uploading_progress(context, progress).await,
        Event::Sent { result } => plugin.on_message_sent(context, result).await,
        Event::Failed { failure } => plugin.on_message_send_failed(context, failure).await,
        Event::Stop => plugin.on_stop(context).await,
        Event::Membership { event } => dispatch_membership(plugin, context, event).await,
        // Taken apart by `cron_batch` before it gets here; a batch nested in a batch is not a thing hosts send.
        Event::CronBatch { .. } | Event::Unknown => return HookReply::Unsupported,
    };
    match result {
        Ok(()) => HookReply::Ok,
        Err(error) => HookReply::Error { message: error.to_string() },
    }
}

async fn dispatch_membership<P: Plugin>(plugin: &P, context: &BotContext, event: MembershipEvent) -> HookResult {
    match event {
        MembershipEvent::RoomEntered(member) => plugin.on_room_member_entered(context, member).await,
        MembershipEvent::RoomLeft(member) => plugin.on_room_member_left(context, member).await,
        MembershipEvent::RoomCreated(room) => plugin.on_room_created(context, room).await,
        MembershipEvent::RoomDestroyed(room) => plugin.on_room_destroyed(context, room).await,
        MembershipEvent::GroupJoined(members) => plugin.on_group_members_joined(context, members).await,
        MembershipEvent::GroupLeft(members) => plugin.on_group_members_left(context, members).await,
        MembershipEvent::GroupCreated(group) => plugin.on_group_created(context, group).await,
        MembershipEvent::GroupDestroyed(group) => plugin.on_group_destroyed(context, group).await,
        MembershipEvent::UserOnline(presence) => plugin.on_user_online(context, presence).await,
        MembershipEvent::UserOffline(presence) => plugin.on_user_offline(context, presence).await,
    }
}

/// The instance's state as JSON (`null` when it keeps none). A `snapshot` that panics, or state that does not
/// encode, gives an EMPTY buffer: the host then keeps the last good state rather than saving "nothing" over it.
unsafe extern "C" fn snapshot<P: PluginFactory>(instance: *const PluginInstance) -> OwnedBuffer {
    // SAFETY: the host passes an instance `create` made and has not destroyed.
    let instance = unsafe { &*instance.cast::<Instance<P>>() };
    let encoded = catch_unwind(AssertUnwindSafe(|| serde_json::to_vec(&instance.plugin.snapshot())));
    match encoded {
        Ok(Ok(json)) => OwnedBuffer::from_vec(json),
        Ok(Err(_)) | Err(_) => OwnedBuffer::empty(),
    }
}

unsafe extern "C" fn destroy<P: PluginFactory>(instance: *mut PluginInstance) {
    // SAFETY: called once per instance, after all of its futures are gone (descriptor contract).
    let instance = unsafe { Box::from_raw(instance.cast::<Instance<P>>()) };
    // A panicking Drop must not unwind into the host.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(instance)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cron_batch_decodes_to_the_same_event_by_either_path() {
        let tick = |id: &str| CronTick { schedule_id: id.into(), scheduled_at_ms: 1_000, fired_at_ms: 1_003 };
        let event = Event::CronBatch { ticks: vec![tick("a"), tick("b\"quoted\"")] };
        let bytes = serde_json::to_vec(&event).unwrap();
        assert!(bytes.starts_with(br#"{"type":"cron_batch","#), "the fast path is taken");
        assert_eq!(decode_event(&bytes).unwrap(), event);
        assert_eq!(serde_json::from_slice::<Event>(&bytes).unwrap(), event);
    }

    #[test]
    fn other_events_decode_as_before() {
        let event = Event::Cron { tick: CronTick { schedule_id: "a".into(), scheduled_at_ms: 1, fired_at_ms: 2 } };
        assert_eq!(decode_event(&serde_json::to_vec(&event).unwrap()).unwrap(), event);
        assert_eq!(decode_event(br#"{"type":"reaction_added"}"#).unwrap(), Event::Unknown);
    }
}
