//! The webhook: where ZIM (or the hub) POSTs its callbacks, plus `/healthz` and `/metrics`.
//!
//! `POST /zim/callback` answers before any plugin runs (delivery only puts the message in mailboxes):
//! - bad or missing signature, or a timestamp outside the window → 401;
//! - a body over the cap → 413; a body that is not a callback → 400;
//! - an event zimbot does not act on → 200, ignored;
//! - a `msg_id` seen within the dedupe window (ZIM retries after 2, 4, 8, 16, 32 s, and sends `bot_msg` beside
//!   `send_msg` for messages to bots) → 200, dropped;
//! - while the runtime is stopping → 503, so the service retries later and nothing is lost.
//!
//! It is served through `zimbot_listener` with the limits of `webhook.limits` (header, body and idle timeouts,
//! connection and request caps), so slow or idle connections cannot starve the service's callbacks.

mod dedupe;
mod handler;
mod verify;

pub use dedupe::Dedupe;
pub use handler::{router, WebhookState, WebhookStats};
pub use verify::{verify_callback, VerifyError};

use std::sync::Arc;
use tokio::net::TcpListener;

/// Serves the webhook on `listener`, with the limits of `webhook.limits`, until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<WebhookState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.listener().clone().serve(listener, router(Arc::clone(&state)), shutdown).await
}
