//! Events per second through a dynamic plugin's hooks versus the same plugin compiled in, and the cost per event.
//!
//! The plugin is the `behaving` test fixture: its source is compiled into this binary as a built-in, and built
//! as a cdylib (same profile) for the dynamic case. Both go through the same C ABI; the difference measured is
//! the library boundary itself. Two figures:
//! - **hook call**: `PluginInstanceHandle::call` in a loop (event to JSON, FFI call, hook, reply decoded);
//! - **runtime**: messages delivered to a running bot whose hook replies, until every reply was sent (mailbox,
//!   lane, hook, send through the host vtable, and the send's attached and sent hooks).
//!
//! Run: `cargo bench -p zimbot-runtime --bench plugin_dispatch`. Prints the median of several rounds.

#[path = "../tests/fixtures/plugins/behaving/src/lib.rs"]
#[allow(dead_code)]
mod behaving;
#[path = "../tests/fixtures/plugins/libraries.rs"]
#[allow(dead_code)]
mod libraries;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zimbot_abi::{BotInfo, Event};
use zimbot_model::{ConversationId, ConversationType, MessageContent, ReceivedMessage, UserId};
use zimbot_runtime::clock::SystemClock;
use zimbot_runtime::config::{self, AcceptAnyPlugin};
use zimbot_runtime::internals::NotificationQueue;
use zimbot_runtime::internals::{BotHost, CallOutcome, PluginInstanceHandle};
use zimbot_runtime::Runtime;
use zimbot_runtime::{HostServices, PluginCatalog, PluginInfo};
use zimbot_runtime::{LoopbackOutbound, Outbound, Sender};

const ROUNDS: usize = 7;
const CALLS_PER_ROUND: usize = 50_000;
const MESSAGES_PER_ROUND: usize = 10_000;

fn room_message(text: &str) -> ReceivedMessage {
    ReceivedMessage {
        message_id: "bench".to_owned(),
        seq: 1,
        from_user_id: UserId::new("alice"),
        conversation_type: ConversationType::Room,
        conversation_id: ConversationId::new("lobby"),
        timestamp_ms: 0,
        content: MessageContent::Text { text: text.to_owned() },
    }
}

fn services(outbound: Arc<dyn Outbound>) -> HostServices {
    HostServices::new(outbound, Arc::new(SystemClock))
}

/// Calls per second of the `tally` hook, straight through the instance handle.
async fn hook_calls_per_second(plugin: &PluginInfo) -> f64 {
    let outbound = LoopbackOutbound::new();
    let sender = Sender { bot: "bench".into(), user_id: "@RBT#bench".into(), priority: Default::default() };
    let notifications = Arc::new(NotificationQueue::new());
    let host = BotHost::new(sender, services(outbound), notifications, tracing::Span::none(), "0.0.0");
    let info = BotInfo {
        bot_id: "bench".into(),
        user_id: "@RBT#bench".into(),
        name: "bench".into(),
        plugin: plugin.name.clone(),
        config: serde_json::json!({}),
    };
    let context = host.context();
    let instance = PluginInstanceHandle::create(plugin, context.api(), &info, None).expect("the plugin starts");
    let event = Event::Message { message: room_message("tally"), redelivery: false };
    let started = Instant::now();
    for _ in 0..CALLS_PER_ROUND {
        let outcome = instance.clone().call(&event).await;
        assert_eq!(outcome, CallOutcome::Ok);
    }
    CALLS_PER_ROUND as f64 / started.elapsed().as_secs_f64()
}

/// Messages per second through a running bot whose hook replies to each.
async fn runtime_messages_per_second(plugin: &str, catalog: &PluginCatalog) -> f64 {
    let yaml = format!(
        "bots:\n  - id: bench\n    user_id: \"@RBT#bench\"\n    plugin: {plugin:?}\n    mailbox: {}\n    listen: {{ rooms: [lobby] }}\n",
        MESSAGES_PER_ROUND + 1
    );
    let config = config::parse(&yaml, Path::new("bench.yaml"), &|_| None, &AcceptAnyPlugin).expect("bench bots.yaml");
    let outbound = LoopbackOutbound::new();
    let runtime = Runtime::start(&config, catalog, services(outbound.clone()));
    assert!(runtime.failed_bots().is_empty(), "{:?}", runtime.failed_bots());
    let message = room_message("count");
    let started = Instant::now();
    for _ in 0..MESSAGES_PER_ROUND {
        runtime.deliver(message.clone());
    }
    outbound.wait_until_sent(MESSAGES_PER_ROUND).await;
    let rate = MESSAGES_PER_ROUND as f64 / started.elapsed().as_secs_f64();
    runtime.shutdown(Duration::from_secs(10)).await;
    rate
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(what: &str, builtin: f64, dynamic: f64) {
    println!("{what}:");
    println!("  built-in: {builtin:>12.0} events/s  {:>8.3} µs/event", 1e6 / builtin);
    println!("  dynamic:  {dynamic:>12.0} events/s  {:>8.3} µs/event", 1e6 / dynamic);
    println!(
        "  dynamic/built-in: {:.3}   library boundary: {:+.3} µs/event",
        dynamic / builtin,
        1e6 / dynamic - 1e6 / builtin
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio");
    runtime.block_on(async {
        let library = libraries::fixture_plugins_dir().join(libraries::library_file("fixture_behaving"));
        let library = library.display().to_string();
        let mut catalog = PluginCatalog::new();
        catalog.register_builtin("behaving", zimbot_sdk::builtin::<behaving::Behaving>());
        let builtin = catalog.load("behaving", &[]).expect("the built-in loads");
        let dynamic = catalog.load(&library, &[]).expect("the library loads");
        println!("plugin_dispatch: {ROUNDS} rounds, median; dynamic library {library}");

        // Alternate the two, each going first in every other round, so drift in the machine's load and warm-up
        // effects hit both alike.
        let (mut builtin_calls, mut dynamic_calls) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                builtin_calls.push(hook_calls_per_second(&builtin).await);
                dynamic_calls.push(hook_calls_per_second(&dynamic).await);
            } else {
                dynamic_calls.push(hook_calls_per_second(&dynamic).await);
                builtin_calls.push(hook_calls_per_second(&builtin).await);
            }
        }
        report(&format!("hook call ({CALLS_PER_ROUND} calls a round)"), median(builtin_calls), median(dynamic_calls));

        let (mut builtin_messages, mut dynamic_messages) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            if round % 2 == 0 {
                builtin_messages.push(runtime_messages_per_second("behaving", &catalog).await);
                dynamic_messages.push(runtime_messages_per_second(&library, &catalog).await);
            } else {
                dynamic_messages.push(runtime_messages_per_second(&library, &catalog).await);
                builtin_messages.push(runtime_messages_per_second("behaving", &catalog).await);
            }
        }
        report(
            &format!("runtime, message + reply ({MESSAGES_PER_ROUND} messages a round)"),
            median(builtin_messages),
            median(dynamic_messages),
        );
    });
}
