//! What keeps one bot's plugin from growing the host's memory or losing its state: state reads are paced and a
//! failing one keeps the last good state; upload progress is coalesced so the notification lane stays bounded
//! while terminal events always arrive; and a send that examines a local file does so off the async workers.

mod keeper;

use async_trait::async_trait;
use keeper::{bot_yaml, eventually, keeper, start, PATIENCE};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use zimbot_model::{
    AttachedMessage, ConversationType, LocalMessageId, MessageContent, MessageSentResult, ReceivedMessage, SendEvent,
    SendRejected, SendRequest, UploadProgress, UserId,
};
use zimbot_runtime::{LoopbackOutbound, Outbound, OutboundSend, Sender};

fn room_text(text: &str) -> ReceivedMessage {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Relaxed);
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

#[tokio::test]
async fn a_snapshot_that_panics_keeps_the_last_good_state_and_is_counted() {
    let (key, _shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    let bot = Arc::clone(runtime.bot(&"keeper".into()).expect("the bot runs"));
    runtime.deliver(room_text("count"));
    reports.until("count 1").await;
    eventually("the state after count 1 was read", || bot.stats().snapshots_taken.load(Relaxed) >= 2).await;

    runtime.deliver(room_text("break snapshot"));
    reports.until("snapshot broken").await;
    eventually("the broken read was counted", || bot.stats().snapshot_failures.load(Relaxed) >= 1).await;
    runtime.deliver(room_text("panic"));
    assert_eq!(reports.next().await, "created count=1", "rebuilt from the last good state, not from nothing");
    let metrics = runtime.metrics_text(Vec::new());
    assert!(metrics.contains("zimbot_snapshot_failures_total{bot=\"keeper\"} 1"), "{metrics}");
    runtime.shutdown(PATIENCE).await;
}

#[tokio::test]
async fn a_burst_of_hooks_reads_the_state_at_a_bounded_rate() {
    let (key, _shared, mut reports) = keeper();
    let runtime = start(&bot_yaml("keeper", &key, ""), LoopbackOutbound::new());
    reports.until("start").await;
    let bot = Arc::clone(runtime.bot(&"keeper".into()).expect("the bot runs"));
    let started = std::time::Instant::now();
    for _ in 0..200 {
        runtime.deliver(room_text("count"));
    }
    reports.until("count 200").await;
    let reads = bot.stats().snapshots_taken.load(Relaxed);
    let bound = 2 + started.elapsed().as_secs() / zimbot_runtime::internals::SNAPSHOT_INTERVAL.as_secs();
    assert!(reads <= bound, "{reads} state reads for 200 hooks (at most {bound} allowed)");
    runtime.shutdown(PATIENCE).await;
    assert!(bot.stats().snapshots_taken.load(Relaxed) > reads, "shutdown reads the final state once more");
}

/// An outbound whose sends report `progress_events` upload progress events before they are sent, all at once.
struct UploadingOutbound {
    progress_events: u64,
}

#[async_trait]
impl Outbound for UploadingOutbound {
    fn send(&self, _sender: &Sender, request: SendRequest) -> Result<OutboundSend, SendRejected> {
        let local_id = LocalMessageId(1);
        let (events, receiver) = mpsc::unbounded_channel();
        let _ = events.send(SendEvent::Attached(AttachedMessage {
            local_id,
            conversation_id: request.to_conversation_id.clone(),
            conversation_type: request.conversation_type,
            media_kind: request.message.media_kind(),
            file_name: "big.bin".into(),
            file_size: self.progress_events,
            local_data: None,
        }));
        for current in 1..=self.progress_events {
            let progress = UploadProgress::new(local_id, current, self.progress_events);
            let _ = events.send(SendEvent::Progress(progress));
        }
        let _ = events.send(SendEvent::Sent(MessageSentResult {
            local_id,
            conversation_id: request.to_conversation_id,
            conversation_type: request.conversation_type,
            message_id: Some("m".into()),
            message_seq: Some(1),
            media_url: None,
            attempts: 1,
            media_kind: None,
            file_name: String::new(),
            local_data: None,
        }));
        Ok(OutboundSend { local_id, events: receiver })
    }

    async fn close(&self, _deadline: Duration) {}
}

#[tokio::test]
async fn progress_waiting_behind_a_slow_hook_is_coalesced_to_the_latest_and_the_sent_event_still_arrives() {
    let (key, shared, mut reports) = keeper();
    let runtime = start(
        &bot_yaml("keeper", &key, ", hold_attached: true"),
        Arc::new(UploadingOutbound { progress_events: 10_000 }),
    );
    reports.until("start").await;
    let bot = Arc::clone(runtime.bot(&"keeper".into()).expect("the bot runs"));
    runtime.deliver(room_text("upload"));
    reports.until("holding attached").await;
    // While on_message_attached is held, the send's 10 000 progress events and its sent event arrive.
    eventually("the send's events were queued", || bot.notifications().coalesced() == 9_999).await;
    assert_eq!(bot.notifications().len(), 2, "one progress event (the latest) and the sent event wait");

    shared.attached_gate.add_permits(1);
    assert_eq!(reports.until("sent 1").await, ["attached 1", "sent 1"]);
    let seen = shared.progress_seen.lock().unwrap().clone();
    assert_eq!(seen, [UploadProgress::new(LocalMessageId(1), 10_000, 10_000)]);
    let metrics = runtime.metrics_text(Vec::new());
    assert!(metrics.contains("zimbot_progress_coalesced_total{bot=\"keeper\"} 9999"), "{metrics}");
    runtime.shutdown(PATIENCE).await;
}

/// An outbound whose validation of a local file blocks its thread until the test releases it (as a slow disk
/// would); it refuses the send if no release comes in time.
struct SlowDiskOutbound {
    started: tokio::sync::mpsc::UnboundedSender<()>,
    release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    accept: LoopbackOutbound,
}

#[async_trait]
impl Outbound for SlowDiskOutbound {
    fn send(&self, sender: &Sender, request: SendRequest) -> Result<OutboundSend, SendRejected> {
        let _ = self.started.send(());
        let released = self.release.lock().unwrap().recv_timeout(Duration::from_secs(5));
        if released.is_err() {
            return Err(SendRejected::new(zimbot_model::RejectReason::Other, "the test never released the disk"));
        }
        let mut request = request;
        request.message = zimbot_model::OutgoingMessage::Text { text: "checked".into() };
        Outbound::send(&self.accept, sender, request)
    }

    async fn close(&self, _deadline: Duration) {}
}

// One worker thread: if the file were examined on it, nothing else (the test included) could run meanwhile.
#[tokio::test(flavor = "current_thread")]
async fn a_send_that_examines_a_local_file_does_not_block_the_async_worker() {
    let (key, _shared, mut reports) = keeper();
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
    let (release, release_rx) = std::sync::mpsc::channel();
    let outbound = Arc::new(SlowDiskOutbound {
        started: started_tx,
        release: std::sync::Mutex::new(release_rx),
        accept: LoopbackOutbound::default(),
    });
    let runtime = start(&bot_yaml("keeper", &key, ""), outbound);
    reports.until("start").await;
    runtime.deliver(room_text("upload file"));
    tokio::time::timeout(PATIENCE, started.recv()).await.expect("the send reached the outbound");
    release.send(()).expect("the outbound waits");
    assert_eq!(reports.next().await, "upload accepted", "the worker ran while the file was examined");
    runtime.shutdown(PATIENCE).await;
}
