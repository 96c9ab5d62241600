//! The callback URL a separately run hub is given: a relay in the test process, on a port the OS picked, that
//! passes each callback on to the webhook of whichever `zimbot run` is up now (each run takes a port of its own,
//! read from its ready line). While no run is up, or the run does not answer, the relay answers 502, as a
//! service's callback to a stopped webhook fails, so the hub retries it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;

/// A running relay; stops with the test's runtime.
pub struct Relay {
    /// The URL to give the hub as its callback URL.
    pub url: String,
    target: Arc<AtomicU16>,
}

impl Relay {
    /// Starts a relay on a loopback port of the OS's choosing, passing callbacks nowhere yet.
    pub async fn start() -> Self {
        let target = Arc::new(AtomicU16::new(0));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("the relay binds");
        let address = listener.local_addr().expect("the relay's address");
        let app = axum::Router::new().route("/zim/callback", post(pass_on)).with_state(Arc::clone(&target));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url: format!("http://{address}/zim/callback"), target }
    }

    /// Passes the callbacks from now on to the webhook on `port` of loopback.
    pub fn point_at(&self, port: u16) {
        self.target.store(port, Ordering::Relaxed);
    }
}

/// Posts the callback to the current webhook and answers with what it answered.
async fn pass_on(State(target): State<Arc<AtomicU16>>, headers: HeaderMap, body: Bytes) -> (StatusCode, Bytes) {
    let port = target.load(Ordering::Relaxed);
    if port == 0 {
        return (StatusCode::BAD_GATEWAY, Bytes::from_static(b"no zimbot run is up"));
    }
    let mut request = super::http().post(format!("http://127.0.0.1:{port}/zim/callback")).body(body);
    if let Some(content_type) = headers.get(reqwest::header::CONTENT_TYPE) {
        request = request.header(reqwest::header::CONTENT_TYPE, content_type.as_bytes());
    }
    match request.send().await {
        Ok(response) => {
            let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            (status, response.bytes().await.unwrap_or_default())
        }
        Err(error) => (StatusCode::BAD_GATEWAY, Bytes::from(format!("the webhook did not answer: {error}"))),
    }
}
