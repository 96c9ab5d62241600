//! Makes "the hook that sent holds its `SendHandle` before the send's `on_message_attached` runs" hold for the
//! code that follows the send in that hook, not only for the handle.
//!
//! The send's forwarder waits until the plugin has let go of the submit's reply (see `host_api`); the hook then
//! goes on in the SAME poll of its future. So each poll of an inbound-lane hook (start, message, cron, stop) holds
//! this gate shared, and an `attached` call first waits until no such poll is running: whatever the sending hook
//! did after its `send(..).await`, up to its next await, is done before the send's first hook starts. Polls of
//! inbound hooks still run in parallel with each other (`max_concurrency`), and nothing waits across an await.

use parking_lot::RwLock;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// One instance's gate; clones share it.
#[derive(Clone, Default)]
pub(super) struct PollGate {
    polls: Arc<RwLock<()>>,
}

impl PollGate {
    /// `future`, holding the gate shared during each of its polls.
    pub(super) fn shared<F: Future + Unpin>(&self, future: F) -> Gated<F> {
        Gated { future, gate: self.clone() }
    }

    /// Waits (yielding to the runtime, never blocking it) until no shared poll is running.
    pub(super) async fn until_no_poll_runs(&self) {
        loop {
            if self.polls.try_write().is_some() {
                return;
            }
            tokio::task::yield_now().await;
        }
    }
}

/// A future polled under the gate, shared.
pub(super) struct Gated<F> {
    future: F,
    gate: PollGate,
}

impl<F: Future + Unpin> Future for Gated<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let _shared = this.gate.polls.read();
        Pin::new(&mut this.future).poll(cx)
    }
}
