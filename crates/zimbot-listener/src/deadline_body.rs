//! Request and response bodies as the listener hands them on: a request body that fails once its deadline has
//! passed, and a response body that marks its request finished when it has been sent.

use crate::connection::RequestGuard;
use crate::log_limit::RateLimitedLog;
use crate::stats::ListenerStats;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// The error a request body ends with when it did not arrive in time.
#[derive(Debug)]
pub(crate) struct BodyTimeout(Duration);

impl std::fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the request body did not arrive within {} s", self.0.as_secs())
    }
}

impl std::error::Error for BodyTimeout {}

/// What a body timeout reports to.
#[derive(Debug, Clone)]
pub(crate) struct BodyWatch {
    pub(crate) name: &'static str,
    pub(crate) stats: Arc<ListenerStats>,
    pub(crate) log: Arc<RateLimitedLog>,
}

/// A request body that must end before a deadline.
pub(crate) struct DeadlineBody<B> {
    inner: B,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    watch: BodyWatch,
    expired: bool,
}

impl<B> DeadlineBody<B> {
    pub(crate) fn new(inner: B, timeout: Duration, watch: BodyWatch) -> Self {
        Self { inner, timeout, deadline: Box::pin(tokio::time::sleep(timeout)), watch, expired: false }
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired = true;
            ListenerStats::count(&self.watch.stats.body_timeouts);
            let name = self.watch.name;
            let timeout = self.timeout.as_secs();
            self.watch.log.log(|unlogged| {
                tracing::warn!(listener = name, unlogged, "a request body took longer than {timeout} s; cut off")
            });
            return Poll::Ready(Some(Err(Box::new(BodyTimeout(self.timeout)))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.expired || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that holds its request's guard until it has been sent whole or dropped.
pub(crate) struct GuardedBody {
    pub(crate) inner: axum::body::Body,
    pub(crate) guard: Option<RequestGuard>,
}

impl Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.guard = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
