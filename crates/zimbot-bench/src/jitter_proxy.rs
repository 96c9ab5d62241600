//! A TCP proxy on loopback that makes arrivals bunch: what a client writes reaches the server a random 0 to
//! `max_delay` later (or, for a service in a nearby region, a steady delay with a little spread:
//! [`JitterProxy::start_between`]), while answers come back at once.
//!
//! Each read from the client is held for its own random delay before it is written on, but never written before
//! an earlier read of the same connection (a TCP stream keeps its order): requests on different connections can
//! overtake each other and bunch, as they do on a real network. Delaying the way in (not the answers) is what
//! moves the instants the service counts.

use rand::Rng as _;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A running proxy; it stops (with its connections) when dropped.
pub struct JitterProxy {
    address: SocketAddr,
    accept: JoinHandle<()>,
}

impl JitterProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`, each client read delayed by a
    /// random 0..=`max_delay`.
    pub async fn start(upstream: SocketAddr, max_delay: Duration) -> std::io::Result<Self> {
        Self::start_between(upstream, Duration::ZERO, max_delay).await
    }

    /// The same, each client read delayed by a random `min_delay..=max_delay`.
    pub async fn start_between(
        upstream: SocketAddr,
        min_delay: Duration,
        max_delay: Duration,
    ) -> std::io::Result<Self> {
        let delays = Delays { min: min_delay, spread: max_delay.saturating_sub(min_delay) };
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let accept = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Err(error) = forward(client, upstream, delays).await {
                        eprintln!("jitter proxy: a connection ended with {error}");
                    }
                });
            }
        });
        Ok(Self { address, accept })
    }

    /// The loopback address clients connect to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The base URL of an HTTP server behind this proxy.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address())
    }
}

impl Drop for JitterProxy {
    fn drop(&mut self) {
        // The connections live in the accept task's JoinSet, which aborts them as it is dropped.
        self.accept.abort();
    }
}

/// How long each client read is held: `min` plus a random part of `spread`.
#[derive(Debug, Clone, Copy)]
struct Delays {
    min: Duration,
    spread: Duration,
}

async fn forward(client: TcpStream, upstream: SocketAddr, delays: Delays) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let server = TcpStream::connect(upstream).await?;
    server.set_nodelay(true)?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let (chunks, mut due_chunks) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let inbound_reader = async move {
        let mut last_due = Instant::now();
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = client_read.read(&mut buffer).await?;
            if read == 0 {
                return Ok::<_, std::io::Error>(());
            }
            let delay = delays.min + delays.spread.mul_f64(rand::rng().random_range(0.0..=1.0));
            last_due = last_due.max(Instant::now() + delay);
            if chunks.send((last_due, buffer[..read].to_vec())).is_err() {
                return Ok(());
            }
        }
    };
    let inbound_writer = async move {
        while let Some((due, chunk)) = due_chunks.recv().await {
            tokio::time::sleep_until(due).await;
            server_write.write_all(&chunk).await?;
        }
        server_write.shutdown().await
    };
    let outbound = async move {
        tokio::io::copy(&mut server_read, &mut client_write).await?;
        client_write.shutdown().await
    };
    tokio::try_join!(inbound_reader, inbound_writer, outbound)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upstream that records when each byte block arrives and echoes nothing back.
    async fn receiving_upstream() -> (SocketAddr, mpsc::UnboundedReceiver<(Instant, Vec<u8>)>) {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buffer = vec![0; 1024];
            loop {
                let read = stream.read(&mut buffer).await.unwrap();
                if read == 0 {
                    return;
                }
                let _ = sender.send((Instant::now(), buffer[..read].to_vec()));
            }
        });
        (address, receiver)
    }

    #[tokio::test]
    async fn bytes_arrive_whole_and_in_order_however_they_are_delayed() {
        let (upstream, mut received) = receiving_upstream().await;
        let proxy = JitterProxy::start(upstream, Duration::from_millis(20)).await.unwrap();
        let mut client = TcpStream::connect(proxy.address()).await.unwrap();
        let mut sent = Vec::new();
        for index in 0..50u8 {
            client.write_all(&[index; 3]).await.unwrap();
            sent.extend([index; 3]);
            tokio::task::yield_now().await;
        }
        let mut arrived = Vec::new();
        while arrived.len() < sent.len() {
            arrived.extend(received.recv().await.unwrap().1);
        }
        assert_eq!(arrived, sent);
    }

    #[tokio::test]
    async fn a_write_is_held_no_longer_than_the_largest_delay() {
        let (upstream, mut received) = receiving_upstream().await;
        let proxy = JitterProxy::start(upstream, Duration::from_millis(50)).await.unwrap();
        let mut client = TcpStream::connect(proxy.address()).await.unwrap();
        let mut held = Vec::new();
        for _ in 0..20 {
            let written = Instant::now();
            client.write_all(b"request").await.unwrap();
            let (arrived, _) = received.recv().await.unwrap();
            held.push(arrived - written);
        }
        // The delays are random in 0..=50 ms: twenty of them are not all below 5 ms (a chance of 10^-20), and none
        // is held much past 50 ms (a loaded machine adds scheduling delay, hence the allowance).
        assert!(held.iter().any(|delay| *delay >= Duration::from_millis(5)), "{held:?}");
        assert!(held.iter().all(|delay| *delay < Duration::from_millis(50 + 200)), "{held:?}");
    }

    #[tokio::test]
    async fn with_a_least_delay_no_write_arrives_before_it() {
        let (upstream, mut received) = receiving_upstream().await;
        let least = Duration::from_millis(8);
        let proxy = JitterProxy::start_between(upstream, least, Duration::from_millis(10)).await.unwrap();
        let mut client = TcpStream::connect(proxy.address()).await.unwrap();
        for _ in 0..10 {
            let written = Instant::now();
            client.write_all(b"request").await.unwrap();
            let (arrived, _) = received.recv().await.unwrap();
            assert!(arrived - written >= least, "held {:?}", arrived - written);
        }
    }
}
