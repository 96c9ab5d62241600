//! The ceiling of this machine for the `peers` scenario: a bare hyper HTTP/1.1 server on loopback that answers
//! every request 200 with an empty body, without reading the request's body.

use bytes::Bytes;
use http_body_util::Empty;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running bare server; it stops when dropped.
pub struct BareServer {
    address: SocketAddr,
    accept: JoinHandle<()>,
}

impl BareServer {
    /// Listens on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let accept = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                connections.spawn(async move {
                    let answer =
                        service_fn(|_request| async { Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new())) });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), answer).await;
                });
            }
        });
        Ok(Self { address, accept })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for BareServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn posts_on_kept_alive_connections_are_all_answered_200() {
        let server = BareServer::start().await.unwrap();
        let body = Arc::new(|number: u64| format!("{{\"n\":{number},\"pad\":\"{}\"}}", "x".repeat(4096)));
        let load = crate::loadgen::post_flood(server.address(), "/zim/callback", 4, Duration::from_millis(300), body)
            .await
            .unwrap();
        assert!(load.ok > 0);
        assert_eq!(load.failed, 0);
    }
}
