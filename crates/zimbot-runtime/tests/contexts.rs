//! A plugin's kept `BotContext` after its instance is gone: whatever the plugin does with a clone (keep it in a
//! static, hand it to a thread of its own), once the bot stops or the instance is rebuilt every call through the
//! old context fails cleanly and reaches no bot, while the current instance keeps working.

mod keeper;

use keeper::{bot_yaml, eventually, keeper, start, PATIENCE};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use zimbot_model::{ConversationType, MessageContent, ReceivedMessage, RejectReason, UserId};
use zimbot_runtime::internals::stale_context_calls;
use zimbot_runtime::LoopbackOutbound;
use zimbot_sdk::BotContext;

fn room_text(text: &str) -> ReceivedMessage {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::SeqCst);
    ReceivedMessage {
        message_id: format!("m{id}"),
        seq: id,
        from_user_id: UserId::new("alice"),
        conversation_type: ConversationType::Room,
        conversation_id: "lobby".into(),
        timestamp_ms: 0,
        content: MessageContent::Text { text: text.to_owned() },
    }
}

async fn send_through(kept: &BotContext) -> Result<(), RejectReason> {
    kept.send_text("from the kept context", "lobby", ConversationType::Room).await.map(|_| ()).map_err(|r| r.reason)
}

#[tokio::test]
async fn a_kept_context_is_refused_once_its_bot_has_stopped() {
    let (key, shared, mut reports) = keeper();
    let outbound = LoopbackOutbound::new();
    let runtime = start(&bot_yaml("keeper", &key, ""), outbound.clone());
    reports.until("start").await;
    runtime.deliver(room_text("keep"));
    reports.until("kept").await;
    let kept = shared.kept.lock().unwrap().clone().expect("the keeper kept its context");
    assert_eq!(send_through(&kept).await, Ok(()), "the context works while its bot runs");

    runtime.shutdown(PATIENCE).await;
    let sends_before = outbound.sent().len();
    for _ in 0..3 {
        assert_eq!(send_through(&kept).await, Err(RejectReason::BotGone));
    }
    assert_eq!(outbound.sent().len(), sends_before, "nothing sent through the stopped bot's context went out");
}

#[tokio::test]
async fn a_kept_context_is_refused_after_its_instance_is_rebuilt_while_the_new_one_sends() {
    let (key, shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    runtime.deliver(room_text("keep"));
    reports.until("kept").await;
    let kept = shared.kept.lock().unwrap().clone().expect("kept");

    runtime.deliver(room_text("panic"));
    let bot = Arc::clone(runtime.bot(&"keeper".into()).expect("the bot runs"));
    eventually("the instance was rebuilt", || bot.stats().instance_rebuilds.load(Relaxed) == 1).await;
    assert_eq!(send_through(&kept).await, Err(RejectReason::BotGone), "the panicked instance's context is retired");
    runtime.deliver(room_text("send"));
    assert_eq!(reports.until("send accepted").await.last().map(String::as_str), Some("send accepted"));
    runtime.shutdown(PATIENCE).await;
}

// Two workers: the test's own thread blocks while the plugin's thread waits for the host's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_context_used_from_a_thread_without_a_runtime_works_then_is_refused_after_stop() {
    let (key, shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    runtime.deliver(room_text("keep"));
    reports.until("kept").await;
    let kept = shared.kept.lock().unwrap().clone().expect("kept");

    let on_a_thread = |kept: BotContext| {
        std::thread::spawn(move || futures::executor::block_on(send_through(&kept))).join().expect("no panic")
    };
    assert_eq!(on_a_thread(kept.clone()), Ok(()));
    runtime.shutdown(PATIENCE).await;
    assert_eq!(on_a_thread(kept), Err(RejectReason::BotGone));
}

#[tokio::test]
async fn a_sleep_in_progress_ends_when_its_bot_stops() {
    let (key, shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    runtime.deliver(room_text("keep"));
    reports.until("kept").await;
    let kept = shared.kept.lock().unwrap().clone().expect("kept");
    let sleeping = tokio::spawn(async move { kept.sleep(Duration::from_secs(24 * 3600)).await });

    runtime.shutdown(PATIENCE).await;
    tokio::time::timeout(PATIENCE, sleeping).await.expect("the sleep ended with its bot").expect("no panic");
}

#[tokio::test]
async fn calls_through_a_retired_context_fail_cleanly_and_are_counted() {
    let (key, shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    runtime.deliver(room_text("keep"));
    reports.until("kept").await;
    let kept = shared.kept.lock().unwrap().clone().expect("kept");
    runtime.shutdown(PATIENCE).await;

    let before = stale_context_calls();
    kept.info("a log line from a stopped bot");
    kept.sleep(Duration::from_secs(3600)).await;
    let (ran, _ran_rx) = std::sync::mpsc::channel::<()>();
    kept.spawn(async move {
        let _ = ran.send(());
    });
    assert!(kept.now_ms() > 0, "the time still reads, from the system clock");
    let after = stale_context_calls();
    // Other tests of this binary may retire contexts at the same time, so the counts grow by at least these.
    assert!(after.log > before.log, "{after:?}");
    assert!(after.sleep > before.sleep, "{after:?}");
    assert!(after.spawn > before.spawn, "{after:?}");
    assert!(after.now_ms > before.now_ms, "{after:?}");
    assert!(_ran_rx.try_recv().is_err(), "the task was dropped, not run");
    let metrics = runtime.metrics_text(Vec::new());
    assert!(metrics.contains("zimbot_stale_context_calls_total{call=\"log\"}"), "{metrics}");
}

#[tokio::test]
async fn a_sleep_of_duration_max_is_a_long_wait_not_a_panic() {
    let (key, _shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    let bot = Arc::clone(runtime.bot(&"keeper".into()).expect("the bot runs"));
    runtime.deliver(room_text("sleep forever"));
    // The hook only ends at its timeout (5 s): counted as a timeout, never as a panic.
    eventually("the sleeping hook timed out", || bot.stats().hook_timeouts.load(Relaxed) == 1).await;
    assert_eq!(bot.stats().hook_panics.load(Relaxed), 0);
    runtime.deliver(room_text("count"));
    assert_eq!(reports.next().await, "count 1", "the bot carries on");
    runtime.shutdown(PATIENCE).await;
}

#[tokio::test]
async fn finished_spawned_tasks_are_reaped_while_the_bot_runs() {
    let (key, _shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    runtime.deliver(room_text("spawn 500"));
    reports.until("spawned").await;
    let bot = runtime.bot(&"keeper".into()).expect("the bot runs");
    // Each task ended before the next was spawned; at most the last one or two may not be reaped yet.
    assert!(bot.plugin_tasks() <= 2, "{} tasks held after 500 finished", bot.plugin_tasks());
    runtime.shutdown(PATIENCE).await;
}
