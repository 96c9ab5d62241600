//! Test doubles shared by the client's tests: a loopback ZIM stand-in over real HTTP, and in-memory transports and
//! stores for tests on virtual time.

#![allow(dead_code)] // each test file uses a part

pub mod fakes;
pub mod images;
pub mod s3_server;
pub mod server;

use std::time::Duration;
use zimbot_client::{ClientConfig, Sender};
use zimbot_model::{BotId, Priority, SendEvent, UserId};

/// A sender for bot `name` (user `@RBT#name`) at `priority`.
pub fn sender(name: &str, priority: Priority) -> Sender {
    Sender { bot: BotId::from(name), user_id: UserId::from(format!("@RBT#{name}").as_str()), priority }
}

/// A Server API transport to `base_url` for the test app, signing with `secret`.
pub fn transport_to(base_url: impl Into<String>, secret: &str) -> zimbot_client::ServerApiTransport {
    zimbot_client::ServerApiTransport::new(zimbot_client::ServerApiConfig {
        base_url: base_url.into(),
        app_id: server::APP_ID,
        server_secret: secret.into(),
        request_timeout: Duration::from_secs(5),
    })
    .expect("a valid transport config")
}

/// A config with fast retries, for tests on real time.
pub fn fast_config() -> ClientConfig {
    ClientConfig { backoff_initial_ms: 1, backoff_max_ms: 5, rate_limit_pause_ms: 10, ..ClientConfig::default() }
}

/// Receives every event of a send up to and including its terminal one, then checks that nothing follows it.
pub async fn all_events(handle: &mut zimbot_client::SendHandle) -> Vec<SendEvent> {
    let mut events = Vec::new();
    while let Some(event) = handle.events.recv().await {
        let terminal = event.is_terminal();
        events.push(event);
        if terminal {
            break;
        }
    }
    // The sink closes its channel with the terminal event: nothing may follow.
    assert!(
        tokio::time::timeout(Duration::from_secs(1), handle.events.recv()).await.ok().flatten().is_none(),
        "an event followed the terminal one"
    );
    events
}

/// Checks the order attached → progress* → exactly one terminal, and returns the progress values.
pub fn assert_event_order(events: &[SendEvent]) -> Vec<(u64, u64)> {
    assert!(matches!(events.first(), Some(SendEvent::Attached(_))), "first event must be attached: {events:?}");
    let terminal = events.iter().filter(|event| event.is_terminal()).count();
    assert_eq!(terminal, 1, "exactly one terminal event: {events:?}");
    assert!(events.last().is_some_and(SendEvent::is_terminal), "the terminal event must be last: {events:?}");
    let middle = &events[1..events.len() - 1];
    middle
        .iter()
        .map(|event| match event {
            SendEvent::Progress(progress) => (progress.current, progress.total),
            other => panic!("only progress may come between attached and the end: {other:?}"),
        })
        .collect()
}
