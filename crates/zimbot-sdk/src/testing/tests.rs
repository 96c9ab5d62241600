//! Specifications of the harness itself, with a small plugin whose messages say what to do.

use super::{HookError, TestBot};
use crate::prelude::*;
use serde_json::json;
use std::sync::Mutex;
use std::time::Duration;
use zimbot_model::{RejectReason, ZimCode, ZimError};

thread_local! {
    /// The context `keep` kept (each test runs on its own thread, and the harness runs the plugin on it).
    static KEPT: std::cell::RefCell<Option<BotContext>> = const { std::cell::RefCell::new(None) };
}

fn kept() -> BotContext {
    KEPT.with(|kept| kept.borrow().clone()).expect("the plugin kept its context")
}

/// Does what each message says; counts messages in its snapshot.
struct Scripted {
    seen: Mutex<u64>,
}

#[async_trait]
impl Plugin for Scripted {
    async fn on_room_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        *self.seen.lock().map_err(|_| "poisoned")? += 1;
        match message.text().unwrap_or_default() {
            "send" => {
                ctx.reply_text(&message, "one").await?;
            }
            "send image" => {
                ctx.reply_media(&message, MediaMessage::image("poster.png"), SendConfig::default()).await?;
            }
            "send and wait" => {
                let result = ctx.reply_text(&message, "two").await?.result().await;
                ctx.info(format!("result ok={}", result.is_ok()));
            }
            "nap" => {
                ctx.sleep(Duration::from_secs(60)).await;
                ctx.info(format!("woke at {}", ctx.now_ms()));
            }
            "spawn" => {
                let task_ctx = ctx.clone();
                ctx.spawn(async move { task_ctx.info("spawned task ran") });
            }
            "keep" => KEPT.with(|kept| *kept.borrow_mut() = Some(ctx.clone())),
            "sleep forever" => {
                ctx.sleep(Duration::MAX).await;
                ctx.info("woke from forever");
            }
            "fail" => return Err("told to fail".into()),
            "panic" => panic!("told to panic"),
            "again?" => ctx.info(format!("redelivery={}", ctx.is_redelivery(&message))),
            _ => {}
        }
        Ok(())
    }

    async fn on_peer_message(&self, ctx: &BotContext, message: ReceivedMessage) -> HookResult {
        ctx.info(format!("peer message to {}", message.conversation_id));
        ctx.reply_text(&message, "hi").await?;
        Ok(())
    }

    async fn on_media_uploading_progress(&self, ctx: &BotContext, progress: UploadProgress) -> HookResult {
        ctx.info(format!("{} %", progress.percent()));
        Ok(())
    }

    async fn on_message_send_failed(&self, ctx: &BotContext, failure: SendFailure) -> HookResult {
        ctx.warn(format!("failed: {}", failure.error.message));
        Ok(())
    }

    fn snapshot(&self) -> Option<serde_json::Value> {
        Some(json!({ "seen": *self.seen.lock().ok()? }))
    }
}

impl PluginFactory for Scripted {
    const NAME: &'static str = "scripted";
    const VERSION: &'static str = "0.0.0";

    fn create(init: PluginInit) -> Result<Self, PluginError> {
        if init.bot.config.get("refuse").is_some() {
            return Err("refused by config".into());
        }
        let seen = init.snapshot.as_ref().and_then(|state| state["seen"].as_u64()).unwrap_or(0);
        Ok(Self { seen: Mutex::new(seen) })
    }
}

fn bot() -> TestBot<Scripted> {
    TestBot::start(json!({})).unwrap()
}

#[test]
fn sends_are_recorded_in_order_with_local_ids() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "send").unwrap();
    bot.room_message("hall", "bob", "send").unwrap();
    let sends = bot.sends();
    assert_eq!(sends.iter().map(|send| send.local_id.0).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(sends[1].to(), ("hall", ConversationType::Room));
    assert_eq!(sends[1].text(), Some("one"));
}

#[test]
fn media_sends_are_filtered_by_kind_and_text_sends_apart() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "send").unwrap();
    bot.room_message("lobby", "alice", "send image").unwrap();
    let images = bot.media_sends(MediaKind::Image);
    assert_eq!(images.iter().map(|send| send.local_id.0).collect::<Vec<_>>(), [2]);
    assert!(bot.media_sends(MediaKind::Video).is_empty());
    assert_eq!(bot.text_sends().iter().map(|send| send.local_id.0).collect::<Vec<_>>(), [1]);
}

#[test]
fn take_sends_returns_only_the_sends_since_the_last_take() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "send").unwrap();
    assert_eq!(bot.take_sends().len(), 1);
    assert!(bot.take_sends().is_empty());
    bot.room_message("lobby", "alice", "send").unwrap();
    assert_eq!(bot.take_sends()[0].local_id.0, 2);
}

#[test]
fn a_hook_awaiting_its_send_is_pending_until_the_test_ends_the_send() {
    let mut bot = bot();
    assert_eq!(bot.room_message("lobby", "alice", "send and wait"), Err(HookError::Pending));
    assert!(!bot.logged("result"));
    let local_id = bot.sends()[0].local_id;
    bot.sent(local_id).unwrap();
    assert!(bot.logged("result ok=true"));
}

#[test]
fn a_failed_send_answers_its_waiter_and_reaches_the_failure_hook() {
    let mut bot = bot();
    assert_eq!(bot.room_message("lobby", "alice", "send and wait"), Err(HookError::Pending));
    let local_id = bot.sends()[0].local_id;
    bot.failed(local_id, ZimError::new(ZimCode::CANCELLED, "no network")).unwrap();
    assert!(bot.logged("result ok=false"));
    assert!(bot.logged("failed: no network"));
}

#[test]
#[should_panic(expected = "a send ends exactly once")]
fn ending_a_send_twice_is_a_test_error() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "send").unwrap();
    bot.sent(bot.sends()[0].local_id).unwrap();
    let _ = bot.sent(bot.sends()[0].local_id);
}

#[test]
fn progress_reaches_the_progress_hook() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "send").unwrap();
    bot.progress(bot.sends()[0].local_id, 50, 200).unwrap();
    assert!(bot.logged("25 %"));
}

#[test]
fn sleeps_end_only_when_virtual_time_reaches_them() {
    let mut bot = bot();
    let start = bot.now_ms();
    assert_eq!(bot.room_message("lobby", "alice", "nap"), Err(HookError::Pending));
    bot.advance(Duration::from_secs(59));
    assert!(!bot.logged("woke"));
    bot.advance(Duration::from_secs(5));
    assert!(bot.logged(&format!("woke at {}", start + 60_000)), "woken at its deadline: {:?}", bot.logs());
    assert_eq!(bot.now_ms(), start + 64_000);
}

#[test]
fn spawned_tasks_run_on_the_harness() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "spawn").unwrap();
    assert!(bot.logged("spawned task ran"));
}

#[test]
fn hook_errors_and_panics_come_back_as_values() {
    let mut bot = bot();
    assert_eq!(bot.room_message("lobby", "alice", "fail"), Err(HookError::Failed("told to fail".into())));
    assert_eq!(bot.room_message("lobby", "alice", "panic"), Err(HookError::Panicked("told to panic".into())));
}

#[test]
fn create_refusals_show_the_plugins_own_message() {
    let refused = TestBot::<Scripted>::start(json!({ "refuse": true })).err();
    assert_eq!(refused.as_deref(), Some("refused by config"));
}

#[test]
fn a_restart_rebuilds_the_instance_from_its_snapshot() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "hello").unwrap();
    bot.room_message("lobby", "alice", "hello").unwrap();
    assert_eq!(bot.snapshot(), json!({ "seen": 2 }));
    let bot = bot.restart().unwrap();
    assert_eq!(bot.snapshot(), json!({ "seen": 2 }));
    assert!(bot.sends().is_empty());
}

#[test]
fn a_rejected_send_is_not_recorded() {
    let mut bot = bot();
    bot.reject_next_send(SendRejected::new(RejectReason::QueueFull, "full"));
    assert!(
        matches!(bot.room_message("lobby", "alice", "send"), Err(HookError::Failed(message)) if message.contains("full"))
    );
    assert!(bot.sends().is_empty());
}

#[test]
fn peer_messages_are_addressed_to_the_bot_and_answered_to_the_sender() {
    let mut bot = bot();
    bot.peer_message("alice", "hello").unwrap();
    assert!(bot.logged(&format!("peer message to {}", super::TEST_BOT_USER)));
    assert_eq!(bot.sends()[0].to(), ("alice", ConversationType::Peer));
}

#[test]
fn a_sleep_of_duration_max_stays_pending_and_nothing_overflows() {
    let mut bot = bot();
    assert_eq!(bot.room_message("lobby", "alice", "sleep forever"), Err(HookError::Pending));
    bot.advance(Duration::from_secs(10 * 365 * 24 * 3600));
    assert!(!bot.logged("woke from forever"), "ten years are not forever");
    bot.advance(Duration::MAX);
    assert!(bot.now_ms() > 0);
}

#[test]
fn a_context_kept_past_its_test_bot_is_refused_as_gone() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "keep").unwrap();
    drop(bot);
    let kept = kept();
    let sent = futures::executor::block_on(kept.send_text("late", "lobby", ConversationType::Room));
    assert_eq!(sent.map(|_| ()).map_err(|rejected| rejected.reason), Err(RejectReason::BotGone));
    futures::executor::block_on(kept.sleep(Duration::from_secs(3600)));
    kept.info("dropped, not recorded anywhere");
}

#[test]
fn a_context_kept_across_a_restart_is_refused_while_the_new_instance_sends() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "keep").unwrap();
    let mut bot = bot.restart().unwrap();
    let sent = futures::executor::block_on(kept().send_text("late", "lobby", ConversationType::Room));
    assert_eq!(sent.map(|_| ()).map_err(|rejected| rejected.reason), Err(RejectReason::BotGone));
    bot.room_message("lobby", "alice", "send").unwrap();
    assert_eq!(bot.sends().len(), 1);
}

#[test]
fn a_first_delivery_is_not_a_redelivery() {
    let mut bot = bot();
    bot.room_message("lobby", "alice", "again?").unwrap();
    assert!(bot.logged("redelivery=false"), "{:?}", bot.logs());
}

#[test]
fn a_redelivered_message_is_marked_during_its_hook() {
    let mut bot = bot();
    let message =
        super::received(ConversationType::Room, "lobby", "alice", MessageContent::Text { text: "again?".to_owned() });
    bot.redelivered_message(message).unwrap();
    assert!(bot.logged("redelivery=true"), "{:?}", bot.logs());
}
