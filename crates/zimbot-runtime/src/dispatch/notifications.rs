//! A bot's notification queue: the send events waiting for the notification lane, kept bounded by coalescing.
//!
//! Policy: an upload progress event replaces the progress event of the same send that is still waiting (the
//! hook sees the latest figure, never a backlog of old ones), and the replacement is counted. Every other event
//! (`attached`, `sent`, `failed`) is always queued and delivered, in order. So the queue holds at most three
//! events per send in flight (attached, one progress, the terminal event), however fast an upload reports and
//! however slow the hook; the sends in flight are bounded by the client's queue limits.

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Notify;
use zimbot_model::SendEvent;

/// What happened to a pushed event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    /// Added at the back.
    Added,
    /// A progress event that took the place of the older one of its send.
    Coalesced,
}

/// The events waiting for a bot's notification lane.
#[derive(Debug, Default)]
pub struct NotificationQueue {
    state: Mutex<State>,
    ready: Notify,
    coalesced: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    events: VecDeque<SendEvent>,
    closed: bool,
}

impl NotificationQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `event` (see the module docs for the policy). Events pushed after `close` are still queued: a
    /// send's terminal event is never dropped, and the lane drains the queue before it ends.
    pub fn push(&self, event: SendEvent) -> Queued {
        let queued = {
            let mut state = self.state.lock();
            let waiting =
                match &event {
                    SendEvent::Progress(progress) => state.events.iter_mut().rev().find(
                        |queued| matches!(queued, SendEvent::Progress(older) if older.local_id == progress.local_id),
                    ),
                    _ => None,
                };
            match waiting {
                Some(older) => {
                    *older = event;
                    self.coalesced.fetch_add(1, Ordering::Relaxed);
                    Queued::Coalesced
                }
                None => {
                    state.events.push_back(event);
                    Queued::Added
                }
            }
        };
        self.ready.notify_one();
        queued
    }

    /// The next event, waiting for one; `None` once the queue is closed and empty.
    pub async fn pop(&self) -> Option<SendEvent> {
        loop {
            let notified = self.ready.notified();
            {
                let mut state = self.state.lock();
                if let Some(event) = state.events.pop_front() {
                    return Some(event);
                }
                if state.closed {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// Lets `pop` end once the queue is empty.
    pub fn close(&self) {
        self.state.lock().closed = true;
        self.ready.notify_waiters();
        self.ready.notify_one();
    }

    /// How many progress events were replaced by a newer one so far.
    pub fn coalesced(&self) -> u64 {
        self.coalesced.load(Ordering::Relaxed)
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.state.lock().events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zimbot_model::{ConversationId, ConversationType, LocalMessageId, MessageSentResult, UploadProgress};

    fn progress(send: u64, current: u64) -> SendEvent {
        SendEvent::Progress(UploadProgress::new(LocalMessageId(send), current, 100))
    }

    fn sent(send: u64) -> SendEvent {
        SendEvent::Sent(MessageSentResult {
            local_id: LocalMessageId(send),
            conversation_id: ConversationId::new("lobby"),
            conversation_type: ConversationType::Room,
            message_id: None,
            message_seq: None,
            media_url: None,
            attempts: 1,
            media_kind: None,
            file_name: String::new(),
            local_data: None,
        })
    }

    #[tokio::test]
    async fn waiting_progress_of_a_send_is_replaced_by_its_latest() {
        let queue = NotificationQueue::new();
        assert_eq!(queue.push(progress(1, 10)), Queued::Added);
        for current in 11..=90 {
            assert_eq!(queue.push(progress(1, current)), Queued::Coalesced);
        }
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.coalesced(), 80);
        assert_eq!(queue.pop().await, Some(progress(1, 90)));
    }

    #[tokio::test]
    async fn progress_of_different_sends_is_kept_apart() {
        let queue = NotificationQueue::new();
        queue.push(progress(1, 10));
        queue.push(progress(2, 10));
        queue.push(progress(1, 20));
        assert_eq!([queue.pop().await, queue.pop().await], [Some(progress(1, 20)), Some(progress(2, 10))]);
    }

    #[tokio::test]
    async fn terminal_events_are_never_coalesced_or_dropped() {
        let queue = NotificationQueue::new();
        queue.push(progress(1, 50));
        queue.push(sent(1));
        queue.close();
        queue.push(sent(2));
        assert_eq!(queue.pop().await, Some(progress(1, 50)));
        assert_eq!(queue.pop().await, Some(sent(1)));
        assert_eq!(queue.pop().await, Some(sent(2)), "an event pushed after close is still delivered");
        assert_eq!(queue.pop().await, None);
    }

    #[tokio::test]
    async fn progress_after_a_delivered_one_is_queued_again() {
        let queue = NotificationQueue::new();
        queue.push(progress(1, 10));
        assert_eq!(queue.pop().await, Some(progress(1, 10)));
        assert_eq!(queue.push(progress(1, 20)), Queued::Added);
    }
}
