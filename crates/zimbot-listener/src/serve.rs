//! The accept loop and each connection's task.

use crate::connection::{Expiry, RequestGuard, Tracker};
use crate::deadline_body::{BodyWatch, DeadlineBody, GuardedBody};
use crate::limits::ListenerLimits;
use crate::log_limit::RateLimitedLog;
use crate::registry::Registry;
use crate::stats::ListenerStats;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_service::Service as _;

/// One named listener with its limits; serve a router with [`Listener::serve`].
#[derive(Debug, Clone)]
pub struct Listener {
    name: &'static str,
    limits: ListenerLimits,
    stats: Arc<ListenerStats>,
}

/// One rate-limited log per kind of limit, so a flood of one kind does not hide another.
#[derive(Debug, Default)]
struct Logs {
    header: RateLimitedLog,
    idle: RateLimitedLog,
    evicted: RateLimitedLog,
    refused: RateLimitedLog,
    busy: RateLimitedLog,
    accept: RateLimitedLog,
}

impl Listener {
    /// A listener called `name` in logs and metrics (`webhook`, `hub`).
    pub fn new(name: &'static str, limits: ListenerLimits) -> Self {
        Self { name, limits, stats: Arc::new(ListenerStats::default()) }
    }

    /// What its limits have done so far.
    pub fn stats(&self) -> Arc<ListenerStats> {
        Arc::clone(&self.stats)
    }

    /// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, lets the requests in flight
    /// finish and returns once every connection is closed.
    pub async fn serve(
        self,
        listener: TcpListener,
        router: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        let stopping = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            stopping.cancel();
        });
        let shared = Arc::new(Shared {
            name: self.name,
            limits: self.limits,
            stats: self.stats,
            logs: Logs::default(),
            body_log: Arc::new(RateLimitedLog::default()),
            registry: Registry::default(),
            requests: Arc::new(Semaphore::new(0)),
        });
        shared.requests.add_permits(shared.limits.max_concurrent_requests);
        let tasks = TaskTracker::new();
        let mut next_id: u64 = 0;
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.cancelled() => break,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin, and keep serving.
                    shared.logs.accept.log(|unlogged| {
                        tracing::warn!(listener = shared.name, unlogged, "cannot accept a connection: {error}")
                    });
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if !shared.make_room() {
                continue;
            }
            next_id += 1;
            let id = next_id;
            let tracker = Arc::new(Tracker::new());
            shared.registry.insert(id, Arc::clone(&tracker));
            ListenerStats::count(&shared.stats.connections);
            tasks.spawn(Arc::clone(&shared).connection(id, stream, peer, tracker, router.clone(), stop.clone()));
        }
        tasks.close();
        tasks.wait().await;
        Ok(())
    }
}

/// What every connection of one listener shares.
#[derive(Debug)]
struct Shared {
    name: &'static str,
    limits: ListenerLimits,
    stats: Arc<ListenerStats>,
    logs: Logs,
    body_log: Arc<RateLimitedLog>,
    registry: Registry,
    requests: Arc<Semaphore>,
}

impl Shared {
    /// True when a new connection may be served: below the cap, or a waiting connection was closed for it.
    fn make_room(&self) -> bool {
        if self.registry.len() < self.limits.max_connections {
            return true;
        }
        if self.registry.evict_oldest_waiting() {
            ListenerStats::count(&self.stats.evicted);
            self.logs.evicted.log(|unlogged| {
                tracing::warn!(
                    listener = self.name,
                    unlogged,
                    max_connections = self.limits.max_connections,
                    "at the connection cap: closed the connection that waited longest for a request"
                )
            });
            return true;
        }
        ListenerStats::count(&self.stats.refused_connections);
        self.logs.refused.log(|unlogged| {
            tracing::warn!(
                listener = self.name,
                unlogged,
                max_connections = self.limits.max_connections,
                "at the connection cap with every connection busy: refused a new connection"
            )
        });
        false
    }

    async fn connection(
        self: Arc<Self>,
        id: u64,
        stream: TcpStream,
        peer: SocketAddr,
        tracker: Arc<Tracker>,
        router: Router,
        stop: CancellationToken,
    ) {
        let io = TokioIo::new(crate::watched_io::WatchedIo { inner: stream, tracker: Arc::clone(&tracker) });
        let service = {
            let shared = Arc::clone(&self);
            let tracker = Arc::clone(&tracker);
            hyper::service::service_fn(move |request: Request<Incoming>| {
                let shared = Arc::clone(&shared);
                let tracker = Arc::clone(&tracker);
                let router = router.clone();
                async move { Ok::<_, Infallible>(shared.handle(request, peer, tracker, router).await) }
            })
        };
        let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
        tokio::pin!(connection);
        let expired = tracker.expired(self.limits.idle_timeout(), self.limits.header_read_timeout());
        tokio::pin!(expired);
        let mut stopping = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(listener = self.name, %peer, "connection ended: {error}");
                    }
                    break;
                }
                expiry = &mut expired, if !stopping => {
                    self.expired(expiry, peer);
                    break;
                }
                _ = stop.cancelled(), if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
        self.registry.remove(id);
    }

    fn expired(&self, expiry: Expiry, peer: SocketAddr) {
        let (counter, log, what) = match expiry {
            Expiry::Idle => (&self.stats.idle_timeouts, &self.logs.idle, "idled longer than the idle timeout"),
            Expiry::Header => {
                (&self.stats.header_timeouts, &self.logs.header, "took longer than the header read timeout")
            }
            // Counted and logged when it was chosen.
            Expiry::Evicted => return,
        };
        ListenerStats::count(counter);
        log.log(|unlogged| tracing::warn!(listener = self.name, %peer, unlogged, "closed a connection that {what}"));
    }

    async fn handle(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
        tracker: Arc<Tracker>,
        mut router: Router,
    ) -> Response<GuardedBody> {
        tracker.request_started();
        let Ok(permit) = Arc::clone(&self.requests).try_acquire_owned() else {
            tracker.request_finished();
            return self.busy();
        };
        let guard = RequestGuard { tracker, _permit: permit };
        let watch = BodyWatch { name: self.name, stats: Arc::clone(&self.stats), log: Arc::clone(&self.body_log) };
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(ConnectInfo(peer));
        let request = Request::from_parts(
            parts,
            axum::body::Body::new(DeadlineBody::new(body, self.limits.body_timeout(), watch)),
        );
        let response = match router.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        response.map(|inner| GuardedBody { inner, guard: Some(guard) })
    }

    fn busy(&self) -> Response<GuardedBody> {
        ListenerStats::count(&self.stats.busy);
        self.logs.busy.log(|unlogged| {
            tracing::warn!(
                listener = self.name,
                unlogged,
                max_concurrent_requests = self.limits.max_concurrent_requests,
                "at the request cap: answered 503"
            )
        });
        let mut response = Response::new(GuardedBody {
            inner: axum::body::Body::from("{\"code\":503,\"message\":\"too many requests at once; retry later\"}"),
            guard: None,
        });
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
        response
    }
}
