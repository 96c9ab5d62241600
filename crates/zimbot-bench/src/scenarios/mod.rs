//! The scenarios, one per module, each returning its figures as an [`Outcome`](crate::report::Outcome).

pub mod cron;
pub mod idle;
pub mod inbound;
pub mod limiter;
pub mod outbox;
pub mod plugins;
pub mod upload;

/// The scenario names, in the order they run.
pub const NAMES: [&str; 7] = ["limiter", "inbound", "outbox", "upload", "cron", "plugins", "idle"];
