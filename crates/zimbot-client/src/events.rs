//! The per-send event sink: where one accepted send reports attached, progress and its terminal result.
//!
//! Contract:
//! - Events leave in the order attached → progress* → exactly one terminal (sent or failed). The first terminal
//!   event closes the sink; anything reported after it (a second terminal, a late progress callback from a
//!   cancelled upload still being polled) is dropped.
//! - Progress is monotonic: a value not above the last one sent is dropped, so a retried upload that starts again
//!   from zero stays silent until it passes the furthest point reached.
//! - Progress is throttled: a value is sent only when it is at least 1 % of the file beyond the last one sent, or
//!   100 ms have passed since then. `current == total` is never sent by [`EventSink::progress`]; only
//!   [`EventSink::upload_complete`] sends it, after the store acknowledged the upload.
//! - A receiver that was dropped is fine: the send goes on and its events are discarded.
//! - Every event leaves carrying the send's local data (the plugin's own, from its request), set here once.

use parking_lot::Mutex;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;
use zimbot_model::{LocalMessageId, SendEvent, UploadProgress};

/// Shortest interval between two progress events of one send, unless 1 % more of the file was taken.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Where one send's events go. Shared by the tasks that work on the send.
#[derive(Debug)]
pub struct EventSink {
    local_id: LocalMessageId,
    /// The request's local data, stamped on every event.
    local_data: Option<serde_json::Value>,
    state: Mutex<SinkState>,
}

#[derive(Debug)]
struct SinkState {
    /// `None` once the terminal event went out.
    sender: Option<UnboundedSender<SendEvent>>,
    /// The last progress sent, and when.
    last_current: Option<u64>,
    last_sent_at: Option<Instant>,
}

impl EventSink {
    /// A sink sending to `sender` for the send `local_id`.
    pub fn new(local_id: LocalMessageId, sender: UnboundedSender<SendEvent>) -> Self {
        let state = SinkState { sender: Some(sender), last_current: None, last_sent_at: None };
        Self { local_id, local_data: None, state: Mutex::new(state) }
    }

    /// The same sink, stamping `local_data` on every event it sends.
    pub fn with_local_data(mut self, local_data: Option<serde_json::Value>) -> Self {
        self.local_data = local_data;
        self
    }

    fn stamped(&self, event: SendEvent) -> SendEvent {
        event.with_local_data(self.local_data.clone())
    }

    /// Sends a non-terminal event as is (used for attached).
    pub fn emit(&self, event: SendEvent) {
        let state = self.state.lock();
        if let Some(sender) = &state.sender {
            let _ = sender.send(self.stamped(event));
        }
    }

    /// Reports that `current` of `total` bytes were taken by the store; sent if the throttle allows.
    pub fn progress(&self, current: u64, total: u64) {
        if current >= total {
            return;
        }
        let now = Instant::now();
        let mut state = self.state.lock();
        let last = state.last_current;
        if last.is_some_and(|last| current <= last) {
            return;
        }
        let step = (total / 100).max(1);
        let far_enough = current - last.unwrap_or(0) >= step;
        let long_enough = state.last_sent_at.is_none_or(|at| now.duration_since(at) >= PROGRESS_INTERVAL);
        if !far_enough && !long_enough {
            return;
        }
        state.last_current = Some(current);
        state.last_sent_at = Some(now);
        if let Some(sender) = &state.sender {
            let _ = sender.send(self.stamped(SendEvent::Progress(UploadProgress::new(self.local_id, current, total))));
        }
    }

    /// Reports that the store acknowledged all `total` bytes: sends `current == total`.
    pub fn upload_complete(&self, total: u64) {
        let mut state = self.state.lock();
        if state.last_current.is_some_and(|last| last >= total) && total > 0 {
            return;
        }
        state.last_current = Some(total);
        state.last_sent_at = Some(Instant::now());
        if let Some(sender) = &state.sender {
            let progress = UploadProgress::new(self.local_id, total, total);
            let _ = sender.send(self.stamped(SendEvent::Progress(progress)));
        }
    }

    /// Sends the terminal event if none was sent yet; returns whether this call sent it.
    pub fn finish(&self, event: SendEvent) -> bool {
        debug_assert!(event.is_terminal());
        let mut state = self.state.lock();
        match state.sender.take() {
            Some(sender) => {
                let _ = sender.send(self.stamped(event));
                true
            }
            None => false,
        }
    }

    #[cfg(test)]
    /// Whether the terminal event was sent.
    pub fn is_finished(&self) -> bool {
        self.state.lock().sender.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
    use zimbot_model::{ConversationId, ConversationType, SendFailure, SendRequest, ZimCode, ZimError};

    fn sink() -> (EventSink, UnboundedReceiver<SendEvent>) {
        let (sender, receiver) = unbounded_channel();
        (EventSink::new(LocalMessageId(7), sender), receiver)
    }

    fn drain(receiver: &mut UnboundedReceiver<SendEvent>) -> Vec<SendEvent> {
        let mut events = Vec::new();
        while let Ok(event) = receiver.try_recv() {
            events.push(event);
        }
        events
    }

    fn progress_values(events: &[SendEvent]) -> Vec<u64> {
        events
            .iter()
            .filter_map(|event| match event {
                SendEvent::Progress(progress) => Some(progress.current),
                _ => None,
            })
            .collect()
    }

    fn failure() -> SendEvent {
        let request = SendRequest::text("hi", ConversationId::from("room"), ConversationType::Room);
        SendEvent::Failed(SendFailure::of_request(
            LocalMessageId(7),
            &request,
            ZimError::new(ZimCode::CANCELLED, "stopped"),
            1,
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn progress_is_throttled_to_one_percent_steps() {
        let (sink, mut receiver) = sink();
        for current in (0..1000).step_by(1) {
            sink.progress(current, 1000);
        }
        let values = progress_values(&drain(&mut receiver));
        // The first report (0) passes because nothing was sent yet; then one event per 10 bytes.
        assert_eq!(values.len(), 100, "{values:?}");
        assert!(values.windows(2).all(|pair| pair[1] - pair[0] >= 10));
    }

    #[tokio::test(start_paused = true)]
    async fn progress_below_one_percent_passes_after_100_ms() {
        let (sink, mut receiver) = sink();
        sink.progress(1, 1_000_000);
        sink.progress(2, 1_000_000);
        tokio::time::advance(PROGRESS_INTERVAL).await;
        sink.progress(3, 1_000_000);
        assert_eq!(progress_values(&drain(&mut receiver)), vec![1, 3]);
    }

    #[tokio::test(start_paused = true)]
    async fn progress_never_goes_backwards() {
        let (sink, mut receiver) = sink();
        sink.progress(500, 1000);
        sink.progress(100, 1000); // a retried upload starting over
        sink.progress(600, 1000);
        assert_eq!(progress_values(&drain(&mut receiver)), vec![500, 600]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_total_is_only_reported_by_upload_complete() {
        let (sink, mut receiver) = sink();
        sink.progress(1000, 1000);
        assert!(drain(&mut receiver).is_empty());
        sink.upload_complete(1000);
        assert_eq!(progress_values(&drain(&mut receiver)), vec![1000]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_file_completes_at_zero_of_zero() {
        let (sink, mut receiver) = sink();
        sink.upload_complete(0);
        assert_eq!(progress_values(&drain(&mut receiver)), vec![0]);
    }

    #[tokio::test(start_paused = true)]
    async fn every_event_carries_the_sends_local_data() {
        let (sender, mut receiver) = unbounded_channel();
        let data = serde_json::json!({ "post": 42 });
        let sink = EventSink::new(LocalMessageId(7), sender).with_local_data(Some(data.clone()));
        sink.progress(10, 1000);
        sink.upload_complete(1000);
        sink.finish(failure());
        let events = drain(&mut receiver);
        let carried: Vec<_> = events
            .iter()
            .map(|event| match event {
                SendEvent::Progress(progress) => progress.local_data.clone(),
                SendEvent::Failed(failure) => failure.local_data.clone(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(carried, [Some(data.clone()), Some(data.clone()), Some(data)]);
    }

    #[tokio::test]
    async fn only_the_first_terminal_event_is_sent_and_nothing_follows_it() {
        let (sink, mut receiver) = sink();
        assert!(sink.finish(failure()));
        assert!(!sink.finish(failure()));
        sink.progress(10, 1000);
        assert_eq!(drain(&mut receiver).len(), 1);
        assert!(sink.is_finished());
    }
}
