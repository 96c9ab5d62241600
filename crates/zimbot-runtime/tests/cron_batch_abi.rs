//! Which plugins get cron ticks due together in one call: a plugin built for plugin ABI 1.2 or later gets one
//! `cron_batch` event for them all; one built for an older minor, which would not know that event, still gets one
//! `cron` event per tick. On a virtual clock, with the probe plugin behind a descriptor that records every event
//! crossing to it.

mod support;

use chrono::{TimeZone, Utc};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use support::{parse, services_with_clock, Probe, Reports};
use zimbot_abi::async_ffi::FfiFuture;
use zimbot_abi::{BytesRef, OwnedBuffer, PluginDescriptor, PluginInstance};
use zimbot_runtime::clock::ManualClock;
use zimbot_runtime::LoopbackOutbound;
use zimbot_runtime::PluginCatalog;
use zimbot_runtime::Runtime;

/// The probe's own descriptor, which the recording one forwards to.
static PROBE: OnceLock<&'static PluginDescriptor> = OnceLock::new();
/// Every cron event that crossed: `cron SCHEDULE` or `cron_batch SCHEDULE...`.
static CROSSINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn recording_on_event(
    instance: *const PluginInstance,
    event: BytesRef<'_>,
) -> FfiFuture<OwnedBuffer> {
    // SAFETY: the host passes a live slice for the duration of this call.
    let json: serde_json::Value = serde_json::from_slice(unsafe { event.as_slice() }).unwrap_or_default();
    let schedule = |tick: &serde_json::Value| tick["schedule_id"].as_str().unwrap_or_default().to_owned();
    let crossing = match json["type"].as_str() {
        Some("cron") => Some(format!("cron {}", schedule(&json["tick"]))),
        Some("cron_batch") => {
            let ticks = json["ticks"].as_array().cloned().unwrap_or_default();
            Some(format!("cron_batch {}", ticks.iter().map(schedule).collect::<Vec<_>>().join(" ")))
        }
        _ => None,
    };
    if let Some(crossing) = crossing {
        CROSSINGS.lock().unwrap().push(crossing);
    }
    let probe = PROBE.get().expect("set before any bot starts");
    // SAFETY: forwarded as received, to the descriptor that created the instance.
    unsafe { (probe.on_event)(instance, event) }
}

/// The probe as if built for plugin ABI 1.`minor`, recording the events that cross to it.
fn probe_built_for(minor: u16) -> PluginCatalog {
    let probe = *PROBE.get_or_init(zimbot_sdk::builtin::<Probe>);
    let mut header = probe.header;
    header.abi_minor = minor;
    let descriptor = Box::leak(Box::new(PluginDescriptor {
        header,
        name: probe.name,
        version: probe.version,
        sdk_version: probe.sdk_version,
        create: probe.create,
        on_event: recording_on_event,
        snapshot: probe.snapshot,
        destroy: probe.destroy,
    }));
    let mut catalog = PluginCatalog::new();
    catalog.register_builtin("probe", descriptor);
    catalog
}

/// The crossings of the schedules named `PREFIX0`, `PREFIX1`, ... (each test names its own).
fn crossings_of(prefix: &str) -> Vec<String> {
    let crossings = CROSSINGS.lock().unwrap();
    crossings
        .iter()
        .filter(|crossing| crossing.split(' ').nth(1).is_some_and(|id| id.starts_with(prefix)))
        .cloned()
        .collect()
}

/// One bot with three schedules (`PREFIX0..2`) firing every minute; runs until their hooks have run.
async fn three_ticks_due_together(prefix: &str, minor: u16) {
    let (key, mut reports) = Reports::new();
    let schedules: Vec<String> = (0..3).map(|n| format!("{{ id: {prefix}{n}, cron: \"* * * * *\" }}")).collect();
    let yaml = format!(
        "bots:\n  - {{ id: a, user_id: \"@RBT#a\", plugin: probe, config: {{ probe: {key} }}, schedules: [{}] }}\n",
        schedules.join(", ")
    );
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 30).unwrap()));
    let services = services_with_clock(LoopbackOutbound::new(), clock.clone());
    let runtime = Runtime::start(&parse(&yaml), &probe_built_for(minor), services);
    reports.until("start").await;
    clock.wait_for_sleepers(1).await;
    clock.advance(Duration::from_secs(30));
    let last = format!("cron {prefix}2");
    let ran = reports.until(&last).await;
    assert_eq!(ran, [format!("cron {prefix}0"), format!("cron {prefix}1"), last], "every hook ran, in order");
    runtime.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_plugin_built_for_abi_1_2_gets_ticks_due_together_in_one_call() {
    three_ticks_due_together("new", 2).await;
    assert_eq!(crossings_of("new"), ["cron_batch new0 new1 new2"]);
}

#[tokio::test]
async fn a_plugin_built_for_abi_1_1_still_gets_one_call_per_tick() {
    three_ticks_due_together("old", 1).await;
    assert_eq!(crossings_of("old"), ["cron old0", "cron old1", "cron old2"]);
}
