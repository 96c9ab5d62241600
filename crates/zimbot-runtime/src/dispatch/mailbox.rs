//! A bot's bounded inbound mailbox.
//!
//! Overflow policy: when the mailbox is full, the OLDEST waiting item is dropped to make room, and the caller is
//! told which (so it is counted and logged, never lost silently). Dropping the oldest keeps a bot that fell behind
//! answering what people say now rather than what they said minutes ago.

use parking_lot::Mutex;
use std::collections::VecDeque;
use tokio::sync::Notify;

/// What happened to a pushed item.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed<T> {
    Queued,
    /// Queued, and this older item was dropped to make room.
    DroppedOldest(T),
    /// The mailbox is closed; the item was not queued.
    Closed(T),
}

pub struct Mailbox<T> {
    state: Mutex<State<T>>,
    ready: Notify,
    capacity: usize,
}

struct State<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> Mailbox<T> {
    /// A mailbox holding at most `capacity` items (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            state: Mutex::new(State { items: VecDeque::with_capacity(capacity.min(1024)), closed: false }),
            ready: Notify::new(),
            capacity,
        }
    }

    pub fn push(&self, item: T) -> Pushed<T> {
        let outcome = {
            let mut state = self.state.lock();
            if state.closed {
                return Pushed::Closed(item);
            }
            let dropped = if state.items.len() >= self.capacity { state.items.pop_front() } else { None };
            state.items.push_back(item);
            dropped.map_or(Pushed::Queued, Pushed::DroppedOldest)
        };
        self.ready.notify_one();
        outcome
    }

    /// Queues `item` whatever the capacity: for items kept elsewhere too (journaled messages), whose producer
    /// bounds them itself rather than have one dropped.
    pub fn push_beyond_capacity(&self, item: T) -> Pushed<T> {
        {
            let mut state = self.state.lock();
            if state.closed {
                return Pushed::Closed(item);
            }
            state.items.push_back(item);
        }
        self.ready.notify_one();
        Pushed::Queued
    }

    /// The next item, waiting for one; `None` once the mailbox is closed and empty.
    pub async fn pop(&self) -> Option<T> {
        loop {
            let notified = self.ready.notified();
            {
                let mut state = self.state.lock();
                if let Some(item) = state.items.pop_front() {
                    return Some(item);
                }
                if state.closed {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// Refuses further items; items already queued are still popped.
    pub fn close(&self) {
        self.state.lock().closed = true;
        self.ready.notify_waiters();
        self.ready.notify_one();
    }

    /// Takes every item waiting, oldest first, without waiting for more.
    pub fn take_all(&self) -> Vec<T> {
        self.state.lock().items.drain(..).collect()
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.state.lock().items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn items_come_out_in_the_order_they_went_in() {
        let mailbox = Mailbox::new(4);
        for item in 1..=3 {
            assert_eq!(mailbox.push(item), Pushed::Queued);
        }
        assert_eq!([mailbox.pop().await, mailbox.pop().await, mailbox.pop().await], [Some(1), Some(2), Some(3)]);
    }

    #[tokio::test]
    async fn a_full_mailbox_drops_the_oldest_and_says_which() {
        let mailbox = Mailbox::new(2);
        mailbox.push(1);
        mailbox.push(2);
        assert_eq!(mailbox.push(3), Pushed::DroppedOldest(1));
        assert_eq!(mailbox.len(), 2);
        assert_eq!(mailbox.pop().await, Some(2));
    }

    #[tokio::test]
    async fn a_push_beyond_capacity_drops_nothing() {
        let mailbox = Mailbox::new(1);
        mailbox.push(1);
        assert_eq!(mailbox.push_beyond_capacity(2), Pushed::Queued);
        assert_eq!([mailbox.pop().await, mailbox.pop().await], [Some(1), Some(2)]);
    }

    #[tokio::test]
    async fn a_closed_mailbox_refuses_new_items_but_drains_queued_ones() {
        let mailbox = Mailbox::new(2);
        mailbox.push(1);
        mailbox.close();
        assert_eq!(mailbox.push(2), Pushed::Closed(2));
        assert_eq!(mailbox.pop().await, Some(1));
        assert_eq!(mailbox.pop().await, None);
    }

    #[tokio::test]
    async fn a_waiting_pop_wakes_on_push_and_on_close() {
        let mailbox = std::sync::Arc::new(Mailbox::new(2));
        let waiter = tokio::spawn({
            let mailbox = mailbox.clone();
            async move { (mailbox.pop().await, mailbox.pop().await) }
        });
        mailbox.push(7);
        mailbox.close();
        assert_eq!(waiter.await.unwrap(), (Some(7), None));
    }
}
