//! The webhook: where ZIM (or the hub) POSTs its callbacks, plus `/healthz` and `/metrics`.
//!
//! `POST /zim/callback` answers before any plugin runs (delivery only puts the message in mailboxes). With the
//! inbox journal (`zimbot run`), a message callback is answered 200 only once it is journaled (see
//! the journal); a `msg_id` journaled before, even before a restart, is a duplicate (200, dropped); a
//! journal that cannot keep it, or a bot whose mailbox is full, gets 503 and the service retries.
//! - a body over the cap → 413; a body that is not a callback, or an id over its cap (`id_caps.rs`) → 400;
//! - bad or missing signature (checked against the callback secret and, during a rotation, the previous one),
//!   or a timestamp outside the window → 401;
//! - a signature (timestamp, nonce, signature) already seen with a different body → 401: ZIM's signature does
//!   not cover the body, so this is a captured signature carrying a forged body. The same signature with the
//!   same body is a retransmission and goes on to the `msg_id` check; a nonce alone may repeat;
//! - a membership or presence event (`room_enter`, `group_join`, `user_action`, ...; room and group events stamp
//!   milliseconds) → 200, routed to the bots whose `listen` selects its room, group or user (400 when it lacks its
//!   room, group or user id); the same callback again (its body without `nonce` and `signature`, which holds the
//!   time of its change: see `membership_key.rs`) within the dedupe window → 200, dropped;
//! - an event zimbot does not act on → 200, ignored;
//! - a `msg_id` seen recently (ZIM retries after 2, 4, 8, 16, 32 s, and sends `bot_msg` beside `send_msg` for
//!   messages to bots) → 200, dropped. Ids are remembered as long as a callback carrying them could still pass
//!   the timestamp check, and at least `dedupe_window_secs` (which may not be shorter than the timestamp window);
//! - the memory of recent ids and signatures is full (`dedupe_max_entries`, `dedupe_max_bytes`) → 503, counted:
//!   nothing is forgotten early, the service retries once entries have expired;
//! - while the runtime is stopping → 503, so the service retries later and nothing is lost.
//!
//! Refusals are logged at most once per ten seconds each, with untrusted text escaped.
//!
//! It is served through `zimbot_listener` with the limits of `webhook.limits` (header, body and idle timeouts,
//! connection and request caps), so slow or idle connections cannot starve the service's callbacks.

mod dedupe;
mod handler;
mod id_caps;
mod membership_key;
mod verify;

pub(crate) use dedupe::{Dedupe, DedupeLimits, Fingerprints, KeyPrint, Recall};
pub use handler::{router, WebhookState};
pub use id_caps::{check_id_lengths, TooLong, MAX_ID_BYTES, MAX_TOKEN_BYTES};
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
