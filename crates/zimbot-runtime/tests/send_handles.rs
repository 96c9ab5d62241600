//! The hook that sends holds its `SendHandle` before any hook of that send runs: `on_message_attached` of a send
//! never runs while the hook that made it still waits for the handle.

mod keeper;

use keeper::{bot_yaml, keeper, start, PATIENCE};
use std::sync::atomic::Ordering::SeqCst;
use zimbot_model::{ConversationType, MessageContent, ReceivedMessage, UserId};
use zimbot_runtime::LoopbackOutbound;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_message_attached_never_runs_before_the_sending_hook_holds_the_handle() {
    const SENDS: usize = 200;
    let (key, shared, mut reports) = keeper();
    // The loopback outbound reports attached (and sent) the moment it accepts: the tightest race there is.
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    runtime.deliver(ReceivedMessage {
        message_id: "m1".into(),
        seq: 1,
        from_user_id: UserId::new("alice"),
        conversation_type: ConversationType::Room,
        conversation_id: "lobby".into(),
        timestamp_ms: 0,
        content: MessageContent::Text { text: format!("track {SENDS}") },
    });
    let mut attached = 0;
    let mut tracked = false;
    while attached < SENDS || !tracked {
        let report = reports.next().await;
        attached += usize::from(report.starts_with("attached "));
        tracked |= report == "tracked";
    }
    assert_eq!(shared.attached_before_handle.load(SeqCst), 0, "attached ran before its handle reached the hook");
    runtime.shutdown(PATIENCE).await;
}
