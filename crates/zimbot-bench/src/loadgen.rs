//! The in-repo HTTP load generator: many keep-alive HTTP/1.1 connections (hyper's connection API), each sending
//! one request after another as fast as the server answers, for a fixed time. A connection the server closes
//! (some servers answer `Connection: close` every time) is opened again, and the reconnections are counted.

use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// How a flood went.
#[derive(Debug, Clone, Copy)]
pub struct LoadResult {
    /// Requests answered 200.
    pub ok: u64,
    /// Requests answered otherwise, or lost to a connection error.
    pub failed: u64,
    /// Connections opened again after the server closed them.
    pub reconnected: u64,
    pub elapsed: Duration,
}

async fn connect<B>(addr: SocketAddr) -> anyhow::Result<http1::SendRequest<B>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await.with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true).context("setting TCP_NODELAY")?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.context("HTTP/1.1 handshake")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// GETs `url` (`http://host:port/path?query`) and returns the body of a 200 answer.
pub async fn get(url: &str) -> anyhow::Result<Bytes> {
    let rest = url.strip_prefix("http://").with_context(|| format!("{url} is not an http:// URL"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addr: SocketAddr = authority.parse().with_context(|| format!("{authority} is not an IP address and port"))?;
    let mut sender = connect::<Empty<Bytes>>(addr).await?;
    let request = Request::get(if path.is_empty() { "/" } else { path }).header(HOST, authority).body(Empty::new())?;
    let response = sender.send_request(request).await.with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body = response.into_body().collect().await.with_context(|| format!("reading GET {url}"))?.to_bytes();
    anyhow::ensure!(status.is_success(), "GET {url} answered {status}: {}", String::from_utf8_lossy(&body));
    Ok(body)
}

/// POSTs JSON bodies to `addr` + `path` over `connections` connections for `duration`; `body(n)` makes the n-th
/// request's body (n counts from 0 across all connections).
pub async fn post_flood(
    addr: SocketAddr,
    path: &str,
    connections: usize,
    duration: Duration,
    body: Arc<dyn Fn(u64) -> String + Send + Sync>,
) -> anyhow::Result<LoadResult> {
    post(addr, path, connections, duration, None, body).await
}

/// As [`post_flood`], but request n is not sent before `n / rate` seconds from the start: a steady `rate` per
/// second (when the server keeps up) instead of as fast as it answers.
pub async fn post_paced(
    addr: SocketAddr,
    path: &str,
    connections: usize,
    duration: Duration,
    rate: f64,
    body: Arc<dyn Fn(u64) -> String + Send + Sync>,
) -> anyhow::Result<LoadResult> {
    post(addr, path, connections, duration, Some(rate), body).await
}

async fn post(
    addr: SocketAddr,
    path: &str,
    connections: usize,
    duration: Duration,
    rate: Option<f64>,
    body: Arc<dyn Fn(u64) -> String + Send + Sync>,
) -> anyhow::Result<LoadResult> {
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let reconnected = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let mut sender = connect::<Full<Bytes>>(addr).await?;
        let (next, ok, failed, reconnected, body, path) = (
            Arc::clone(&next),
            Arc::clone(&ok),
            Arc::clone(&failed),
            Arc::clone(&reconnected),
            Arc::clone(&body),
            path.to_owned(),
        );
        let host = addr.to_string();
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                if sender.ready().await.is_err() {
                    // The server closed the connection after its last answer: open another.
                    let Ok(again) = connect::<Full<Bytes>>(addr).await else {
                        failed.fetch_add(1, Ordering::Relaxed);
                        return;
                    };
                    sender = again;
                    reconnected.fetch_add(1, Ordering::Relaxed);
                }
                let number = next.fetch_add(1, Ordering::Relaxed);
                if let Some(rate) = rate {
                    let due = started + Duration::from_secs_f64(number as f64 / rate);
                    if due >= deadline {
                        break;
                    }
                    tokio::time::sleep_until(due.into()).await;
                }
                let request = Request::post(path.as_str())
                    .header(HOST, host.as_str())
                    .header(CONTENT_TYPE, "application/json")
                    .body(Full::new(Bytes::from(body(number))));
                let Ok(request) = request else {
                    failed.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                match sender.send_request(request).await {
                    Ok(response) => {
                        let status = response.status();
                        let drained = response.into_body().collect().await.is_ok();
                        let counter = if status.is_success() && drained { &ok } else { &failed };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.context("a load generator connection task failed")?;
    }
    Ok(LoadResult {
        ok: ok.load(Ordering::SeqCst),
        failed: failed.load(Ordering::SeqCst),
        reconnected: reconnected.load(Ordering::SeqCst),
        elapsed: started.elapsed(),
    })
}
