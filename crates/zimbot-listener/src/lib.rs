//! zimbot's HTTP listener: serves an axum router with the limits every public surface needs.
//!
//! Both the runtime's webhook and the hub serve through [`Listener`], which is why it is a crate of its own that
//! depends on nothing of zimbot's: the hub must never import the runtime, and the two should not drift apart.
//!
//! What it enforces (see [`ListenerLimits`] for the settings and their defaults):
//! - **header read**: a request head must arrive whole within `header_read_timeout_secs` of its first byte;
//! - **idle keep-alive**: a connection with no request in flight and no byte of a new one is closed after
//!   `idle_timeout_secs` (this also covers a connection that never sends anything);
//! - **body**: a request body must arrive whole within `body_timeout_secs` of its head, else the handler sees a
//!   body error (the webhook answers 400, the hub's uploads are discarded);
//! - **connections**: at most `max_connections` at once. At the cap, the connection that has waited longest for a
//!   request head (idle or slow) is closed to make room, so idle and slowloris sockets cannot lock valid clients
//!   out; only when every connection has a request in flight is the new one refused;
//! - **requests**: at most `max_concurrent_requests` handled at once; more answer 503 with `Retry-After: 1`.
//!
//! Every limit that bites is counted ([`ListenerStats`]) and logged at most once per interval per kind, with the
//! number of events left unlogged ([`RateLimitedLog`]). HTTP/1.1 only, like the rest of zimbot.
//!
//! Main types: [`Listener`], [`ListenerLimits`], [`ListenerStats`], [`RateLimitedLog`].

mod connection;
mod deadline_body;
mod limits;
mod log_limit;
mod registry;
mod serve;
mod stats;
mod watched_io;

pub use limits::ListenerLimits;
pub use log_limit::RateLimitedLog;
pub use serve::Listener;
pub use stats::ListenerStats;
