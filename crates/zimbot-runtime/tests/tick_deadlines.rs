//! A send made by a cron tick's hook without a deadline of its own gets one: the tick's fire time plus its
//! schedule's `misfire_grace_secs`, so it fails rather than going out late. Other sends keep what they asked for.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use zimbot_abi::CronTick;
use zimbot_runtime::clock::SystemClock;
use zimbot_runtime::config::{self, AcceptAnyPlugin};
use zimbot_runtime::internals::Inbound;
use zimbot_runtime::LoopbackOutbound;
use zimbot_runtime::Runtime;
use zimbot_runtime::{HostServices, PluginCatalog};
use zimbot_sdk::prelude::*;

const PATIENCE: Duration = Duration::from_secs(30);
const FIRED_AT_MS: i64 = 1_767_225_600_000;
const EXPLICIT_DEADLINE_MS: u64 = 42;

/// Sends one text per tick (with a deadline of its own on schedule `explicit`), and one per room message.
struct Ticker;

#[async_trait]
impl Plugin for Ticker {
    async fn on_cron(&self, ctx: &BotContext, tick: CronTick) -> HookResult {
        let request = SendRequest::text("tick", "lobby", ConversationType::Room);
        let request = match tick.schedule_id.as_str() {
            "explicit" => request.with_deadline_ms(EXPLICIT_DEADLINE_MS),
            _ => request,
        };
        ctx.send(request).await?;
        Ok(())
    }

    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        ctx.reply_text(&message, "answer").await?;
        Ok(())
    }
}

impl PluginFactory for Ticker {
    const NAME: &'static str = "ticker";
    const VERSION: &'static str = "1.0.0";
    fn create(_init: PluginInit) -> Result<Self, PluginError> {
        Ok(Ticker)
    }
}

/// A runtime with one `ticker` bot whose schedules (yearly, so none fires by itself) have a 90 s grace.
fn start() -> (Arc<Runtime>, Arc<LoopbackOutbound>) {
    start_with_short_grace(90)
}

/// As [`start`], with a third schedule, `short`, whose grace is `short_grace_secs`.
fn start_with_short_grace(short_grace_secs: u32) -> (Arc<Runtime>, Arc<LoopbackOutbound>) {
    let yaml = format!(
        "bots:\n  - id: ticker\n    user_id: \"@RBT#ticker\"\n    plugin: ticker\n    listen: {{ rooms: [lobby] }}\n    \
                schedules:\n      - {{ id: hourly, cron: \"0 0 1 1 *\", misfire_grace_secs: 90 }}\n      \
                - {{ id: explicit, cron: \"0 0 1 1 *\", misfire_grace_secs: 90 }}\n      \
                - {{ id: short, cron: \"0 0 1 1 *\", misfire_grace_secs: {short_grace_secs} }}\n"
    );
    let yaml = yaml.as_str();
    let config = config::parse(yaml, Path::new("ticks.yaml"), &|_| None, &AcceptAnyPlugin)
        .unwrap_or_else(|errors| panic!("the test's bots.yaml does not parse:\n{errors}"));
    let mut catalog = PluginCatalog::new();
    catalog.register_builtin("ticker", zimbot_sdk::builtin::<Ticker>());
    let sends = LoopbackOutbound::new();
    let runtime = Runtime::start(&config, &catalog, HostServices::new(sends.clone(), Arc::new(SystemClock)));
    (runtime, sends)
}

/// Delivers a tick of `schedule` fired at [`FIRED_AT_MS`] and answers the deadline of the send it made.
async fn deadline_of_tick_send(schedule: &str) -> Option<u64> {
    let (runtime, sends) = start();
    let tick = CronTick { schedule_id: schedule.to_owned(), scheduled_at_ms: FIRED_AT_MS, fired_at_ms: FIRED_AT_MS };
    assert!(runtime.bot(&"ticker".into()).unwrap().deliver(Inbound::Cron(tick)));
    tokio::time::timeout(PATIENCE, sends.wait_until_sent(1)).await.expect("the tick's send");
    let deadline = sends.sent()[0].1.deadline_ms;
    runtime.shutdown(PATIENCE).await;
    deadline
}

#[tokio::test]
async fn a_tick_send_without_a_deadline_gets_the_fire_time_plus_the_schedules_misfire_grace() {
    assert_eq!(deadline_of_tick_send("hourly").await, Some(FIRED_AT_MS as u64 + 90_000));
}

#[tokio::test]
async fn a_tick_send_with_a_deadline_of_its_own_keeps_it() {
    assert_eq!(deadline_of_tick_send("explicit").await, Some(EXPLICIT_DEADLINE_MS));
}

/// Delivers ticks of `schedules` due together (one batch, one plugin call per run of equal deadlines) to a
/// ticker whose `short` schedule has `short_grace_secs`; answers each send's deadline, by schedule order.
async fn deadlines_of_batch_sends(short_grace_secs: u32, schedules: &[&str]) -> Vec<Option<u64>> {
    let (runtime, sends) = start_with_short_grace(short_grace_secs);
    let ticks = schedules
        .iter()
        .map(|schedule| CronTick {
            schedule_id: (*schedule).to_owned(),
            scheduled_at_ms: FIRED_AT_MS,
            fired_at_ms: FIRED_AT_MS,
        })
        .collect();
    assert!(runtime.bot(&"ticker".into()).unwrap().deliver(Inbound::CronBatch(ticks)));
    tokio::time::timeout(PATIENCE, sends.wait_until_sent(schedules.len())).await.expect("the ticks' sends");
    let deadlines = sends.sent().iter().map(|(_, request)| request.deadline_ms).collect();
    runtime.shutdown(PATIENCE).await;
    deadlines
}

#[tokio::test]
async fn ticks_due_together_get_their_own_schedules_grace_whether_the_bots_graces_agree_or_not() {
    let at = |grace_ms: u64| Some(FIRED_AT_MS as u64 + grace_ms);
    // Every schedule with the same grace.
    let same = deadlines_of_batch_sends(90, &["hourly", "short", "explicit", "hourly"]).await;
    assert_eq!(same, vec![at(90_000), at(90_000), Some(EXPLICIT_DEADLINE_MS), at(90_000)]);
    // `short` with a grace of its own, between two ticks of `hourly`.
    let mixed = deadlines_of_batch_sends(30, &["hourly", "short", "explicit", "hourly"]).await;
    assert_eq!(mixed, vec![at(90_000), at(30_000), Some(EXPLICIT_DEADLINE_MS), at(90_000)]);
}

#[tokio::test]
async fn a_send_from_a_message_hook_gets_no_deadline() {
    let (runtime, sends) = start();
    let message = ReceivedMessage {
        message_id: "m1".to_owned(),
        seq: 1,
        from_user_id: UserId::new("alice"),
        conversation_type: ConversationType::Room,
        conversation_id: ConversationId::new("lobby"),
        timestamp_ms: 0,
        content: MessageContent::Text { text: "hi".to_owned() },
    };
    runtime.deliver(message);
    tokio::time::timeout(PATIENCE, sends.wait_until_sent(1)).await.expect("the answer");
    assert_eq!(sends.sent()[0].1.deadline_ms, None);
    runtime.shutdown(PATIENCE).await;
}
