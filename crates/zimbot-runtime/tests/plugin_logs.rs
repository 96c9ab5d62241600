//! Log forging through a plugin: text a plugin logs (often text a person wrote) never starts a log line of its own
//! and never carries an escape character to the terminal. A test binary of its own, because it installs a log
//! subscriber, and tracing caches which log sites are enabled across the threads of one process.

mod keeper;
mod log_capture;

use keeper::{bot_yaml, keeper, start, PATIENCE};
use log_capture::Captured;
use zimbot_model::{ConversationType, MessageContent, ReceivedMessage, UserId};
use zimbot_runtime::LoopbackOutbound;

// Current-thread runtime: the log call below runs on this thread, under the thread's log subscriber.
#[tokio::test(flavor = "current_thread")]
async fn newlines_and_escapes_a_plugin_logs_never_forge_log_lines() {
    let (captured, _guard) = Captured::install();
    let (key, shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    runtime.deliver(ReceivedMessage {
        message_id: "m1".to_owned(),
        seq: 1,
        from_user_id: UserId::new("alice"),
        conversation_type: ConversationType::Room,
        conversation_id: "lobby".into(),
        timestamp_ms: 0,
        content: MessageContent::Text { text: "keep".to_owned() },
    });
    reports.until("kept").await;
    let context = shared.kept.lock().unwrap().clone().expect("the keeper kept its context");

    context.warn("someone said: hi\n2026-11-30T00:00:00Z  INFO zimbot: forged\u{1b}[2K\r");
    runtime.shutdown(PATIENCE).await;

    let log = captured.text();
    let line = log.lines().find(|line| line.contains("someone said")).unwrap_or_else(|| panic!("no line:\n{log}"));
    assert!(line.contains(r"hi\n2026-11-30T00:00:00Z"), "the newline is written as its escape: {line}");
    assert!(!log.lines().any(|line| line.starts_with("2026-11-30T00:00:00Z")), "a forged line:\n{log}");
    assert!(!log.contains('\u{1b}') && !log.contains('\r'), "a control character reached the log:\n{log}");
}
