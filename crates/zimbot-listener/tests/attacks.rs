//! The listener under attack over real loopback sockets: idle, slow-head and slow-body connections are closed by
//! their timeouts, a flood of them cannot lock a valid client out, and requests over the cap answer 503.

use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use zimbot_listener::{Listener, ListenerLimits, ListenerStats};

struct Served {
    addr: std::net::SocketAddr,
    stats: Arc<ListenerStats>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(limits: ListenerLimits, router: Router) -> Served {
    let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let listener = Listener::new("test", limits);
    let stats = listener.stats();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(listener.serve(socket, router, async move {
        let _ = stopped.await;
    }));
    Served { addr, stats, stop: Some(stop) }
}

fn echo_router() -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/echo", post(|body: axum::body::Bytes| async move { body }))
}

fn limits() -> ListenerLimits {
    ListenerLimits {
        header_read_timeout_secs: 1,
        body_timeout_secs: 1,
        idle_timeout_secs: 1,
        max_connections: 8,
        max_concurrent_requests: 8,
    }
}

/// Reads until the server closes the connection; returns what it sent.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// One GET on a fresh connection; the status line of the answer.
async fn get_status(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    read_to_close(&mut stream).await.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_idle_connection_is_closed_by_the_idle_timeout() {
    let served =
        serve(ListenerLimits { idle_timeout_secs: 1, header_read_timeout_secs: 30, ..limits() }, echo_router()).await;
    let mut idle = TcpStream::connect(served.addr).await.unwrap();
    assert_eq!(read_to_close(&mut idle).await, "", "closed without an answer");
    assert_eq!(served.stats.idle_timeouts(), 1);
    assert_eq!(served.stats.header_timeouts(), 0);
}

#[tokio::test]
async fn a_head_sent_slowly_is_closed_by_the_header_read_timeout() {
    let served =
        serve(ListenerLimits { idle_timeout_secs: 30, header_read_timeout_secs: 1, ..limits() }, echo_router()).await;
    let mut slow = TcpStream::connect(served.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
    read_to_close(&mut slow).await;
    assert_eq!(served.stats.header_timeouts(), 1);
    assert_eq!(served.stats.idle_timeouts(), 0);
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_by_the_idle_timeout_after_its_answer() {
    let served =
        serve(ListenerLimits { idle_timeout_secs: 1, header_read_timeout_secs: 30, ..limits() }, echo_router()).await;
    let mut stream = TcpStream::connect(served.addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let answer = read_to_close(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello"), "{answer}");
    assert_eq!(served.stats.idle_timeouts(), 1);
}

#[tokio::test]
async fn a_body_sent_slowly_is_cut_off_by_the_body_timeout() {
    let served = serve(ListenerLimits { body_timeout_secs: 1, ..limits() }, echo_router()).await;
    let mut slow = TcpStream::connect(served.addr).await.unwrap();
    slow.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789").await.unwrap();
    let answer = read_to_close(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(served.stats.body_timeouts(), 1);
}

#[tokio::test]
async fn idle_and_slow_sockets_past_the_cap_cannot_lock_out_a_valid_client() {
    let served = serve(
        ListenerLimits { idle_timeout_secs: 600, header_read_timeout_secs: 600, max_connections: 8, ..limits() },
        echo_router(),
    )
    .await;
    let mut attackers = Vec::new();
    for index in 0..64 {
        let mut socket = TcpStream::connect(served.addr).await.unwrap();
        if index % 2 == 0 {
            socket.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
        }
        attackers.push(socket);
    }
    for _ in 0..3 {
        assert_eq!(get_status(served.addr, "/").await, "HTTP/1.1 200 OK");
    }
    assert!(served.stats.evicted() >= 56, "evicted {}", served.stats.evicted());
    assert_eq!(served.stats.refused_connections(), 0);
}

#[tokio::test]
async fn requests_over_the_request_cap_answer_503_and_the_rest_are_served() {
    let release = Arc::new(Notify::new());
    let entered = Arc::new(Notify::new());
    let router = {
        let (release, entered) = (Arc::clone(&release), Arc::clone(&entered));
        echo_router().route(
            "/hold",
            get(move || async move {
                entered.notify_one();
                release.notified().await;
                "released"
            }),
        )
    };
    let served = serve(ListenerLimits { max_concurrent_requests: 1, ..limits() }, router).await;
    let held = tokio::spawn(get_status(served.addr, "/hold"));
    entered.notified().await;
    let mut refused = TcpStream::connect(served.addr).await.unwrap();
    refused.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = read_to_close(&mut refused).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    release.notify_one();
    assert_eq!(held.await.unwrap(), "HTTP/1.1 200 OK");
    assert_eq!(get_status(served.addr, "/").await, "HTTP/1.1 200 OK");
    assert_eq!(served.stats.busy(), 1);
}

#[tokio::test]
async fn at_the_cap_with_every_connection_busy_a_new_connection_is_refused() {
    let release = Arc::new(Notify::new());
    let entered = Arc::new(tokio::sync::Semaphore::new(0));
    let router = {
        let (release, entered) = (Arc::clone(&release), Arc::clone(&entered));
        echo_router().route(
            "/hold",
            get(move || async move {
                entered.add_permits(1);
                release.notified().await;
                "released"
            }),
        )
    };
    let served = serve(ListenerLimits { max_connections: 2, ..limits() }, router).await;
    let held: Vec<_> = (0..2).map(|_| tokio::spawn(get_status(served.addr, "/hold"))).collect();
    let _ = entered.acquire_many(2).await.unwrap();
    let mut refused = TcpStream::connect(served.addr).await.unwrap();
    let _ = refused.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(read_to_close(&mut refused).await, "");
    assert_eq!(served.stats.refused_connections(), 1);
    release.notify_waiters();
    for held in held {
        assert_eq!(held.await.unwrap(), "HTTP/1.1 200 OK");
    }
}
